//! A chat's life (C, D, E, G, J): hand-off, invitation, assignment, transfer, conference, close
//! and rating; what happens to open chats when their queue or channel is archived; what a caller may see of it; the operator's lists and the history.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod access;
pub(crate) mod archived;
pub(crate) mod assign;
pub(crate) mod close;
pub(crate) mod conference;
pub(crate) mod handoff;
pub(crate) mod history;
pub(crate) mod invitation;
pub(crate) mod lists;
pub(crate) mod rating;
pub(crate) mod rules;
pub(crate) mod transfer;

pub use assign::*;
pub use close::*;
pub use conference::*;
pub use handoff::*;
pub use history::*;
pub use lists::SeenQueues;
pub use rating::*;
pub use rules::*;
pub use transfer::*;
