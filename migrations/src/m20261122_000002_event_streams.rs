//! Event sequences get a table of their own. Keeping a recipient's counter on the operator (or
//! chat) row made every event lock that row, and transactions that lock operator rows for
//! capacity in one order and for events in another could deadlock. Counters now live in
//! `event_streams` and are taken once, at the end of a transaction, in a fixed order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000002_event_streams"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("event_streams")
                    .col(string_len("recipient_kind", 32))
                    .col(uuid("recipient_id"))
                    .col(big_integer("seq").default(0))
                    .primary_key(Index::create().col("recipient_kind").col("recipient_id"))
                    .to_owned(),
            )
            .await?;
        for table in ["operators", "chats"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("event_seq")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["operators", "chats"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(big_integer("event_seq").default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table("event_streams").to_owned())
            .await
    }
}
