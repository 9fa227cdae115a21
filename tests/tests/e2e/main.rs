//! End-to-end tests through the public HTTP and GraphQL API, each on SQLite and PostgreSQL.

mod administration;
mod channels;
mod chatbot;
mod concurrency;
mod conversation;
mod crm;
mod crm_sign_in;
mod demo;
mod files;
mod hardening;
mod identity;
mod inputs;
mod isolation;
mod live;
mod outgoing;
mod panel;
mod protocol;
mod retention;
mod schema;
mod secrets;
mod statements;
mod supervision;
mod transfer;
mod webchat;
mod webhooks;
mod workplace;
