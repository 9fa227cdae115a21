//! After-chat work per queue (X6): a queue may give its operators more or less time after a
//! close than the organization's setting; null keeps the organization's.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::integer_null;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000011_queue_after_chat"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("queues")
                    .add_column(integer_null("after_chat_work_secs"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("queues")
                    .drop_column("after_chat_work_secs")
                    .to_owned(),
            )
            .await
    }
}
