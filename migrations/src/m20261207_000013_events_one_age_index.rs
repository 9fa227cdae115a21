//! The event outbox had two identical indexes on `created_at` (the first migration's, which the
//! retention migration repeated under another name). Every event written updated both; the
//! first stays, and pruning by age reads it.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000013_events_one_age_index"
    }
}

const INDEX: &str = "idx_events_retention";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table("events").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table("events")
                    .col("created_at")
                    .to_owned(),
            )
            .await
    }
}
