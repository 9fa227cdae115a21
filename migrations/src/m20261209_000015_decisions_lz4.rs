//! A routing decision keeps every candidate routing weighed (X2): for a queue of 200 members its
//! `candidates` are some 30 KB of JSON, which PostgreSQL compresses as it stores them. With its
//! default, pglz, that compression is most of what a routed hand-off's decision costs to write
//! (pgbench, 200 candidates: 0.89–1.09 ms a decision with pglz, 0.59–0.61 ms with lz4, the same
//! size on disk: the operators' ids do not compress). So the column compresses with lz4 where the
//! server was built with it (PostgreSQL 14 and later, as Debian's and the official images are);
//! decisions written before keep their pglz and read as before. SQLite stores the text as it is:
//! nothing changes there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000015_decisions_lz4"
    }
}

/// Sets the decisions' compression to `method` where the server has lz4.
async fn compress_with(manager: &SchemaManager<'_>, method: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let has_lz4 = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT 1 FROM pg_settings \
             WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)",
        ))
        .await?
        .is_some();
    if has_lz4 {
        db.execute_unprepared(&format!(
            "ALTER TABLE routing_decisions ALTER COLUMN candidates SET COMPRESSION {method}"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        compress_with(manager, "lz4").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        compress_with(manager, "default").await
    }
}
