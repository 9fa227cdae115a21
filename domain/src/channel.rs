//! Messaging channels (M1, C1): their administration, how an inbound request proves it comes
//! from the channel (its secret), and customer messages arriving through one.
//!
//! A channel's secret is shown once, at creation. Its SHA-256 digest checks inbound requests
//! (Telegram's `X-Telegram-Bot-Api-Secret-Token`); generic webhook channels also keep the
//! secret itself, because they sign and verify bodies with it (HMAC). Bot tokens and secrets
//! are write-only through the API.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::crm::Matching;
use crate::customer::{self, CustomerInput};
use crate::entity::{channel, chat, customer_identity, inbound_receipt, message, queue};
use crate::enums::{AuthorKind, ChannelKind, ChatDirection, ChatSource, ChatStatus, IdentityKind};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::ids::*;
use crate::routing::lock_chat;
use crate::secret::{generate_token, token_digest};
use crate::service::Domain;
use crate::validate::{check, http_url, single_line};

/// The Telegram Bot API, unless a channel names another (a local Bot API server, a test fake).
pub const TELEGRAM_API: &str = "https://api.telegram.org";

/// What a channel does besides carrying messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelConfig {
    /// New conversations go straight to this queue; without one they start with the bot.
    pub queue_id: Option<QueueId>,
    /// Generic webhook channels: where outbound messages are POSTed.
    pub outbound_url: Option<String>,
}

/// A channel's secrets (never returned by the API).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelCredentials {
    pub bot_token: Option<String>,
    /// The HMAC key of generic webhook channels.
    pub signing_secret: Option<String>,
}

impl std::fmt::Debug for ChannelCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChannelCredentials(<redacted>)")
    }
}

pub fn config_of(found: &channel::Model) -> ChannelConfig {
    serde_json::from_value(found.config.clone()).unwrap_or_default()
}

pub fn credentials_of(found: &channel::Model) -> ChannelCredentials {
    found
        .credentials
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default()
}

/// The source a channel's chats have.
pub fn source_of(kind: ChannelKind) -> ChatSource {
    match kind {
        ChannelKind::Telegram => ChatSource::Telegram,
        ChannelKind::Webchat => ChatSource::Webchat,
        ChannelKind::InfobipWhatsapp => ChatSource::InfobipWhatsapp,
        ChannelKind::Viber => ChatSource::Viber,
        ChannelKind::Messenger => ChatSource::Messenger,
    }
}

/// Whether a channel kind is served by the generic JSON webhook.
pub fn is_generic(kind: ChannelKind) -> bool {
    matches!(
        kind,
        ChannelKind::InfobipWhatsapp | ChannelKind::Viber | ChannelKind::Messenger
    )
}

/// A Telegram bot token: `<bot id>:<secret>`.
fn telegram_token(value: &str) -> Result<(), ValidationError> {
    let valid = value.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.chars().all(|c| c.is_ascii_digit())
            && secret.len() >= 20
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if valid {
        Ok(())
    } else {
        Err(ValidationError::new("token")
            .with_message("must be a bot token such as 123456789:AAE…".into()))
    }
}

/// Auto-close after 1 minute to 30 days of silence (D11).
fn auto_close(value: i32) -> Result<(), ValidationError> {
    if (60..=30 * 24 * 3600).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::new("range")
            .with_message("must be between 60 seconds and 30 days".into()))
    }
}

/// A new channel (administrators).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateChannelInput {
    pub kind: ChannelKind,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: String,
    /// Telegram: the bot's token from @BotFather.
    #[validate(custom(function = "telegram_token"))]
    pub bot_token: Option<String>,
    /// Telegram: another Bot API server (default `https://api.telegram.org`).
    #[validate(length(max = 500), custom(function = "http_url"))]
    pub api_base_url: Option<String>,
    /// New conversations go straight to this queue; without one they start with the bot.
    pub queue_id: Option<QueueId>,
    /// infobip_whatsapp, viber, messenger: where outbound messages are POSTed.
    #[validate(length(max = 2000), custom(function = "http_url"))]
    pub outbound_url: Option<String>,
    /// Chats close after this many seconds without messages (D11).
    #[validate(custom(function = "auto_close"))]
    pub auto_close_after_secs: Option<i32>,
    /// The sender the provider shows (a phone number, a bot name).
    #[validate(length(min = 1, max = 200), custom(function = "single_line"))]
    pub gateway: Option<String>,
}

/// A channel and its secret, shown once.
pub struct CreatedChannel {
    pub channel: channel::Model,
    pub secret: String,
}

impl Domain {
    async fn channel_queue(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        queue_id: QueueId,
    ) -> Result<queue::Model> {
        match self.queue(db, actor, queue_id).await {
            Ok(found) if found.archived_at.is_none() => Ok(found),
            Ok(_) | Err(DomainError::NotFound { .. }) => {
                Err(DomainError::validation("queueId", "No such queue"))
            }
            Err(other) => Err(other),
        }
    }

    /// Creates a channel; its secret is returned only here.
    pub async fn create_channel(
        &self,
        actor: &Actor,
        input: CreateChannelInput,
    ) -> Result<CreatedChannel> {
        actor.require_admin()?;
        check(&input)?;
        if input.kind == ChannelKind::Telegram && input.bot_token.is_none() {
            return Err(DomainError::validation(
                "botToken",
                "A Telegram channel needs its bot's token",
            ));
        }
        if is_generic(input.kind) && input.outbound_url.is_none() {
            return Err(DomainError::validation(
                "outboundUrl",
                "This channel needs the URL its outbound messages go to",
            ));
        }
        if let Some(queue_id) = input.queue_id {
            self.channel_queue(&self.db, actor, queue_id).await?;
        }
        let secret = generate_token(crate::secret::prefix::CHANNEL_SECRET);
        let credentials = ChannelCredentials {
            bot_token: input.bot_token,
            signing_secret: is_generic(input.kind).then(|| secret.clone()),
        };
        let config = ChannelConfig {
            queue_id: input.queue_id,
            outbound_url: input.outbound_url,
        };
        let now = self.now();
        let api_base_url = match input.kind {
            ChannelKind::Telegram => Some(
                input
                    .api_base_url
                    .unwrap_or_else(|| TELEGRAM_API.into())
                    .trim_end_matches('/')
                    .to_owned(),
            ),
            _ => input.api_base_url,
        };
        let created = channel::ActiveModel {
            id: Set(ChannelId::new()),
            organization_id: Set(actor.organization_id),
            kind: Set(input.kind),
            name: Set(input.name.trim().to_owned()),
            provider: Set(customer::provider_of(source_of(input.kind)).to_owned()),
            gateway: Set(input.gateway),
            secret_hash: Set(Some(token_digest(&secret))),
            credentials: Set(Some(
                serde_json::to_string(&credentials)
                    .map_err(|e| DomainError::Internal(e.to_string()))?,
            )),
            api_base_url: Set(api_base_url),
            config: Set(json!(config)),
            auto_close_after_secs: Set(input.auto_close_after_secs),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(CreatedChannel {
            channel: created,
            secret,
        })
    }

    /// The organization's channels (any signed-in caller: operators pick one for outgoing
    /// messages; secrets are never part of what the API shows).
    pub async fn channels(&self, actor: &Actor) -> Result<Vec<channel::Model>> {
        Ok(channel::Entity::find()
            .filter(channel::Column::OrganizationId.eq(actor.organization_id))
            .filter(channel::Column::ArchivedAt.is_null())
            .order_by_asc(channel::Column::Name)
            .all(&self.db)
            .await?)
    }

    /// Stops a channel: its inbound requests are refused from now on.
    pub async fn archive_channel(&self, actor: &Actor, id: ChannelId) -> Result<channel::Model> {
        actor.require_admin()?;
        let found = channel::Entity::find_by_id(id)
            .filter(channel::Column::OrganizationId.eq(actor.organization_id))
            .filter(channel::Column::ArchivedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("channel"))?;
        let mut model: channel::ActiveModel = found.into();
        model.archived_at = Set(Some(self.now()));
        Ok(model.update(&self.db).await?)
    }

    /// The channel an inbound request is for, if it presents the channel's secret. Any other
    /// request (unknown or archived channel, other kind, wrong or missing secret) is refused the
    /// same way, so nothing about channels leaks.
    pub async fn authenticate_channel(
        &self,
        id: ChannelId,
        kinds: &[ChannelKind],
        secret: Option<&str>,
    ) -> Result<channel::Model> {
        let refused = || DomainError::Unauthenticated("Unknown channel or wrong secret".into());
        let found = channel::Entity::find_by_id(id)
            .filter(channel::Column::ArchivedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or_else(refused)?;
        let presented = secret.map(token_digest);
        if !kinds.contains(&found.kind)
            || presented.is_none()
            || found.secret_hash.as_deref() != presented.as_deref()
        {
            return Err(refused());
        }
        Ok(found)
    }

    /// A channel by id, for the delivery worker.
    pub async fn channel_by_id(&self, id: ChannelId) -> Result<Option<channel::Model>> {
        Ok(channel::Entity::find_by_id(id).one(&self.db).await?)
    }
}

/// What the delivery worker needs to send a message to the customer's channel.
#[derive(Clone, Debug)]
pub struct ChannelJob {
    pub channel: channel::Model,
    pub chat: chat::Model,
    pub message: message::Model,
    /// Who receives it at the provider: the customer's messenger id there, else their phone.
    pub recipient: Option<String>,
    /// The files it carries.
    pub attachments: Vec<crate::entity::attachment::Model>,
}

impl Domain {
    /// The channel, chat, message and recipient of a channel-message delivery.
    pub async fn channel_job(&self, job: &crate::entity::delivery::Model) -> Result<ChannelJob> {
        let missing = || DomainError::not_found("message");
        let message = message::Entity::find_by_id(job.message_id.ok_or_else(missing)?)
            .one(&self.db)
            .await?
            .ok_or_else(missing)?;
        let chat = chat::Entity::find_by_id(message.chat_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        let channel =
            channel::Entity::find_by_id(job.channel_id.ok_or(DomainError::not_found("channel"))?)
                .one(&self.db)
                .await?
                .ok_or(DomainError::not_found("channel"))?;
        let identities = customer_identity::Entity::find()
            .filter(customer_identity::Column::CustomerId.eq(chat.customer_id))
            .all(&self.db)
            .await?;
        let by_messenger = identities
            .iter()
            .find(|i| i.kind == IdentityKind::MessengerId && i.provider == channel.provider)
            .map(|i| i.value.clone());
        let by_phone = identities
            .iter()
            .find(|i| i.kind == IdentityKind::Phone)
            .map(|i| i.value.clone());
        let attachments = crate::entity::attachment::Entity::find()
            .filter(crate::entity::attachment::Column::MessageId.eq(message.id))
            .all(&self.db)
            .await?;
        Ok(ChannelJob {
            recipient: by_messenger.or(by_phone),
            attachments,
            channel,
            chat,
            message,
        })
    }
}

/// A file a customer sent, to fetch from the provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundFile {
    /// The provider's id for fetching it (Telegram's `file_id`).
    pub provider_file_id: String,
    pub name: String,
    pub content_type: String,
}

/// A customer's message as a channel adapter normalized it.
#[derive(Clone, Debug)]
pub struct InboundMessage {
    /// The provider's update id: a repeated one is stored once (Telegram's `update_id`).
    pub receipt: Option<String>,
    /// The message's id at the provider, unique within the channel.
    pub external_id: String,
    pub customer: CustomerInput,
    pub text: String,
    pub sent_at: Option<DateTime<Utc>>,
    /// Files to fetch and keep with the message.
    pub files: Vec<InboundFile>,
}

/// The longest inbound text kept (Telegram allows 4096 characters).
const MAX_INBOUND_CHARS: usize = 10_000;

impl Domain {
    /// Stores a customer's message from a channel: the customer is found or created, the message
    /// joins the customer's open chat on the channel or starts one (straight to the channel's
    /// queue, or with the bot). Returns `None` for an update already received.
    pub async fn receive_inbound(
        &self,
        found: &channel::Model,
        inbound: InboundMessage,
    ) -> Result<Option<message::Model>> {
        if inbound.text.trim().is_empty() {
            return Err(DomainError::validation("text", "The message has no text"));
        }
        let source = source_of(found.kind);
        let matching = self
            .match_contact(found.organization_id, source, &inbound.customer)
            .await;
        self.retry(|| self.receive_inbound_once(found, &inbound, &matching))
            .await
    }

    async fn receive_inbound_once(
        &self,
        found: &channel::Model,
        inbound: &InboundMessage,
        matching: &Matching,
    ) -> Result<Option<message::Model>> {
        let now = self.now();
        let tx = self.write().await?;
        if let Some(receipt) = &inbound.receipt {
            let inserted = inbound_receipt::Entity::insert(inbound_receipt::ActiveModel {
                channel_id: Set(found.id),
                external_id: Set(receipt.clone()),
                received_at: Set(now),
            })
            .on_conflict_do_nothing_on([
                inbound_receipt::Column::ChannelId,
                inbound_receipt::Column::ExternalId,
            ])
            .exec_without_returning(&tx)
            .await?;
            if !matches!(inserted, sea_orm::TryInsertResult::Inserted(rows) if rows > 0) {
                return Ok(None);
            }
        }
        if message::Entity::find()
            .filter(message::Column::ChannelId.eq(found.id))
            .filter(message::Column::ExternalId.eq(&inbound.external_id))
            .one(&tx)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let source = source_of(found.kind);
        let customer =
            customer::find_or_create(&tx, found.organization_id, source, &inbound.customer, now)
                .await?;
        let customer = self
            .link_matched(&tx, customer, matching, &inbound.customer, now)
            .await?;
        let open = chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(customer.id))
            .filter(chat::Column::ChannelId.eq(found.id))
            .filter(chat::Column::Status.ne(ChatStatus::Completed))
            .order_by_desc(chat::Column::CreatedAt)
            .one(&tx)
            .await?;
        let mut outbox = Outbox::new();
        let (chat, queue) = match open {
            Some(open) => (
                lock_chat(&tx, open.id)
                    .await?
                    .ok_or(DomainError::not_found("chat"))?,
                None,
            ),
            None => {
                let queue = match config_of(found).queue_id {
                    Some(id) => {
                        queue::Entity::find_by_id(id)
                            .filter(queue::Column::ArchivedAt.is_null())
                            .one(&tx)
                            .await?
                    }
                    None => None,
                };
                let number = self
                    .next_chat_number(&tx, found.organization_id, ChatDirection::Inbound)
                    .await?;
                let mut model = crate::chat::new_chat(
                    found.organization_id,
                    number,
                    ChatDirection::Inbound,
                    if queue.is_some() {
                        ChatStatus::Queued
                    } else {
                        ChatStatus::Bot
                    },
                    source,
                    Some(found.id),
                    queue.as_ref().map(|q| q.id),
                    &customer,
                    now,
                );
                if queue.is_some() {
                    model.queued_at = Set(Some(now));
                    model.waiting_since = Set(Some(now));
                }
                (model.insert(&tx).await?, queue)
            }
        };
        let text: String = inbound.text.chars().take(MAX_INBOUND_CHARS).collect();
        let (chat, created) = self
            .append_message(
                &tx,
                &mut outbox,
                &chat,
                AuthorKind::Customer,
                None,
                &text,
                Some(inbound.external_id.clone()),
                now,
            )
            .await?;
        for file in &inbound.files {
            crate::entity::delivery::ActiveModel {
                id: Set(DeliveryId::new()),
                organization_id: Set(found.organization_id),
                kind: Set(crate::enums::DeliveryKind::ChannelFile),
                webhook_id: Set(None),
                channel_id: Set(Some(found.id)),
                chat_id: Set(Some(chat.id)),
                message_id: Set(Some(created.id)),
                event_id: Set(None),
                event_kind: Set(None),
                payload: Set(json!(file)),
                state: Set(crate::enums::DeliveryState::Pending),
                attempts: Set(0),
                next_attempt_at: Set(Some(now)),
                last_error: Set(None),
                last_status: Set(None),
                created_at: Set(now),
                sent_at: Set(None),
            }
            .insert(&tx)
            .await?;
            outbox.wake_deliveries();
        }
        if let Some(queue) = queue {
            // A customer's message is never refused: a full queue still takes it.
            self.offer_new_chat(&tx, &mut outbox, &chat, &queue, false, now)
                .await?;
        }
        self.commit(tx, outbox).await?;
        Ok(Some(created))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_tokens_are_recognised() {
        assert!(telegram_token("123456789:AAEhBP0av28mWeYq4N5r2J3c-dZ_qsqPXyZ").is_ok());
        assert!(telegram_token("abc:AAEhBP0av28mWeYq4N5r2J3c").is_err());
        assert!(telegram_token("123456789:short").is_err());
        assert!(telegram_token("123456789AAEhBP0av28mWeYq4N5r2J3c").is_err());
        assert!(telegram_token("123:AAEhBP0av28mWeYq4N5r2J3c/../x").is_err());
    }

    #[test]
    fn channel_kinds_map_to_sources() {
        assert_eq!(
            source_of(ChannelKind::InfobipWhatsapp),
            ChatSource::InfobipWhatsapp
        );
        assert!(is_generic(ChannelKind::Viber));
        assert!(!is_generic(ChannelKind::Telegram));
        assert!(!is_generic(ChannelKind::Webchat));
    }
}
