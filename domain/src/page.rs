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
    at_column: C, id_column: C, at: V, id: I, order: Order,
) -> Condition {
    let (beyond_at, beyond_id): (SimpleExpr, SimpleExpr) = match order {
        Order::OldestFirst => (at_column.gt(at.clone()), id_column.gt(id)),
        Order::NewestFirst => (at_column.lt(at.clone()), id_column.lt(id)),
    };
    Condition::any()
        .add(beyond_at)
        .add(Condition::all().add(at_column.eq(at)).add(beyond_id))
}

/// A list's cursor: the instant and the id of the row a page continues after.
pub trait Keyset {
    fn keyset(&self) -> (DateTime<Utc>, sea_orm::Value);
}

/// Makes cursors of `created_at` and `id` fields [`Keyset`]s (invoked beside each cursor, so that
/// this file names none of the lists that use it).
macro_rules! keyset {
    ($($cursor:ty),* $(,)?) => {$(
        impl $crate::page::Keyset for $cursor {
            fn keyset(&self) -> (chrono::DateTime<chrono::Utc>, sea_orm::Value) {
                (self.created_at, self.id.into())
            }
        }
    )*};
}

/// A cursor written as the pair itself (`MessageCursor`).
impl<I: Into<sea_orm::Value> + Copy> Keyset for (DateTime<Utc>, I) {
    fn keyset(&self) -> (DateTime<Utc>, sea_orm::Value) {
        (self.0, self.1.into())
    }
}

pub(crate) use keyset;

/// Reads `first` rows of `query` ordered by `(at, id)` in `order`, after the cursor when there
/// is one, and whether more follow.
pub async fn read<E, C>(
    db: &impl ConnectionTrait, mut query: Select<E>, (at_column, id_column): (C, C), order: Order,
    cursor: Option<impl Keyset>, first: u64,
) -> Result<(Vec<E::Model>, bool)>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    if let Some((at, id)) = cursor.as_ref().map(Keyset::keyset) {
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
