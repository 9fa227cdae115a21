//! Operator presence (B): statuses and their rules, the status log (B3), the scheduled next
//! status (B2), the call state (C3), activity and the AWAY timer. Every status change goes
//! through [`change_status`], which writes the log and the operator's event together.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::entity::{operator, organization_settings, status_log};
use crate::enums::{EventKind, OperatorStatus};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::ids::{CustomStatusId, StatusLogId};
use crate::routing::CapacityChange;
use crate::service::Domain;

/// Whether routing may offer new chats to an operator in `status`.
pub fn takes_new_chats(status: OperatorStatus) -> bool {
    status == OperatorStatus::Ready
}

/// Statuses in which the AWAY timer runs: signed in, not already away or blocked.
fn away_timer_runs(status: OperatorStatus) -> bool {
    !matches!(
        status,
        OperatorStatus::Offline | OperatorStatus::Away | OperatorStatus::Blocked
    )
}

/// Whether an operator may move themself from `from` to `to`.
pub fn check_manual_change(from: OperatorStatus, to: OperatorStatus) -> Result<()> {
    match to {
        OperatorStatus::Away | OperatorStatus::Blocked => {
            return Err(DomainError::validation(
                "status",
                "AWAY and BLOCKED are set by the server only",
            ));
        }
        _ => {}
    }
    if from == OperatorStatus::Blocked {
        return Err(DomainError::conflict(
            "You missed an invitation and are BLOCKED; unblock yourself first (unblockMe)",
        ));
    }
    Ok(())
}

/// A custom status goes only with UNAVAILABLE.
fn check_custom_status(status: OperatorStatus, custom: Option<CustomStatusId>) -> Result<()> {
    if custom.is_some() && status != OperatorStatus::Unavailable {
        return Err(DomainError::validation(
            "customStatusId",
            "A custom status goes with UNAVAILABLE only",
        ));
    }
    Ok(())
}

/// Moves an operator to `status`: closes the open status-log stretch, opens the next one,
/// restarts or stops the AWAY timer, and tells the operator's panel.
pub async fn change_status(
    db: &impl ConnectionTrait,
    outbox: &mut Outbox,
    current: &operator::Model,
    status: OperatorStatus,
    custom_status_id: Option<CustomStatusId>,
    now: DateTime<Utc>,
) -> Result<operator::Model> {
    status_log::Entity::update_many()
        .col_expr(status_log::Column::EndedAt, Expr::value(now))
        .filter(status_log::Column::OperatorId.eq(current.id))
        .filter(status_log::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    status_log::ActiveModel {
        id: Set(StatusLogId::new()),
        organization_id: Set(current.organization_id),
        operator_id: Set(current.id),
        status: Set(status),
        custom_status_id: Set(custom_status_id),
        started_at: Set(now),
        ended_at: Set(None),
    }
    .insert(db)
    .await?;
    let away_due_at = if away_timer_runs(status) {
        Some(away_due(db, current, now).await?)
    } else {
        None
    };
    let mut model: operator::ActiveModel = current.clone().into();
    model.status = Set(status);
    model.custom_status_id = Set(custom_status_id);
    model.status_since = Set(now);
    model.away_due_at = Set(away_due_at);
    if status == OperatorStatus::Offline {
        model.next_status = Set(None);
        model.next_custom_status_id = Set(None);
    }
    model.updated_at = Set(now);
    let updated = model.update(db).await?;
    outbox
        .to_operator(
            db,
            updated.organization_id,
            updated.id,
            EventKind::OperatorUpdated,
            None,
            json!({ "status": status }),
            now,
        )
        .await?;
    Ok(updated)
}

/// When an operator active now goes AWAY if nothing else happens.
async fn away_due(
    db: &impl ConnectionTrait,
    op: &operator::Model,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let minutes = organization_settings::Entity::find_by_id(op.organization_id)
        .one(db)
        .await?
        .map_or(10, |s| s.away_after_minutes);
    Ok(now + Duration::minutes(i64::from(minutes)))
}

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

impl Domain {
    /// The caller's operator row, locked for the rest of the transaction.
    pub(crate) async fn lock_me(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
    ) -> Result<operator::Model> {
        let (id, _) = actor.operator()?;
        crate::routing::lock_operator(db, id)
            .await?
            .ok_or(DomainError::not_found("operator"))
    }

    async fn check_custom_status_exists(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: Option<CustomStatusId>,
    ) -> Result<()> {
        if let Some(id) = id {
            match self.custom_status(db, actor, id).await {
                Ok(found) if found.archived_at.is_none() => {}
                Ok(_) | Err(DomainError::NotFound { .. }) => {
                    return Err(DomainError::validation(
                        "customStatusId",
                        "No such custom status",
                    ));
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Sets the caller's status (B1). READY offers waiting chats at once; OFFLINE hands the
    /// caller's chats back to their queues (X7).
    async fn set_my_status_once(
        &self,
        actor: &Actor,
        input: SetMyStatusInput,
    ) -> Result<operator::Model> {
        actor.operator()?;
        check_custom_status(input.status, input.custom_status_id)?;
        let now = self.now();
        let tx = self.write().await?;
        let me = self.lock_me(&tx, actor).await?;
        check_manual_change(me.status, input.status)?;
        self.check_custom_status_exists(&tx, actor, input.custom_status_id)
            .await?;
        let mut outbox = Outbox::new();
        let updated = change_status(
            &tx,
            &mut outbox,
            &me,
            input.status,
            input.custom_status_id,
            now,
        )
        .await?;
        let updated = self
            .after_presence_change(&tx, &mut outbox, &me, updated, now)
            .await?;
        self.commit(tx, outbox).await?;
        Ok(updated)
    }

    /// What follows a status change: chats handed back or offered (X7, C4).
    pub(crate) async fn after_presence_change(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        before: &operator::Model,
        after: operator::Model,
        now: DateTime<Utc>,
    ) -> Result<operator::Model> {
        match CapacityChange::between(before, &after, now) {
            CapacityChange::Gone => {
                self.hand_back_chats(db, outbox, &after, now).await?;
            }
            CapacityChange::Freed => {
                self.route_waiting_for(db, outbox, after.id, now).await?;
            }
            CapacityChange::None => {}
        }
        Ok(operator::Entity::find_by_id(after.id)
            .one(db)
            .await?
            .unwrap_or(after))
    }

    /// Schedules the status to take when the caller's chats are done (B2); with no chats it
    /// applies at once.
    async fn schedule_my_next_status_once(
        &self,
        actor: &Actor,
        input: ScheduleMyNextStatusInput,
    ) -> Result<operator::Model> {
        actor.operator()?;
        if let Some(status) = input.status {
            check_custom_status(status, input.custom_status_id)?;
        }
        let now = self.now();
        let tx = self.write().await?;
        let me = self.lock_me(&tx, actor).await?;
        let mut outbox = Outbox::new();
        if let Some(status) = input.status {
            check_manual_change(me.status, status)?;
            self.check_custom_status_exists(&tx, actor, input.custom_status_id)
                .await?;
            if me.active_chats == 0 {
                // No work to finish: the status applies now.
                let changed =
                    change_status(&tx, &mut outbox, &me, status, input.custom_status_id, now)
                        .await?;
                let updated = self
                    .after_presence_change(&tx, &mut outbox, &me, changed, now)
                    .await?;
                self.commit(tx, outbox).await?;
                return Ok(updated);
            }
        }
        // Store (or, with no status, cancel) the status to take when the work ends.
        let custom_status_id = input.status.and(input.custom_status_id);
        let mut model: operator::ActiveModel = me.into();
        model.next_status = Set(input.status);
        model.next_custom_status_id = Set(custom_status_id);
        model.updated_at = Set(now);
        let updated = model.update(&tx).await?;
        outbox
            .to_operator(
                &tx,
                updated.organization_id,
                updated.id,
                EventKind::OperatorUpdated,
                None,
                json!({ "nextStatus": input.status }),
                now,
            )
            .await?;
        self.commit(tx, outbox).await?;
        Ok(updated)
    }

    /// Applies a scheduled next status once the operator has no chats left (B2).
    pub(crate) async fn apply_scheduled_status(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        op: &operator::Model,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (Some(next), 0) = (op.next_status, op.active_chats) else {
            return Ok(());
        };
        let changed = change_status(db, outbox, op, next, op.next_custom_status_id, now).await?;
        let mut model: operator::ActiveModel = changed.clone().into();
        model.next_status = Set(None);
        model.next_custom_status_id = Set(None);
        let changed = model.update(db).await?;
        self.after_presence_change(db, outbox, op, changed, now)
            .await?;
        Ok(())
    }

    /// Leaves BLOCKED (after a missed invitation) for READY.
    pub async fn unblock_me(&self, actor: &Actor) -> Result<operator::Model> {
        actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        let me = self.lock_me(&tx, actor).await?;
        if me.status != OperatorStatus::Blocked {
            return Err(DomainError::conflict("You are not blocked"));
        }
        let mut outbox = Outbox::new();
        let updated =
            change_status(&tx, &mut outbox, &me, OperatorStatus::Ready, None, now).await?;
        let updated = self
            .after_presence_change(&tx, &mut outbox, &me, updated, now)
            .await?;
        self.commit(tx, outbox).await?;
        Ok(updated)
    }

    /// Records that the operator is at the panel: restarts the AWAY timer.
    pub async fn report_activity(&self, actor: &Actor) -> Result<operator::Model> {
        let (id, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
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
        self.me(actor).await
    }

    /// The telephony side reports a call starting or ending (C3). Operators on a call get no
    /// chats; when the call ends, waiting chats are offered again.
    async fn set_call_state_once(
        &self,
        actor: &Actor,
        input: SetCallStateInput,
    ) -> Result<operator::Model> {
        actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        let me = self.lock_me(&tx, actor).await?;
        let mut outbox = Outbox::new();
        let mut model: operator::ActiveModel = me.clone().into();
        model.on_call = Set(input.on_call);
        model.updated_at = Set(now);
        let updated = model.update(&tx).await?;
        outbox
            .to_operator(
                &tx,
                updated.organization_id,
                updated.id,
                EventKind::OperatorUpdated,
                None,
                json!({ "onCall": input.on_call }),
                now,
            )
            .await?;
        let updated = self
            .after_presence_change(&tx, &mut outbox, &me, updated, now)
            .await?;
        self.commit(tx, outbox).await?;
        Ok(updated)
    }

    /// Sets AWAY for operators whose activity timer ran out (run by the scheduler).
    pub async fn expire_idle_operators(&self) -> Result<usize> {
        let now = self.now();
        let due = crate::routing::find_due(
            &self.db,
            operator::Entity::find()
                .filter(operator::Column::AwayDueAt.lte(now))
                .filter(operator::Column::ArchivedAt.is_null()),
        )
        .await?;
        let mut count = 0;
        for candidate in due {
            let tx = self.write().await?;
            let Some(op) = crate::routing::lock_operator(&tx, candidate.id).await? else {
                continue;
            };
            if op.away_due_at.is_none_or(|at| at > now) || !away_timer_runs(op.status) {
                continue;
            }
            let mut outbox = Outbox::new();
            let changed =
                change_status(&tx, &mut outbox, &op, OperatorStatus::Away, None, now).await?;
            self.after_presence_change(&tx, &mut outbox, &op, changed, now)
                .await?;
            self.commit(tx, outbox).await?;
            count += 1;
        }
        Ok(count)
    }
}

/// The public calls, each retried when it lost a race (see [`Domain::retry`]).
impl Domain {
    pub async fn set_my_status(
        &self,
        actor: &Actor,
        input: SetMyStatusInput,
    ) -> Result<operator::Model> {
        self.retry(|| self.set_my_status_once(actor, input.clone()))
            .await
    }

    pub async fn schedule_my_next_status(
        &self,
        actor: &Actor,
        input: ScheduleMyNextStatusInput,
    ) -> Result<operator::Model> {
        self.retry(|| self.schedule_my_next_status_once(actor, input.clone()))
            .await
    }

    pub async fn set_call_state(
        &self,
        actor: &Actor,
        input: SetCallStateInput,
    ) -> Result<operator::Model> {
        self.retry(|| self.set_call_state_once(actor, input.clone()))
            .await
    }
}

/// Time spent in one status over a period (B3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct StatusTime {
    pub status: OperatorStatus,
    pub custom_status_id: Option<CustomStatusId>,
    pub seconds: i64,
}

/// Sums status-log stretches clipped to `[from, to)`; an open stretch runs until `now`.
pub fn time_in_status(
    log: &[status_log::Model],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<StatusTime> {
    let mut totals: Vec<StatusTime> = Vec::new();
    for stretch in log {
        let start = Ord::max(stretch.started_at, from);
        let end = Ord::min(stretch.ended_at.unwrap_or(now), to);
        if end <= start {
            continue;
        }
        let seconds = (end - start).num_seconds();
        match totals
            .iter_mut()
            .find(|t| t.status == stretch.status && t.custom_status_id == stretch.custom_status_id)
        {
            Some(total) => total.seconds += seconds,
            None => totals.push(StatusTime {
                status: stretch.status,
                custom_status_id: stretch.custom_status_id,
                seconds,
            }),
        }
    }
    totals
}

impl Domain {
    /// Time an operator spent in each status over a period (B3): the operator themself and
    /// supervisors and above.
    pub async fn time_in_status(
        &self,
        actor: &Actor,
        operator_id: crate::ids::OperatorId,
        from: DateTime<Utc>,
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
        self.operator(actor, operator_id).await?;
        let log = status_log::Entity::find()
            .filter(status_log::Column::OperatorId.eq(operator_id))
            .filter(status_log::Column::StartedAt.lt(to))
            .filter(
                status_log::Column::EndedAt
                    .is_null()
                    .or(status_log::Column::EndedAt.gt(from)),
            )
            .all(&self.db)
            .await?;
        Ok(time_in_status(&log, from, to, self.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_alone_sets_away_and_blocked() {
        assert!(check_manual_change(OperatorStatus::Ready, OperatorStatus::Away).is_err());
        assert!(check_manual_change(OperatorStatus::Ready, OperatorStatus::Blocked).is_err());
        assert!(
            check_manual_change(OperatorStatus::Away, OperatorStatus::Ready).is_ok(),
            "return from AWAY"
        );
        assert!(matches!(
            check_manual_change(OperatorStatus::Blocked, OperatorStatus::Ready),
            Err(DomainError::Conflict(_))
        ));
        assert!(check_manual_change(OperatorStatus::Online, OperatorStatus::Offline).is_ok());
    }

    #[test]
    fn custom_statuses_go_with_unavailable() {
        let id = Some(CustomStatusId::new());
        assert!(check_custom_status(OperatorStatus::Unavailable, id).is_ok());
        assert!(check_custom_status(OperatorStatus::Break, id).is_err());
        assert!(check_custom_status(OperatorStatus::Break, None).is_ok());
    }

    #[test]
    fn time_in_status_is_clipped_to_the_period() {
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let stretch = |status, start, end: Option<i64>| status_log::Model {
            id: StatusLogId::new(),
            organization_id: crate::ids::OrganizationId::new(),
            operator_id: crate::ids::OperatorId::new(),
            status,
            custom_status_id: None,
            started_at: at(start),
            ended_at: end.map(at),
        };
        let log = vec![
            stretch(OperatorStatus::Ready, 0, Some(100)),
            stretch(OperatorStatus::Break, 100, Some(160)),
            stretch(OperatorStatus::Ready, 160, None),
        ];
        let totals = time_in_status(&log, at(50), at(200), at(180));
        assert_eq!(totals.len(), 2);
        let ready = StatusTime {
            status: OperatorStatus::Ready,
            custom_status_id: None,
            seconds: 50 + 20,
        };
        assert_eq!(totals[0], ready);
        assert_eq!(totals[1].seconds, 60);
    }

    #[test]
    fn only_ready_takes_new_chats() {
        assert!(takes_new_chats(OperatorStatus::Ready));
        for status in [
            OperatorStatus::Online,
            OperatorStatus::Break,
            OperatorStatus::Leaving,
            OperatorStatus::Away,
            OperatorStatus::Blocked,
        ] {
            assert!(!takes_new_chats(status));
        }
    }
}
