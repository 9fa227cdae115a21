//! Invitations (C5, X3): the invited operator accepts or declines, or misses it and is BLOCKED
//! (RONA) while the chat is offered again.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;

use crate::actor::Actor;
use crate::chat::rules::ChatIdInput;
use crate::entity::{chat, chat_assignment, chat_participant};
use crate::enums::{
    AssignmentEnd, ChatStatus, EventKind, OperatorStatus, ParticipantRole, ParticipantState,
    RoutingTrigger, WebhookEvent,
};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::presence::rules::change_status;
use crate::routing::rows::{lock_chat, lock_operator};
use crate::service::{Chats, Domain, retried};
use crate::sweep::Timer;
use crate::work::Work;
use sea_orm::Select;

impl Chats<'_> {
    /// The invitation of a chat to the caller, locked: anything else is `NOT_FOUND` (another
    /// organization, not visible) or `CONFLICT` (the invitation is gone or someone else's).
    async fn my_invitation(
        self, db: &impl ConnectionTrait, actor: &Actor, chat_id: ChatId,
    ) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let chat = lock_chat(db, chat_id)
            .await?
            .filter(|c| c.organization_id == actor.organization_id)
            .ok_or(DomainError::not_found("chat"))?;
        if chat.status == ChatStatus::Invited && chat.operator_id == Some(me) {
            return Ok(chat);
        }
        // Whoever was offered the chat before learns that the invitation is gone; anyone else
        // may not even know the chat exists.
        let was_offered = chat_assignment::Entity::find()
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::OperatorId.eq(me))
            .count(db)
            .await?
            > 0;
        if was_offered || self.can_see(db, actor, &chat).await? {
            Err(DomainError::conflict(
                "This chat is not waiting for you to accept it",
            ))
        } else {
            Err(DomainError::not_found("chat"))
        }
    }

    retried! {
        /// Accepts an invitation (C5): the chat becomes the caller's, status NEW.
        pub async fn accept_chat(ChatIdInput) -> chat::Model = accept_chat_once;
        /// Declines an invitation (C5): the chat goes back to its place in the queue and is offered
        /// to someone else.
        pub async fn decline_chat(ChatIdInput) -> chat::Model = decline_chat_once;
    }

    /// One attempt of [`Self::accept_chat`].
    async fn accept_chat_once(self, actor: &Actor, input: ChatIdInput) -> Result<chat::Model> {
        let now = self.domain.now();
        let (me, _) = actor.operator()?;
        let mut work = self.domain.begin(now).await?;
        let chat = self.my_invitation(&work.tx, actor, input.chat_id).await?;
        let accepted = self.make_owner(&mut work, &chat, me).await?;
        self.domain.answer(work, accepted).await
    }

    /// Makes an operator (whose capacity is already taken) the chat's owner: NEW, accepted.
    pub(crate) async fn make_owner(
        self, work: &mut Work, chat: &chat::Model, operator_id: OperatorId,
    ) -> Result<chat::Model> {
        let mut next = chat.clone();
        next.status = ChatStatus::New;
        next.operator_id = Some(operator_id);
        next.accepted_at = Some(work.now);
        next.invitation_expires_at = None;
        next.updated_at = work.now;
        // The chat and its light in one update.
        let conversation = self.domain.conversation();
        let next = conversation.lit(&work.tx, next, work.now).await?;
        let accepted = chat::ActiveModel::from(next)
            .reset_all()
            .update(&work.tx)
            .await?;
        conversation.tell_light(work, chat, &accepted).await?;
        chat_assignment::Entity::update_many()
            .col_expr(chat_assignment::Column::AcceptedAt, Expr::value(work.now))
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::EndedAt.is_null())
            .exec(&work.tx)
            .await?;
        chat_participant::ActiveModel {
            id: Set(ParticipantId::new()),
            chat_id: Set(chat.id),
            operator_id: Set(operator_id),
            role: Set(ParticipantRole::Owner),
            state: Set(ParticipantState::Joined),
            invited_by: Set(None),
            invited_at: Set(chat.invited_at.unwrap_or(work.now)),
            joined_at: Set(Some(work.now)),
            left_at: Set(None),
        }
        .insert(&work.tx)
        .await?;
        let payload = json!({ "status": ChatStatus::New, "operatorId": operator_id });
        work.outbox.to_operator_and_chat(
            chat,
            operator_id,
            EventKind::ChatAssigned,
            payload,
            work.now,
        );
        self.domain
            .deliveries()
            .queue_webhooks(work, WebhookEvent::ChatAccepted, &accepted)
            .await?;
        Ok(accepted)
    }

    /// One attempt of [`Self::decline_chat`].
    async fn decline_chat_once(self, actor: &Actor, input: ChatIdInput) -> Result<chat::Model> {
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let chat = self.my_invitation(&work.tx, actor, input.chat_id).await?;
        self.domain
            .routing()
            .requeue(&mut work, &chat, AssignmentEnd::Declined, false)
            .await?;
        self.domain
            .routing()
            .route_chat(&mut work, chat.id, RoutingTrigger::Declined)
            .await?;
        let chat = chat::Entity::find_by_id(chat.id)
            .one(&work.tx)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        self.domain.answer(work, chat).await
    }
}

/// Re-routes invitations nobody accepted in time and blocks their operators (RONA; C5).
pub(crate) struct InvitationExpiry;

impl Timer for InvitationExpiry {
    type Entity = chat::Entity;

    fn due(now: DateTime<Utc>) -> Select<chat::Entity> {
        chat::Entity::find()
            .filter(chat::Column::Status.eq(ChatStatus::Invited))
            .filter(chat::Column::InvitationExpiresAt.lte(now))
    }

    async fn fire(domain: &Domain, chat: chat::Model, work: &mut Work) -> Result<bool> {
        let (ChatStatus::Invited, Some(operator_id), Some(expires)) =
            (chat.status, chat.operator_id, chat.invitation_expires_at)
        else {
            return Ok(false);
        };
        if expires > work.now {
            return Ok(false);
        }
        let routing = domain.routing();
        routing
            .requeue(work, &chat, AssignmentEnd::Expired, false)
            .await?;
        if let Some(op) = lock_operator(&work.tx, operator_id).await?
            && op.status != OperatorStatus::Blocked
        {
            let blocked = change_status(work, &op, OperatorStatus::Blocked, None).await?;
            domain
                .presence()
                .after_presence_change(work, &op, blocked)
                .await?;
        }
        routing
            .route_chat(work, chat.id, RoutingTrigger::InvitationExpired)
            .await?;
        Ok(true)
    }
}
