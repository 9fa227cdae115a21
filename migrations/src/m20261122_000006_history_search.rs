//! History at scale (J1): who handled a chat is found through an index on the responsibility
//! history, and on PostgreSQL the conversation text has a trigram index (`pg_trgm`), so a
//! search for words in a million chats reads the index instead of every message. Where the
//! extension is not available the search still works, by scanning.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000006_history_search"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("chat_assignments_operator")
                    .table("chat_assignments")
                    .col("operator_id")
                    .col("chat_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("chats_status")
                    .table("chats")
                    .col("organization_id")
                    .col("status")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let available = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'",
                ))
                .await?
                .is_some();
            if available {
                db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                    .await?;
                db.execute_unprepared(
                    "CREATE INDEX messages_text_trgm ON messages USING gin (lower(text) gin_trgm_ops)",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP INDEX IF EXISTS messages_text_trgm")
                .await?;
        }
        manager
            .drop_index(Index::drop().name("chats_status").table("chats").to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("chat_assignments_operator")
                    .table("chat_assignments")
                    .to_owned(),
            )
            .await
    }
}
