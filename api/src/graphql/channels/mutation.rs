//! Channels set up and archived, new outgoing messages, failed messages sent again.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use omnipanel_domain::channels::CreateChannelInput;
use omnipanel_domain::conversation::SendOutgoingMessageInput;

use omnipanel_domain::ids::{ChannelId, MessageId};

use crate::graphql::channels::types::{Channel, webhook_url};
use crate::graphql::chat::types::Chat;
use crate::graphql::context::call;
use crate::graphql::conversation::types::Message;

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
