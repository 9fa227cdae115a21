//! A chat's life in GraphQL, with its live events.

pub mod events;
pub mod mutation;
pub mod query;
pub mod queue_events;
pub mod types;
