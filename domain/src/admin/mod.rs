//! What administrators set up: queues (with their automatic replies and hours), dictionaries, quick replies, topics, operators and the
//! organization's settings.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod dictionaries;
pub(crate) mod operators;
pub(crate) mod queues;
pub(crate) mod quick_replies;
pub(crate) mod settings;
pub(crate) mod topics;
pub(crate) mod working_hours;

pub use dictionaries::*;
pub use operators::*;
pub use queues::*;
pub use quick_replies::*;
pub use settings::*;
pub use topics::*;
pub use working_hours::*;
