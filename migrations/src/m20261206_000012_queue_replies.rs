//! Per-queue automatic replies and quick replies (001), and conversations a removed channel
//! interrupted (004):
//! - a queue's reply to a customer whose chat has to wait, its out-of-hours reply, and the
//!   weekly hours (with their time zone) that tell the two apart;
//! - quick replies limited to the queues they are linked to (none: every queue's);
//! - when a chat's conversation was interrupted because its channel was archived.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    json_null, string_len_null, text_null, timestamp_with_time_zone_null, uuid,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000012_queue_replies"
    }
}

/// One column per statement: SQLite alters a table one column at a time.
fn added(table: &'static str, column: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(column).to_owned()
}

fn dropped(table: &'static str, column: &'static str) -> TableAlterStatement {
    Table::alter().table(table).drop_column(column).to_owned()
}

const COLUMNS: [(&str, &str); 5] = [
    ("queues", "queued_reply"),
    ("queues", "out_of_hours_reply"),
    ("queues", "working_hours"),
    ("queues", "time_zone"),
    ("chats", "interrupted_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in [
            added("queues", text_null("queued_reply")),
            added("queues", text_null("out_of_hours_reply")),
            added("queues", json_null("working_hours")),
            added("queues", string_len_null("time_zone", 64)),
            added("chats", timestamp_with_time_zone_null("interrupted_at")),
        ] {
            manager.alter_table(statement).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("quick_reply_queues")
                    .col(uuid("quick_reply_id"))
                    .col(uuid("queue_id"))
                    .primary_key(Index::create().col("quick_reply_id").col("queue_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quick_reply_queues_quick_reply_id")
                            .from("quick_reply_queues", "quick_reply_id")
                            .to("quick_replies", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quick_reply_queues_queue_id")
                            .from("quick_reply_queues", "queue_id")
                            .to("queues", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_quick_reply_queues_queue")
                    .table("quick_reply_queues")
                    .col("queue_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("quick_reply_queues").to_owned())
            .await?;
        for (table, column) in COLUMNS {
            manager.alter_table(dropped(table, column)).await?;
        }
        Ok(())
    }
}
