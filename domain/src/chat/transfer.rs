//! Transfers (E1): to an operator, to a queue (its end) or to a bot scheme, only after acceptance.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::chat::close::operators_reason;
use crate::chat::rules::unavailable;
use crate::entity::{bot_scheme, chat, chat_assignment, queue};
use crate::enums::{
    AssignmentEnd, AssignmentKind, ChatStatus, EventKind, RoutingTrigger, WebhookEvent,
};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::routing::rows::{end_assignment, leave_chat, lock_operator, open_assignment};
use crate::service::{Chats, retried};
use crate::store::find_own;
use crate::validate::check;
use crate::work::Work;

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

enum Target {
    Operator(OperatorId),
    Queue(QueueId),
    Scheme(BotSchemeId),
}

/// Records who a chat was transferred from on its open assignment (the one the transfer made).
async fn mark_from(
    db: &impl ConnectionTrait, chat_id: ChatId, from: Option<OperatorId>,
) -> Result<()> {
    chat_assignment::Entity::update_many()
        .col_expr(chat_assignment::Column::FromOperatorId, Expr::value(from))
        .filter(chat_assignment::Column::ChatId.eq(chat_id))
        .filter(chat_assignment::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

impl Chats<'_> {
    retried! {
        /// Transfers an accepted chat (E1, E3). The current operator is released at once; the
        /// history keeps both.
        pub async fn transfer_chat(TransferChatInput) -> chat::Model = transfer_chat_once;
    }

    /// One attempt of [`Self::transfer_chat`].
    async fn transfer_chat_once(
        self, actor: &Actor, input: TransferChatInput,
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
        let (mut work, chat) = self.begin_on_owned(actor, input.chat_id, true).await?;
        if let Some(reason) = input.wrap_up_reason_id {
            operators_reason(&work.tx, actor, reason).await?;
        }
        let moved = match target {
            Target::Operator(id) => {
                if chat.operator_id == Some(id) {
                    return Err(DomainError::validation(
                        "toOperatorId",
                        "The chat is already theirs",
                    ));
                }
                let target = self
                    .domain
                    .identity()
                    .operator(actor, id)
                    .await
                    .map_err(|_| DomainError::validation("toOperatorId", "No such operator"))?;
                if target.archived_at.is_some() || !target.status.takes_transfers() {
                    return Err(unavailable("toOperatorId", target.status));
                }
                lock_operator(&work.tx, target.id).await?;
                crate::routing::rows::take_capacity_for_assignment(&work.tx, target.id, work.now)
                    .await?;
                self.release_owner(&mut work, &chat, input.wrap_up_reason_id)
                    .await?;
                let fresh = chat::Entity::find_by_id(chat.id)
                    .one(&work.tx)
                    .await?
                    .ok_or(DomainError::not_found("chat"))?;
                let invited = self
                    .domain
                    .routing()
                    .invite(
                        &mut work,
                        &fresh,
                        target.id,
                        AssignmentKind::TransferredToOperator,
                        Some(me),
                    )
                    .await?;
                mark_from(&work.tx, chat.id, chat.operator_id).await?;
                invited
            }
            Target::Queue(id) => {
                let queue = find_own::<queue::Entity>(&work.tx, actor, id)
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
                        .count(&work.tx)
                        .await?;
                    if waiting >= u64::try_from(limit).unwrap_or(0) {
                        return Err(DomainError::LimitExceeded(
                            format!("The queue {} is full", queue.name).into(),
                        ));
                    }
                }
                self.release_owner(&mut work, &chat, input.wrap_up_reason_id)
                    .await?;
                let mut model: chat::ActiveModel = chat.clone().into();
                model.status = Set(ChatStatus::Queued);
                model.operator_id = Set(None);
                model.queue_id = Set(Some(queue.id));
                model.queue_priority = Set(0);
                model.queued_at = Set(Some(work.now));
                model.accepted_at = Set(None);
                let queued = work.save(model).await?;
                open_assignment(
                    &work.tx,
                    &queued,
                    AssignmentKind::TransferredToQueue,
                    None,
                    Some(me),
                    work.now,
                )
                .await?;
                mark_from(&work.tx, chat.id, chat.operator_id).await?;
                self.tell_chat(
                    &mut work,
                    &queued,
                    EventKind::ChatUpdated,
                    json!({ "status": ChatStatus::Queued }),
                )
                .await?;
                self.domain
                    .routing()
                    .route_chat(&mut work, queued.id, RoutingTrigger::Transfer)
                    .await?;
                chat::Entity::find_by_id(chat.id)
                    .one(&work.tx)
                    .await?
                    .ok_or(DomainError::not_found("chat"))?
            }
            Target::Scheme(id) => {
                let scheme = find_own::<bot_scheme::Entity>(&work.tx, actor, id)
                    .await
                    .map_err(|_| DomainError::validation("toSchemeId", "No such bot scheme"))?;
                if scheme.archived_at.is_some() {
                    return Err(DomainError::validation(
                        "toSchemeId",
                        "The bot scheme is archived",
                    ));
                }
                self.release_owner(&mut work, &chat, input.wrap_up_reason_id)
                    .await?;
                let mut model: chat::ActiveModel = chat.clone().into();
                model.status = Set(ChatStatus::Bot);
                model.operator_id = Set(None);
                model.bot_scheme_id = Set(Some(scheme.id));
                model.accepted_at = Set(None);
                model.waiting_since = Set(None);
                let with_bot = work.save(model).await?;
                let mut assignment: chat_assignment::ActiveModel = open_assignment(
                    &work.tx,
                    &with_bot,
                    AssignmentKind::TransferredToBot,
                    None,
                    Some(me),
                    work.now,
                )
                .await?
                .into();
                assignment.bot_scheme_id = Set(Some(scheme.id));
                assignment.from_operator_id = Set(chat.operator_id);
                assignment.update(&work.tx).await?;
                let with_bot = self
                    .domain
                    .conversation()
                    .refresh_light(&mut work, &with_bot)
                    .await?;
                work.outbox.to_chat(
                    chat.organization_id,
                    chat.id,
                    EventKind::ChatUpdated,
                    json!({ "status": ChatStatus::Bot, "botSchemeId": scheme.id }),
                    work.now,
                );
                self.tell_queue(&mut work, &with_bot, EventKind::ChatWithBot);
                with_bot
            }
        };
        self.domain
            .deliveries()
            .queue_webhooks(&mut work, WebhookEvent::ChatTransferred, &moved)
            .await?;
        self.domain.answer(work, moved).await
    }

    /// Releases a chat's owner and conference: their capacity, participation and assignment.
    async fn release_owner(
        self, work: &mut Work, chat: &chat::Model, wrap_up_reason_id: Option<WrapUpReasonId>,
    ) -> Result<()> {
        end_assignment(
            &work.tx,
            chat.id,
            AssignmentEnd::Transferred,
            wrap_up_reason_id,
            work.now,
        )
        .await?;
        let joined = leave_chat(&work.tx, chat.id, work.now).await?;
        for operator_id in joined {
            work.outbox.to_operator(
                chat.organization_id,
                operator_id,
                EventKind::ChatUnassigned,
                Some(chat.id),
                json!({ "reason": "TRANSFERRED" }),
                work.now,
            );
        }
        if let Some(owner) = chat.operator_id {
            self.domain.routing().free_capacity(work, owner).await?;
        }
        Ok(())
    }
}
