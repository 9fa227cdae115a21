//! Supervision (O1, O2): what supervisors see of their floor, what they change on it, and
//! the reports over it. A supervisor sees the queues they
//! belong to and the operators in them; managers, administrators and the owner (and API keys of
//! scope ADMIN) see the whole organization.

mod closed_days;
mod overview;
mod report_rules;
mod reports;
mod status;

pub use overview::{LightCounts, LiveOverview, QueueFigures};
pub use report_rules::{ReportGroup, ReportInput, ReportKind, ReportRow};
pub use reports::Report;
pub use status::SetOperatorStatusInput;

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use crate::actor::{Actor, Principal};
use crate::entity::queue_member;
use crate::enums::{ApiKeyScope, Role};
use crate::error::{DomainError, Result};
use crate::ids::QueueId;

/// The part of the organization a supervisor oversees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Floor {
    /// Everything in the organization.
    Organization,
    /// These queues and the operators who belong to them.
    Queues(Vec<QueueId>),
}

impl Floor {
    /// The caller's floor, or `FORBIDDEN` below SUPERVISOR.
    pub(crate) async fn of(db: &impl ConnectionTrait, actor: &Actor) -> Result<Self> {
        match actor.principal {
            Principal::ApiKey {
                scope: ApiKeyScope::Admin,
                ..
            } => Ok(Self::Organization),
            Principal::ApiKey { .. } => Err(DomainError::forbidden(
                "This needs a supervisor or an API key of scope ADMIN",
            )),
            Principal::Operator { .. } => {
                let (me, role) = actor.require_role(Role::Supervisor)?;
                if role.at_least(Role::Manager) {
                    return Ok(Self::Organization);
                }
                let queues = queue_member::Entity::find()
                    .select_only()
                    .column(queue_member::Column::QueueId)
                    .filter(queue_member::Column::OperatorId.eq(me))
                    .into_tuple()
                    .all(db)
                    .await?;
                Ok(Self::Queues(queues))
            }
        }
    }

    /// Whether the floor includes the queue.
    pub(crate) fn covers(&self, queue: QueueId) -> bool {
        match self {
            Self::Organization => true,
            Self::Queues(queues) => queues.contains(&queue),
        }
    }

    /// The operators of a supervisor's `queues` (those of the floor the caller reads), as a
    /// subquery; `None` for the whole organization.
    pub(crate) fn members(&self, queues: &[QueueId]) -> Option<SelectStatement> {
        match self {
            Self::Organization => None,
            Self::Queues(_) => Some(
                queue_member::Entity::find()
                    .select_only()
                    .column(queue_member::Column::OperatorId)
                    .filter(queue_member::Column::QueueId.is_in(queues.iter().copied()))
                    .into_query(),
            ),
        }
    }
}
