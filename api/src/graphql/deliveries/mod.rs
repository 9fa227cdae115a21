//! Webhooks for CRM business processes and their delivery log (H4), in GraphQL.

pub mod mutation;
pub mod query;
pub mod types;
