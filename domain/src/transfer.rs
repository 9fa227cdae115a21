//! Transfer and conference (E, X5): handing an accepted chat to an operator, a queue or a bot
//! scheme; inviting colleagues into the chat; a supervisor listening silently; whispers.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::entity::{chat, chat_assignment, chat_participant, message};
use crate::enums::{
    AssignmentEnd, AssignmentKind, AuthorKind, ChatStatus, DeliveryState, EventKind,
    OperatorStatus, ParticipantRole, ParticipantState, Role, RoutingTrigger, WebhookEvent,
};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::ids::*;
use crate::routing::{end_assignment, leave_chat, lock_chat, lock_operator, open_assignment};
use crate::service::Domain;
use crate::validate::check;

/// Where a chat goes: exactly one of an operator, a queue or a bot scheme (E1).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct TransferChatInput {
    pub chat_id: ChatId,
    /// An operator, who gets an invitation.
    pub to_operator_id: Option<OperatorId>,
    /// A queue; the chat goes to its end. A full queue refuses.
    pub to_queue_id: Option<QueueId>,
    /// A bot scheme ("chatplan").
    pub to_scheme_id: Option<BotSchemeId>,
    /// Why the chat leaves the current operator.
    pub wrap_up_reason_id: Option<WrapUpReasonId>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct InviteToConferenceInput {
    pub chat_id: ChatId,
    pub operator_id: OperatorId,
}

enum Target {
    Operator(OperatorId),
    Queue(QueueId),
    Scheme(BotSchemeId),
}

impl Domain {
    /// Transfers an accepted chat (E1, E3). The current operator is released at once; the
    /// history keeps both.
    async fn transfer_chat_once(
        &self,
        actor: &Actor,
        input: TransferChatInput,
    ) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        check(&input)?;
        let target = match (input.to_operator_id, input.to_queue_id, input.to_scheme_id) {
            (Some(id), None, None) => Target::Operator(id),
            (None, Some(id), None) => Target::Queue(id),
            (None, None, Some(id)) => Target::Scheme(id),
            _ => {
                return Err(DomainError::validation(
                    "toOperatorId",
                    "Give exactly one of toOperatorId, toQueueId, toSchemeId",
                ));
            }
        };
        let now = self.now();
        let tx = self.write().await?;
        let chat = self.owned_chat(&tx, actor, input.chat_id, true).await?;
        if let Some(reason) = input.wrap_up_reason_id {
            match self.wrap_up_reason(&tx, actor, reason).await {
                Ok(found) if found.archived_at.is_none() && !found.is_system => {}
                Ok(_) | Err(DomainError::NotFound { .. }) => {
                    return Err(DomainError::validation(
                        "wrapUpReasonId",
                        "No such wrap-up reason",
                    ));
                }
                Err(other) => return Err(other),
            }
        }
        let mut outbox = Outbox::new();
        let moved = match target {
            Target::Operator(id) => {
                if chat.operator_id == Some(id) {
                    return Err(DomainError::validation(
                        "toOperatorId",
                        "The chat is already theirs",
                    ));
                }
                let target = self
                    .operator(actor, id)
                    .await
                    .map_err(|_| DomainError::validation("toOperatorId", "No such operator"))?;
                if target.archived_at.is_some() || target.status == OperatorStatus::Offline {
                    return Err(DomainError::validation(
                        "toOperatorId",
                        "The operator is not signed in",
                    ));
                }
                lock_operator(&tx, target.id).await?;
                crate::routing::take_capacity_for_assignment(&tx, target.id, now).await?;
                self.release_owner(&tx, &mut outbox, &chat, input.wrap_up_reason_id, now)
                    .await?;
                let fresh = chat::Entity::find_by_id(chat.id)
                    .one(&tx)
                    .await?
                    .ok_or(DomainError::not_found("chat"))?;
                let invited = self
                    .invite(
                        &tx,
                        &mut outbox,
                        &fresh,
                        target.id,
                        AssignmentKind::TransferredToOperator,
                        Some(me),
                        now,
                    )
                    .await?;
                mark_from(&tx, chat.id, chat.operator_id).await?;
                invited
            }
            Target::Queue(id) => {
                let queue = self
                    .queue(&tx, actor, id)
                    .await
                    .map_err(|_| DomainError::validation("toQueueId", "No such queue"))?;
                if queue.archived_at.is_some() {
                    return Err(DomainError::validation(
                        "toQueueId",
                        "The queue is archived",
                    ));
                }
                if let Some(limit) = queue.size_limit {
                    let waiting = chat::Entity::find()
                        .filter(chat::Column::QueueId.eq(queue.id))
                        .filter(chat::Column::Status.eq(ChatStatus::Queued))
                        .count(&tx)
                        .await?;
                    if waiting >= u64::try_from(limit).unwrap_or(0) {
                        return Err(DomainError::LimitExceeded(
                            format!("The queue {} is full", queue.name).into(),
                        ));
                    }
                }
                self.release_owner(&tx, &mut outbox, &chat, input.wrap_up_reason_id, now)
                    .await?;
                let mut model: chat::ActiveModel = chat.clone().into();
                model.status = Set(ChatStatus::Queued);
                model.operator_id = Set(None);
                model.queue_id = Set(Some(queue.id));
                model.queue_priority = Set(0);
                model.queued_at = Set(Some(now));
                model.accepted_at = Set(None);
                model.updated_at = Set(now);
                let queued = model.update(&tx).await?;
                let assignment = open_assignment(
                    &tx,
                    &queued,
                    AssignmentKind::TransferredToQueue,
                    None,
                    Some(me),
                    now,
                )
                .await?;
                mark_from_row(&tx, assignment.id, chat.operator_id).await?;
                self.tell_chat(
                    &tx,
                    &mut outbox,
                    &queued,
                    EventKind::ChatUpdated,
                    json!({ "status": ChatStatus::Queued }),
                    now,
                )
                .await?;
                self.route_chat(&tx, &mut outbox, queued.id, RoutingTrigger::Transfer, now)
                    .await?;
                chat::Entity::find_by_id(chat.id)
                    .one(&tx)
                    .await?
                    .ok_or(DomainError::not_found("chat"))?
            }
            Target::Scheme(id) => {
                let scheme = self
                    .bot_scheme(&tx, actor, id)
                    .await
                    .map_err(|_| DomainError::validation("toSchemeId", "No such bot scheme"))?;
                if scheme.archived_at.is_some() {
                    return Err(DomainError::validation(
                        "toSchemeId",
                        "The bot scheme is archived",
                    ));
                }
                self.release_owner(&tx, &mut outbox, &chat, input.wrap_up_reason_id, now)
                    .await?;
                let mut model: chat::ActiveModel = chat.clone().into();
                model.status = Set(ChatStatus::Bot);
                model.operator_id = Set(None);
                model.bot_scheme_id = Set(Some(scheme.id));
                model.accepted_at = Set(None);
                model.waiting_since = Set(None);
                model.updated_at = Set(now);
                let with_bot = model.update(&tx).await?;
                let mut assignment: chat_assignment::ActiveModel = open_assignment(
                    &tx,
                    &with_bot,
                    AssignmentKind::TransferredToBot,
                    None,
                    Some(me),
                    now,
                )
                .await?
                .into();
                assignment.bot_scheme_id = Set(Some(scheme.id));
                assignment.from_operator_id = Set(chat.operator_id);
                assignment.update(&tx).await?;
                let with_bot = self.refresh_light(&tx, &mut outbox, &with_bot, now).await?;
                outbox
                    .to_chat(
                        &tx,
                        chat.organization_id,
                        chat.id,
                        EventKind::ChatUpdated,
                        json!({ "status": ChatStatus::Bot, "botSchemeId": scheme.id }),
                        now,
                    )
                    .await?;
                self.tell_queue(&tx, &mut outbox, &with_bot, EventKind::ChatWithBot, now)
                    .await?;
                with_bot
            }
        };
        self.queue_webhooks(&tx, &mut outbox, WebhookEvent::ChatTransferred, &moved, now)
            .await?;
        self.commit(tx, outbox).await?;
        Ok(moved)
    }

    /// Releases a chat's owner and conference: their capacity, participation and assignment.
    async fn release_owner(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        wrap_up_reason_id: Option<WrapUpReasonId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        end_assignment(
            db,
            chat.id,
            AssignmentEnd::Transferred,
            wrap_up_reason_id,
            now,
        )
        .await?;
        let joined = leave_chat(db, chat.id, now).await?;
        for participant in joined {
            outbox
                .to_operator(
                    db,
                    chat.organization_id,
                    participant.operator_id,
                    EventKind::ChatUnassigned,
                    Some(chat.id),
                    json!({ "reason": "TRANSFERRED" }),
                    now,
                )
                .await?;
        }
        if let Some(owner) = chat.operator_id {
            self.free_capacity(db, outbox, owner, now).await?;
        }
        Ok(())
    }

    /// Invites a colleague into a chat (E2); the owner asks.
    pub async fn invite_to_conference(
        &self,
        actor: &Actor,
        input: InviteToConferenceInput,
    ) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        let chat = self.owned_chat(&tx, actor, input.chat_id, false).await?;
        let target = self
            .operator(actor, input.operator_id)
            .await
            .map_err(|_| DomainError::validation("operatorId", "No such operator"))?;
        if target.id == me {
            return Err(DomainError::validation(
                "operatorId",
                "You are already in the chat",
            ));
        }
        if target.archived_at.is_some() || target.status == OperatorStatus::Offline {
            return Err(DomainError::validation(
                "operatorId",
                "The operator is not signed in",
            ));
        }
        if participation(&tx, chat.id, target.id).await?.is_some() {
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
            invited_at: Set(now),
            joined_at: Set(None),
            left_at: Set(None),
        }
        .insert(&tx)
        .await?;
        let mut outbox = Outbox::new();
        outbox
            .to_operator(
                &tx,
                chat.organization_id,
                target.id,
                EventKind::ConferenceInvited,
                Some(chat.id),
                json!({ "invitedBy": me }),
                now,
            )
            .await?;
        self.tell_chat(
            &tx,
            &mut outbox,
            &chat,
            EventKind::ChatUpdated,
            json!({ "conference": "REQUESTED", "operatorId": target.id }),
            now,
        )
        .await?;
        self.commit(tx, outbox).await?;
        Ok(chat)
    }

    /// Joins a conference one was invited to: "requested" becomes "joined" with a system
    /// message (E2).
    pub async fn accept_conference(&self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        let chat = lock_chat(&tx, chat_id)
            .await?
            .filter(|c| c.organization_id == actor.organization_id)
            .ok_or(DomainError::not_found("chat"))?;
        let invitation = participation(&tx, chat.id, me)
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
        model.update(&tx).await?;
        let name = self.first_name(&tx, me).await?;
        let mut outbox = Outbox::new();
        let (chat, _) = self
            .append_message(
                &tx,
                &mut outbox,
                &chat,
                AuthorKind::System,
                None,
                &format!("{name} joined the chat"),
                None,
                now,
            )
            .await?;
        outbox
            .to_operator(
                &tx,
                chat.organization_id,
                me,
                EventKind::ChatAssigned,
                Some(chat.id),
                json!({ "role": ParticipantRole::Conference }),
                now,
            )
            .await?;
        self.commit(tx, outbox).await?;
        Ok(chat)
    }

    /// Ends the conference (the owner: everyone invited leaves) or leaves it (a member), with a
    /// system message (E2).
    pub async fn end_conference(&self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        self.visible_chat(&tx, actor, chat_id).await?;
        let chat = lock_chat(&tx, chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        let mut leaving = chat_participant::Entity::find()
            .filter(chat_participant::Column::ChatId.eq(chat.id))
            .filter(chat_participant::Column::Role.eq(ParticipantRole::Conference))
            .filter(chat_participant::Column::State.ne(ParticipantState::Left));
        if chat.operator_id != Some(me) {
            leaving = leaving.filter(chat_participant::Column::OperatorId.eq(me));
        }
        let leaving = leaving.all(&tx).await?;
        if leaving.is_empty() {
            return Err(DomainError::conflict("There is no conference to end"));
        }
        let mut outbox = Outbox::new();
        for participant in &leaving {
            let mut model: chat_participant::ActiveModel = participant.clone().into();
            model.state = Set(ParticipantState::Left);
            model.left_at = Set(Some(now));
            model.update(&tx).await?;
            outbox
                .to_operator(
                    &tx,
                    chat.organization_id,
                    participant.operator_id,
                    EventKind::ChatUnassigned,
                    Some(chat.id),
                    json!({ "reason": "CONFERENCE_ENDED" }),
                    now,
                )
                .await?;
        }
        let text = if chat.operator_id == Some(me) {
            "The conference has ended".to_owned()
        } else {
            format!("{} left the chat", self.first_name(&tx, me).await?)
        };
        let (chat, _) = self
            .append_message(
                &tx,
                &mut outbox,
                &chat,
                AuthorKind::System,
                None,
                &text,
                None,
                now,
            )
            .await?;
        self.commit(tx, outbox).await?;
        Ok(chat)
    }

    /// A supervisor joins a chat silently to listen (X5): no system message, the customer is
    /// not told, and they may only whisper.
    pub async fn monitor_chat(&self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        let (me, _) = actor.require_role(Role::Supervisor)?;
        let now = self.now();
        let tx = self.write().await?;
        self.visible_chat(&tx, actor, chat_id).await?;
        let chat = lock_chat(&tx, chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
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

    /// An operators-only message in a chat (X5): stored and shown to operators in the chat, never
    /// sent to the customer or shown to machine clients.
    pub async fn whisper(
        &self,
        actor: &Actor,
        chat_id: ChatId,
        text: &str,
    ) -> Result<message::Model> {
        let (me, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        self.visible_chat(&tx, actor, chat_id).await?;
        let chat = lock_chat(&tx, chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        if !matches!(chat.status, ChatStatus::New | ChatStatus::InProgress) {
            return Err(DomainError::conflict("The chat must be accepted and open"));
        }
        let joined = chat.operator_id == Some(me)
            || participation(&tx, chat.id, me)
                .await?
                .is_some_and(|p| p.state == ParticipantState::Joined);
        if !joined {
            return Err(DomainError::forbidden("Join the chat to whisper in it"));
        }
        let created = message::ActiveModel {
            id: Set(MessageId::new()),
            organization_id: Set(chat.organization_id),
            chat_id: Set(chat.id),
            author_kind: Set(AuthorKind::Operator),
            author_operator_id: Set(Some(me)),
            text: Set(text.to_owned()),
            is_whisper: Set(true),
            quick_reply_id: Set(None),
            delivery_state: Set(DeliveryState::Delivered),
            delivery_error: Set(None),
            channel_id: Set(None),
            external_id: Set(None),
            created_at: Set(now),
            delivered_at: Set(Some(now)),
        }
        .insert(&tx)
        .await?;
        // Only the operators in the chat hear it; the chat's own stream (which machine clients
        // may follow) does not carry it.
        let mut outbox = Outbox::new();
        let listeners = chat_participant::Entity::find()
            .filter(chat_participant::Column::ChatId.eq(chat.id))
            .filter(chat_participant::Column::State.eq(ParticipantState::Joined))
            .all(&tx)
            .await?;
        for listener in listeners {
            outbox
                .to_operator(
                    &tx,
                    chat.organization_id,
                    listener.operator_id,
                    EventKind::MessageCreated,
                    Some(chat.id),
                    json!({ "messageId": created.id, "whisper": true }),
                    now,
                )
                .await?;
        }
        self.commit(tx, outbox).await?;
        Ok(created)
    }

    /// Whether the caller may write to the customer in this chat: its owner or a joined
    /// conference member (not a silent monitor).
    pub(crate) async fn may_write(
        &self,
        db: &impl ConnectionTrait,
        chat: &chat::Model,
        me: OperatorId,
    ) -> Result<bool> {
        if chat.operator_id == Some(me) {
            return Ok(true);
        }
        Ok(participation(db, chat.id, me).await?.is_some_and(|p| {
            p.role == ParticipantRole::Conference && p.state == ParticipantState::Joined
        }))
    }
}

/// An operator's current (not left) participation in a chat.
async fn participation(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    operator_id: OperatorId,
) -> Result<Option<chat_participant::Model>> {
    Ok(chat_participant::Entity::find()
        .filter(chat_participant::Column::ChatId.eq(chat_id))
        .filter(chat_participant::Column::OperatorId.eq(operator_id))
        .filter(chat_participant::Column::State.ne(ParticipantState::Left))
        .one(db)
        .await?)
}

/// Records who a chat was transferred from on its newest assignment.
async fn mark_from(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    from: Option<OperatorId>,
) -> Result<()> {
    chat_assignment::Entity::update_many()
        .col_expr(chat_assignment::Column::FromOperatorId, Expr::value(from))
        .filter(chat_assignment::Column::ChatId.eq(chat_id))
        .filter(chat_assignment::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

async fn mark_from_row(
    db: &impl ConnectionTrait,
    assignment_id: AssignmentId,
    from: Option<OperatorId>,
) -> Result<()> {
    chat_assignment::Entity::update_many()
        .col_expr(chat_assignment::Column::FromOperatorId, Expr::value(from))
        .filter(chat_assignment::Column::Id.eq(assignment_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The public calls, each retried when it lost a race (see [`Domain::retry`]).
impl Domain {
    pub async fn transfer_chat(
        &self,
        actor: &Actor,
        input: TransferChatInput,
    ) -> Result<chat::Model> {
        self.retry(|| self.transfer_chat_once(actor, input.clone()))
            .await
    }
}
