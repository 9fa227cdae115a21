//! What a channel is (M1): its kind, settings and credentials, and the rules for them, free of
//! services.

use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::entity::channel;
use crate::enums::{ChannelKind, ChatSource};
use crate::error::Result;
use crate::ids::*;
use crate::validate::{http_url, rule, single_line};

/// The Telegram Bot API, unless a channel names another (a local Bot API server, a test fake).
pub const TELEGRAM_API: &str = "https://api.telegram.org";

/// What a channel does besides carrying messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelConfig {
    /// New conversations go straight to this queue; without one they start with the bot.
    pub queue_id: Option<QueueId>,
    /// Conversations the bot has are in this queue: its members see them and may take them
    /// over (D1). Without one only managers and above see them.
    #[serde(default)]
    pub bot_queue_id: Option<QueueId>,
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

/// Where a channel is reached from outside: the provider's webhook (Telegram, the generic
/// JSON webhook) or, for web chat, the page.
pub fn inbound_url(public_url: &url::Url, kind: ChannelKind, id: ChannelId) -> String {
    let base = public_url.as_str().trim_end_matches('/');
    match kind {
        ChannelKind::Telegram => format!("{base}/webhooks/telegram/{id}"),
        ChannelKind::Webchat => format!("{base}/webchat/{id}"),
        _ => format!("{base}/webhooks/generic/{id}"),
    }
}

/// The Bot API server a Telegram channel's bot talks to.
pub fn bot_api(found: &channel::Model) -> &str {
    found.api_base_url.as_deref().unwrap_or(TELEGRAM_API)
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
pub(crate) fn telegram_token(value: &str) -> Result<(), ValidationError> {
    let valid = value.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.chars().all(|c| c.is_ascii_digit())
            && secret.len() >= 20
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    rule(valid, "token", "must be a bot token such as 123456789:AAE…")
}

/// Auto-close after 1 minute to 30 days of silence (D11).
fn auto_close(value: i32) -> Result<(), ValidationError> {
    let valid = (60..=30 * 24 * 3600).contains(&value);
    rule(valid, "range", "must be between 60 seconds and 30 days")
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
    /// The queue whose members see the conversations the bot has and may take them over.
    pub bot_queue_id: Option<QueueId>,
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

/// Where a channel's conversations go (administrators); both fields are set as given, `null`
/// removing a queue.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetChannelQueuesInput {
    pub channel_id: ChannelId,
    /// New conversations go straight to this queue; without one they start with the bot.
    pub queue_id: Option<QueueId>,
    /// The queue whose members see the conversations the bot has and may take them over.
    pub bot_queue_id: Option<QueueId>,
}

/// A channel's name, sender, queues and auto-close (administrators; 004). What is not given
/// stays as it is; a `clear…` flag removes a value.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateChannelInput {
    pub id: ChannelId,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: Option<String>,
    /// The sender the provider shows.
    #[validate(length(min = 1, max = 200), custom(function = "single_line"))]
    pub gateway: Option<String>,
    /// The provider shows its default sender.
    pub clear_gateway: Option<bool>,
    /// New conversations go straight to this queue.
    pub queue_id: Option<QueueId>,
    /// New conversations start with the bot.
    pub clear_queue: Option<bool>,
    /// The queue whose members see the conversations the bot has.
    pub bot_queue_id: Option<QueueId>,
    pub clear_bot_queue: Option<bool>,
    /// Chats close after this many seconds without messages (D11), counted from the next
    /// message of each open chat.
    #[validate(custom(function = "auto_close"))]
    pub auto_close_after_secs: Option<i32>,
    /// Chats on the channel no longer close by themselves.
    pub clear_auto_close: Option<bool>,
}

/// A channel and its secret, shown once.
pub struct CreatedChannel {
    pub channel: channel::Model,
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::assert_rule;

    #[test]
    fn bot_tokens_are_recognised() {
        assert_rule(
            telegram_token,
            &["123456789:AAEhBP0av28mWeYq4N5r2J3c-dZ_qsqPXyZ"],
            &[
                "abc:AAEhBP0av28mWeYq4N5r2J3c",
                "123456789:short",
                "123456789AAEhBP0av28mWeYq4N5r2J3c",
                "123:AAEhBP0av28mWeYq4N5r2J3c/../x",
            ],
        );
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
