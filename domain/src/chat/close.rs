//! Ending a chat (D6, D11, B4): closing with a wrap-up reason and result, after-chat work, and the
//! automatic close of quiet channel chats.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::entity::{chat, chat_result, operator, organization_settings, queue, wrap_up_reason};
use crate::enums::{
    AssignmentEnd, ChatStatus, ClosedByKind, EventKind, TrafficLight, WebhookEvent,
};
use crate::error::Result;
use crate::ids::*;
use crate::presence::rules::update_operator;
use crate::routing::rows::{end_assignment, leave_chat};
use crate::service::{Chats, Domain, retried};
use crate::store::{find_live, live, usable};
use crate::sweep::Timer;
use crate::validate::check;
use crate::work::Work;
use sea_orm::Select;

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CloseChatInput {
    pub chat_id: ChatId,
    /// Required (D6).
    pub wrap_up_reason_id: WrapUpReasonId,
    pub result_id: Option<ChatResultId>,
    /// Free text about the result.
    #[validate(length(max = 1000))]
    pub result_detail: Option<String>,
}

/// Checks a wrap-up reason an operator gives (`wrapUpReasonId`): live, of the caller's
/// organization, and not one the system keeps for itself.
pub(crate) async fn operators_reason(
    db: &impl ConnectionTrait, actor: &Actor, id: WrapUpReasonId,
) -> Result<()> {
    let query = live::<wrap_up_reason::Entity>(actor, id)
        .filter(wrap_up_reason::Column::IsSystem.eq(false));
    usable::<wrap_up_reason::Entity>(query.one(db).await?, "wrapUpReasonId").map(drop)
}

impl Chats<'_> {
    retried! {
        /// Closes a chat with a wrap-up reason and optionally a result (D6). The owner's capacity
        /// frees after the after-chat work period (X6); a scheduled status applies when the last
        /// chat is done (B2).
        pub async fn close_chat(CloseChatInput) -> chat::Model = close_chat_once;
    }

    /// One attempt of [`Self::close_chat`].
    async fn close_chat_once(self, actor: &Actor, input: CloseChatInput) -> Result<chat::Model> {
        actor.operator()?;
        check(&input)?;
        let (me, _) = actor.operator()?;
        let (mut work, chat) = self.begin_on_owned(actor, input.chat_id, true).await?;
        operators_reason(&work.tx, actor, input.wrap_up_reason_id).await?;
        if let Some(result_id) = input.result_id {
            find_live::<chat_result::Entity>(&work.tx, actor, result_id, "resultId").await?;
        }
        let closed = self
            .complete(
                &mut work,
                &chat,
                ClosedByKind::Operator,
                Some(me),
                input.wrap_up_reason_id,
                input.result_id,
                input.result_detail,
            )
            .await?;
        self.domain.answer(work, closed).await
    }

    /// Completes a chat and frees its owner.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn complete(
        self, work: &mut Work, chat: &chat::Model, by_kind: ClosedByKind, by: Option<OperatorId>,
        wrap_up_reason_id: WrapUpReasonId, result_id: Option<ChatResultId>,
        result_detail: Option<String>,
    ) -> Result<chat::Model> {
        let mut model: chat::ActiveModel = chat.clone().into();
        model.status = Set(ChatStatus::Completed);
        model.closed_at = Set(Some(work.now));
        model.closed_by_kind = Set(Some(by_kind));
        model.closed_by_operator_id = Set(by);
        model.wrap_up_reason_id = Set(Some(wrap_up_reason_id));
        model.result_id = Set(result_id);
        model.result_detail = Set(result_detail
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty()));
        model.traffic_light = Set(TrafficLight::None);
        model.traffic_light_changes_at = Set(None);
        model.waiting_since = Set(None);
        model.auto_close_at = Set(None);
        let closed = work.save(model).await?;
        if matches!(chat.status, ChatStatus::Queued | ChatStatus::Bot) {
            self.tell_queue(work, chat, EventKind::ChatDequeued);
        }
        end_assignment(
            &work.tx,
            chat.id,
            AssignmentEnd::Closed,
            Some(wrap_up_reason_id),
            work.now,
        )
        .await?;
        // Whoever was in the chat leaves it, and hears that it closed.
        let present = leave_chat(&work.tx, chat.id, work.now).await?;
        self.tell_participants(
            work,
            &closed,
            present,
            &[(
                EventKind::ChatUpdated,
                json!({ "status": ChatStatus::Completed }),
            )],
        );
        if let Some(owner) = chat.operator_id {
            work.outbox.to_operator(
                chat.organization_id,
                owner,
                EventKind::ChatUnassigned,
                Some(chat.id),
                json!({ "reason": "CLOSED" }),
                work.now,
            );
            let after_chat_work = after_chat_work_secs(&work.tx, chat).await?;
            if after_chat_work > 0 {
                let until = work.now + Duration::seconds(i64::from(after_chat_work));
                operator::Entity::update_many()
                    .col_expr(operator::Column::AfterWorkUntil, Expr::value(until))
                    .filter(operator::Column::Id.eq(owner))
                    .exec(&work.tx)
                    .await?;
            }
            self.domain.routing().free_capacity(work, owner).await?;
        }
        self.domain
            .deliveries()
            .queue_webhooks(work, WebhookEvent::ChatClosed, &closed)
            .await?;
        self.domain
            .deliveries()
            .queue_close_process(work, &closed)
            .await?;
        Ok(closed)
    }

    /// Completes a chat on nobody's behalf, with the system's wrap-up reason (D11, 004).
    pub(crate) async fn close_by_system(
        self, work: &mut Work, chat: &chat::Model, reason: WrapUpReasonId,
    ) -> Result<chat::Model> {
        self.complete(work, chat, ClosedByKind::System, None, reason, None, None)
            .await
    }
}

/// Ends after-chat work whose time is up and offers waiting chats (X6; run by the scheduler).
pub(crate) struct AfterChatWorkEnd;

impl Timer for AfterChatWorkEnd {
    type Entity = operator::Entity;

    fn due(now: DateTime<Utc>) -> Select<operator::Entity> {
        operator::Entity::find().filter(operator::Column::AfterWorkUntil.lte(now))
    }

    async fn fire(domain: &Domain, op: operator::Model, work: &mut Work) -> Result<bool> {
        if op.after_work_until.is_none_or(|until| until > work.now) {
            return Ok(false);
        }
        Self::end(domain, work, op).await?;
        Ok(true)
    }
}

impl AfterChatWorkEnd {
    /// Ends an operator's after-chat work at `now`, when it is due (the timer) or earlier (the
    /// operator's "Finish"): the event, and waiting chats offered to them.
    pub(crate) async fn end(domain: &Domain, work: &mut Work, op: operator::Model) -> Result<()> {
        let mut model: operator::ActiveModel = op.clone().into();
        model.after_work_until = Set(None);
        update_operator(work, model, json!({ "afterChatWork": false })).await?;
        domain.routing().route_waiting_for(work, op.id).await?;
        Ok(())
    }
}

/// Closes chats silent for their channel's auto-close period, with the system wrap-up
/// reason (D11; the scheduler).
pub(crate) struct AutoClose;

impl Timer for AutoClose {
    type Entity = chat::Entity;

    fn due(now: DateTime<Utc>) -> Select<chat::Entity> {
        chat::Entity::find()
            .filter(chat::Column::AutoCloseAt.lte(now))
            .filter(chat::Column::Status.ne(ChatStatus::Completed))
    }

    async fn fire(domain: &Domain, chat: chat::Model, work: &mut Work) -> Result<bool> {
        if chat.status == ChatStatus::Completed || chat.auto_close_at.is_none_or(|at| at > work.now)
        {
            return Ok(false);
        }
        let Some(reason) = system_wrap_up_reason(&work.tx, chat.organization_id).await? else {
            return Ok(false);
        };
        domain.chats().close_by_system(work, &chat, reason).await?;
        Ok(true)
    }
}

/// The wrap-up reason the system closes chats with (D11, 004).
pub(crate) async fn system_wrap_up_reason(
    db: &impl ConnectionTrait, organization_id: OrganizationId,
) -> Result<Option<WrapUpReasonId>> {
    Ok(wrap_up_reason::Entity::find()
        .filter(wrap_up_reason::Column::OrganizationId.eq(organization_id))
        .filter(wrap_up_reason::Column::IsSystem.eq(true))
        .one(db)
        .await?
        .map(|reason| reason.id))
}

/// The after-chat work a close gives the owner (X6): the chat's queue's own, or else the
/// organization's; one statement, as the close read only the organization's before.
async fn after_chat_work_secs(db: &impl ConnectionTrait, chat: &chat::Model) -> Result<i32> {
    let queue_own = Query::select()
        .column((queue::Entity, queue::Column::AfterChatWorkSecs))
        .from(queue::Entity)
        .and_where(Expr::col((queue::Entity, queue::Column::Id)).eq(chat.queue_id))
        .to_owned();
    let secs: Option<i32> = organization_settings::Entity::find()
        .select_only()
        .expr(Func::coalesce([
            Expr::SubQuery(None, Box::new(queue_own.into())),
            Expr::col((
                organization_settings::Entity,
                organization_settings::Column::AfterChatWorkSecs,
            )),
        ]))
        .filter(organization_settings::Column::OrganizationId.eq(chat.organization_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(secs.unwrap_or(0))
}
