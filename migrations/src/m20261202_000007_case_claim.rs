//! A chat's claim on the CRM case being created for it (H2): `createCaseFromChat` takes it in
//! one conditional update before it calls the CRM, so two simultaneous calls make one case, not
//! one linked and one orphaned in the CRM. A claim older than the longest CRM call is stale
//! (its server stopped mid-call) and may be taken again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::timestamp_with_time_zone_null;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000007_case_claim"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("chats")
                    .add_column(timestamp_with_time_zone_null("crm_case_claimed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("chats")
                    .drop_column("crm_case_claimed_at")
                    .to_owned(),
            )
            .await
    }
}
