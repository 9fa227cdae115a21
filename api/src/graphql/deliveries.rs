//! Webhooks for CRM business processes and their delivery log (H4) in GraphQL: the webhooks
//! and deliveries (secrets never), subscribing and changing them, and a failed delivery sent again.

use async_graphql::{ComplexObject, Context, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::deliveries;
use omnipanel_domain::deliveries::{CreateWebhookInput, DeliveryCursor, UpdateWebhookInput};
use omnipanel_domain::entity::{delivery as delivery_entity, webhook};
use omnipanel_domain::enums::{DeliveryKind, DeliveryState, WebhookEvent};
use omnipanel_domain::ids::{ChatId, DeliveryId, WebhookId};

use crate::graphql::context::{call, call_each};
use crate::graphql::page::{Forward, Page, forward};
use crate::graphql::projection::projection;

projection!(
    /// A subscription of a CRM business process to chat events. Its secret is shown only when it
    /// is created.
    Webhook(webhook::Model) + complex {
        id: WebhookId,
        /// Where deliveries are POSTed.
        url: String,
        /// A paused webhook gets no new deliveries.
        active: bool,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

#[ComplexObject]
impl Webhook {
    async fn events(&self) -> Vec<WebhookEvent> {
        deliveries::subscribed(&self.row)
    }
}

projection!(
    /// One outbound delivery: an event to a webhook, or a CRM process started on close.
    Delivery(delivery_entity::Model) + complex {
        /// Also sent as `X-Omnipanel-Delivery`; the same on every attempt.
        id: DeliveryId,
        kind: DeliveryKind,
        webhook_id: Option<WebhookId>,
        #[graphql(name = "event")]
        event_kind: Option<String>,
        chat_id: Option<ChatId>,
        /// PENDING (waiting or retrying), DELIVERED, or FAILED (given up; see lastError).
        state: DeliveryState,
        attempts: i32,
        /// The receiver's last HTTP status.
        last_status: Option<i32>,
        last_error: Option<String>,
        created_at: DateTime<Utc>,
        #[graphql(name = "deliveredAt")]
        sent_at: Option<DateTime<Utc>>,
    }
);

#[ComplexObject]
impl Delivery {
    /// When the next attempt is due, while the delivery is pending.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.row.state == DeliveryState::Pending)
            .then_some(self.row.next_attempt_at)
            .flatten()
    }
    /// The JSON body that is sent.
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.row.payload.clone())
    }
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The organization's webhooks (administrators).
    async fn webhooks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Webhook>> {
        call_each(ctx, |d, a| d.deliveries().webhooks(a)).await
    }

    /// The delivery log, newest first, of one webhook or of all (administrators).
    async fn webhook_deliveries(
        &self, ctx: &Context<'_>, webhook_id: Option<WebhookId>, first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Delivery>> {
        let Forward { first, after } = Forward::ask(first, after)?;
        let after_a_cursor = after.is_some();
        let (rows, has_next) = call(ctx, |d, a| {
            d.deliveries().deliveries(a, webhook_id, first, after)
        })
        .await?;
        Ok(forward(
            after_a_cursor,
            has_next,
            rows,
            DeliveryCursor::of,
            Delivery::from,
        ))
    }
}

/// A new webhook and its signing secret (shown only here).
#[derive(SimpleObject)]
pub struct CreateWebhookPayload {
    pub webhook: Webhook,
    /// The HMAC-SHA256 key of `X-Omnipanel-Signature`. Keep it secret.
    pub secret: String,
}

#[derive(SimpleObject)]
pub struct WebhookPayload {
    pub webhook: Webhook,
}

impl From<omnipanel_domain::entity::webhook::Model> for WebhookPayload {
    fn from(row: omnipanel_domain::entity::webhook::Model) -> Self {
        Self {
            webhook: Webhook::from(row),
        }
    }
}

#[derive(SimpleObject)]
pub struct DeliveryPayload {
    pub delivery: Delivery,
}

impl From<omnipanel_domain::entity::delivery::Model> for DeliveryPayload {
    fn from(row: omnipanel_domain::entity::delivery::Model) -> Self {
        Self {
            delivery: Delivery::from(row),
        }
    }
}

#[derive(InputObject)]
pub struct ArchiveWebhookInput {
    pub id: WebhookId,
}

#[derive(InputObject)]
pub struct RetryDeliveryInput {
    pub id: DeliveryId,
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Subscribes a URL to chat events (administrators).
    async fn create_webhook(
        &self, ctx: &Context<'_>, input: CreateWebhookInput,
    ) -> async_graphql::Result<CreateWebhookPayload> {
        let (hook, secret) = call(ctx, |d, a| d.deliveries().create_webhook(a, input)).await?;
        Ok(CreateWebhookPayload {
            webhook: Webhook::from(hook),
            secret,
        })
    }

    /// Changes a webhook's URL, events or whether it is active (administrators).
    async fn update_webhook(
        &self, ctx: &Context<'_>, input: UpdateWebhookInput,
    ) -> async_graphql::Result<WebhookPayload> {
        call(ctx, |d, a| d.deliveries().update_webhook(a, input))
            .await
            .map(Into::into)
    }

    /// Removes a webhook; its delivery log stays (administrators).
    async fn archive_webhook(
        &self, ctx: &Context<'_>, input: ArchiveWebhookInput,
    ) -> async_graphql::Result<WebhookPayload> {
        call(ctx, |d, a| d.deliveries().archive_webhook(a, input.id))
            .await
            .map(Into::into)
    }

    /// Tries a given-up delivery again (administrators).
    async fn retry_delivery(
        &self, ctx: &Context<'_>, input: RetryDeliveryInput,
    ) -> async_graphql::Result<DeliveryPayload> {
        call(ctx, |d, a| d.deliveries().retry_delivery(a, input.id))
            .await
            .map(Into::into)
    }
}
