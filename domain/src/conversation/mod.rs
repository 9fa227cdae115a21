//! What is said in a chat and about it (D, I, X4): messages both ways and paging through them,
//! notes, topics, tags, the traffic light, and new outgoing messages.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod annotations;
pub(crate) mod batched;
pub(crate) mod customer;
pub(crate) mod effect;
pub mod gathering;
pub(crate) mod light;
pub(crate) mod messages;
pub(crate) mod outgoing;
pub(crate) mod reading;
pub(crate) mod said;

pub use annotations::*;
pub use customer::*;
pub use messages::*;
pub use outgoing::*;
pub use reading::*;
