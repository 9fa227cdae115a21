//! Reports (O2) read an organization's chats closed in a period; this index finds them without
//! reading the other organizations' chats closed in the same days.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000010_reports"
    }
}

const INDEX: &str = "idx_chats_org_closed";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table("chats")
                    .col("organization_id")
                    .col("closed_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table("chats").to_owned())
            .await
    }
}
