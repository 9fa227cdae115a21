//! The rules of operator statuses (B1), free of services: which statuses take chats, which change
//! a person may make, the status log, and time in status over a period (B3).

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::entity::{operator, organization_settings, status_log};
use crate::enums::{EventKind, OperatorStatus};
use crate::error::{DomainError, Result};
use crate::ids::{CustomStatusId, StatusLogId};
use crate::work::Work;

/// Whether routing may offer new chats to an operator in `status`.
pub fn takes_new_chats(status: OperatorStatus) -> bool {
    status == OperatorStatus::Ready
}

/// Statuses in which the AWAY timer runs: signed in, not already away or blocked.
pub(crate) fn away_timer_runs(status: OperatorStatus) -> bool {
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
pub(crate) fn check_custom_status(
    status: OperatorStatus, custom: Option<CustomStatusId>,
) -> Result<()> {
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
pub(crate) async fn change_status(
    work: &mut Work, current: &operator::Model, status: OperatorStatus,
    custom_status_id: Option<CustomStatusId>,
) -> Result<operator::Model> {
    status_log::Entity::update_many()
        .col_expr(status_log::Column::EndedAt, Expr::value(work.now))
        .filter(status_log::Column::OperatorId.eq(current.id))
        .filter(status_log::Column::EndedAt.is_null())
        .exec(&work.tx)
        .await?;
    status_log::ActiveModel {
        id: Set(StatusLogId::new()),
        organization_id: Set(current.organization_id),
        operator_id: Set(current.id),
        status: Set(status),
        custom_status_id: Set(custom_status_id),
        started_at: Set(work.now),
        ended_at: Set(None),
        set_by_operator_id: Set(None),
    }
    .insert(&work.tx)
    .await?;
    let away_due_at = if away_timer_runs(status) {
        Some(away_due(&work.tx, current, work.now).await?)
    } else {
        None
    };
    let mut model: operator::ActiveModel = current.clone().into();
    model.status = Set(status);
    model.custom_status_id = Set(custom_status_id);
    model.status_since = Set(work.now);
    model.away_due_at = Set(away_due_at);
    if status == OperatorStatus::Offline {
        model.next_status = Set(None);
        model.next_custom_status_id = Set(None);
    }
    update_operator(work, model, json!({ "status": status })).await
}

/// Writes an operator's changed fields and tells their panel what changed (`OPERATOR_UPDATED`
/// with `change`).
pub(crate) async fn update_operator(
    work: &mut Work, model: operator::ActiveModel, change: serde_json::Value,
) -> Result<operator::Model> {
    let updated = work.save(model).await?;
    work.outbox.to_operator(
        updated.organization_id,
        updated.id,
        EventKind::OperatorUpdated,
        None,
        change,
        work.now,
    );
    Ok(updated)
}

/// When an operator active now goes AWAY if nothing else happens.
pub(crate) async fn away_due(
    db: &impl ConnectionTrait, op: &operator::Model, now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let minutes = organization_settings::Entity::find_by_id(op.organization_id)
        .one(db)
        .await?
        .map_or(10, |s| s.away_after_minutes);
    Ok(now + Duration::minutes(i64::from(minutes)))
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
    log: &[status_log::Model], from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::status_log;
    use crate::enums::OperatorStatus;
    use crate::error::DomainError;
    use chrono::DateTime;

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
            set_by_operator_id: None,
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
