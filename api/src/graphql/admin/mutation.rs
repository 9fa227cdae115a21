//! Administration's changes: operators, queues, dictionaries, settings, and the test clock.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use omnipanel_domain::DomainError;
use omnipanel_domain::admin::{UpdateSettingsInput, *};

use omnipanel_domain::ids::*;

use crate::graphql::admin::types::{
    BotScheme, ChatResult, CustomStatus, Operator, OrganizationSettings, Queue, QuickReply, Skill,
    Topic, WrapUpReason,
};
use crate::graphql::context::{TestClock, actor, call, domain};
use crate::graphql::error::{Gql, to_gql};

#[derive(SimpleObject)]
pub struct OperatorPayload {
    pub operator: Operator,
}

impl From<omnipanel_domain::entity::operator::Model> for OperatorPayload {
    fn from(row: omnipanel_domain::entity::operator::Model) -> Self {
        Self {
            operator: Operator::of(row),
        }
    }
}

#[derive(SimpleObject)]
pub struct SettingsPayload {
    pub settings: OrganizationSettings,
}

impl From<omnipanel_domain::entity::organization_settings::Model> for SettingsPayload {
    fn from(row: omnipanel_domain::entity::organization_settings::Model) -> Self {
        Self {
            settings: row.into(),
        }
    }
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

#[derive(InputObject)]
pub struct ArchiveOperatorInput {
    /// An operator of the organization with a role up to the caller's, not the caller.
    pub id: omnipanel_domain::ids::OperatorId,
}

/// A payload carrying one dictionary entry, and the input that archives one (unless the
/// domain defines its own).
macro_rules! entry_payload {
    ($payload:ident, $archive:ident, $field:ident, $ty:ident, $id:ty) => {
        #[derive(InputObject)]
        pub struct $archive {
            pub id: $id,
        }

        entry_payload!($payload, $field, $ty);
    };
    ($payload:ident, $field:ident, $ty:ident) => {
        #[derive(SimpleObject)]
        pub struct $payload {
            pub $field: $ty,
        }

        impl From<omnipanel_domain::entity::$field::Model> for $payload {
            fn from(row: omnipanel_domain::entity::$field::Model) -> Self {
                Self { $field: row.into() }
            }
        }
    };
}

entry_payload!(QueuePayload, queue, Queue);

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

pub(crate) fn is_test_clock(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<TestClock>().is_some()
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Changes an operator's role or concurrent-chat limit (admins).
    async fn update_operator(
        &self, ctx: &Context<'_>, input: UpdateOperatorInput,
    ) -> async_graphql::Result<OperatorPayload> {
        call(ctx, |d, a| d.admin().update_operator(a, input))
            .await
            .map(Into::into)
    }

    /// Deactivates an operator (admins): OFFLINE at once, their chats back to their queues and
    /// routed again, out of every queue, signed out everywhere, never able to sign in again.
    /// What they did stays in history under their name.
    async fn archive_operator(
        &self, ctx: &Context<'_>, input: ArchiveOperatorInput,
    ) -> async_graphql::Result<OperatorPayload> {
        call(ctx, |d, a| d.admin().archive_operator(a, input.id))
            .await
            .map(Into::into)
    }

    /// Replaces an operator's skills and levels (admins; X3).
    async fn set_operator_skills(
        &self, ctx: &Context<'_>, input: SetOperatorSkillsInput,
    ) -> async_graphql::Result<OperatorPayload> {
        call(ctx, |d, a| d.admin().set_operator_skills(a, input))
            .await
            .map(Into::into)
    }

    /// Creates a queue (admins).
    async fn create_queue(
        &self, ctx: &Context<'_>, input: CreateQueueInput,
    ) -> async_graphql::Result<QueuePayload> {
        call(ctx, |d, a| d.admin().create_queue(a, input))
            .await
            .map(Into::into)
    }

    /// Changes a queue's name, skill, size limit, after-chat work, automatic replies or
    /// working hours (admins).
    async fn update_queue(
        &self, ctx: &Context<'_>, input: UpdateQueueInput,
    ) -> async_graphql::Result<QueuePayload> {
        call(ctx, |d, a| d.admin().update_queue(a, input))
            .await
            .map(Into::into)
    }

    /// Archives a queue (admins); its open chats move to `moveChatsTo`, which is needed when
    /// it has any (004).
    async fn archive_queue(
        &self, ctx: &Context<'_>, input: ArchiveQueueInput,
    ) -> async_graphql::Result<QueuePayload> {
        call(ctx, |d, a| d.admin().archive_queue(a, input))
            .await
            .map(Into::into)
    }

    /// Replaces a queue's members (admins).
    async fn set_queue_members(
        &self, ctx: &Context<'_>, input: SetQueueMembersInput,
    ) -> async_graphql::Result<QueuePayload> {
        call(ctx, |d, a| d.admin().set_queue_members(a, input))
            .await
            .map(Into::into)
    }

    async fn create_skill(
        &self, ctx: &Context<'_>, input: CreateSkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        call(ctx, |d, a| d.admin().create_skill(a, input))
            .await
            .map(Into::into)
    }

    async fn update_skill(
        &self, ctx: &Context<'_>, input: UpdateSkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        call(ctx, |d, a| d.admin().update_skill(a, input))
            .await
            .map(Into::into)
    }

    async fn archive_skill(
        &self, ctx: &Context<'_>, input: ArchiveSkillInput,
    ) -> async_graphql::Result<SkillPayload> {
        call(ctx, |d, a| d.admin().archive_skill(a, input.id))
            .await
            .map(Into::into)
    }

    /// Creates a quick reply: a name of at most 30 characters and a text (D5).
    async fn create_quick_reply(
        &self, ctx: &Context<'_>, input: CreateQuickReplyInput,
    ) -> async_graphql::Result<QuickReplyPayload> {
        call(ctx, |d, a| d.admin().create_quick_reply(a, input))
            .await
            .map(Into::into)
    }

    async fn update_quick_reply(
        &self, ctx: &Context<'_>, input: UpdateQuickReplyInput,
    ) -> async_graphql::Result<QuickReplyPayload> {
        call(ctx, |d, a| d.admin().update_quick_reply(a, input))
            .await
            .map(Into::into)
    }

    async fn archive_quick_reply(
        &self, ctx: &Context<'_>, input: ArchiveQuickReplyInput,
    ) -> async_graphql::Result<QuickReplyPayload> {
        call(ctx, |d, a| d.admin().archive_quick_reply(a, input.id))
            .await
            .map(Into::into)
    }

    async fn create_wrap_up_reason(
        &self, ctx: &Context<'_>, input: CreateWrapUpReasonInput,
    ) -> async_graphql::Result<WrapUpReasonPayload> {
        call(ctx, |d, a| d.admin().create_wrap_up_reason(a, input))
            .await
            .map(Into::into)
    }

    async fn update_wrap_up_reason(
        &self, ctx: &Context<'_>, input: UpdateWrapUpReasonInput,
    ) -> async_graphql::Result<WrapUpReasonPayload> {
        call(ctx, |d, a| d.admin().update_wrap_up_reason(a, input))
            .await
            .map(Into::into)
    }

    async fn archive_wrap_up_reason(
        &self, ctx: &Context<'_>, input: ArchiveWrapUpReasonInput,
    ) -> async_graphql::Result<WrapUpReasonPayload> {
        call(ctx, |d, a| d.admin().archive_wrap_up_reason(a, input.id))
            .await
            .map(Into::into)
    }

    async fn create_chat_result(
        &self, ctx: &Context<'_>, input: CreateChatResultInput,
    ) -> async_graphql::Result<ChatResultPayload> {
        call(ctx, |d, a| d.admin().create_chat_result(a, input))
            .await
            .map(Into::into)
    }

    async fn update_chat_result(
        &self, ctx: &Context<'_>, input: UpdateChatResultInput,
    ) -> async_graphql::Result<ChatResultPayload> {
        call(ctx, |d, a| d.admin().update_chat_result(a, input))
            .await
            .map(Into::into)
    }

    async fn archive_chat_result(
        &self, ctx: &Context<'_>, input: ArchiveChatResultInput,
    ) -> async_graphql::Result<ChatResultPayload> {
        call(ctx, |d, a| d.admin().archive_chat_result(a, input.id))
            .await
            .map(Into::into)
    }

    /// Creates a topic, or a subtopic with `parentId` (D9).
    async fn create_topic(
        &self, ctx: &Context<'_>, input: CreateTopicInput,
    ) -> async_graphql::Result<TopicPayload> {
        call(ctx, |d, a| d.admin().create_topic(a, input))
            .await
            .map(Into::into)
    }

    async fn update_topic(
        &self, ctx: &Context<'_>, input: UpdateTopicInput,
    ) -> async_graphql::Result<TopicPayload> {
        call(ctx, |d, a| d.admin().update_topic(a, input))
            .await
            .map(Into::into)
    }

    /// Archives a topic and its subtopics.
    async fn archive_topic(
        &self, ctx: &Context<'_>, input: ArchiveTopicInput,
    ) -> async_graphql::Result<TopicPayload> {
        call(ctx, |d, a| d.admin().archive_topic(a, input.id))
            .await
            .map(Into::into)
    }

    async fn create_custom_status(
        &self, ctx: &Context<'_>, input: CreateCustomStatusInput,
    ) -> async_graphql::Result<CustomStatusPayload> {
        call(ctx, |d, a| d.admin().create_custom_status(a, input))
            .await
            .map(Into::into)
    }

    async fn update_custom_status(
        &self, ctx: &Context<'_>, input: UpdateCustomStatusInput,
    ) -> async_graphql::Result<CustomStatusPayload> {
        call(ctx, |d, a| d.admin().update_custom_status(a, input))
            .await
            .map(Into::into)
    }

    async fn archive_custom_status(
        &self, ctx: &Context<'_>, input: ArchiveCustomStatusInput,
    ) -> async_graphql::Result<CustomStatusPayload> {
        call(ctx, |d, a| d.admin().archive_custom_status(a, input.id))
            .await
            .map(Into::into)
    }

    async fn create_bot_scheme(
        &self, ctx: &Context<'_>, input: CreateBotSchemeInput,
    ) -> async_graphql::Result<BotSchemePayload> {
        call(ctx, |d, a| d.admin().create_bot_scheme(a, input))
            .await
            .map(Into::into)
    }

    async fn update_bot_scheme(
        &self, ctx: &Context<'_>, input: UpdateBotSchemeInput,
    ) -> async_graphql::Result<BotSchemePayload> {
        call(ctx, |d, a| d.admin().update_bot_scheme(a, input))
            .await
            .map(Into::into)
    }

    async fn archive_bot_scheme(
        &self, ctx: &Context<'_>, input: ArchiveBotSchemeInput,
    ) -> async_graphql::Result<BotSchemePayload> {
        call(ctx, |d, a| d.admin().archive_bot_scheme(a, input.id))
            .await
            .map(Into::into)
    }

    /// Changes the organization's settings (admins; N1). Fields left out stay as they are.
    async fn update_settings(
        &self, ctx: &Context<'_>, input: UpdateSettingsInput,
    ) -> async_graphql::Result<SettingsPayload> {
        call(ctx, |d, a| d.admin().update_settings(a, input))
            .await
            .map(Into::into)
    }

    /// Test servers only (`serve --test-clock`): moves the server's clock forward (admins).
    #[graphql(visible = "is_test_clock")]
    async fn advance_clock(
        &self, ctx: &Context<'_>, input: AdvanceClockInput,
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
            fired: crate::graphql::int::int(fired),
        })
    }
}
