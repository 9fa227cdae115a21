//! Keyset pages: lists ordered by a time and an id, read after a cursor without OFFSET, so a
//! page costs the same at row ten and at row ten million.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

use crate::error::Result;

/// Which way a list runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

/// Rows after the cursor `(at, id)` in `order`, for columns `at_column` and `id_column`.
pub fn after<C: ColumnTrait, V: Into<sea_orm::Value> + Clone, I: Into<sea_orm::Value> + Clone>(
    at_column: C,
    id_column: C,
    at: V,
    id: I,
    order: Order,
) -> Condition {
    let (beyond_at, beyond_id): (SimpleExpr, SimpleExpr) = match order {
        Order::OldestFirst => (at_column.gt(at.clone()), id_column.gt(id)),
        Order::NewestFirst => (at_column.lt(at.clone()), id_column.lt(id)),
    };
    Condition::any()
        .add(beyond_at)
        .add(Condition::all().add(at_column.eq(at)).add(beyond_id))
}

/// Reads `first` rows of `query` ordered by `(at, id)` in `order`, after the cursor `(at, id)`
/// when there is one, and whether more follow.
pub async fn read<E, C>(
    db: &impl ConnectionTrait,
    mut query: Select<E>,
    (at_column, id_column): (C, C),
    order: Order,
    cursor: Option<(DateTime<Utc>, sea_orm::Value)>,
    first: u64,
) -> Result<(Vec<E::Model>, bool)>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    if let Some((at, id)) = cursor {
        query = query.filter(after(at_column, id_column, at, id, order));
    }
    let query = match order {
        Order::OldestFirst => query.order_by_asc(at_column).order_by_asc(id_column),
        Order::NewestFirst => query.order_by_desc(at_column).order_by_desc(id_column),
    };
    let mut rows = query.limit(first + 1).all(db).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok((rows, more))
}
