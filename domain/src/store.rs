//! The database itself: connecting to SQLite or PostgreSQL with the settings both need, opening
//! write transactions the same way everywhere, and query pieces shared by every capability.

use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

mod nodelay;

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

/// Takes an organization's next number of a sequence (`organization::Column::ChatSeq`, …): one
/// `UPDATE … RETURNING`, whose row lock keeps concurrent transactions' numbers apart.
pub async fn next_number(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: OrganizationId,
    sequence: organization::Column,
) -> Result<i64> {
    use sea_orm::sea_query::Query;
    use sea_orm::{ColumnTrait, Iden};
    let update = Query::update()
        .table(organization::Entity)
        .value(sequence, Expr::col(sequence).add(1))
        .and_where(organization::Column::Id.eq(organization_id))
        .returning_col(sequence)
        .to_owned();
    db.query_one(&update)
        .await?
        .ok_or(DomainError::not_found("organization"))?
        .try_get("", &sequence.to_string())
        .map_err(Into::into)
}

/// `column` contains `text`, ignoring case, with `text` matched literally (not as a pattern).
pub fn contains_text(
    column: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
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
