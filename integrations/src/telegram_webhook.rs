//! A Telegram bot's webhook as a channel's set-up needs it (`../shared/TELEGRAM.md` §2):
//! `setWebhook` with the channel's secret and the updates it reads, `deleteWebhook`,
//! `getWebhookInfo`. Every refusal is an `UPSTREAM` error in Telegram's own words; the bot token
//! is part of each URL, so no error or log line ever carries a URL.

use chrono::{DateTime, Utc};
use omnipanel_domain::ports::{Bot, Messengers, WebhookInfo, WebhookRegistration};
use omnipanel_domain::{DomainError, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::HttpPolicy;

/// The updates a channel reads (`telegram::inbound`): new messages; edits are acknowledged and
/// ignored, so they are asked for too rather than left to pile up as errors.
pub const ALLOWED_UPDATES: [&str; 2] = ["message", "edited_message"];

/// Telegram bots behind the messenger port.
pub struct TelegramBots {
    http: reqwest::Client,
}

impl TelegramBots {
    pub fn new(policy: &HttpPolicy) -> Result<Self> {
        Ok(Self {
            http: crate::http_client(policy)?,
        })
    }

    /// Calls `method` and reads its `result`; a refusal carries Telegram's status and words.
    async fn call<T: DeserializeOwned>(
        &self, bot: Bot<'_>, method: &str, body: Value,
    ) -> std::result::Result<T, Refusal> {
        let response = self
            .http
            .post(format!("{}/bot{}/{method}", bot.api_base_url, bot.token))
            .json(&body)
            .send()
            .await
            .map_err(|error| {
                let words = if error.is_timeout() {
                    "Telegram did not answer in time"
                } else {
                    "Telegram could not be reached"
                };
                tracing::warn!(error = %error.without_url(), method, "Telegram unreachable");
                Refusal {
                    status: None,
                    words: words.into(),
                }
            })?;
        let status = response.status().as_u16();
        let answer: Answer<T> = response.json().await.map_err(|_| Refusal {
            status: Some(status),
            words: format!("Telegram answered HTTP {status} without a Bot API body"),
        })?;
        match answer {
            Answer {
                ok: true,
                result: Some(result),
                ..
            } => Ok(result),
            Answer { description, .. } => Err(Refusal {
                status: Some(status),
                words: description.unwrap_or_else(|| format!("HTTP {status}")),
            }),
        }
    }
}

#[derive(Deserialize)]
struct Answer<T> {
    ok: bool,
    result: Option<T>,
    description: Option<String>,
}

struct Refusal {
    status: Option<u16>,
    words: String,
}

impl Refusal {
    fn upstream(self, what: &str) -> DomainError {
        match self.status {
            Some(_) => DomainError::Upstream(format!("Telegram refused to {what}: {}", self.words)),
            None => DomainError::Upstream(format!("Could not {what}: {}", self.words)),
        }
    }

    /// The token is revoked or the bot gone: it has no webhook left to remove.
    fn bot_is_gone(&self) -> bool {
        matches!(self.status, Some(401 | 404))
    }
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    url: String,
    #[serde(default)]
    pending_update_count: i64,
    last_error_date: Option<i64>,
    last_error_message: Option<String>,
    #[serde(default)]
    allowed_updates: Vec<String>,
}

#[async_trait::async_trait]
impl Messengers for TelegramBots {
    async fn register_webhook(
        &self, bot: Bot<'_>, registration: WebhookRegistration<'_>,
    ) -> Result<()> {
        let body = json!({
            "url": registration.url,
            "secret_token": registration.secret,
            "allowed_updates": ALLOWED_UPDATES,
        });
        self.call::<Value>(bot, "setWebhook", body)
            .await
            .map(drop)
            .map_err(|refusal| refusal.upstream("set the webhook"))
    }

    async fn remove_webhook(&self, bot: Bot<'_>) -> Result<()> {
        match self.call::<Value>(bot, "deleteWebhook", json!({})).await {
            Ok(_) => Ok(()),
            Err(refusal) if refusal.bot_is_gone() => Ok(()),
            Err(refusal) => Err(refusal.upstream("delete the webhook")),
        }
    }

    async fn webhook_info(&self, bot: Bot<'_>) -> Result<WebhookInfo> {
        let info: Info = self
            .call(bot, "getWebhookInfo", json!({}))
            .await
            .map_err(|refusal| refusal.upstream("report the webhook"))?;
        Ok(WebhookInfo {
            url: info.url,
            pending_update_count: info.pending_update_count,
            last_error_at: info
                .last_error_date
                .and_then(|seconds| DateTime::<Utc>::from_timestamp(seconds, 0)),
            last_error_message: info.last_error_message,
            allowed_updates: info.allowed_updates,
        })
    }
}
