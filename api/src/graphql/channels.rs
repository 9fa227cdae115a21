//! Messaging channels in GraphQL (M1): their administration, and sending a failed message
//! again (M2).

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::channel::{self, CreateChannelInput, config_of, is_generic};
use omnipanel_domain::entity::channel as channel_entity;
use omnipanel_domain::enums::ChannelKind;
use omnipanel_domain::ids::{ChannelId, MessageId, QueueId};

use super::workplace::Message;
use super::{Gql, actor, domain};

/// A messaging channel. Its bot token and secret are never shown.
pub struct Channel(channel_entity::Model);

#[Object]
impl Channel {
    async fn id(&self) -> ChannelId {
        self.0.id
    }
    async fn kind(&self) -> ChannelKind {
        self.0.kind
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The provider outgoing messages go through (telegram, infobip_whatsapp, …).
    async fn provider(&self) -> &str {
        &self.0.provider
    }
    /// The sender the provider shows.
    async fn gateway(&self) -> Option<&str> {
        self.0.gateway.as_deref()
    }
    /// Where new conversations go; without one they start with the bot.
    async fn queue_id(&self) -> Option<QueueId> {
        config_of(&self.0).queue_id
    }
    async fn auto_close_after_secs(&self) -> Option<i32> {
        self.0.auto_close_after_secs
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The address a channel's provider sends updates to.
fn webhook_url(ctx: &Context<'_>, found: &channel_entity::Model) -> Option<String> {
    let base = domain(ctx).config.public_url.as_str().trim_end_matches('/');
    match found.kind {
        ChannelKind::Telegram => Some(format!("{base}/webhooks/telegram/{}", found.id)),
        kind if is_generic(kind) => Some(format!("{base}/webhooks/generic/{}", found.id)),
        _ => None,
    }
}

#[derive(SimpleObject)]
pub struct CreateChannelPayload {
    pub channel: Channel,
    /// Telegram: pass as `secret_token` to `setWebhook`; generic channels: the HMAC key of
    /// both directions. Shown only here.
    pub secret: String,
    /// Where the provider sends updates (none for web chat).
    pub webhook_url: Option<String>,
}

#[derive(SimpleObject)]
pub struct ChannelPayload {
    pub channel: Channel,
}

#[derive(SimpleObject)]
pub struct RetryMessagePayload {
    pub message: Message,
}

#[derive(InputObject)]
pub struct ArchiveChannelInput {
    pub id: ChannelId,
}

#[derive(InputObject)]
pub struct RetryMessageInput {
    pub message_id: MessageId,
}

#[derive(Default)]
pub struct ChannelQuery;

#[Object]
impl ChannelQuery {
    /// The organization's channels.
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        let rows = domain(ctx).channels(actor(ctx)?).await.gql()?;
        Ok(rows.into_iter().map(Channel).collect())
    }
}

#[derive(Default)]
pub struct ChannelMutation;

#[Object]
impl ChannelMutation {
    /// Creates a channel (administrators); its secret is shown only in the answer.
    async fn create_channel(
        &self,
        ctx: &Context<'_>,
        input: CreateChannelInput,
    ) -> async_graphql::Result<CreateChannelPayload> {
        let channel::CreatedChannel { channel, secret } =
            domain(ctx).create_channel(actor(ctx)?, input).await.gql()?;
        Ok(CreateChannelPayload {
            webhook_url: webhook_url(ctx, &channel),
            channel: Channel(channel),
            secret,
        })
    }

    /// Stops a channel: its inbound requests are refused from now on (administrators).
    async fn archive_channel(
        &self,
        ctx: &Context<'_>,
        input: ArchiveChannelInput,
    ) -> async_graphql::Result<ChannelPayload> {
        let channel = domain(ctx)
            .archive_channel(actor(ctx)?, input.id)
            .await
            .gql()?;
        Ok(ChannelPayload {
            channel: Channel(channel),
        })
    }

    /// Sends a message whose delivery failed once more (M2).
    async fn retry_message(
        &self,
        ctx: &Context<'_>,
        input: RetryMessageInput,
    ) -> async_graphql::Result<RetryMessagePayload> {
        let message = domain(ctx)
            .retry_message(actor(ctx)?, input.message_id)
            .await
            .gql()?;
        Ok(RetryMessagePayload {
            message: Message(message),
        })
    }
}
