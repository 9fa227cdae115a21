//! Creatio over OAuth 2.0 (client credentials against the identity service) and OData 4
//! (`../shared/CREATIO.md`).
//!
//! - The access token is cached per organization and renewed shortly before it expires and once
//!   after a 401.
//! - Every call sends `Accept: application/json`, the OData content type and `$select`.
//! - Reads are retried with exponential backoff on 429 and 5xx; writes only on 429 and 503 (the
//!   answers that say nothing was done), so a retried write never makes a second case.
//! - Every failure becomes `UPSTREAM` naming the call, the status and the CRM's own message.

mod client;
mod connector;
mod records;
mod settings;
mod token;

pub use client::{CreatioCrm, ODATA_CONTENT_TYPE};
pub use settings::CreatioSettings;
pub use token::TokenCache;
