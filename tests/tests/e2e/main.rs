//! End-to-end tests through the public HTTP and GraphQL API, each on SQLite and PostgreSQL.

mod administration;
mod hardening;
mod identity;
mod schema;
mod workplace;
