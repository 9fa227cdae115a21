//! Quick replies that are approved message templates (WhatsApp HSM): the only messages that may
//! open a WhatsApp conversation or reopen one after the 24-hour window (I3, X4).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000005_templates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("quick_replies")
                    .add_column(boolean("is_template").default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("quick_replies")
                    .drop_column("is_template")
                    .to_owned(),
            )
            .await
    }
}
