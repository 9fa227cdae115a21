//! A supervisor sets an operator's status from the live view (O1): signs out an operator who
//! left with chats open (which hands those chats back to their queues, X7), sends one on a
//! break, or makes one READY. The status log records who set it.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use validator::Validate;

use crate::actor::{Actor, Principal};
use crate::entity::{operator, queue_member, status_log};
use crate::enums::{OperatorStatus, Role};
use crate::error::{DomainError, Result};
use crate::ids::{CustomStatusId, OperatorId};
use crate::presence::rules::{change_status, check_custom_status};
use crate::service::{Supervision, retried};
use crate::supervision::Floor;

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetOperatorStatusInput {
    /// An operator on the caller's floor, of a lower role than the caller's.
    pub operator_id: OperatorId,
    /// Any status but AWAY and BLOCKED, which the server sets.
    pub status: OperatorStatus,
    /// An admin-defined custom status, with UNAVAILABLE.
    pub custom_status_id: Option<CustomStatusId>,
}

impl Supervision<'_> {
    retried! {
        /// Sets the status of an operator on the caller's floor (SUPERVISOR and above, for lower
        /// roles). OFFLINE hands their chats back to their queues (X7); READY offers waiting chats.
        pub async fn set_operator_status(SetOperatorStatusInput) -> operator::Model = set_operator_status_once, operator_id = %input.operator_id;
    }

    /// One attempt of [`Self::set_operator_status`].
    async fn set_operator_status_once(
        self, actor: &Actor, input: SetOperatorStatusInput,
    ) -> Result<operator::Model> {
        if matches!(input.status, OperatorStatus::Away | OperatorStatus::Blocked) {
            return Err(DomainError::validation(
                "status",
                "AWAY and BLOCKED are set by the server only",
            ));
        }
        check_custom_status(input.status, input.custom_status_id)?;
        if actor.operator_id() == Some(input.operator_id) {
            return Err(DomainError::validation(
                "operatorId",
                "Your own status is set with setMyStatus",
            ));
        }
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let floor = Floor::of(&work.tx, actor).await?;
        let target = crate::routing::rows::lock_operator(&work.tx, input.operator_id)
            .await?
            .filter(|op| op.organization_id == actor.organization_id && op.archived_at.is_none())
            .ok_or_else(|| DomainError::validation("operatorId", "No such operator"))?;
        if !on_floor(&work.tx, &floor, &target).await? {
            return Err(DomainError::validation("operatorId", "No such operator"));
        }
        if let Principal::Operator { role, .. } = actor.principal
            && !outranks(role, target.role)
        {
            return Err(DomainError::forbidden(
                "Only an operator of a lower role than yours",
            ));
        }
        self.domain
            .presence()
            .check_custom_status_exists(&work.tx, actor, input.custom_status_id)
            .await?;
        let changed =
            change_status(&mut work, &target, input.status, input.custom_status_id).await?;
        status_log::Entity::update_many()
            .col_expr(
                status_log::Column::SetByOperatorId,
                Expr::value(actor.operator_id()),
            )
            .filter(status_log::Column::OperatorId.eq(target.id))
            .filter(status_log::Column::EndedAt.is_null())
            .exec(&work.tx)
            .await?;
        let changed = self
            .domain
            .presence()
            .after_presence_change(&mut work, &target, changed)
            .await?;
        self.domain.commit(work).await?;
        tracing::info!(
            operator_id = %target.id,
            status = input.status.as_str(),
            by = ?actor.operator_id(),
            "a supervisor set an operator's status"
        );
        Ok(changed)
    }
}

/// Whether an operator of `role` may set the status of one of `target`'s.
fn outranks(role: Role, target: Role) -> bool {
    role.at_least(Role::Supervisor) && role.at_least(target) && role != target
}

/// Whether the operator belongs to the floor: anyone in the organization, or a member of one of
/// the supervisor's queues.
async fn on_floor(
    db: &impl ConnectionTrait, floor: &Floor, target: &operator::Model,
) -> Result<bool> {
    match floor {
        Floor::Organization => Ok(true),
        Floor::Queues(queues) => Ok(queue_member::Entity::find()
            .filter(queue_member::Column::OperatorId.eq(target.id))
            .filter(queue_member::Column::QueueId.is_in(queues.iter().copied()))
            .count(db)
            .await?
            > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supervisors_set_the_status_of_lower_roles_only() {
        assert!(outranks(Role::Supervisor, Role::Operator));
        assert!(outranks(Role::Owner, Role::Admin));
        assert!(!outranks(Role::Supervisor, Role::Supervisor));
        assert!(!outranks(Role::Supervisor, Role::Manager));
        assert!(!outranks(Role::Operator, Role::Operator));
    }
}
