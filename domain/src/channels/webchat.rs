//! Web chat (M1): a customer on a website talks to operators with no messenger in between.
//!
//! Starting a conversation gives the visitor a token (`opv_…`, shown once, kept by their
//! browser); only its SHA-256 digest is stored, as the customer's web chat identity. With the
//! token the visitor sends messages (they join their open chat on the channel, or start one,
//! exactly as a messenger's would), reads their conversation and, once it is closed, rates it.
//! What they give about themselves (name, e-mail, phone) is kept on the customer but is not an
//! identity: anyone can type anyone's e-mail, so it never reaches another customer's history or
//! a CRM contact.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use validator::Validate;

use crate::channels::inbound::InboundMessage;
use crate::chat::rating::RateChatInput;
use crate::customer::{self, CustomerInput, NewNumber, normalize_phone};
use crate::entity::{
    channel, chat, customer as customer_entity, customer_identity, message, organization,
};
use crate::enums::{AuthorKind, ChannelKind, ChatSource, ChatStatus, IdentityKind};
use crate::error::{DomainError, Result};
use crate::identity::throttle;
use crate::ids::*;
use crate::page::{self, Order};
use crate::secret::{generate_token, token_digest};
use crate::service::Channels;
use crate::store::reserve_numbers;
use crate::validate::{check, single_line};

/// The provider web chat identities belong to.
pub const PROVIDER: &str = "webchat";

/// The most messages one read returns.
const PAGE: u64 = 100;

/// What a visitor may say about themselves when they start.
#[derive(Clone, Debug, Default, Validate, serde::Deserialize)]
pub struct StartWebchatInput {
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    #[validate(custom(function = "crate::customer::valid_phone"))]
    pub phone: Option<String>,
}

/// A message as the visitor sees it: operators by their first name only (A3), no whispers.
#[derive(Clone, Debug)]
pub struct VisibleMessage {
    pub message: message::Model,
    /// The operator's first name, for operator messages.
    pub author: Option<String>,
}

/// Where the visitor's latest conversation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebchatConversation {
    pub chat_id: ChatId,
    /// Operators (or the bot) may still answer; otherwise the chat was closed.
    pub open: bool,
    /// Closed and not rated yet: the visitor is asked for a rating (G1).
    pub can_rate: bool,
}

/// Where a visitor's reading stopped.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct WebchatCursor {
    pub created_at: DateTime<Utc>,
    pub id: MessageId,
}

crate::page::keyset!(WebchatCursor);

impl Channels<'_> {
    /// An active web chat channel; anything else is `NOT_FOUND`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn webchat_channel(self, id: ChannelId) -> Result<channel::Model> {
        channel::Entity::find_by_id(id)
            .filter(channel::Column::Kind.eq(ChannelKind::Webchat))
            .filter(channel::Column::ArchivedAt.is_null())
            .one(&self.domain.db)
            .await?
            .ok_or(DomainError::not_found("web chat"))
    }

    /// Starts a visitor's conversation; returns their token (shown only here).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn start_webchat(
        self, channel_id: ChannelId, input: StartWebchatInput, client_address: Option<&str>,
    ) -> Result<String> {
        check(&input)?;
        let found = self.webchat_channel(channel_id).await?;
        let token = generate_token(crate::secret::prefix::VISITOR);
        let now = self.domain.now();
        let organization_id = found.organization_id;
        // Conversations are cheap to start and each is a customer row: one address may start
        // a few, then waits (counted in the database, so every instance sees them). A start
        // refused here takes no number.
        let key = client_address.map(throttle::webchat_key);
        if let Some(key) = &key
            && let Some(seconds) =
                throttle::blocked_for(&self.domain.db, std::slice::from_ref(key), now).await?
        {
            return Err(DomainError::LimitExceeded(
                format!("Too many conversations started; try again in {seconds} seconds").into(),
            ));
        }
        // The visitor is a new customer, numbered in a statement of its own before the change
        // (`store::reserve_numbers`): a campaign's visitors do not start one at a time behind
        // the organization's row.
        let number = reserve_numbers(
            &self.domain.db,
            organization_id,
            &[organization::Column::CustomerSeq],
        )
        .await?[0];
        let tx = self.domain.write().await?;
        if let Some(key) = key {
            let policy = &self.domain.config.throttle;
            throttle::record_failure(&tx, policy, key, policy.webchat_free_starts, now).await?;
        }
        let visitor = CustomerInput {
            messenger_id: Some(token_digest(&token)),
            ..CustomerInput::default()
        };
        let created = customer::find_or_create_numbered(
            &tx,
            organization_id,
            ChatSource::Webchat,
            &visitor,
            now,
            NewNumber::Reserved(number),
        )
        .await?
        .ok_or(DomainError::not_found("customer"))?;
        let mut model: customer_entity::ActiveModel = created.into();
        model.name = Set(input.name.map(|n| n.trim().to_owned()));
        model.email = Set(input.email.map(|e| e.trim().to_lowercase()));
        model.phone = Set(input.phone.as_deref().and_then(normalize_phone));
        model.update(&tx).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The visitor a token belongs to on a channel; anything else is `UNAUTHENTICATED`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn webchat_visitor(
        self, channel_id: ChannelId, token: Option<&str>,
    ) -> Result<(channel::Model, CustomerId)> {
        let refused = || DomainError::Unauthenticated("Start a conversation first".into());
        let found = self.webchat_channel(channel_id).await?;
        let digest = token.map(token_digest).ok_or_else(refused)?;
        let identity = customer_identity::Entity::find()
            .filter(customer_identity::Column::OrganizationId.eq(found.organization_id))
            .filter(customer_identity::Column::Kind.eq(IdentityKind::MessengerId))
            .filter(customer_identity::Column::Provider.eq(PROVIDER))
            .filter(customer_identity::Column::Value.eq(digest))
            .one(&self.domain.db)
            .await?
            .ok_or_else(refused)?;
        Ok((found, identity.customer_id))
    }

    /// A visitor's message. `client_id`, if given, makes a retried send store it once.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn webchat_say(
        self, channel_id: ChannelId, token: Option<&str>, text: &str, client_id: Option<&str>,
    ) -> Result<message::Model> {
        let (found, _) = self.webchat_visitor(channel_id, token).await?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 4000 {
            return Err(DomainError::validation(
                "text",
                "must be 1 to 4000 characters",
            ));
        }
        let external_id = match client_id {
            Some(id) if !id.is_empty() && id.len() <= 100 => {
                format!("{}:{id}", token.map(token_digest).unwrap_or_default())
            }
            Some(_) => {
                return Err(DomainError::validation(
                    "clientId",
                    "must be 1 to 100 characters",
                ));
            }
            None => MessageId::new().to_string(),
        };
        let inbound = InboundMessage {
            receipt: None,
            external_id: external_id.clone(),
            customer: CustomerInput {
                messenger_id: token.map(token_digest),
                ..CustomerInput::default()
            },
            text: text.to_owned(),
            sent_at: None,
            files: Vec::new(),
        };
        if let Some(stored) = self.receive_inbound(&found, inbound).await? {
            return Ok(stored);
        }
        // Sent before: the first copy.
        message::Entity::find()
            .filter(message::Column::ChannelId.eq(found.id))
            .filter(message::Column::ExternalId.eq(external_id))
            .one(&self.domain.db)
            .await?
            .ok_or(DomainError::not_found("message"))
    }

    /// The visitor's conversation on the channel after `after`, oldest first (at most 100).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn webchat_messages(
        self, channel_id: ChannelId, token: Option<&str>, after: Option<WebchatCursor>,
    ) -> Result<Vec<VisibleMessage>> {
        let (found, customer_id) = self.webchat_visitor(channel_id, token).await?;
        let chats: Vec<ChatId> = chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(customer_id))
            .filter(chat::Column::ChannelId.eq(found.id))
            .select_only()
            .column(chat::Column::Id)
            .into_tuple()
            .all(&self.domain.db)
            .await?;
        let query = message::Entity::find()
            .filter(message::Column::ChatId.is_in(chats))
            .filter(message::Column::IsWhisper.eq(false));
        let (rows, _) = page::read(
            &self.domain.db,
            query,
            (message::Column::CreatedAt, message::Column::Id),
            Order::OldestFirst,
            after,
            PAGE,
        )
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let author = match (row.author_kind, row.author_operator_id) {
                (AuthorKind::Operator, Some(id)) => Some(
                    self.domain
                        .conversation()
                        .first_name(&self.domain.db, id)
                        .await?,
                ),
                _ => None,
            };
            out.push(VisibleMessage {
                message: row,
                author,
            });
        }
        Ok(out)
    }

    /// The visitor's latest conversation on the channel, if they have written at all.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn webchat_conversation(
        self, channel_id: ChannelId, token: Option<&str>,
    ) -> Result<Option<WebchatConversation>> {
        let (found, customer_id) = self.webchat_visitor(channel_id, token).await?;
        Ok(self
            .latest_webchat_chat(found.id, customer_id)
            .await?
            .map(|latest| WebchatConversation {
                chat_id: latest.id,
                open: latest.status != ChatStatus::Completed,
                can_rate: latest.status == ChatStatus::Completed && latest.rating.is_none(),
            }))
    }

    /// The visitor rates their latest conversation once it is closed (G1).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn webchat_rate(
        self, channel_id: ChannelId, token: Option<&str>, score: i32, comment: Option<String>,
    ) -> Result<chat::Model> {
        let (found, customer_id) = self.webchat_visitor(channel_id, token).await?;
        let latest = self
            .latest_webchat_chat(found.id, customer_id)
            .await?
            .ok_or_else(|| DomainError::conflict("There is no conversation to rate yet"))?;
        self.domain
            .chats()
            .rate(
                found.organization_id,
                RateChatInput {
                    chat_id: latest.id,
                    score,
                    comment,
                },
            )
            .await
    }

    async fn latest_webchat_chat(
        self, channel_id: ChannelId, customer_id: CustomerId,
    ) -> Result<Option<chat::Model>> {
        Ok(chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(customer_id))
            .filter(chat::Column::ChannelId.eq(channel_id))
            .order_by_desc(chat::Column::CreatedAt)
            .order_by_desc(chat::Column::Id)
            .one(&self.domain.db)
            .await?)
    }

    /// The chats a visitor has on the channel (to follow their events).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn webchat_chats(
        self, channel_id: ChannelId, customer_id: CustomerId,
    ) -> Result<Vec<ChatId>> {
        Ok(chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(customer_id))
            .filter(chat::Column::ChannelId.eq(channel_id))
            .select_only()
            .column(chat::Column::Id)
            .into_tuple()
            .all(&self.domain.db)
            .await?)
    }
}
