//! What is said in a chat, in GraphQL.

pub mod mutation;
pub mod types;
