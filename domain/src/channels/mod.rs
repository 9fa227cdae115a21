//! Messaging channels (M): what a channel is, setting one up (and its bot), messages coming in,
//! and web chat.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod admin;
pub(crate) mod bots;
pub(crate) mod config;
pub(crate) mod inbound;
pub(crate) mod webchat;

pub use admin::*;
pub use bots::*;
pub use config::*;
pub use inbound::*;
pub use webchat::*;
