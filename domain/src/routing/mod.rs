//! Routing chats to operators (C): ranking, the row-level steps, offering and handing back, and
//! a waiting customer's place in the queue.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod rank;
pub(crate) mod route;
pub(crate) mod rows;
pub(crate) mod waiting;

pub use rank::*;
pub use rows::*;
pub use waiting::*;
