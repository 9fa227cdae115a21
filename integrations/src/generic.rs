//! The generic JSON webhook for providers without an adapter of their own (infobip_whatsapp,
//! viber, messenger). Both directions are signed like Omnipanel's webhooks:
//! `X-Omnipanel-Timestamp` (Unix seconds) and `X-Omnipanel-Signature: sha256=<hex>`, the
//! HMAC-SHA256 of `<timestamp>.<body>` keyed with the channel's secret.
//!
//! In: `POST /webhooks/generic/{channelId}` with
//! `{"id": "<message id>", "from": {"id", "phone", "name", "username"}, "text", "sentAt"}`.
//! Out: `POST <outboundUrl>` with `{"id": "<delivery id>", "messageId", "chatId", "to", "text"}`;
//! any 2xx delivers, and a body `{"id": "<provider id>"}` is kept as the message's id there.

use chrono::{DateTime, Utc};
use omnipanel_domain::channels::{ChannelJob, InboundMessage, config_of, credentials_of};
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
    text: String,
    sent_at: Option<DateTime<Utc>>,
}

/// Checks the signature of an inbound request against the channel's secret.
pub fn verify(
    found: &channel::Model,
    timestamp: Option<&str>,
    signed: Option<&str>,
    body: &[u8],
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
    if incoming.text.trim().is_empty() {
        return Err(bad("text must not be empty"));
    }
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
        text: incoming.text,
        sent_at: incoming.sent_at,
        files: Vec::new(),
    })
}

#[derive(Deserialize)]
struct Accepted {
    id: Option<String>,
}

/// Posts an operator's message to the channel's outbound URL.
#[tracing::instrument(level = "debug", skip_all, fields(delivery_id = %delivery_id, channel_id = %job.channel.id))]
pub async fn send(
    http: &reqwest::Client,
    job: &ChannelJob,
    delivery_id: &str,
    links: &[String],
    now: i64,
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
        Ok(response) => Attempt::failed(
            Some(i32::from(response.status().as_u16())),
            format!("The provider answered HTTP {}", response.status().as_u16()),
        ),
        Err(error) if error.is_timeout() => {
            Attempt::failed(None, "The provider did not answer in time")
        }
        Err(_) => Attempt::failed(None, "The provider could not be reached"),
    }
}
