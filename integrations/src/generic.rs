//! The generic JSON webhook for providers without an adapter of their own (infobip_whatsapp,
//! viber, messenger). Both directions are signed like Omnipanel's webhooks:
//! `X-Omnipanel-Timestamp` (Unix seconds) and `X-Omnipanel-Signature: sha256=<hex>`, the
//! HMAC-SHA256 of `<timestamp>.<body>` keyed with the channel's secret.
//!
//! In: `POST /webhooks/generic/{channelId}` with
//! `{"id": "<message id>", "from": {"id", "phone", "name", "username"}, "text", "sentAt",
//! "attachments": [{"url", "name", "contentType"}]}`; each attachment is fetched from its URL
//! by the delivery worker, within the organization's upload limits (size and types).
//! Out: `POST <outboundUrl>` with `{"id": "<delivery id>", "messageId", "chatId", "to", "text"}`;
//! any 2xx delivers, and a body `{"id": "<provider id>"}` is kept as the message's id there.

use chrono::{DateTime, Utc};
use omnipanel_domain::channels::{
    ChannelJob, InboundFile, InboundMessage, config_of, credentials_of,
};
use omnipanel_domain::customer::CustomerInput;
use omnipanel_domain::deliveries::Attempt;
use omnipanel_domain::entity::channel;
use serde::Deserialize;
use serde_json::json;

use crate::signing::{signature, verify_signature};

/// How far a signed request's timestamp may be from the server's clock.
const MAX_SKEW_SECS: i64 = 300;

/// Why an inbound request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Missing, stale or wrong signature.
    Signature,
    /// The body is not the documented JSON.
    Body(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct From {
    id: Option<String>,
    phone: Option<String>,
    name: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Incoming {
    id: String,
    from: From,
    #[serde(default)]
    text: String,
    sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    attachments: Vec<IncomingFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IncomingFile {
    url: String,
    name: String,
    content_type: String,
}

/// Files one message may carry.
const MAX_ATTACHMENTS: usize = 10;

fn file_of(file: IncomingFile) -> Result<InboundFile, Refusal> {
    let bad = |what: &str| Refusal::Body(what.to_owned());
    let url = url::Url::parse(&file.url).map_err(|_| bad("attachments[].url must be a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || file.url.len() > 2000 {
        return Err(bad(
            "attachments[].url must be an http(s) URL of at most 2000 characters",
        ));
    }
    if file.name.trim().is_empty() || file.name.chars().count() > 255 {
        return Err(bad("attachments[].name must be 1 to 255 characters"));
    }
    let content_type = file.content_type.trim();
    if content_type.is_empty() || content_type.len() > 127 || !content_type.contains('/') {
        return Err(bad(
            "attachments[].contentType must be a MIME type such as image/png",
        ));
    }
    Ok(InboundFile {
        provider_file_id: file.url,
        name: file.name.trim().to_owned(),
        content_type: content_type.to_owned(),
    })
}

/// Checks the signature of an inbound request against the channel's secret.
pub fn verify(
    found: &channel::Model, timestamp: Option<&str>, signed: Option<&str>, body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let secret = credentials_of(found)
        .signing_secret
        .ok_or(Refusal::Signature)?;
    let timestamp: i64 = timestamp
        .and_then(|t| t.parse().ok())
        .ok_or(Refusal::Signature)?;
    if (now.timestamp() - timestamp).abs() > MAX_SKEW_SECS {
        return Err(Refusal::Signature);
    }
    let presented = signed.ok_or(Refusal::Signature)?;
    if verify_signature(&secret, timestamp, body, presented) {
        Ok(())
    } else {
        Err(Refusal::Signature)
    }
}

/// The customer's message in a verified body.
pub fn inbound(body: &[u8]) -> Result<InboundMessage, Refusal> {
    let incoming: Incoming =
        serde_json::from_slice(body).map_err(|e| Refusal::Body(e.to_string()))?;
    let bad = |what: &str| Refusal::Body(what.to_owned());
    if incoming.id.trim().is_empty() || incoming.id.len() > 200 {
        return Err(bad("id must be 1 to 200 characters"));
    }
    if incoming.attachments.len() > MAX_ATTACHMENTS {
        return Err(bad("at most 10 attachments"));
    }
    let files = incoming
        .attachments
        .into_iter()
        .map(file_of)
        .collect::<Result<Vec<_>, _>>()?;
    // A message of files alone says which, as a Telegram document does.
    let text = match (incoming.text.trim().is_empty(), files.as_slice()) {
        (false, _) => incoming.text,
        (true, []) => return Err(bad("text must not be empty without attachments")),
        (true, files) => files
            .iter()
            .map(|f| format!("📎 {}", f.name))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    if incoming.from.id.is_none() && incoming.from.phone.is_none() {
        return Err(bad("from needs an id or a phone"));
    }
    Ok(InboundMessage {
        receipt: None,
        external_id: incoming.id,
        customer: CustomerInput {
            name: incoming.from.name,
            phone: incoming.from.phone,
            email: None,
            messenger_id: incoming.from.id,
            username: incoming.from.username,
        },
        text,
        sent_at: incoming.sent_at,
        files,
    })
}

/// Fetches a customer's file from the address the provider gave, reading at most `max_bytes`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fetch_file(
    http: &reqwest::Client, url: &str, max_bytes: u64,
) -> Result<Vec<u8>, Attempt> {
    let response = match http.get(url).send().await {
        Ok(response) => response,
        Err(error) if error.is_timeout() => {
            return Err(Attempt::failed(
                None,
                "The provider did not send the file in time",
            ));
        }
        Err(_) => return Err(Attempt::failed(None, "The file could not be fetched")),
    };
    let status = response.status().as_u16();
    if !response.status().is_success() {
        let attempt = format!("The provider answered HTTP {status} for the file");
        return Err(match status {
            404 | 410 => Attempt::refused(Some(i32::from(status)), attempt),
            _ => Attempt::failed(Some(i32::from(status)), attempt),
        });
    }
    crate::body_at_most(response, max_bytes)
        .await
        .map_err(|error| match error {
            crate::BodyError::TooLarge => {
                Attempt::refused(None, format!("The file is larger than {max_bytes} bytes"))
            }
            crate::BodyError::Broken(_) => Attempt::failed(None, "The file could not be fetched"),
        })
}

#[derive(Deserialize)]
struct Accepted {
    id: Option<String>,
}

/// Posts an operator's message to the channel's outbound URL.
#[tracing::instrument(level = "debug", skip_all, fields(delivery_id = %delivery_id, channel_id = %job.channel.id))]
pub async fn send(
    http: &reqwest::Client, job: &ChannelJob, delivery_id: &str, links: &[String], now: i64,
) -> Attempt {
    let (Some(url), Some(secret)) = (
        config_of(&job.channel).outbound_url,
        credentials_of(&job.channel).signing_secret,
    ) else {
        return Attempt::refused(None, "The channel has no outbound URL or secret");
    };
    let Some(to) = &job.recipient else {
        return Attempt::refused(None, "The customer has no address on this channel");
    };
    let body = json!({
        "id": delivery_id,
        "messageId": job.message.id,
        "chatId": job.chat.id,
        "to": to,
        "text": job.message.text,
        "attachments": job
            .attachments
            .iter()
            .zip(links)
            .map(|(file, url)| json!({
                "fileName": file.file_name,
                "contentType": file.content_type,
                "sizeBytes": file.size_bytes,
                "url": url,
            }))
            .collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    let sent = http
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Omnipanel-Delivery", delivery_id)
        .header("X-Omnipanel-Timestamp", now.to_string())
        .header("X-Omnipanel-Signature", signature(&secret, now, &body))
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => {
            let status = i32::from(response.status().as_u16());
            let accepted: Option<Accepted> = response.json().await.ok();
            Attempt::Delivered {
                status: Some(status),
                external_id: accepted.and_then(|a| a.id).filter(|id| id.len() <= 200),
            }
        }
        other => crate::attempts::failed(other, "provider"),
    }
}
