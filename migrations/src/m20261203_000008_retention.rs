//! Retention (S2): each organization says how long it keeps the event outbox, the delivery log,
//! inbound receipts and the status log (closed chats too, if it sets a chat retention; by
//! default history is kept), and the timer prunes what is older in bounded batches. The indexes
//! let each batch find its oldest rows without a scan.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, integer_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000008_retention"
    }
}

/// The settings' new columns and their defaults (days; `None`: kept for good).
const POLICIES: [(&str, Option<i32>); 5] = [
    ("event_retention_days", Some(30)),
    ("delivery_log_retention_days", Some(90)),
    ("receipt_retention_days", Some(7)),
    ("status_log_retention_days", Some(400)),
    ("chat_retention_days", None),
];

/// What the pruning reads by age.
const AGES: [(&str, &str); 9] = [
    ("events", "created_at"),
    ("deliveries", "created_at"),
    ("inbound_receipts", "received_at"),
    ("status_log", "ended_at"),
    ("sessions", "expires_at"),
    ("oauth_login_states", "expires_at"),
    ("crm_sign_ins", "expires_at"),
    ("sign_in_throttles", "last_failure_at"),
    ("chats", "closed_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for (column, default) in POLICIES {
            let column = match default {
                Some(days) => integer(column).default(days).to_owned(),
                None => integer_null(column),
            };
            manager
                .alter_table(
                    Table::alter()
                        .table("organization_settings")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for (table, column) in AGES {
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_retention"))
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, _) in AGES {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_retention"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        for (column, _) in POLICIES {
            manager
                .alter_table(
                    Table::alter()
                        .table("organization_settings")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
