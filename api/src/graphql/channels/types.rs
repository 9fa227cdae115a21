//! Channels and outgoing-message recipients as GraphQL shows them.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use omnipanel_domain::channels::{config_of, is_generic};

use omnipanel_domain::conversation;
use omnipanel_domain::entity::channel as channel_entity;
use omnipanel_domain::enums::{AddressKind, ChannelKind};
use omnipanel_domain::ids::{ChannelId, CustomerId, QueueId};

use crate::graphql::context::{domain, masking};
use crate::graphql::crm::types::CrmContact;

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
