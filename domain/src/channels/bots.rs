//! A Telegram channel's bot, set up by the server: its webhook is registered (with a fresh
//! secret) when the channel is created or its token changes, removed when the channel is
//! archived, and reported by `channel_status`. Registration comes first: if Telegram refuses,
//! nothing is saved and the administrator reads Telegram's words in an `UPSTREAM` error.

use sea_orm::ActiveModelTrait;
use sea_orm::ActiveValue::Set;
use validator::Validate;

use crate::actor::Actor;
use crate::channels::config::{
    ChannelCredentials, bot_api, credentials_of, inbound_url, telegram_token,
};
use crate::entity::channel;
use crate::enums::ChannelKind;
use crate::error::{DomainError, Result};
use crate::ids::ChannelId;
use crate::ports::{Bot, WebhookInfo, WebhookRegistration};
use crate::secret::{generate_token, prefix, token_digest};
use crate::service::Channels;
use crate::validate::check_admin;

/// A new token for a Telegram channel's bot (administrators).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ChangeBotTokenInput {
    pub channel_id: ChannelId,
    /// The bot's token from @BotFather.
    #[validate(custom(function = "telegram_token"))]
    pub bot_token: String,
}

/// A channel as its provider reports it.
#[derive(Clone, Debug)]
pub struct ChannelStatus {
    pub channel: channel::Model,
    /// Where the provider must send updates for this channel.
    pub expected_webhook_url: String,
    /// What the provider reports; `None` for kinds without a webhook the server registers.
    pub webhook: Option<WebhookInfo>,
}

impl Channels<'_> {
    /// Registers the channel's webhook with `token` and a fresh secret; returns the secret.
    pub(crate) async fn register_bot(
        self, id: ChannelId, api_base_url: &str, token: &str,
    ) -> Result<String> {
        let secret = generate_token(prefix::CHANNEL_SECRET);
        let url = inbound_url(&self.domain.config.public_url, ChannelKind::Telegram, id);
        self.domain
            .messengers
            .register_webhook(
                Bot {
                    api_base_url,
                    token,
                },
                WebhookRegistration {
                    url: &url,
                    secret: &secret,
                },
            )
            .await?;
        Ok(secret)
    }

    /// Stops a Telegram channel's bot from sending updates here.
    pub(crate) async fn unregister_bot(self, found: &channel::Model) -> Result<()> {
        if found.kind != ChannelKind::Telegram {
            return Ok(());
        }
        match self.bot_token(found)? {
            Some(token) => self.remove_webhook(found, &token).await,
            None => Ok(()),
        }
    }

    fn bot_token(self, found: &channel::Model) -> Result<Option<String>> {
        Ok(credentials_of(&self.domain.open_channel(found.clone())?).bot_token)
    }

    async fn remove_webhook(self, found: &channel::Model, token: &str) -> Result<()> {
        self.domain
            .messengers
            .remove_webhook(Bot {
                api_base_url: bot_api(found),
                token,
            })
            .await
    }

    /// Gives a Telegram channel another bot token: the new bot's webhook is registered with a
    /// new secret, then saved; the old bot's webhook is removed if it can be.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn change_bot_token(
        self, actor: &Actor, input: ChangeBotTokenInput,
    ) -> Result<channel::Model> {
        check_admin(actor, &input)?;
        let found = self.live_channel(actor, input.channel_id).await?;
        if found.kind != ChannelKind::Telegram {
            return Err(DomainError::validation(
                "channelId",
                "Only Telegram channels have a bot token",
            ));
        }
        let secret = self
            .register_bot(found.id, bot_api(&found), &input.bot_token)
            .await?;
        let previous = found.clone();
        let old_token = self.bot_token(&found)?;
        let credentials = ChannelCredentials {
            bot_token: Some(input.bot_token),
            signing_secret: None,
        };
        let mut model: channel::ActiveModel = found.into();
        model.credentials = Set(Some(
            self.domain.keyring.seal(
                &serde_json::to_string(&credentials)
                    .map_err(|e| DomainError::Internal(e.to_string()))?,
            ),
        ));
        model.secret_hash = Set(Some(token_digest(&secret)));
        model.updated_at = Set(self.domain.now());
        let updated = model.update(&self.domain.db).await?;
        // The old bot would keep posting with a secret that no longer matches.
        if let Some(old) = old_token.filter(|old| Some(old) != credentials.bot_token.as_ref())
            && let Err(error) = self.remove_webhook(&previous, &old).await
        {
            tracing::warn!(%error, channel_id = %previous.id, "the old bot's webhook stays");
        }
        Ok(updated)
    }

    /// The channel and what its provider reports of its webhook (administrators).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn channel_status(self, actor: &Actor, id: ChannelId) -> Result<ChannelStatus> {
        actor.require_admin()?;
        let found = self.live_channel(actor, id).await?;
        let expected_webhook_url =
            inbound_url(&self.domain.config.public_url, found.kind, found.id);
        let webhook = if found.kind == ChannelKind::Telegram {
            let token = self
                .bot_token(&found)?
                .ok_or_else(|| DomainError::Upstream("The channel has no bot token".into()))?;
            Some(
                self.domain
                    .messengers
                    .webhook_info(Bot {
                        api_base_url: bot_api(&found),
                        token: &token,
                    })
                    .await?,
            )
        } else {
            None
        };
        Ok(ChannelStatus {
            channel: found,
            expected_webhook_url,
            webhook,
        })
    }
}
