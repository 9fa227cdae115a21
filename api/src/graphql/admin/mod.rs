//! Administration in GraphQL: what administrators set up.

pub mod mutation;
pub mod query;
pub mod types;
