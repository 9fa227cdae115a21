//! Giving a chat to an operator by hand (E1): supervisors assign waiting chats, operators take them,
//! and anyone in the queue takes a chat over from the bot.

use sea_orm::EntityTrait;
use validator::Validate;

use crate::actor::Actor;
use crate::chat::rules::fill_template;
use crate::conversation::said::Said;
use crate::entity::{chat, queue_member};
use crate::enums::{AssignmentEnd, AssignmentKind, ChatStatus, EventKind, OperatorStatus, Role};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::routing::rows::{end_assignment, lock_chat, lock_operator, open_assignment};
use crate::service::{Chats, retried};

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct AssignChatInput {
    pub chat_id: ChatId,
    /// Whom to give the chat; operators may only take chats for themselves.
    pub operator_id: OperatorId,
}

impl Chats<'_> {
    retried! {
        /// Gives a waiting (or invited) chat to an operator (C4). Supervisors and above assign to
        /// anyone signed in; operators take chats of their own queues for themselves. The limit holds.
        pub async fn assign_chat(AssignChatInput) -> chat::Model = assign_chat_once;
    }

    /// One attempt of [`Self::assign_chat`].
    async fn assign_chat_once(self, actor: &Actor, input: AssignChatInput) -> Result<chat::Model> {
        let (me, role) = actor.operator()?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        self.visible_chat(&work.tx, actor, input.chat_id).await?;
        if input.operator_id != me && !role.at_least(Role::Supervisor) {
            return Err(DomainError::forbidden(
                "Only supervisors and above assign chats to others",
            ));
        }
        let chat = lock_chat(&work.tx, input.chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        if !matches!(chat.status, ChatStatus::Queued | ChatStatus::Invited) {
            return Err(DomainError::conflict("Only a waiting chat can be assigned"));
        }
        let target = self
            .domain
            .identity()
            .operator(actor, input.operator_id)
            .await
            .map_err(|e| match e {
                DomainError::NotFound { .. } => {
                    DomainError::validation("operatorId", "No such operator")
                }
                other => other,
            })?;
        if target.archived_at.is_some() || target.status == OperatorStatus::Offline {
            return Err(DomainError::validation(
                "operatorId",
                "The operator is not signed in",
            ));
        }
        if target.id == me && role == Role::Operator {
            let member = match chat.queue_id {
                Some(queue_id) => queue_member::Entity::find_by_id((queue_id, me))
                    .one(&work.tx)
                    .await?
                    .is_some(),
                None => false,
            };
            if !member {
                return Err(DomainError::forbidden(
                    "You can take chats of your own queues only",
                ));
            }
        }
        let chat = if chat.status == ChatStatus::Invited {
            self.domain
                .routing()
                .requeue(&mut work, &chat, AssignmentEnd::Requeued, false)
                .await?
        } else {
            chat
        };
        lock_operator(&work.tx, target.id).await?;
        crate::routing::rows::take_capacity_for_assignment(&work.tx, target.id, now).await?;
        end_assignment(&work.tx, chat.id, AssignmentEnd::Requeued, None, now).await?;
        open_assignment(
            &work.tx,
            &chat,
            AssignmentKind::Assigned,
            Some(target.id),
            Some(me),
            now,
        )
        .await?;
        let assigned = self.make_owner(&mut work, &chat, target.id).await?;
        if chat.status == ChatStatus::Queued {
            self.tell_queue(&mut work, &chat, EventKind::ChatDequeued);
        }
        self.domain.answer(work, assigned).await
    }

    /// An operator takes a chat over from the bot (D1): it becomes theirs at once, and the
    /// customer gets the admin's greeting with the operator's first name.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, chat_id = %chat_id))]
    pub async fn take_over_chat(self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let chat = self.locked_visible_chat(&work.tx, actor, chat_id).await?;
        if chat.status != ChatStatus::Bot {
            return Err(DomainError::conflict(
                "Only a chat the bot has can be taken over",
            ));
        }
        let op = lock_operator(&work.tx, me)
            .await?
            .ok_or(DomainError::not_found("operator"))?;
        crate::routing::rows::take_capacity_for_assignment(&work.tx, me, now).await?;
        open_assignment(
            &work.tx,
            &chat,
            AssignmentKind::TakenOver,
            Some(me),
            Some(me),
            now,
        )
        .await?;
        let owned = self.make_owner(&mut work, &chat, me).await?;
        self.tell_queue(&mut work, &chat, EventKind::ChatDequeued);
        let settings = self
            .domain
            .admin()
            .settings_of(&work.tx, chat.organization_id)
            .await?;
        let greeting = fill_template(&settings.takeover_greeting_template, "", &op.first_name);
        let (owned, _) = self
            .domain
            .conversation()
            .append_message(&mut work, &owned, None, Said::system(&greeting))
            .await?;
        self.domain.answer(work, owned).await
    }
}
