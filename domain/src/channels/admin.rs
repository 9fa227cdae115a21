//! Channels as administrators set them up (M1): created with their secret shown once, listed,
//! archived; webhooks authenticated; what the delivery worker needs to send on one.

use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::actor::Actor;
use crate::channels::config::{
    ChannelConfig, ChannelCredentials, CreateChannelInput, CreatedChannel, SetChannelQueuesInput,
    TELEGRAM_API, UpdateChannelInput, config_of, is_generic, source_of,
};
use crate::customer;
use crate::entity::{channel, chat, customer_identity, message, queue};
use crate::enums::{ChannelKind, IdentityKind};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::secret::{generate_token, token_digest};
use crate::service::Channels;
use crate::store::{all_live, find_live, found, live};
use crate::validate::check_admin;

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

impl Channels<'_> {
    /// The caller's live channel an input names, or `VALIDATION` on `field`: another
    /// organization's channel is as unknown as one that does not exist.
    pub(crate) async fn usable_channel(
        self, db: &impl ConnectionTrait, actor: &Actor, id: ChannelId, field: &'static str,
    ) -> Result<channel::Model> {
        find_live::<channel::Entity>(db, actor, id, field).await
    }

    /// The caller's live channel `id`, or `NOT_FOUND` (another organization's is as unknown).
    pub(crate) async fn live_channel(self, actor: &Actor, id: ChannelId) -> Result<channel::Model> {
        found::<channel::Entity>(
            live::<channel::Entity>(actor, id)
                .one(&self.domain.db)
                .await?,
        )
    }

    /// Creates a channel; its secret is returned only here.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_channel(
        self, actor: &Actor, input: CreateChannelInput,
    ) -> Result<CreatedChannel> {
        check_admin(actor, &input)?;
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
            find_live::<queue::Entity>(&self.domain.db, actor, queue_id, "queueId").await?;
        }
        if let Some(queue_id) = input.bot_queue_id {
            find_live::<queue::Entity>(&self.domain.db, actor, queue_id, "botQueueId").await?;
        }
        if let Some(url) = &input.outbound_url {
            self.domain.public_upstream(url, "outboundUrl").await?;
        }
        if let Some(url) = &input.api_base_url {
            self.domain.public_upstream(url, "apiBaseUrl").await?;
        }
        let id = ChannelId::new();
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
        // A Telegram bot is pointed here first: if Telegram refuses, nothing is saved.
        let secret = match (&api_base_url, &input.bot_token) {
            (Some(api), Some(token)) if input.kind == ChannelKind::Telegram => {
                self.register_bot(id, api, token).await?
            }
            _ => generate_token(crate::secret::prefix::CHANNEL_SECRET),
        };
        let credentials = ChannelCredentials {
            bot_token: input.bot_token,
            signing_secret: is_generic(input.kind).then(|| secret.clone()),
        };
        let config = ChannelConfig {
            queue_id: input.queue_id,
            bot_queue_id: input.bot_queue_id,
            outbound_url: input.outbound_url,
        };
        let now = self.domain.now();
        let created = channel::ActiveModel {
            id: Set(id),
            organization_id: Set(actor.organization_id),
            kind: Set(input.kind),
            name: Set(input.name.trim().to_owned()),
            provider: Set(customer::provider_of(source_of(input.kind)).to_owned()),
            gateway: Set(input.gateway),
            secret_hash: Set(Some(token_digest(&secret))),
            credentials: Set(Some(
                self.domain.keyring.seal(
                    &serde_json::to_string(&credentials)
                        .map_err(|e| DomainError::Internal(e.to_string()))?,
                ),
            )),
            api_base_url: Set(api_base_url),
            config: Set(json!(config)),
            auto_close_after_secs: Set(input.auto_close_after_secs),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
        }
        .insert(&self.domain.db)
        .await?;
        Ok(CreatedChannel {
            channel: created,
            secret,
        })
    }

    /// The organization's channels (any signed-in caller: operators pick one for outgoing
    /// messages; secrets are never part of what the API shows).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn channels(self, actor: &Actor) -> Result<Vec<channel::Model>> {
        Ok(all_live::<channel::Entity>(actor)
            .order_by_asc(channel::Column::Name)
            .all(&self.domain.db)
            .await?)
    }

    /// Changes a channel's name, sender, queues or auto-close (administrators). The row is
    /// locked while its settings are merged, so two administrators' changes do not undo each
    /// other.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_channel(
        self, actor: &Actor, input: UpdateChannelInput,
    ) -> Result<channel::Model> {
        check_admin(actor, &input)?;
        for (given, clear, field) in [
            (input.gateway.is_some(), input.clear_gateway, "clearGateway"),
            (input.queue_id.is_some(), input.clear_queue, "clearQueue"),
            (
                input.bot_queue_id.is_some(),
                input.clear_bot_queue,
                "clearBotQueue",
            ),
            (
                input.auto_close_after_secs.is_some(),
                input.clear_auto_close,
                "clearAutoClose",
            ),
        ] {
            if given && clear == Some(true) {
                return Err(DomainError::validation(
                    field,
                    "Give a value or clear it, not both",
                ));
            }
        }
        let tx = self.domain.write().await?;
        let found = live::<channel::Entity>(actor, input.id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or(DomainError::not_found("channel"))?;
        for (queue_id, field) in [
            (input.queue_id, "queueId"),
            (input.bot_queue_id, "botQueueId"),
        ] {
            if let Some(queue_id) = queue_id {
                find_live::<queue::Entity>(&tx, actor, queue_id, field).await?;
            }
        }
        let mut config = config_of(&found);
        if input.queue_id.is_some() || input.clear_queue == Some(true) {
            config.queue_id = input.queue_id;
        }
        if input.bot_queue_id.is_some() || input.clear_bot_queue == Some(true) {
            config.bot_queue_id = input.bot_queue_id;
        }
        let mut model: channel::ActiveModel = found.into();
        if let Some(name) = input.name {
            model.name = Set(name.trim().to_owned());
        }
        if input.gateway.is_some() || input.clear_gateway == Some(true) {
            model.gateway = Set(input.gateway.map(|g| g.trim().to_owned()));
        }
        if input.auto_close_after_secs.is_some() || input.clear_auto_close == Some(true) {
            model.auto_close_after_secs = Set(input.auto_close_after_secs);
        }
        model.config = Set(json!(config));
        model.updated_at = Set(self.domain.now());
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Sets where a channel's new conversations go and in which queue the bot's are seen.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn set_channel_queues(
        self, actor: &Actor, input: SetChannelQueuesInput,
    ) -> Result<channel::Model> {
        actor.require_admin()?;
        let found = self
            .usable_channel(&self.domain.db, actor, input.channel_id, "channelId")
            .await?;
        for (queue_id, field) in [
            (input.queue_id, "queueId"),
            (input.bot_queue_id, "botQueueId"),
        ] {
            if let Some(queue_id) = queue_id {
                find_live::<queue::Entity>(&self.domain.db, actor, queue_id, field).await?;
            }
        }
        let config = ChannelConfig {
            queue_id: input.queue_id,
            bot_queue_id: input.bot_queue_id,
            ..config_of(&found)
        };
        let mut model: channel::ActiveModel = found.into();
        model.config = Set(json!(config));
        model.updated_at = Set(self.domain.now());
        Ok(model.update(&self.domain.db).await?)
    }

    /// Stops a channel: its inbound requests are refused from now on, and a Telegram bot is
    /// told to stop sending (if Telegram refuses, the channel stays as it was). Its open chats
    /// are closed, or interrupted with a warning to their operators when accepted (004).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn archive_channel(self, actor: &Actor, id: ChannelId) -> Result<channel::Model> {
        actor.require_admin()?;
        let found = self.live_channel(actor, id).await?;
        self.unregister_bot(&found).await?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let Some(found) = live::<channel::Entity>(actor, id)
            .lock_exclusive()
            .one(&work.tx)
            .await?
        else {
            return Err(DomainError::not_found("channel"));
        };
        let mut model: channel::ActiveModel = found.clone().into();
        model.archived_at = Set(Some(now));
        let archived = model.update(&work.tx).await?;
        self.domain
            .chats()
            .interrupt_channel(&mut work, &found)
            .await?;
        self.domain.answer(work, archived).await
    }

    /// The channel an inbound request is for, if it presents the channel's secret. Any other
    /// request (unknown or archived channel, other kind, wrong or missing secret) is refused the
    /// same way, so nothing about channels leaks.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate_channel(
        self, id: ChannelId, kinds: &[ChannelKind], secret: Option<&str>,
    ) -> Result<channel::Model> {
        let refused = || DomainError::Unauthenticated("Unknown channel or wrong secret".into());
        let found = channel::Entity::find_by_id(id)
            .filter(channel::Column::ArchivedAt.is_null())
            .one(&self.domain.db)
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
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn channel_by_id(self, id: ChannelId) -> Result<Option<channel::Model>> {
        channel::Entity::find_by_id(id)
            .one(&self.domain.db)
            .await?
            .map(|found| self.domain.open_channel(found))
            .transpose()
    }

    /// The channel, chat, message and recipient of a channel-message delivery.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn channel_job(self, job: &crate::entity::delivery::Model) -> Result<ChannelJob> {
        let missing = || DomainError::not_found("message");
        let message = message::Entity::find_by_id(job.message_id.ok_or_else(missing)?)
            .one(&self.domain.db)
            .await?
            .ok_or_else(missing)?;
        let chat = chat::Entity::find_by_id(message.chat_id)
            .one(&self.domain.db)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        let channel =
            channel::Entity::find_by_id(job.channel_id.ok_or(DomainError::not_found("channel"))?)
                .one(&self.domain.db)
                .await?
                .ok_or(DomainError::not_found("channel"))?;
        let channel = self.domain.open_channel(channel)?;
        let identities = customer_identity::Entity::find()
            .filter(customer_identity::Column::CustomerId.eq(chat.customer_id))
            .all(&self.domain.db)
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
            .all(&self.domain.db)
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
