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
use crate::events::Outbox;
use crate::ids::*;
use crate::presence::rules::change_status;
use crate::routing::rows::{lock_chat, lock_operator};
use crate::service::Chats;
use crate::service::Domain;
use crate::service::retried;
use crate::sweep::{Firing, Timer};
use sea_orm::Select;

impl Chats<'_> {
    /// The invitation of a chat to the caller, locked: anything else is `NOT_FOUND` (another
    /// organization, not visible) or `CONFLICT` (the invitation is gone or someone else's).
    async fn my_invitation(
        self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        chat_id: ChatId,
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
        let tx = self.domain.write().await?;
        let chat = self.my_invitation(&tx, actor, input.chat_id).await?;
        let mut outbox = Outbox::new();
        let accepted = self.make_owner(&tx, &mut outbox, &chat, me, now).await?;
        self.domain.commit(tx, outbox).await?;
        Ok(accepted)
    }

    /// Makes an operator (whose capacity is already taken) the chat's owner: NEW, accepted.
    pub(crate) async fn make_owner(
        self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        operator_id: OperatorId,
        now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let mut next = chat.clone();
        next.status = ChatStatus::New;
        next.operator_id = Some(operator_id);
        next.accepted_at = Some(now);
        next.invitation_expires_at = None;
        next.updated_at = now;
        // The chat and its light in one update.
        let conversation = self.domain.conversation();
        let next = conversation.lit(db, next, now).await?;
        let accepted = chat::ActiveModel::from(next).reset_all().update(db).await?;
        conversation
            .tell_light(db, outbox, chat, &accepted, now)
            .await?;
        chat_assignment::Entity::update_many()
            .col_expr(chat_assignment::Column::AcceptedAt, Expr::value(now))
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::EndedAt.is_null())
            .exec(db)
            .await?;
        chat_participant::ActiveModel {
            id: Set(ParticipantId::new()),
            chat_id: Set(chat.id),
            operator_id: Set(operator_id),
            role: Set(ParticipantRole::Owner),
            state: Set(ParticipantState::Joined),
            invited_by: Set(None),
            invited_at: Set(chat.invited_at.unwrap_or(now)),
            joined_at: Set(Some(now)),
            left_at: Set(None),
        }
        .insert(db)
        .await?;
        let payload = json!({ "status": ChatStatus::New, "operatorId": operator_id });
        outbox.to_operator_and_chat(chat, operator_id, EventKind::ChatAssigned, payload, now);
        self.domain
            .deliveries()
            .queue_webhooks(db, outbox, WebhookEvent::ChatAccepted, &accepted, now)
            .await?;
        Ok(accepted)
    }

    /// One attempt of [`Self::decline_chat`].
    async fn decline_chat_once(self, actor: &Actor, input: ChatIdInput) -> Result<chat::Model> {
        let now = self.domain.now();
        let tx = self.domain.write().await?;
        let chat = self.my_invitation(&tx, actor, input.chat_id).await?;
        let mut outbox = Outbox::new();
        self.domain
            .routing()
            .requeue(&tx, &mut outbox, &chat, AssignmentEnd::Declined, false, now)
            .await?;
        self.domain
            .routing()
            .route_chat(&tx, &mut outbox, chat.id, RoutingTrigger::Declined, now)
            .await?;
        let chat = chat::Entity::find_by_id(chat.id)
            .one(&tx)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        self.domain.commit(tx, outbox).await?;
        Ok(chat)
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

    async fn fire(domain: &Domain, chat: chat::Model, at: Firing<'_>) -> Result<bool> {
        let Firing { tx, outbox, now } = at;
        let (ChatStatus::Invited, Some(operator_id), Some(expires)) =
            (chat.status, chat.operator_id, chat.invitation_expires_at)
        else {
            return Ok(false);
        };
        if expires > now {
            return Ok(false);
        }
        let routing = domain.routing();
        routing
            .requeue(tx, outbox, &chat, AssignmentEnd::Expired, false, now)
            .await?;
        if let Some(op) = lock_operator(tx, operator_id).await?
            && op.status != OperatorStatus::Blocked
        {
            let blocked =
                change_status(tx, outbox, &op, OperatorStatus::Blocked, None, now).await?;
            domain
                .presence()
                .after_presence_change(tx, outbox, &op, blocked, now)
                .await?;
        }
        routing
            .route_chat(tx, outbox, chat.id, RoutingTrigger::InvitationExpired, now)
            .await?;
        Ok(true)
    }
}
