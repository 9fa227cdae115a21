//! Messaging channels in GraphQL (M1), and new outgoing messages (I).

pub mod mutation;
pub mod query;
pub mod types;
