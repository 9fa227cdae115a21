//! Operators' presence (B): statuses and their rules, the status log, AWAY, call state.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod rules;
pub(crate) mod status;

pub use rules::*;
pub use status::*;
