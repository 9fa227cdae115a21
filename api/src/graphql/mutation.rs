//! Mutations. Each takes one `input` object and returns a payload object (API.md).

use async_graphql::{Context, InputObject, Object, SimpleObject};
use omnipanel_domain::DomainError;
use omnipanel_domain::admin::UpdateSettingsInput;
use omnipanel_domain::admin::*;
use omnipanel_domain::identity::{
    AcceptInvitationInput, CreateApiKeyInput, InviteOperatorInput, SignInInput,
    UpdateMyProfileInput,
};
use omnipanel_domain::ids::*;

use super::types::*;
use super::{Gql, RequestInfo, TestClock, actor, domain, to_gql};

/// Identity and administration mutations.
#[derive(Default)]
pub struct AdminMutation;

/// A session: the bearer token (keep it secret) and who it belongs to.
#[derive(SimpleObject)]
pub struct SignInPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub operator: Operator,
}

#[derive(SimpleObject)]
pub struct SignOutPayload {
    pub signed_out: bool,
}

/// An invitation: the token and the link that carries it (shown once).
#[derive(SimpleObject)]
pub struct InviteOperatorPayload {
    pub invitation_token: String,
    /// Send this to the person invited.
    pub link: String,
}

#[derive(SimpleObject)]
pub struct OperatorPayload {
    pub operator: Operator,
}

/// A new API key: the key itself is shown only here, once.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub key: String,
    pub api_key: ApiKey,
}

#[derive(SimpleObject)]
pub struct ApiKeyPayload {
    pub api_key: ApiKey,
}

#[derive(SimpleObject)]
pub struct SettingsPayload {
    pub settings: OrganizationSettings,
}

#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    pub id: ApiKeyId,
}

#[derive(InputObject)]
pub struct AdvanceClockInput {
    /// Seconds to move the server's clock forward (1 to 30 days' worth).
    pub seconds: i64,
}

#[derive(SimpleObject)]
pub struct AdvanceClockPayload {
    /// The server's time after the move.
    pub now: chrono::DateTime<chrono::Utc>,
    /// How many timers fired (invitations, after-chat work, idle operators, ...).
    pub fired: i32,
}

/// A payload carrying one dictionary entry, and the input that archives one.
macro_rules! entry_payload {
    ($payload:ident, $archive:ident, $field:ident, $ty:ty, $id:ty) => {
        #[derive(SimpleObject)]
        pub struct $payload {
            pub $field: $ty,
        }

        #[derive(InputObject)]
        pub struct $archive {
            pub id: $id,
        }
    };
}

entry_payload!(QueuePayload, ArchiveQueueInput, queue, Queue, QueueId);
entry_payload!(SkillPayload, ArchiveSkillInput, skill, Skill, SkillId);
entry_payload!(
    QuickReplyPayload,
    ArchiveQuickReplyInput,
    quick_reply,
    QuickReply,
    QuickReplyId
);
entry_payload!(
    WrapUpReasonPayload,
    ArchiveWrapUpReasonInput,
    wrap_up_reason,
    WrapUpReason,
    WrapUpReasonId
);
entry_payload!(
    ChatResultPayload,
    ArchiveChatResultInput,
    chat_result,
    ChatResult,
    ChatResultId
);
entry_payload!(TopicPayload, ArchiveTopicInput, topic, Topic, TopicId);
entry_payload!(
    CustomStatusPayload,
    ArchiveCustomStatusInput,
    custom_status,
    CustomStatus,
    CustomStatusId
);
entry_payload!(
    BotSchemePayload,
    ArchiveBotSchemeInput,
    bot_scheme,
    BotScheme,
    BotSchemeId
);

fn is_test_clock(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<TestClock>().is_some()
}

#[Object]
impl AdminMutation {
    // --- Identity ------------------------------------------------------------------------------

    /// Signs in with e-mail and password. Repeated failures are slowed down per account and per
    /// client address (`LIMIT_EXCEEDED` says how long to wait).
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        input: SignInInput,
    ) -> async_graphql::Result<SignInPayload> {
        let address = ctx
            .data_opt::<RequestInfo>()
            .and_then(|info| info.client_address.clone());
        let signed = domain(ctx)
            .identity()
            .sign_in(input, address.as_deref())
            .await
            .gql()?;
        Ok(SignInPayload {
            token: signed.token,
            operator: Operator::own(signed.operator),
        })
    }

    /// Ends the current session.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
        domain(ctx).identity().sign_out(actor(ctx)?).await.gql()?;
        Ok(SignOutPayload { signed_out: true })
    }

    /// Invites a person to the organization (admins; A3).
    async fn invite_operator(
        &self,
        ctx: &Context<'_>,
        input: InviteOperatorInput,
    ) -> async_graphql::Result<InviteOperatorPayload> {
        let invited = domain(ctx)
            .identity()
            .invite_operator(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(InviteOperatorPayload {
            invitation_token: invited.token,
            link: invited.link,
        })
    }

    /// Accepts an invitation: sets the password and name, and signs in.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> async_graphql::Result<SignInPayload> {
        let signed = domain(ctx)
            .identity()
            .accept_invitation(input)
            .await
            .gql()?;
        Ok(SignInPayload {
            token: signed.token,
            operator: Operator::own(signed.operator),
        })
    }

    /// Changes the caller's own name or password.
    async fn update_my_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateMyProfileInput,
    ) -> async_graphql::Result<OperatorPayload> {
        let updated = domain(ctx)
            .identity()
            .update_my_profile(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(OperatorPayload {
            operator: Operator::of(updated),
        })
    }

    /// Creates an API key for a machine client (admins). The key is shown once.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> async_graphql::Result<CreateApiKeyPayload> {
        let created = domain(ctx)
            .identity()
            .create_api_key(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(CreateApiKeyPayload {
            key: created.key,
            api_key: ApiKey(created.record),
        })
    }

    /// Revokes an API key (admins).
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> async_graphql::Result<ApiKeyPayload> {
        let revoked = domain(ctx)
            .identity()
            .revoke_api_key(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(ApiKeyPayload {
            api_key: ApiKey(revoked),
        })
    }

    // --- Operators -----------------------------------------------------------------------------

    /// Changes an operator's role or concurrent-chat limit (admins).
    async fn update_operator(
        &self,
        ctx: &Context<'_>,
        input: UpdateOperatorInput,
    ) -> async_graphql::Result<OperatorPayload> {
        let updated = domain(ctx)
            .admin()
            .update_operator(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(OperatorPayload {
            operator: Operator::of(updated),
        })
    }

    /// Replaces an operator's skills and levels (admins; X3).
    async fn set_operator_skills(
        &self,
        ctx: &Context<'_>,
        input: SetOperatorSkillsInput,
    ) -> async_graphql::Result<OperatorPayload> {
        let updated = domain(ctx)
            .admin()
            .set_operator_skills(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(OperatorPayload {
            operator: Operator::of(updated),
        })
    }

    // --- Queues --------------------------------------------------------------------------------

    /// Creates a queue (admins).
    async fn create_queue(
        &self,
        ctx: &Context<'_>,
        input: CreateQueueInput,
    ) -> async_graphql::Result<QueuePayload> {
        let queue = domain(ctx)
            .admin()
            .create_queue(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(QueuePayload {
            queue: Queue(queue),
        })
    }

    /// Changes a queue's name, skill or size limit (admins).
    async fn update_queue(
        &self,
        ctx: &Context<'_>,
        input: UpdateQueueInput,
    ) -> async_graphql::Result<QueuePayload> {
        let queue = domain(ctx)
            .admin()
            .update_queue(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(QueuePayload {
            queue: Queue(queue),
        })
    }

    /// Archives a queue (admins).
    async fn archive_queue(
        &self,
        ctx: &Context<'_>,
        input: ArchiveQueueInput,
    ) -> async_graphql::Result<QueuePayload> {
        let queue = domain(ctx)
            .admin()
            .archive_queue(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(QueuePayload {
            queue: Queue(queue),
        })
    }

    /// Replaces a queue's members (admins).
    async fn set_queue_members(
        &self,
        ctx: &Context<'_>,
        input: SetQueueMembersInput,
    ) -> async_graphql::Result<QueuePayload> {
        let queue = domain(ctx)
            .admin()
            .set_queue_members(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(QueuePayload {
            queue: Queue(queue),
        })
    }

    // --- Skills --------------------------------------------------------------------------------

    async fn create_skill(
        &self,
        ctx: &Context<'_>,
        input: CreateSkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        let skill = domain(ctx)
            .admin()
            .create_skill(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(SkillPayload {
            skill: Skill(skill),
        })
    }

    async fn update_skill(
        &self,
        ctx: &Context<'_>,
        input: UpdateSkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        let skill = domain(ctx)
            .admin()
            .update_skill(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(SkillPayload {
            skill: Skill(skill),
        })
    }

    async fn archive_skill(
        &self,
        ctx: &Context<'_>,
        input: ArchiveSkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        let skill = domain(ctx)
            .admin()
            .archive_skill(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(SkillPayload {
            skill: Skill(skill),
        })
    }

    // --- Quick replies -------------------------------------------------------------------------

    /// Creates a quick reply: a name of at most 30 characters and a text (D5).
    async fn create_quick_reply(
        &self,
        ctx: &Context<'_>,
        input: CreateQuickReplyInput,
    ) -> async_graphql::Result<QuickReplyPayload> {
        let reply = domain(ctx)
            .admin()
            .create_quick_reply(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(QuickReplyPayload {
            quick_reply: QuickReply(reply),
        })
    }

    async fn update_quick_reply(
        &self,
        ctx: &Context<'_>,
        input: UpdateQuickReplyInput,
    ) -> async_graphql::Result<QuickReplyPayload> {
        let reply = domain(ctx)
            .admin()
            .update_quick_reply(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(QuickReplyPayload {
            quick_reply: QuickReply(reply),
        })
    }

    async fn archive_quick_reply(
        &self,
        ctx: &Context<'_>,
        input: ArchiveQuickReplyInput,
    ) -> async_graphql::Result<QuickReplyPayload> {
        let reply = domain(ctx)
            .admin()
            .archive_quick_reply(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(QuickReplyPayload {
            quick_reply: QuickReply(reply),
        })
    }

    // --- Wrap-up reasons, results, topics, custom statuses, bot schemes -------------------------

    async fn create_wrap_up_reason(
        &self,
        ctx: &Context<'_>,
        input: CreateWrapUpReasonInput,
    ) -> async_graphql::Result<WrapUpReasonPayload> {
        let reason = domain(ctx)
            .admin()
            .create_wrap_up_reason(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(WrapUpReasonPayload {
            wrap_up_reason: WrapUpReason(reason),
        })
    }

    async fn update_wrap_up_reason(
        &self,
        ctx: &Context<'_>,
        input: UpdateWrapUpReasonInput,
    ) -> async_graphql::Result<WrapUpReasonPayload> {
        let reason = domain(ctx)
            .admin()
            .update_wrap_up_reason(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(WrapUpReasonPayload {
            wrap_up_reason: WrapUpReason(reason),
        })
    }

    async fn archive_wrap_up_reason(
        &self,
        ctx: &Context<'_>,
        input: ArchiveWrapUpReasonInput,
    ) -> async_graphql::Result<WrapUpReasonPayload> {
        let reason = domain(ctx)
            .admin()
            .archive_wrap_up_reason(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(WrapUpReasonPayload {
            wrap_up_reason: WrapUpReason(reason),
        })
    }

    async fn create_chat_result(
        &self,
        ctx: &Context<'_>,
        input: CreateChatResultInput,
    ) -> async_graphql::Result<ChatResultPayload> {
        let result = domain(ctx)
            .admin()
            .create_chat_result(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatResultPayload {
            chat_result: ChatResult(result),
        })
    }

    async fn update_chat_result(
        &self,
        ctx: &Context<'_>,
        input: UpdateChatResultInput,
    ) -> async_graphql::Result<ChatResultPayload> {
        let result = domain(ctx)
            .admin()
            .update_chat_result(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatResultPayload {
            chat_result: ChatResult(result),
        })
    }

    async fn archive_chat_result(
        &self,
        ctx: &Context<'_>,
        input: ArchiveChatResultInput,
    ) -> async_graphql::Result<ChatResultPayload> {
        let result = domain(ctx)
            .admin()
            .archive_chat_result(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(ChatResultPayload {
            chat_result: ChatResult(result),
        })
    }

    /// Creates a topic, or a subtopic with `parentId` (D9).
    async fn create_topic(
        &self,
        ctx: &Context<'_>,
        input: CreateTopicInput,
    ) -> async_graphql::Result<TopicPayload> {
        let topic = domain(ctx)
            .admin()
            .create_topic(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(TopicPayload {
            topic: Topic(topic),
        })
    }

    async fn update_topic(
        &self,
        ctx: &Context<'_>,
        input: UpdateTopicInput,
    ) -> async_graphql::Result<TopicPayload> {
        let topic = domain(ctx)
            .admin()
            .update_topic(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(TopicPayload {
            topic: Topic(topic),
        })
    }

    /// Archives a topic and its subtopics.
    async fn archive_topic(
        &self,
        ctx: &Context<'_>,
        input: ArchiveTopicInput,
    ) -> async_graphql::Result<TopicPayload> {
        let topic = domain(ctx)
            .admin()
            .archive_topic(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(TopicPayload {
            topic: Topic(topic),
        })
    }

    async fn create_custom_status(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomStatusInput,
    ) -> async_graphql::Result<CustomStatusPayload> {
        let status = domain(ctx)
            .admin()
            .create_custom_status(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(CustomStatusPayload {
            custom_status: CustomStatus(status),
        })
    }

    async fn update_custom_status(
        &self,
        ctx: &Context<'_>,
        input: UpdateCustomStatusInput,
    ) -> async_graphql::Result<CustomStatusPayload> {
        let status = domain(ctx)
            .admin()
            .update_custom_status(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(CustomStatusPayload {
            custom_status: CustomStatus(status),
        })
    }

    async fn archive_custom_status(
        &self,
        ctx: &Context<'_>,
        input: ArchiveCustomStatusInput,
    ) -> async_graphql::Result<CustomStatusPayload> {
        let status = domain(ctx)
            .admin()
            .archive_custom_status(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(CustomStatusPayload {
            custom_status: CustomStatus(status),
        })
    }

    async fn create_bot_scheme(
        &self,
        ctx: &Context<'_>,
        input: CreateBotSchemeInput,
    ) -> async_graphql::Result<BotSchemePayload> {
        let scheme = domain(ctx)
            .admin()
            .create_bot_scheme(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(BotSchemePayload {
            bot_scheme: BotScheme(scheme),
        })
    }

    async fn update_bot_scheme(
        &self,
        ctx: &Context<'_>,
        input: UpdateBotSchemeInput,
    ) -> async_graphql::Result<BotSchemePayload> {
        let scheme = domain(ctx)
            .admin()
            .update_bot_scheme(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(BotSchemePayload {
            bot_scheme: BotScheme(scheme),
        })
    }

    async fn archive_bot_scheme(
        &self,
        ctx: &Context<'_>,
        input: ArchiveBotSchemeInput,
    ) -> async_graphql::Result<BotSchemePayload> {
        let scheme = domain(ctx)
            .admin()
            .archive_bot_scheme(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(BotSchemePayload {
            bot_scheme: BotScheme(scheme),
        })
    }

    // --- Settings ------------------------------------------------------------------------------

    /// Changes the organization's settings (admins; N1). Fields left out stay as they are.
    async fn update_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateSettingsInput,
    ) -> async_graphql::Result<SettingsPayload> {
        let settings = domain(ctx)
            .admin()
            .update_settings(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(SettingsPayload {
            settings: OrganizationSettings(settings),
        })
    }

    /// Test servers only (`serve --test-clock`): moves the server's clock forward (admins).
    #[graphql(visible = "is_test_clock")]
    async fn advance_clock(
        &self,
        ctx: &Context<'_>,
        input: AdvanceClockInput,
    ) -> async_graphql::Result<AdvanceClockPayload> {
        // Hidden from introspection, and refused as unknown, unless the server has a test clock.
        let clock = ctx.data_opt::<TestClock>().ok_or_else(|| {
            to_gql(DomainError::validation(
                "advanceClock",
                r#"Unknown field "advanceClock" on type "Mutation""#,
            ))
        })?;
        actor(ctx)?.require_admin().gql()?;
        if !(1..=30 * 24 * 3600).contains(&input.seconds) {
            return Err(to_gql(DomainError::validation(
                "seconds",
                "must be between 1 and 2592000",
            )));
        }
        clock.0.advance(chrono::Duration::seconds(input.seconds));
        // Fire what became due, so a test sees the consequences as soon as this returns.
        let fired = domain(ctx).timers().run_due().await.gql()?;
        Ok(AdvanceClockPayload {
            now: domain(ctx).now(),
            fired: i32::try_from(fired).unwrap_or(i32::MAX),
        })
    }
}
