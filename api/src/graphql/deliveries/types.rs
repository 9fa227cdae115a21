//! Webhooks and their delivery log as GraphQL shows them (secrets never).

use async_graphql::{Json, Object};
use chrono::{DateTime, Utc};

use omnipanel_domain::deliveries;
use omnipanel_domain::entity::{delivery as delivery_entity, webhook};
use omnipanel_domain::enums::{DeliveryKind, DeliveryState, WebhookEvent};
use omnipanel_domain::ids::{ChatId, DeliveryId, WebhookId};

/// A subscription of a CRM business process to chat events. Its secret is shown only when it
/// is created.
pub struct Webhook(pub webhook::Model);

#[Object]
impl Webhook {
    async fn id(&self) -> WebhookId {
        self.0.id
    }
    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn events(&self) -> Vec<WebhookEvent> {
        deliveries::subscribed(&self.0)
    }
    /// A paused webhook gets no new deliveries.
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One outbound delivery: an event to a webhook, or a CRM process started on close.
pub struct Delivery(pub delivery_entity::Model);

#[Object]
impl Delivery {
    /// Also sent as `X-Omnipanel-Delivery`; the same on every attempt.
    async fn id(&self) -> DeliveryId {
        self.0.id
    }
    async fn kind(&self) -> DeliveryKind {
        self.0.kind
    }
    async fn webhook_id(&self) -> Option<WebhookId> {
        self.0.webhook_id
    }
    async fn event(&self) -> Option<&str> {
        self.0.event_kind.as_deref()
    }
    async fn chat_id(&self) -> Option<ChatId> {
        self.0.chat_id
    }
    /// PENDING (waiting or retrying), DELIVERED, or FAILED (given up; see lastError).
    async fn state(&self) -> DeliveryState {
        self.0.state
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The receiver's last HTTP status.
    async fn last_status(&self) -> Option<i32> {
        self.0.last_status
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When the next attempt is due, while the delivery is pending.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.state == DeliveryState::Pending)
            .then_some(self.0.next_attempt_at)
            .flatten()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    /// The JSON body that is sent.
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.0.payload.clone())
    }
}
