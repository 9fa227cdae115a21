//! Operators' presence (B1, B2, C3, X7): setting one's status, the status to take after the
//! current chats, unblocking after a missed invitation, activity and AWAY, call state.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::entity::{custom_status, operator, status_log};
use crate::enums::OperatorStatus;
use crate::error::{DomainError, Result};
use crate::ids::CustomStatusId;
use crate::presence::rules::{
    StatusTime, away_due, away_timer_runs, change_status, check_custom_status, check_manual_change,
    time_in_status, update_operator,
};
use crate::routing::rank::CapacityChange;
use crate::service::{Domain, Presence, retried};
use crate::store::find_live;

use crate::sweep::Timer;
use crate::work::Work;

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetMyStatusInput {
    /// Any status but AWAY and BLOCKED, which the server sets.
    pub status: OperatorStatus,
    /// An admin-defined custom status, with UNAVAILABLE.
    pub custom_status_id: Option<CustomStatusId>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ScheduleMyNextStatusInput {
    /// The status to take when the current chats are done; null to cancel (B2).
    pub status: Option<OperatorStatus>,
    pub custom_status_id: Option<CustomStatusId>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetCallStateInput {
    /// Whether the operator is on a phone call now (C3).
    pub on_call: bool,
}

impl Presence<'_> {
    /// The caller's operator row, locked for the rest of the transaction.
    /// Opens a change of the caller's own presence, at this instant: their operator row, locked.
    /// Refused (`FORBIDDEN`) before any transaction opens when the caller is no operator.
    async fn begin_mine(self, actor: &Actor) -> Result<(Work, operator::Model)> {
        actor.operator()?;
        let work = self.domain.begin(self.domain.now()).await?;
        let me = self.lock_me(&work.tx, actor).await?;
        Ok((work, me))
    }

    pub(crate) async fn lock_me(
        self, db: &impl ConnectionTrait, actor: &Actor,
    ) -> Result<operator::Model> {
        let (id, _) = actor.operator()?;
        crate::routing::rows::lock_operator(db, id)
            .await?
            .ok_or(DomainError::not_found("operator"))
    }

    pub(crate) async fn check_custom_status_exists(
        self, db: &impl ConnectionTrait, actor: &Actor, id: Option<CustomStatusId>,
    ) -> Result<()> {
        if let Some(id) = id {
            find_live::<custom_status::Entity>(db, actor, id, "customStatusId").await?;
        }
        Ok(())
    }

    retried! {
        /// Sets the caller's status (B1). READY offers waiting chats at once; OFFLINE hands the
        /// caller's chats back to their queues (X7).
        pub async fn set_my_status(SetMyStatusInput) -> operator::Model = set_my_status_once;
        /// Schedules the status to take when the caller's chats are done (B2); with no chats it
        /// applies at once.
        pub async fn schedule_my_next_status(ScheduleMyNextStatusInput) -> operator::Model = schedule_my_next_status_once;
        /// The telephony side reports a call starting or ending (C3). Operators on a call get no
        /// chats; when the call ends, waiting chats are offered again.
        pub async fn set_call_state(SetCallStateInput) -> operator::Model = set_call_state_once;
    }

    /// One attempt of [`Self::set_my_status`].
    async fn set_my_status_once(
        self, actor: &Actor, input: SetMyStatusInput,
    ) -> Result<operator::Model> {
        actor.operator()?;
        check_custom_status(input.status, input.custom_status_id)?;
        let (mut work, me) = self.begin_mine(actor).await?;
        check_manual_change(me.status, input.status)?;
        self.check_custom_status_exists(&work.tx, actor, input.custom_status_id)
            .await?;
        let updated = change_status(&mut work, &me, input.status, input.custom_status_id).await?;
        let updated = self.after_presence_change(&mut work, &me, updated).await?;
        self.domain.answer(work, updated).await
    }

    /// What follows a status change: chats handed back or offered (X7, C4).
    pub(crate) async fn after_presence_change(
        self, work: &mut Work, before: &operator::Model, after: operator::Model,
    ) -> Result<operator::Model> {
        match CapacityChange::between(before, &after, work.now) {
            CapacityChange::Gone => {
                self.domain.routing().hand_back_chats(work, &after).await?;
            }
            CapacityChange::Freed => {
                self.domain
                    .routing()
                    .route_waiting_for(work, after.id)
                    .await?;
            }
            CapacityChange::None => {}
        }
        Ok(operator::Entity::find_by_id(after.id)
            .one(&work.tx)
            .await?
            .unwrap_or(after))
    }

    /// One attempt of [`Self::schedule_my_next_status`].
    async fn schedule_my_next_status_once(
        self, actor: &Actor, input: ScheduleMyNextStatusInput,
    ) -> Result<operator::Model> {
        actor.operator()?;
        if let Some(status) = input.status {
            check_custom_status(status, input.custom_status_id)?;
        }
        let (mut work, me) = self.begin_mine(actor).await?;
        if let Some(status) = input.status {
            check_manual_change(me.status, status)?;
            self.check_custom_status_exists(&work.tx, actor, input.custom_status_id)
                .await?;
            if me.active_chats == 0 {
                // No work to finish: the status applies now.
                let changed = change_status(&mut work, &me, status, input.custom_status_id).await?;
                let updated = self.after_presence_change(&mut work, &me, changed).await?;
                return self.domain.answer(work, updated).await;
            }
        }
        // Store (or, with no status, cancel) the status to take when the work ends.
        let custom_status_id = input.status.and(input.custom_status_id);
        let mut model: operator::ActiveModel = me.into();
        model.next_status = Set(input.status);
        model.next_custom_status_id = Set(custom_status_id);
        let updated =
            update_operator(&mut work, model, json!({ "nextStatus": input.status })).await?;
        self.domain.answer(work, updated).await
    }

    /// Applies a scheduled next status once the operator has no chats left (B2).
    pub(crate) async fn apply_scheduled_status(
        self, work: &mut Work, op: &operator::Model,
    ) -> Result<()> {
        let (Some(next), 0) = (op.next_status, op.active_chats) else {
            return Ok(());
        };
        let changed = change_status(work, op, next, op.next_custom_status_id).await?;
        let mut model: operator::ActiveModel = changed.clone().into();
        model.next_status = Set(None);
        model.next_custom_status_id = Set(None);
        let changed = model.update(&work.tx).await?;
        self.after_presence_change(work, op, changed).await?;
        Ok(())
    }

    /// Leaves BLOCKED (after a missed invitation) for READY.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn unblock_me(self, actor: &Actor) -> Result<operator::Model> {
        let (mut work, me) = self.begin_mine(actor).await?;
        if me.status != OperatorStatus::Blocked {
            return Err(DomainError::conflict("You are not blocked"));
        }
        let updated = change_status(&mut work, &me, OperatorStatus::Ready, None).await?;
        let updated = self.after_presence_change(&mut work, &me, updated).await?;
        self.domain.answer(work, updated).await
    }

    /// Ends one's after-chat work now rather than when its time is up (X6): as the timer would,
    /// and waiting chats may be offered at once.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn finish_after_chat_work(self, actor: &Actor) -> Result<operator::Model> {
        let (mut work, me) = self.begin_mine(actor).await?;
        if me.after_work_until.is_none_or(|until| until <= work.now) {
            return Err(DomainError::conflict("You are not in after-chat work"));
        }
        let id = me.id;
        crate::chat::close::AfterChatWorkEnd::end(self.domain, &mut work, me).await?;
        // Read again: a chat may have been offered meanwhile.
        let updated = operator::Entity::find_by_id(id)
            .one(&work.tx)
            .await?
            .ok_or(DomainError::not_found("operator"))?;
        self.domain.answer(work, updated).await
    }

    /// Records that the operator is at the panel: restarts the AWAY timer.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn report_activity(self, actor: &Actor) -> Result<operator::Model> {
        let (id, _) = actor.operator()?;
        let now = self.domain.now();
        let tx = self.domain.write().await?;
        let me = self.lock_me(&tx, actor).await?;
        let away_due_at = if away_timer_runs(me.status) {
            Some(away_due(&tx, &me, now).await?)
        } else {
            None
        };
        operator::Entity::update_many()
            .col_expr(operator::Column::LastActivityAt, Expr::value(now))
            .col_expr(operator::Column::AwayDueAt, Expr::value(away_due_at))
            .filter(operator::Column::Id.eq(id))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        self.domain.identity().me(actor).await
    }

    /// One attempt of [`Self::set_call_state`].
    async fn set_call_state_once(
        self, actor: &Actor, input: SetCallStateInput,
    ) -> Result<operator::Model> {
        let (mut work, me) = self.begin_mine(actor).await?;
        let mut model: operator::ActiveModel = me.clone().into();
        model.on_call = Set(input.on_call);
        let updated = update_operator(&mut work, model, json!({ "onCall": input.on_call })).await?;
        let updated = self.after_presence_change(&mut work, &me, updated).await?;
        self.domain.answer(work, updated).await
    }

    /// Time an operator spent in each status over a period (B3): the operator themself and
    /// supervisors and above.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn time_in_status(
        self, actor: &Actor, operator_id: crate::ids::OperatorId, from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatusTime>> {
        let (me, role) = actor.operator()?;
        if me != operator_id && !role.at_least(crate::enums::Role::Supervisor) {
            return Err(DomainError::forbidden(
                "Only supervisors see others' time in status",
            ));
        }
        if to <= from {
            return Err(DomainError::validation("to", "must be after from"));
        }
        self.domain.identity().operator(actor, operator_id).await?;
        let log = status_log::Entity::find()
            .filter(status_log::Column::OperatorId.eq(operator_id))
            .filter(status_log::Column::StartedAt.lt(to))
            .filter(
                status_log::Column::EndedAt
                    .is_null()
                    .or(status_log::Column::EndedAt.gt(from)),
            )
            .all(&self.domain.db)
            .await?;
        Ok(time_in_status(&log, from, to, self.domain.now()))
    }
}

/// Sets AWAY for operators whose activity timer ran out (run by the scheduler).
pub(crate) struct AwayTimer;

impl Timer for AwayTimer {
    type Entity = operator::Entity;

    fn due(now: DateTime<Utc>) -> Select<operator::Entity> {
        operator::Entity::find()
            .filter(operator::Column::AwayDueAt.lte(now))
            .filter(operator::Column::ArchivedAt.is_null())
    }

    async fn fire(domain: &Domain, op: operator::Model, work: &mut Work) -> Result<bool> {
        if op.away_due_at.is_none_or(|at| at > work.now) || !away_timer_runs(op.status) {
            return Ok(false);
        }
        let changed = change_status(work, &op, OperatorStatus::Away, None).await?;
        domain
            .presence()
            .after_presence_change(work, &op, changed)
            .await?;
        Ok(true)
    }
}
