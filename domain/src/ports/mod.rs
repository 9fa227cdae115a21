//! The ports: what the domain needs from outside (a CRM, a messenger's bot set-up, a file store,
//! a clock, a publisher of events), each with its local default beside it. Services depend on these traits only; the
//! server plugs real ones in (`omnipanel-integrations` implements the CRM port for Creatio).
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod clock;
pub(crate) mod crm;
pub(crate) mod events;
pub(crate) mod files;
pub(crate) mod local_crm;
pub(crate) mod messengers;

pub use clock::*;
pub use crm::*;
pub use events::*;
pub use files::*;
pub use local_crm::*;
pub use messengers::*;
