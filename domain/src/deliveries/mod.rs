//! Reliable outbound delivery (M2, H4): webhooks and channel messages queued in the transaction
//! that causes them, sent by every instance's worker with retries.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod queue;
pub(crate) mod webhooks;

pub use queue::*;
pub use webhooks::*;
