//! Webhooks subscribed, changed and archived; a failed delivery sent again.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use omnipanel_domain::deliveries::{CreateWebhookInput, UpdateWebhookInput};

use omnipanel_domain::ids::{DeliveryId, WebhookId};

use crate::graphql::context::call;
use crate::graphql::deliveries::types::{Delivery, Webhook};

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
            webhook: Webhook(row),
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
            delivery: Delivery(row),
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
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookInput,
    ) -> async_graphql::Result<CreateWebhookPayload> {
        let (hook, secret) = call(ctx, |d, a| d.deliveries().create_webhook(a, input)).await?;
        Ok(CreateWebhookPayload {
            webhook: Webhook(hook),
            secret,
        })
    }

    /// Changes a webhook's URL, events or whether it is active (administrators).
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookInput,
    ) -> async_graphql::Result<WebhookPayload> {
        call(ctx, |d, a| d.deliveries().update_webhook(a, input))
            .await
            .map(Into::into)
    }

    /// Removes a webhook; its delivery log stays (administrators).
    async fn archive_webhook(
        &self,
        ctx: &Context<'_>,
        input: ArchiveWebhookInput,
    ) -> async_graphql::Result<WebhookPayload> {
        call(ctx, |d, a| d.deliveries().archive_webhook(a, input.id))
            .await
            .map(Into::into)
    }

    /// Tries a given-up delivery again (administrators).
    async fn retry_delivery(
        &self,
        ctx: &Context<'_>,
        input: RetryDeliveryInput,
    ) -> async_graphql::Result<DeliveryPayload> {
        call(ctx, |d, a| d.deliveries().retry_delivery(a, input.id))
            .await
            .map(Into::into)
    }
}
