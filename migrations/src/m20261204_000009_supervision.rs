//! Supervision (O1). The live view reads the open chats of an organization by status and traffic
//! light, and how long each queue's recent chats waited before an operator took them; these
//! indexes let it do so without scanning the history. A status a supervisor sets for an
//! operator is recorded with who set it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::uuid_null;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000009_supervision"
    }
}

/// Each index: its name and columns on `chats`.
const INDEXES: [(&str, &[&str]); 2] = [
    (
        "idx_chats_open_lights",
        &["organization_id", "status", "traffic_light"],
    ),
    ("idx_chats_queue_accepted", &["queue_id", "accepted_at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("status_log")
                    .add_column(uuid_null("set_by_operator_id"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table("chats");
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table("chats").to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("status_log")
                    .drop_column("set_by_operator_id")
                    .to_owned(),
            )
            .await
    }
}
