//! Who may ask (A): organizations and operators' accounts, sessions, API keys, sign-in through
//! the CRM, and the throttling of failed sign-ins.
//!
//! Inside the domain, files import each other by their own paths, never through this face.

pub(crate) mod accounts;
pub(crate) mod api_keys;
pub mod credentials;
pub(crate) mod crm_sign_in;
pub(crate) mod sessions;
pub(crate) mod throttle;

pub use accounts::*;
pub use api_keys::*;
pub use crm_sign_in::*;
pub use sessions::*;
pub use throttle::*;
