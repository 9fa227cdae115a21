//! Omnipanel's database migrations.
//!
//! The same migration files run on embedded SQLite and on PostgreSQL, so they use only what both
//! support: UUID primary keys, text-valued enums (no PostgreSQL enum types), JSON columns and plain
//! indexes. Never edit a migration that has been applied anywhere: add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261122_000002_event_streams;
mod m20261122_000003_crm_chat_url;
mod m20261122_000004_crm_sign_in;
mod m20261122_000005_templates;
mod m20261122_000006_history_search;
mod m20261202_000007_case_claim;
mod m20261203_000008_retention;
mod m20261204_000009_supervision;
mod m20261205_000010_reports;
mod m20261205_000011_queue_after_chat;
mod m20261206_000012_queue_replies;
mod m20261207_000013_events_one_age_index;
mod m20261208_000014_closed_chats_by_day;
mod m20261209_000015_decisions_lz4;

/// Runs every migration in order; `omnipanel migrate` and `omnipanel serve` call it.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_event_streams::Migration),
            Box::new(m20261122_000003_crm_chat_url::Migration),
            Box::new(m20261122_000004_crm_sign_in::Migration),
            Box::new(m20261122_000005_templates::Migration),
            Box::new(m20261122_000006_history_search::Migration),
            Box::new(m20261202_000007_case_claim::Migration),
            Box::new(m20261203_000008_retention::Migration),
            Box::new(m20261204_000009_supervision::Migration),
            Box::new(m20261205_000010_reports::Migration),
            Box::new(m20261205_000011_queue_after_chat::Migration),
            Box::new(m20261206_000012_queue_replies::Migration),
            Box::new(m20261207_000013_events_one_age_index::Migration),
            Box::new(m20261208_000014_closed_chats_by_day::Migration),
            Box::new(m20261209_000015_decisions_lz4::Migration),
        ]
    }
}
