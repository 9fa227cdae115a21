//! The CRM URL of a chat card, so an invitation's "Open" can show the chat in the CRM (C5).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000003_crm_chat_url"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("organization_settings")
                    .add_column(text_null("crm_chat_url_template"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("organization_settings")
                    .drop_column("crm_chat_url_template")
                    .to_owned(),
            )
            .await
    }
}
