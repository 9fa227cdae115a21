//! Omnipanel's domain: the model (SeaORM entities, newtype ids, enums), its rules, and the
//! services that change state. A service call takes an [`actor::Actor`], checks what the actor
//! may do, validates its input, and changes rows in one transaction. No HTTP and no GraphQL
//! here, except GraphQL derives on input and enum types behind the `graphql` feature.
//!
//! The house, from the ground up:
//! - the model and its vocabulary: `ids`, `enums`, `entity`, `error`, `actor`, `validate`,
//!   `secret`, `page`, `masking`, `customer`;
//! - `ports`: what the domain needs from outside (CRM, file store, clock, event publisher), with
//!   local defaults;
//! - `events` (the outbox) and `service` (the context, [`Domain`], and its capabilities);
//! - one folder per capability, each service a small type [`Domain`] hands out: `identity`,
//!   `admin`, `presence`, `routing`, `chat`, `conversation`, `crm`, `channels`, `deliveries`,
//!   `supervision`, and `files` and `timers`; `demo` seeds the demo organization through them.
//!
//! Inside a capability, rules free of the database (`chat::rules`, `presence::rules`,
//! `routing::rank`) sit below the services that use them; no two files import each other.

pub mod actor;
pub mod admin;
pub mod channels;
pub mod chat;
pub mod conversation;
pub mod crm;
pub mod customer;
pub mod deliveries;
pub mod demo;
pub mod entity;
pub mod enums;
pub mod error;
pub mod event_tails;
pub mod events;
pub mod files;
pub mod identity;
pub mod ids;
pub mod masking;
pub(crate) mod numbering;
pub mod page;
pub mod ports;
pub mod presence;
pub mod retention;
pub mod routing;
pub mod sealed_rows;
pub mod sealing;
pub mod secret;
pub mod service;
pub mod store;
pub mod supervision;
pub mod sweep;
pub mod timers;
pub mod upstream;
pub mod validate;
pub(crate) mod work;

pub use actor::{Actor, Principal};
pub use error::{DomainError, Result};
pub use service::{Domain, DomainConfig};
