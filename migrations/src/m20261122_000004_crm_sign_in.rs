//! Sign-in through the CRM (A4): pending authorization-code logins live in the database, so the
//! callback may reach any instance; the scopes asked for are configurable per organization.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000004_crm_sign_in"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("crm_sign_ins")
                    // SHA-256 of the `state` sent to the CRM; the state itself is not kept.
                    .col(string_len("state_digest", 64).primary_key())
                    .col(uuid("organization_id"))
                    // The PKCE verifier, sent with the code; useless without it.
                    .col(string_len("pkce_verifier", 128))
                    // Opened in a popup from the framed panel (the result goes to its opener).
                    .col(boolean("popup"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("crm_sign_ins", "organization_id")
                            .to("organizations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("crm_sign_ins_expires")
                    .table("crm_sign_ins")
                    .col("expires_at")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("crm_connections")
                    .add_column(string_len_null("oauth_scopes", 500))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("crm_connections")
                    .drop_column("oauth_scopes")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("crm_sign_ins").to_owned())
            .await
    }
}
