//! The delivery worker: sends what the domain queued for the outside world (H4): signed
//! webhooks to CRM business processes and Creatio processes started on chat close. Every
//! instance runs one; claims keep them from sending one delivery twice at once.
//!
//! A webhook delivery is a `POST` of the event's JSON with these headers:
//! - `X-Omnipanel-Delivery`: the delivery id, the same on every attempt (de-duplicate by it);
//! - `X-Omnipanel-Event`: the event, such as `CHAT_CLOSED`;
//! - `X-Omnipanel-Timestamp`: Unix seconds of this attempt;
//! - `X-Omnipanel-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the webhook's
//!   secret, of `<timestamp>.<body>`.
//!
//! Any 2xx answer delivers; anything else (or no answer) is retried with exponential backoff
//! until the domain gives the delivery up.
//!
//! Channel messages go to the customer's messenger (Telegram's `sendMessage`, a generic
//! channel's outbound URL), one chat's messages in order. Delivery is at least once: a worker
//! that dies after the provider accepted a message but before recording it sends it again
//! when its claim expires (Telegram offers no idempotency key to prevent that).

use omnipanel_domain::deliveries::Attempt;
use omnipanel_domain::entity::delivery;
use omnipanel_domain::enums::{ChannelKind, DeliveryKind};
use omnipanel_domain::files::InboundLimits;
use omnipanel_domain::{Domain, DomainError, Result};
use tokio::task::JoinSet;

use crate::HttpPolicy;
use crate::signing::signature;

/// How many deliveries one pass claims (and sends at once).
const BATCH: u64 = 20;

/// Sends due webhook and CRM-process deliveries.
#[derive(Clone)]
pub struct DeliveryWorker {
    domain: Domain,
    http: reqwest::Client,
    policy: HttpPolicy,
}

impl DeliveryWorker {
    pub fn new(domain: Domain, policy: HttpPolicy) -> Result<Self> {
        Ok(Self {
            domain,
            http: crate::http_client(&policy)?,
            policy,
        })
    }

    /// Why a channel's provider may not be called, if it may not (a literal private address
    /// saved before the guard, or while private upstreams were allowed).
    fn channel_refusal(
        &self, channel: &omnipanel_domain::entity::channel::Model,
    ) -> Option<String> {
        let outbound = omnipanel_domain::channels::config_of(channel).outbound_url;
        [channel.api_base_url.as_deref(), outbound.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|url| self.policy.refusal(url))
    }

    /// Runs until the task is aborted: a pass whenever deliveries are queued, and whenever the
    /// timer sweep says retries may have come due (every tick on a server; with a manual clock,
    /// only when a test advances it).
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                self.domain.deliveries_due.notified().await;
                if let Err(error) = self.run_once().await {
                    tracing::error!(?error, "delivery pass failed");
                }
            }
        })
    }

    /// Sends everything due now; returns how many attempts were made.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn run_once(&self) -> Result<usize> {
        let mut attempts = 0;
        loop {
            let claimed = self
                .domain
                .deliveries()
                .claim_deliveries(
                    &[
                        DeliveryKind::Webhook,
                        DeliveryKind::CrmProcess,
                        DeliveryKind::ChannelMessage,
                        DeliveryKind::ChannelFile,
                    ],
                    BATCH,
                )
                .await?;
            if claimed.is_empty() {
                return Ok(attempts);
            }
            attempts += claimed.len();
            let mut sending = JoinSet::new();
            for job in claimed {
                let worker = self.clone();
                sending.spawn(async move {
                    let outcome = worker.attempt(&job).await;
                    worker
                        .domain
                        .deliveries()
                        .record_attempt(&job, outcome)
                        .await
                });
            }
            while let Some(done) = sending.join_next().await {
                done.map_err(|e| DomainError::Internal(format!("delivery task failed: {e}")))??;
            }
        }
    }

    async fn attempt(&self, job: &delivery::Model) -> Attempt {
        match job.kind {
            DeliveryKind::Webhook => self.post_webhook(job).await,
            DeliveryKind::CrmProcess => self.run_process(job).await,
            DeliveryKind::ChannelMessage => self.send_to_channel(job).await,
            DeliveryKind::ChannelFile => self.fetch_from_channel(job).await,
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(delivery_id = %job.id, org = %job.organization_id))]
    async fn post_webhook(&self, job: &delivery::Model) -> Attempt {
        let hook = match job.webhook_id {
            Some(id) => self.domain.deliveries().webhook_for_delivery(id).await,
            None => Ok(None),
        };
        let hook = match hook {
            Ok(Some(hook)) if hook.active && hook.archived_at.is_none() => hook,
            Ok(_) => return Attempt::refused(None, "The webhook was paused or removed"),
            Err(error) => {
                return Attempt::failed(None, format!("Could not read the webhook: {error}"));
            }
        };
        if let Some(why) = self.policy.refusal(&hook.url) {
            return Attempt::refused(None, why);
        }
        let body = job.payload.to_string().into_bytes();
        let timestamp = self.domain.now().timestamp();
        let sent = self
            .http
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Omnipanel-Delivery", job.id.to_string())
            .header("X-Omnipanel-Event", job.event_kind.as_deref().unwrap_or(""))
            .header("X-Omnipanel-Timestamp", timestamp.to_string())
            .header(
                "X-Omnipanel-Signature",
                signature(&hook.secret, timestamp, &body),
            )
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                Attempt::delivered(Some(i32::from(response.status().as_u16())))
            }
            other => crate::attempts::failed(other, "receiver"),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(delivery_id = %job.id, org = %job.organization_id))]
    async fn run_process(&self, job: &delivery::Model) -> Attempt {
        let process = job.payload["process"].as_str().unwrap_or_default();
        let chat_id = job.payload["parameters"]["ChatId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let started = match self.domain.crm().crm_for(job.organization_id).await {
            Ok(crm) => crm.run_process(process, &[("ChatId", chat_id)]).await,
            Err(error) => Err(error),
        };
        match started {
            Ok(()) => Attempt::delivered(None),
            Err(error) => Attempt::failed(None, error.to_string()),
        }
    }
}

impl DeliveryWorker {
    /// Fetches a file a customer sent and keeps it with their message.
    #[tracing::instrument(level = "debug", skip_all, fields(delivery_id = %job.id, org = %job.organization_id))]
    async fn fetch_from_channel(&self, job: &delivery::Model) -> Attempt {
        let Ok(file) =
            serde_json::from_value::<omnipanel_domain::channels::InboundFile>(job.payload.clone())
        else {
            return Attempt::refused(None, "The file to fetch is not described");
        };
        let channel = match job.channel_id {
            Some(id) => self.domain.channels().channel_by_id(id).await,
            None => Ok(None),
        };
        let channel = match channel {
            Ok(Some(channel)) => channel,
            Ok(None) => return Attempt::refused(None, "The channel no longer exists"),
            Err(error) => return Attempt::failed(None, error.to_string()),
        };
        if let Some(why) = self.channel_refusal(&channel) {
            return Attempt::refused(None, why);
        }
        let files = self.domain.files();
        let fetched = if channel.kind == ChannelKind::Telegram {
            crate::telegram::fetch_file(&self.http, &channel, &file.provider_file_id).await
        } else if omnipanel_domain::channels::is_generic(channel.kind) {
            // The provider's address: checked like every address the server calls.
            if let Some(why) = self.policy.refusal(&file.provider_file_id) {
                return Attempt::refused(None, why);
            }
            let max_bytes = match files.inbound_file_limit(job.organization_id).await {
                Ok(limit) => limit,
                Err(error) => return Attempt::failed(None, error.to_string()),
            };
            crate::generic::fetch_file(&self.http, &file.provider_file_id, max_bytes).await
        } else {
            return Attempt::refused(None, "This channel sends no files to fetch");
        };
        let bytes = match fetched {
            Ok(bytes) => bytes,
            Err(attempt) => return attempt,
        };
        // Telegram's files are bounded by Telegram; a generic provider's by the organization's
        // upload limits, like an operator's.
        let limits = if channel.kind == ChannelKind::Telegram {
            InboundLimits::Provider
        } else {
            InboundLimits::Organization
        };
        let kept = files
            .keep_inbound_file(job, &file.name, &file.content_type, &bytes, limits)
            .await;
        match kept {
            Ok(_) => Attempt::delivered(None),
            Err(error) if !error.is_internal() => Attempt::refused(None, error.to_string()),
            Err(error) => Attempt::failed(None, error.to_string()),
        }
    }

    /// Sends an operator's message to the customer's channel.
    #[tracing::instrument(level = "debug", skip_all, fields(delivery_id = %job.id, org = %job.organization_id))]
    async fn send_to_channel(&self, job: &delivery::Model) -> Attempt {
        let target = match self.domain.channels().channel_job(job).await {
            Ok(target) => target,
            Err(DomainError::NotFound { what }) => {
                return Attempt::refused(None, format!("The {what} no longer exists"));
            }
            Err(error) => {
                return Attempt::failed(None, format!("Could not read the message: {error}"));
            }
        };
        if let Some(why) = self.channel_refusal(&target.channel) {
            return Attempt::refused(None, why);
        }
        match target.channel.kind {
            ChannelKind::Telegram => {
                let Some(to) = &target.recipient else {
                    return Attempt::refused(None, "The customer has no Telegram chat id");
                };
                let file = match target.attachments.first() {
                    Some(file) => match self.domain.file_store.get(&file.storage_key).await {
                        Ok(Some(bytes)) => Some(crate::telegram::File {
                            name: &file.file_name,
                            content_type: &file.content_type,
                            is_image: file.is_image,
                            bytes,
                        }),
                        Ok(None) => return Attempt::refused(None, "The file is missing"),
                        Err(error) => return Attempt::failed(None, error.to_string()),
                    },
                    None => None,
                };
                crate::telegram::send_message(
                    &self.http,
                    &target.channel,
                    to,
                    &target.message.text,
                    file,
                )
                .await
            }
            // The customer's web chat page reads its messages from Omnipanel itself.
            ChannelKind::Webchat => Attempt::delivered(None),
            ChannelKind::InfobipWhatsapp | ChannelKind::Viber | ChannelKind::Messenger => {
                let until = self.domain.now() + chrono::Duration::days(1);
                let links: Vec<String> = target
                    .attachments
                    .iter()
                    .map(|file| self.domain.files().file_link(file, until))
                    .collect();
                crate::generic::send(
                    &self.http,
                    &target,
                    &job.id.to_string(),
                    &links,
                    self.domain.now().timestamp(),
                )
                .await
            }
        }
    }
}
