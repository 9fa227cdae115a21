//! Conferences and silent monitoring (E2, X5): colleagues invited into a chat, supervisors reading
//! it unseen.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::chat::rules::unavailable;
use crate::conversation::said::Said;
use crate::entity::{chat, chat_participant};
use crate::enums::{ChatStatus, EventKind, ParticipantRole, ParticipantState, Role};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::routing::rows::lock_chat;
use crate::service::Chats;

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct InviteToConferenceInput {
    pub chat_id: ChatId,
    pub operator_id: OperatorId,
}

/// An operator's current (not left) participation in a chat.
pub(crate) async fn participation(
    db: &impl ConnectionTrait, chat_id: ChatId, operator_id: OperatorId,
) -> Result<Option<chat_participant::Model>> {
    Ok(chat_participant::Entity::find()
        .filter(chat_participant::Column::ChatId.eq(chat_id))
        .filter(chat_participant::Column::OperatorId.eq(operator_id))
        .filter(chat_participant::Column::State.ne(ParticipantState::Left))
        .one(db)
        .await?)
}

impl Chats<'_> {
    /// Invites a colleague into a chat (E2); the owner asks.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn invite_to_conference(
        self, actor: &Actor, input: InviteToConferenceInput,
    ) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let (mut work, chat) = self.begin_on_owned(actor, input.chat_id, false).await?;
        let target = self
            .domain
            .identity()
            .operator(actor, input.operator_id)
            .await
            .map_err(|_| DomainError::validation("operatorId", "No such operator"))?;
        if target.id == me {
            return Err(DomainError::validation(
                "operatorId",
                "You are already in the chat",
            ));
        }
        if target.archived_at.is_some() || !target.status.takes_transfers() {
            return Err(unavailable("operatorId", target.status));
        }
        if participation(&work.tx, chat.id, target.id).await?.is_some() {
            return Err(DomainError::conflict(
                "The operator is already invited or in the chat",
            ));
        }
        chat_participant::ActiveModel {
            id: Set(ParticipantId::new()),
            chat_id: Set(chat.id),
            operator_id: Set(target.id),
            role: Set(ParticipantRole::Conference),
            state: Set(ParticipantState::Invited),
            invited_by: Set(Some(me)),
            invited_at: Set(work.now),
            joined_at: Set(None),
            left_at: Set(None),
        }
        .insert(&work.tx)
        .await?;
        work.outbox.to_operator(
            chat.organization_id,
            target.id,
            EventKind::ConferenceInvited,
            Some(chat.id),
            json!({ "invitedBy": me }),
            work.now,
        );
        self.tell_chat(
            &mut work,
            &chat,
            EventKind::ChatUpdated,
            json!({ "conference": "REQUESTED", "operatorId": target.id }),
        )
        .await?;
        self.domain.answer(work, chat).await
    }

    /// Joins a conference one was invited to: "requested" becomes "joined" with a system
    /// message (E2).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, chat_id = %chat_id))]
    pub async fn accept_conference(self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let chat = lock_chat(&work.tx, chat_id)
            .await?
            .filter(|c| c.organization_id == actor.organization_id)
            .ok_or(DomainError::not_found("chat"))?;
        let invitation = participation(&work.tx, chat.id, me)
            .await?
            .filter(|p| {
                p.role == ParticipantRole::Conference && p.state == ParticipantState::Invited
            })
            .ok_or(DomainError::not_found("conference invitation"))?;
        if !matches!(chat.status, ChatStatus::New | ChatStatus::InProgress) {
            return Err(DomainError::conflict("The chat is no longer open"));
        }
        let mut model: chat_participant::ActiveModel = invitation.into();
        model.state = Set(ParticipantState::Joined);
        model.joined_at = Set(Some(now));
        model.update(&work.tx).await?;
        let name = self.domain.conversation().first_name(&work.tx, me).await?;
        let (chat, _) = self
            .domain
            .conversation()
            .append_message(
                &mut work,
                &chat,
                None,
                Said::system(&format!("{name} joined the chat")),
            )
            .await?;
        work.outbox.to_operator(
            chat.organization_id,
            me,
            EventKind::ChatAssigned,
            Some(chat.id),
            json!({ "role": ParticipantRole::Conference }),
            now,
        );
        self.domain.answer(work, chat).await
    }

    /// Ends the conference (the owner: everyone invited leaves) or leaves it (a member), with a
    /// system message (E2).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, chat_id = %chat_id))]
    pub async fn end_conference(self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let chat = self.locked_visible_chat(&work.tx, actor, chat_id).await?;
        let mut leaving = chat_participant::Entity::find()
            .filter(chat_participant::Column::ChatId.eq(chat.id))
            .filter(chat_participant::Column::Role.eq(ParticipantRole::Conference))
            .filter(chat_participant::Column::State.ne(ParticipantState::Left));
        if chat.operator_id != Some(me) {
            leaving = leaving.filter(chat_participant::Column::OperatorId.eq(me));
        }
        let leaving = leaving.all(&work.tx).await?;
        if leaving.is_empty() {
            return Err(DomainError::conflict("There is no conference to end"));
        }
        for participant in &leaving {
            let mut model: chat_participant::ActiveModel = participant.clone().into();
            model.state = Set(ParticipantState::Left);
            model.left_at = Set(Some(now));
            model.update(&work.tx).await?;
            work.outbox.to_operator(
                chat.organization_id,
                participant.operator_id,
                EventKind::ChatUnassigned,
                Some(chat.id),
                json!({ "reason": "CONFERENCE_ENDED" }),
                now,
            );
        }
        let text = if chat.operator_id == Some(me) {
            "The conference has ended".to_owned()
        } else {
            format!(
                "{} left the chat",
                self.domain.conversation().first_name(&work.tx, me).await?
            )
        };
        let (chat, _) = self
            .domain
            .conversation()
            .append_message(&mut work, &chat, None, Said::system(&text))
            .await?;
        self.domain.answer(work, chat).await
    }

    /// A supervisor joins a chat silently to listen (X5): no system message, the customer is
    /// not told, and they may only whisper.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, chat_id = %chat_id))]
    pub async fn monitor_chat(self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        let (me, _) = actor.require_role(Role::Supervisor)?;
        let now = self.domain.now();
        let tx = self.domain.write().await?;
        let chat = self.locked_visible_chat(&tx, actor, chat_id).await?;
        if !matches!(chat.status, ChatStatus::New | ChatStatus::InProgress) {
            return Err(DomainError::conflict(
                "Only an open, accepted chat can be monitored",
            ));
        }
        if chat.operator_id == Some(me) || participation(&tx, chat.id, me).await?.is_some() {
            return Err(DomainError::conflict("You are already in this chat"));
        }
        chat_participant::ActiveModel {
            id: Set(ParticipantId::new()),
            chat_id: Set(chat.id),
            operator_id: Set(me),
            role: Set(ParticipantRole::Monitor),
            state: Set(ParticipantState::Joined),
            invited_by: Set(None),
            invited_at: Set(now),
            joined_at: Set(Some(now)),
            left_at: Set(None),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(chat)
    }

    /// Whether the caller may write to the customer in this chat: its owner or a joined
    /// conference member (not a silent monitor).
    pub(crate) async fn may_write(
        self, db: &impl ConnectionTrait, chat: &chat::Model, me: OperatorId,
    ) -> Result<bool> {
        if chat.operator_id == Some(me) {
            return Ok(true);
        }
        Ok(participation(db, chat.id, me).await?.is_some_and(|p| {
            p.role == ParticipantRole::Conference && p.state == ParticipantState::Joined
        }))
    }
}
