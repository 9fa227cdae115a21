//! Identity in GraphQL: signing in and out, invitations, profiles, API keys.

pub mod mutation;
pub mod query;
pub mod types;
