//! Messaging channels in GraphQL (M1): the channels, whom a new outgoing message may reach (I),
//! channels set up and archived, new outgoing messages, failed messages sent again.

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::channels::{
    ChangeBotTokenInput, CreateChannelInput, SetChannelQueuesInput, UpdateChannelInput, config_of,
    inbound_url,
};
use omnipanel_domain::conversation;
use omnipanel_domain::conversation::SendOutgoingMessageInput;
use omnipanel_domain::entity::channel as channel_entity;
use omnipanel_domain::enums::{AddressKind, ChannelKind};
use omnipanel_domain::ids::{ChannelId, CustomerId, MessageId, QueueId};

use crate::graphql::chat::types::Chat;
use crate::graphql::context::{call, call_each, domain, masking};
use crate::graphql::conversation::types::Message;
use crate::graphql::crm::CrmContact;
use crate::graphql::projection::projection;

projection!(
    /// A messaging channel. Its bot token and secret are never shown.
    Channel(channel_entity::Model) + complex {
        id: ChannelId,
        kind: ChannelKind,
        name: String,
        /// The provider outgoing messages go through (telegram, infobip_whatsapp, …).
        provider: String,
        /// The sender the provider shows.
        gateway: Option<String>,
        auto_close_after_secs: Option<i32>,
        created_at: DateTime<Utc>,
    }
);

#[ComplexObject]
impl Channel {
    /// Where new conversations go; without one they start with the bot.
    async fn queue_id(&self) -> Option<QueueId> {
        config_of(&self.row).queue_id
    }
    /// The queue whose members see the conversations the bot has and may take them over.
    async fn bot_queue_id(&self) -> Option<QueueId> {
        config_of(&self.row).bot_queue_id
    }
}

/// The address a channel's provider sends updates to.
pub(crate) fn webhook_url(ctx: &Context<'_>, found: &channel_entity::Model) -> Option<String> {
    (found.kind != ChannelKind::Webchat)
        .then(|| inbound_url(&domain(ctx).config.public_url, found.kind, found.id))
}

/// One way to reach an outgoing message's recipient (I1, I2).
pub struct RecipientCandidate(pub conversation::RecipientCandidate);

impl From<conversation::RecipientCandidate> for RecipientCandidate {
    fn from(candidate: conversation::RecipientCandidate) -> Self {
        Self(candidate)
    }
}

#[Object]
impl RecipientCandidate {
    /// How the input was read: PHONE, MESSENGER_ID (also for a username or contact reached on
    /// a messenger they wrote from), or CONTACT.
    async fn kind(&self) -> AddressKind {
        self.0.kind
    }
    /// The address to send to; pass it back as `to` with this `kind`.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// The contact's or known customer's name, else the address.
    async fn display_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(masking(ctx, self.0.channel.organization_id)
            .await?
            .apply(&self.0.display_name))
    }
    /// The CRM contact the recipient was found as.
    async fn contact(&self) -> Option<CrmContact> {
        self.0.contact.clone().map(|contact| CrmContact {
            organization_id: self.0.channel.organization_id,
            contact,
        })
    }
    /// The customer already known at this address.
    async fn customer_id(&self) -> Option<CustomerId> {
        self.0.customer_id
    }
    /// The provider (telegram, infobip_whatsapp, …).
    async fn provider(&self) -> &str {
        &self.0.channel.provider
    }
    /// The channel the message would go through; pass it as `gatewayId`.
    async fn gateway_id(&self) -> ChannelId {
        self.0.channel.id
    }
    /// The channel (gateway) the message would go through.
    async fn channel(&self) -> Channel {
        Channel::from(self.0.channel.clone())
    }
    /// The sender the provider shows, else the channel's name.
    async fn gateway(&self) -> &str {
        self.0
            .channel
            .gateway
            .as_deref()
            .unwrap_or(&self.0.channel.name)
    }
}

/// A channel as its provider reports it (administrators).
pub struct ChannelStatus(omnipanel_domain::channels::ChannelStatus);

#[Object]
impl ChannelStatus {
    async fn channel(&self) -> Channel {
        Channel::from(self.0.channel.clone())
    }
    /// Where the provider must send this channel's updates.
    async fn expected_webhook_url(&self) -> &str {
        &self.0.expected_webhook_url
    }
    /// Whether the provider sends updates where it must (Telegram; null for channels whose
    /// provider the server does not set up).
    async fn webhook_registered(&self) -> Option<bool> {
        self.0
            .webhook
            .as_ref()
            .map(|info| info.url == self.0.expected_webhook_url)
    }
    /// What Telegram's `getWebhookInfo` reports; null for other kinds.
    async fn webhook(&self) -> Option<WebhookInfo> {
        self.0.webhook.clone().map(WebhookInfo)
    }
}

/// A Telegram bot's webhook as Telegram reports it.
pub struct WebhookInfo(omnipanel_domain::ports::WebhookInfo);

#[Object]
impl WebhookInfo {
    /// Where updates go; empty when none is set.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// Updates Telegram holds, not yet delivered.
    async fn pending_update_count(&self) -> i64 {
        self.0.pending_update_count
    }
    /// When delivering last failed.
    async fn last_error_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_error_at
    }
    /// Why delivering last failed, in Telegram's words.
    async fn last_error_message(&self) -> Option<&str> {
        self.0.last_error_message.as_deref()
    }
    /// The kinds of update delivered.
    async fn allowed_updates(&self) -> &[String] {
        &self.0.allowed_updates
    }
}

#[derive(Default)]
pub struct ChannelQuery;

#[Object]
impl ChannelQuery {
    /// The organization's channels.
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        call_each(ctx, |d, a| d.channels().channels(a)).await
    }

    /// A channel and what its provider reports of its webhook (administrators).
    async fn channel_status(
        &self, ctx: &Context<'_>, id: ChannelId,
    ) -> async_graphql::Result<ChannelStatus> {
        call(ctx, |d, a| d.channels().channel_status(a, id))
            .await
            .map(ChannelStatus)
    }

    /// Every way to reach what was typed into "To": a phone number, a messenger id (digits
    /// only), a @username, or a contact's name in the CRM. Several candidates mean the
    /// operator confirms one (I1).
    async fn recipient_candidates(
        &self, ctx: &Context<'_>, to: String,
    ) -> async_graphql::Result<Vec<RecipientCandidate>> {
        call_each(ctx, |d, a| d.conversation().recipient_candidates(a, &to)).await
    }
}

#[derive(SimpleObject)]
pub struct SendOutgoingMessagePayload {
    pub chat: Chat,
    pub message: Message,
}

#[derive(SimpleObject)]
pub struct CreateChannelPayload {
    pub channel: Channel,
    /// Telegram: the webhook's `secret_token`, already registered with Telegram; generic
    /// channels: the HMAC key of both directions. Shown only here.
    pub secret: String,
    /// Where the provider sends updates (none for web chat).
    pub webhook_url: Option<String>,
}

#[derive(SimpleObject)]
pub struct ChannelPayload {
    pub channel: Channel,
}

impl From<omnipanel_domain::entity::channel::Model> for ChannelPayload {
    fn from(row: omnipanel_domain::entity::channel::Model) -> Self {
        Self {
            channel: Channel::from(row),
        }
    }
}

#[derive(SimpleObject)]
pub struct RetryMessagePayload {
    pub message: Message,
}

impl From<omnipanel_domain::entity::message::Model> for RetryMessagePayload {
    fn from(row: omnipanel_domain::entity::message::Model) -> Self {
        Self {
            message: Message::from(row),
        }
    }
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
pub struct ChannelMutation;

#[Object]
impl ChannelMutation {
    /// Creates a channel (administrators); its secret is shown only in the answer.
    async fn create_channel(
        &self, ctx: &Context<'_>, input: CreateChannelInput,
    ) -> async_graphql::Result<CreateChannelPayload> {
        let omnipanel_domain::channels::CreatedChannel { channel, secret } =
            call(ctx, |d, a| d.channels().create_channel(a, input)).await?;
        Ok(CreateChannelPayload {
            webhook_url: webhook_url(ctx, &channel),
            channel: Channel::from(channel),
            secret,
        })
    }

    /// Changes a channel's name, sender, queues or auto-close (administrators); what is not
    /// given stays, a `clear…` flag removes a value.
    async fn update_channel(
        &self, ctx: &Context<'_>, input: UpdateChannelInput,
    ) -> async_graphql::Result<ChannelPayload> {
        call(ctx, |d, a| d.channels().update_channel(a, input))
            .await
            .map(Into::into)
    }

    /// Sets where a channel's new conversations go and in which queue the bot's are seen
    /// (administrators).
    async fn set_channel_queues(
        &self, ctx: &Context<'_>, input: SetChannelQueuesInput,
    ) -> async_graphql::Result<ChannelPayload> {
        call(ctx, |d, a| d.channels().set_channel_queues(a, input))
            .await
            .map(Into::into)
    }

    /// Gives a Telegram channel another bot: its webhook is registered with Telegram first
    /// (administrators).
    async fn change_bot_token(
        &self, ctx: &Context<'_>, input: ChangeBotTokenInput,
    ) -> async_graphql::Result<ChannelPayload> {
        call(ctx, |d, a| d.channels().change_bot_token(a, input))
            .await
            .map(Into::into)
    }

    /// Stops a channel: its inbound requests are refused from now on, and a Telegram bot's
    /// webhook is removed (administrators).
    async fn archive_channel(
        &self, ctx: &Context<'_>, input: ArchiveChannelInput,
    ) -> async_graphql::Result<ChannelPayload> {
        call(ctx, |d, a| d.channels().archive_channel(a, input.id))
            .await
            .map(Into::into)
    }

    /// Starts an "OutgoingChat-N" with a first message to a confirmed candidate (I4).
    async fn send_outgoing_message(
        &self, ctx: &Context<'_>, input: SendOutgoingMessageInput,
    ) -> async_graphql::Result<SendOutgoingMessagePayload> {
        let (chat, message) =
            call(ctx, |d, a| d.conversation().send_outgoing_message(a, input)).await?;
        Ok(SendOutgoingMessagePayload {
            chat: Chat::from(chat),
            message: Message::from(message),
        })
    }

    /// Sends a message whose delivery failed once more (M2).
    async fn retry_message(
        &self, ctx: &Context<'_>, input: RetryMessageInput,
    ) -> async_graphql::Result<RetryMessagePayload> {
        call(ctx, |d, a| {
            d.deliveries().retry_message(a, input.message_id)
        })
        .await
        .map(Into::into)
    }
}
