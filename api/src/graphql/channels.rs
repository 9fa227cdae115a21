//! Messaging channels in GraphQL (M1): the channels, whom a new outgoing message may reach (I),
//! channels set up and archived, new outgoing messages, failed messages sent again.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::channels::{CreateChannelInput, config_of, is_generic};
use omnipanel_domain::conversation;
use omnipanel_domain::conversation::SendOutgoingMessageInput;
use omnipanel_domain::entity::channel as channel_entity;
use omnipanel_domain::enums::{AddressKind, ChannelKind};
use omnipanel_domain::ids::{ChannelId, CustomerId, MessageId, QueueId};

use crate::graphql::chat::types::Chat;
use crate::graphql::context::{call, domain, masking};
use crate::graphql::conversation::types::Message;
use crate::graphql::crm::CrmContact;

/// A messaging channel. Its bot token and secret are never shown.
pub struct Channel(pub channel_entity::Model);

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
pub(crate) fn webhook_url(ctx: &Context<'_>, found: &channel_entity::Model) -> Option<String> {
    let base = domain(ctx).config.public_url.as_str().trim_end_matches('/');
    match found.kind {
        ChannelKind::Telegram => Some(format!("{base}/webhooks/telegram/{}", found.id)),
        kind if is_generic(kind) => Some(format!("{base}/webhooks/generic/{}", found.id)),
        _ => None,
    }
}

/// One way to reach an outgoing message's recipient (I1, I2).
pub struct RecipientCandidate(pub conversation::RecipientCandidate);

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
        Channel(self.0.channel.clone())
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

#[derive(Default)]
pub struct ChannelQuery;

#[Object]
impl ChannelQuery {
    /// The organization's channels.
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        let rows = call(ctx, |d, a| d.channels().channels(a)).await?;
        Ok(rows.into_iter().map(Channel).collect())
    }

    /// Every way to reach what was typed into "To": a phone number, a messenger id (digits
    /// only), a @username, or a contact's name in the CRM. Several candidates mean the
    /// operator confirms one (I1).
    async fn recipient_candidates(
        &self,
        ctx: &Context<'_>,
        to: String,
    ) -> async_graphql::Result<Vec<RecipientCandidate>> {
        let found = call(ctx, |d, a| d.conversation().recipient_candidates(a, &to)).await?;
        Ok(found.into_iter().map(RecipientCandidate).collect())
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

impl From<omnipanel_domain::entity::channel::Model> for ChannelPayload {
    fn from(row: omnipanel_domain::entity::channel::Model) -> Self {
        Self {
            channel: Channel(row),
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
            message: Message(row),
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
        &self,
        ctx: &Context<'_>,
        input: CreateChannelInput,
    ) -> async_graphql::Result<CreateChannelPayload> {
        let omnipanel_domain::channels::CreatedChannel { channel, secret } =
            call(ctx, |d, a| d.channels().create_channel(a, input)).await?;
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
        call(ctx, |d, a| d.channels().archive_channel(a, input.id))
            .await
            .map(Into::into)
    }

    /// Starts an "OutgoingChat-N" with a first message to a confirmed candidate (I4).
    async fn send_outgoing_message(
        &self,
        ctx: &Context<'_>,
        input: SendOutgoingMessageInput,
    ) -> async_graphql::Result<SendOutgoingMessagePayload> {
        let (chat, message) =
            call(ctx, |d, a| d.conversation().send_outgoing_message(a, input)).await?;
        Ok(SendOutgoingMessagePayload {
            chat: Chat(chat),
            message: Message(message),
        })
    }

    /// Sends a message whose delivery failed once more (M2).
    async fn retry_message(
        &self,
        ctx: &Context<'_>,
        input: RetryMessageInput,
    ) -> async_graphql::Result<RetryMessagePayload> {
        call(ctx, |d, a| {
            d.deliveries().retry_message(a, input.message_id)
        })
        .await
        .map(Into::into)
    }
}
