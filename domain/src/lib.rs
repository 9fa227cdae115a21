//! Omnipanel's domain: the model (SeaORM entities, newtype ids, enums), its rules, and the
//! services that change state. A service call takes an [`actor::Actor`], checks what the actor
//! may do, validates its input, and changes rows in one transaction. No HTTP and no GraphQL
//! here, except GraphQL derives on input and enum types behind the `graphql` feature.

pub mod actor;
pub mod admin;
pub mod channel;
pub mod chat;
pub mod clock;
pub mod conversation;
pub mod crm;
pub mod crm_sign_in;
pub mod customer;
pub mod delivery;
pub mod demo;
pub mod embedding;
pub mod entity;
pub mod enums;
pub mod error;
pub mod events;
pub mod files;
pub mod history;
pub mod identity;
pub mod ids;
pub mod masking;
pub mod outgoing;
pub mod page;
pub mod presence;
pub mod rating;
pub mod routing;
pub mod secret;
pub mod service;
pub mod settings;
pub mod throttle;
pub mod transfer;
pub mod validate;
pub mod waiting;
pub mod webchat;

pub use actor::{Actor, Principal};
pub use error::{DomainError, Result};
pub use service::{Domain, DomainConfig};
