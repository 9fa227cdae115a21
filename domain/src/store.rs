//! The database itself: connecting to SQLite or PostgreSQL with the settings both need, opening
//! write transactions the same way everywhere, and query pieces shared by every capability.

use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, PrimaryKeyTrait, QueryFilter, Select,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

mod nodelay;

use crate::actor::Actor;
use crate::entity::organization;
use crate::error::{DomainError, Result};
use crate::ids::OrganizationId;

/// Connects to SQLite (`sqlite://path`, created if missing, WAL, foreign keys on, a busy timeout)
/// or PostgreSQL (`postgres://…`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        // A burst waits for a connection rather than failing: every transaction holds one
        // connection only, so waiting always ends.
        .acquire_timeout(Duration::from_secs(30))
        // A connection is checked with a round trip before it is handed out only when it sat
        // idle long enough to have been dropped (by the server, a proxy, a firewall); pinging
        // every checkout cost each transaction and each read one round trip more.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    if url.starts_with("sqlite:") {
        options.max_connections(8).min_connections(1);
    } else {
        options.max_connections(20);
        let database = std::sync::Arc::new(nodelay::database_addresses(url).await);
        options.map_sqlx_postgres_pool_opts(move |pool| {
            let database = database.clone();
            pool.after_connect(move |_, _| {
                nodelay::set_on_sockets_to(&database);
                Box::pin(async { Ok(()) })
            })
        });
    }
    Database::connect(options).await
}

/// Opens a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so it takes the write lock at
/// once (waiting up to the busy timeout) instead of failing when a read turns into a write.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Takes an organization's next number of a sequence (`organization::Column::ChatSeq`, …) in the
/// caller's transaction: one `UPDATE … RETURNING`, whose row lock keeps concurrent transactions'
/// numbers apart.
pub async fn next_number(
    db: &impl sea_orm::ConnectionTrait, organization_id: OrganizationId,
    sequence: organization::Column,
) -> Result<i64> {
    let numbers = take_numbers(db, organization_id, &[sequence]).await?;
    Ok(numbers[0])
}

/// Takes an organization's next number of each of `sequences` in one `UPDATE … RETURNING` of its
/// own, outside any transaction: the organization's row is locked for that statement only.
/// [`next_number`] inside a change holds the row until the change commits, so every change of
/// the organization that takes a number waits for the one before it to finish; a change that
/// takes its numbers here first does not. The numbers stay unique and increasing; one taken by a
/// change that then fails is never used (a gap).
pub async fn reserve_numbers(
    db: &sea_orm::DatabaseConnection, organization_id: OrganizationId,
    sequences: &[organization::Column],
) -> Result<Vec<i64>> {
    take_numbers(db, organization_id, sequences).await
}

/// Advances each of `sequences` by one on `db` and returns their new values, in that order.
async fn take_numbers(
    db: &impl sea_orm::ConnectionTrait, organization_id: OrganizationId,
    sequences: &[organization::Column],
) -> Result<Vec<i64>> {
    use sea_orm::sea_query::Query;
    use sea_orm::{ColumnTrait, Iden};
    let mut update = Query::update();
    update
        .table(organization::Entity)
        .and_where(organization::Column::Id.eq(organization_id));
    for sequence in sequences {
        update.value(*sequence, Expr::col(*sequence).add(1));
    }
    update.returning(Query::returning().columns(sequences.iter().copied()));
    let row = db
        .query_one(&update)
        .await?
        .ok_or(DomainError::not_found("organization"))?;
    sequences
        .iter()
        .map(|sequence| Ok(row.try_get("", &sequence.to_string())?))
        .collect()
}

/// An entity whose rows each belong to one organization; `WHAT` names a row in `NOT_FOUND`.
pub trait Owned: EntityTrait {
    const ORGANIZATION: Self::Column;
    const WHAT: &'static str;
}

macro_rules! owned {
    ($($entity:ident: $what:literal),* $(,)?) => {$(
        impl Owned for crate::entity::$entity::Entity {
            const ORGANIZATION: Self::Column = crate::entity::$entity::Column::OrganizationId;
            const WHAT: &'static str = $what;
        }
    )*};
}

owned!(
    api_key: "API key",
    bot_scheme: "bot scheme",
    channel: "channel",
    chat: "chat",
    chat_result: "chat result",
    custom_status: "custom status",
    crm_local_account: "account",
    crm_local_activity: "activity",
    crm_local_case: "case",
    crm_local_contact: "contact",
    customer: "customer",
    delivery: "delivery",
    message: "message",
    operator: "operator",
    queue: "queue",
    quick_reply: "quick reply",
    skill: "skill",
    topic: "topic",
    webhook: "webhook",
    wrap_up_reason: "wrap-up reason",
);

/// An owned entity whose rows are archived rather than deleted.
pub trait Archived: Owned {
    const ARCHIVED_AT: Self::Column;
}

macro_rules! archived {
    ($($entity:ident),* $(,)?) => {$(
        impl Archived for crate::entity::$entity::Entity {
            const ARCHIVED_AT: Self::Column = crate::entity::$entity::Column::ArchivedAt;
        }
    )*};
}

archived!(
    bot_scheme,
    channel,
    chat_result,
    custom_status,
    operator,
    queue,
    quick_reply,
    skill,
    topic,
    webhook,
    wrap_up_reason
);

/// The row `id` if it is the caller's organization's, to narrow further.
pub fn own<E: Owned>(
    actor: &Actor, id: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
) -> Select<E> {
    E::find_by_id(id).filter(E::ORGANIZATION.eq(actor.organization_id))
}

/// The row `id` of the caller's organization; `NOT_FOUND` for any other, so that another
/// organization's ids look the same as ids that never existed.
pub async fn find_own<E: Owned>(
    db: &impl ConnectionTrait, actor: &Actor,
    id: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
) -> Result<E::Model> {
    found::<E>(own::<E>(actor, id).one(db).await?)
}

/// The caller's organization's rows that are not archived, to narrow and order further.
pub fn all_live<E: Archived>(actor: &Actor) -> Select<E> {
    E::find()
        .filter(E::ORGANIZATION.eq(actor.organization_id))
        .filter(E::ARCHIVED_AT.is_null())
}

/// The row `id` if it is the caller's organization's and not archived, to narrow further.
pub fn live<E: Archived>(
    actor: &Actor, id: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
) -> Select<E> {
    own::<E>(actor, id).filter(E::ARCHIVED_AT.is_null())
}

/// The live row an input's `field` names, of the caller's organization; `VALIDATION` on `field`
/// otherwise ("No such queue"): an archived row, another organization's and a missing one are
/// refused alike.
pub async fn find_live<E: Archived>(
    db: &impl ConnectionTrait, actor: &Actor,
    id: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>, field: &'static str,
) -> Result<E::Model> {
    usable::<E>(live::<E>(actor, id).one(db).await?, field)
}

/// `row`, or `VALIDATION` on `field` saying there is no such thing.
pub fn usable<E: Owned>(row: Option<E::Model>, field: &'static str) -> Result<E::Model> {
    row.ok_or_else(|| DomainError::validation(field, format!("No such {}", E::WHAT)))
}

/// `row`, or `NOT_FOUND` naming what was looked for.
pub fn found<E: Owned>(row: Option<E::Model>) -> Result<E::Model> {
    row.ok_or(DomainError::not_found(E::WHAT))
}

/// The relation from the column `from` to the column `to` of another table, for a join the
/// entities do not declare.
pub fn relation<A, B>(from: A, to: B) -> sea_orm::RelationDef
where
    A: ColumnTrait<EntityName: EntityTrait<Column = A>>,
    B: ColumnTrait<EntityName: EntityTrait<Column = B>>,
{
    A::EntityName::belongs_to(B::EntityName::default())
        .from(from)
        .to(to)
        .into()
}

/// `column` contains `text`, ignoring case, with `text` matched literally (not as a pattern).
pub fn contains_text(
    column: impl sea_orm::sea_query::IntoColumnRef, text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    let pattern = format!("%{}%", escape_like(&text.trim().to_lowercase()));
    Expr::expr(Func::lower(Expr::col(column)))
        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\'))
}

/// Escapes `%`, `_` and `\` so a search text matches literally.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
