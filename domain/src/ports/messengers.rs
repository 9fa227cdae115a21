//! The messenger port: what setting a channel up asks of its provider. A Telegram bot is told
//! where to send its updates (`setWebhook`) when its channel is created or its token changes,
//! told to stop (`deleteWebhook`) when the channel is archived, and asked what it reports
//! (`getWebhookInfo`). `omnipanel-integrations` implements it; without it (the domain's own
//! tests) nothing is registered.

use chrono::{DateTime, Utc};

use crate::error::{DomainError, Result};

/// A bot as its provider's API knows it.
#[derive(Clone, Copy)]
pub struct Bot<'a> {
    /// The Bot API server (`https://api.telegram.org` or another).
    pub api_base_url: &'a str,
    pub token: &'a str,
}

/// Where and how the provider is to deliver a channel's updates.
pub struct WebhookRegistration<'a> {
    pub url: &'a str,
    /// Repeated in each update's `X-Telegram-Bot-Api-Secret-Token`.
    pub secret: &'a str,
}

/// What the provider reports of a bot's webhook.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookInfo {
    /// Where updates go; empty when none is set.
    pub url: String,
    /// Updates waiting to be delivered.
    pub pending_update_count: i64,
    /// When delivering last failed, and why, in the provider's words.
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_error_message: Option<String>,
    /// The kinds of update delivered (empty: the provider's default).
    pub allowed_updates: Vec<String>,
}

/// A messenger's bot set-up. Failures are `UPSTREAM` errors in the provider's words.
#[async_trait::async_trait]
pub trait Messengers: Send + Sync {
    /// Points the bot's updates at `registration`.
    async fn register_webhook(
        &self, bot: Bot<'_>, registration: WebhookRegistration<'_>,
    ) -> Result<()>;
    /// Stops the bot's updates. A bot whose token no longer works has none to stop.
    async fn remove_webhook(&self, bot: Bot<'_>) -> Result<()>;
    /// What the provider reports of the bot's webhook.
    async fn webhook_info(&self, bot: Bot<'_>) -> Result<WebhookInfo>;
}

/// No provider reachable: registration is left to the administrator.
pub struct NoMessengers;

#[async_trait::async_trait]
impl Messengers for NoMessengers {
    async fn register_webhook(&self, _: Bot<'_>, _: WebhookRegistration<'_>) -> Result<()> {
        Ok(())
    }

    async fn remove_webhook(&self, _: Bot<'_>) -> Result<()> {
        Ok(())
    }

    async fn webhook_info(&self, _: Bot<'_>) -> Result<WebhookInfo> {
        Err(DomainError::Upstream(
            "This server does not talk to messengers".into(),
        ))
    }
}
