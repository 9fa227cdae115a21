//! The CRM (H): the organization's connection, customers matched to contacts, a chat's CRM records,
//! and the URLs the panel embeds.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod connection;
pub(crate) mod embedding;
pub(crate) mod links;
pub(crate) mod matching;

pub use connection::*;
pub use embedding::*;
pub use links::*;
