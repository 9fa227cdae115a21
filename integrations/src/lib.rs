//! Omnipanel's outside world behind traits: CRM connectors (Creatio over OAuth 2.0 and OData 4,
//! and the built-in local CRM), messaging channels (Telegram Bot API, web chat, generic webhooks)
//! and outbound webhooks. Each integration gets a module with its own error type and timeouts.
//!
//! The connectors land with the CRM and channel work; the data they need (CRM connections,
//! channels, deliveries, inbound receipts) is already in the data model.
