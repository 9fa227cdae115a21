//! Operator presence (B). This module holds the one way a status changes, so that the status log
//! (B3) is always written beside it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::entity::{operator, status_log};
use crate::enums::OperatorStatus;
use crate::error::Result;
use crate::ids::{CustomStatusId, StatusLogId};

/// Moves an operator to `status`, closing the open status-log stretch and opening the next one.
pub async fn change_status(
    db: &impl ConnectionTrait,
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
    let mut model: operator::ActiveModel = current.clone().into();
    model.status = Set(status);
    model.custom_status_id = Set(custom_status_id);
    model.status_since = Set(now);
    model.updated_at = Set(now);
    Ok(model.update(db).await?)
}
