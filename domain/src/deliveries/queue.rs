//! The delivery queue (M2, H4): due rows claimed with a lease by any instance's worker, attempts
//! recorded, retried with backoff, given up visibly; channel messages marked SENT or FAILED.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::actor::Actor;
use crate::entity::{chat, delivery, message};
use crate::enums::{DeliveryKind, DeliveryState};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::service::Deliveries;
use crate::store::find_own;
use crate::work::Work;

/// How long a claimed delivery is reserved for the worker sending it.
const LEASE_SECS: i64 = 60;

/// Attempts before a delivery is given up (FAILED, visible in the log, retryable by hand).
pub const MAX_ATTEMPTS: i32 = 8;

/// The first wait after a failure; it doubles each attempt, up to an hour.
const FIRST_RETRY_SECS: i64 = 10;

/// The wait after the `attempts`-th failed attempt: 10 s, 20 s, 40 s, … at most an hour.
pub fn retry_delay(attempts: i32) -> Duration {
    let exponent = Ord::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 16);
    Duration::seconds(Ord::min(FIRST_RETRY_SECS << exponent, 3600))
}

/// How one attempt went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Delivered: the receiver's status, and the id the provider gave a message.
    Delivered {
        status: Option<i32>,
        external_id: Option<String>,
    },
    /// Failed, and whether and when to try again.
    Failed {
        status: Option<i32>,
        error: String,
        retry: Retry,
    },
}

/// When a failed delivery is tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// After the exponential backoff of its attempt count.
    Backoff,
    /// After the wait the receiver asked for (Telegram's `retry_after`, `Retry-After`).
    After(Duration),
    /// Never: retrying cannot help (the customer blocked the bot, a removed webhook).
    Never,
}

impl Attempt {
    pub fn delivered(status: Option<i32>) -> Self {
        Self::Delivered {
            status,
            external_id: None,
        }
    }

    /// A failure worth retrying after the usual backoff.
    pub fn failed(status: Option<i32>, error: impl Into<String>) -> Self {
        Self::Failed {
            status,
            error: error.into(),
            retry: Retry::Backoff,
        }
    }

    /// A failure no retry can mend.
    pub fn refused(status: Option<i32>, error: impl Into<String>) -> Self {
        Self::Failed {
            status,
            error: error.into(),
            retry: Retry::Never,
        }
    }
}

/// A delivery of one chat's, due at once: its kind and what it carries, and whom it goes to
/// (a webhook, the chat's channel) when there is one.
pub(crate) struct Pending {
    kind: DeliveryKind,
    payload: serde_json::Value,
    webhook_id: Option<WebhookId>,
    channel_id: Option<ChannelId>,
    message_id: Option<MessageId>,
    event_kind: Option<&'static str>,
}

impl Pending {
    pub(crate) fn new(kind: DeliveryKind, payload: serde_json::Value) -> Self {
        Self {
            kind,
            payload,
            webhook_id: None,
            channel_id: None,
            message_id: None,
            event_kind: None,
        }
    }

    /// To a webhook, for one of its events.
    pub(crate) fn for_webhook(mut self, id: WebhookId, event: &'static str) -> Self {
        self.webhook_id = Some(id);
        self.event_kind = Some(event);
        self
    }

    /// On a channel, carrying (part of) a message.
    pub(crate) fn on_channel(mut self, id: Option<ChannelId>, message: MessageId) -> Self {
        self.channel_id = id;
        self.message_id = Some(message);
        self
    }

    /// For an event of the chat's with no webhook of its own (a CRM process).
    pub(crate) fn for_event(mut self, event: &'static str) -> Self {
        self.event_kind = Some(event);
        self
    }

    /// The row to insert: pending, never tried, due at `now`.
    pub(crate) fn row(
        self, id: DeliveryId, chat: &chat::Model, now: DateTime<Utc>,
    ) -> delivery::ActiveModel {
        delivery::ActiveModel::from(self.model(id, chat, now)).reset_all()
    }

    /// [`Self::row`] as the model it becomes.
    pub(crate) fn model(
        self, id: DeliveryId, chat: &chat::Model, now: DateTime<Utc>,
    ) -> delivery::Model {
        delivery::Model {
            id,
            organization_id: chat.organization_id,
            kind: self.kind,
            webhook_id: self.webhook_id,
            channel_id: self.channel_id,
            chat_id: Some(chat.id),
            message_id: self.message_id,
            event_id: None,
            event_kind: self.event_kind.map(str::to_owned),
            payload: self.payload,
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            last_error: None,
            last_status: None,
            created_at: now,
            sent_at: None,
        }
    }
}

impl Deliveries<'_> {
    /// Claims up to `limit` due deliveries of `kinds` for this worker. Deliveries of one chat to
    /// one receiver (a webhook, the customer's channel) go out in order: one waits while an
    /// earlier one is still pending.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_deliveries(
        self, kinds: &[DeliveryKind], limit: u64,
    ) -> Result<Vec<delivery::Model>> {
        let now = self.domain.now();
        let due = delivery::Entity::find()
            .filter(delivery::Column::State.eq(DeliveryState::Pending))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .filter(delivery::Column::Kind.is_in(kinds.iter().copied()))
            .order_by_asc(delivery::Column::NextAttemptAt)
            .order_by_asc(delivery::Column::CreatedAt)
            .limit(limit)
            .all(&self.domain.db)
            .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for found in due {
            if let Some(chat_id) = found.chat_id {
                let receiver = match found.webhook_id {
                    Some(id) => delivery::Column::WebhookId.eq(id),
                    None => delivery::Column::WebhookId.is_null(),
                };
                let earlier = delivery::Entity::find()
                    .filter(delivery::Column::ChatId.eq(chat_id))
                    .filter(delivery::Column::Kind.eq(found.kind))
                    .filter(receiver)
                    .filter(delivery::Column::State.eq(DeliveryState::Pending))
                    .filter(
                        Condition::any()
                            .add(delivery::Column::CreatedAt.lt(found.created_at))
                            .add(
                                Condition::all()
                                    .add(delivery::Column::CreatedAt.eq(found.created_at))
                                    .add(delivery::Column::Id.lt(found.id)),
                            ),
                    )
                    .count(&self.domain.db)
                    .await?;
                if earlier > 0 {
                    continue;
                }
            }
            let taken = delivery::Entity::update_many()
                .col_expr(
                    delivery::Column::NextAttemptAt,
                    Expr::value(now + Duration::seconds(LEASE_SECS)),
                )
                .col_expr(
                    delivery::Column::Attempts,
                    Expr::col(delivery::Column::Attempts).add(1),
                )
                .filter(delivery::Column::Id.eq(found.id))
                .filter(delivery::Column::State.eq(DeliveryState::Pending))
                .filter(delivery::Column::NextAttemptAt.eq(found.next_attempt_at))
                .exec(&self.domain.db)
                .await?;
            if taken.rows_affected == 1 {
                claimed.push(delivery::Model {
                    attempts: found.attempts + 1,
                    ..found
                });
            }
        }
        Ok(claimed)
    }

    /// Records how an attempt went: delivered, retried later (exponential backoff, or the wait
    /// the receiver asked for), or given up after [`MAX_ATTEMPTS`] or when retrying cannot
    /// help. A channel message's own delivery state follows, and its chat is told, in the same
    /// transaction.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_attempt(self, claimed: &delivery::Model, attempt: Attempt) -> Result<()> {
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let mut model = delivery::ActiveModel {
            id: Set(claimed.id),
            ..Default::default()
        };
        let mut message_state = None;
        let mut external = None;
        match attempt {
            Attempt::Delivered {
                status,
                external_id,
            } => {
                model.state = Set(DeliveryState::Delivered);
                model.sent_at = Set(Some(now));
                model.next_attempt_at = Set(None);
                model.last_status = Set(status);
                model.last_error = Set(None);
                message_state = Some((DeliveryState::Sent, None));
                external = external_id;
            }
            Attempt::Failed {
                status,
                error,
                retry,
            } => {
                let error: String = error.chars().take(500).collect();
                model.last_status = Set(status);
                model.last_error = Set(Some(error.clone()));
                let again = match retry {
                    Retry::Never => None,
                    _ if claimed.attempts >= MAX_ATTEMPTS => None,
                    Retry::Backoff => Some(now + retry_delay(claimed.attempts)),
                    Retry::After(wait) => Some(now + wait),
                };
                match again {
                    Some(at) => model.next_attempt_at = Set(Some(at)),
                    None => {
                        model.state = Set(DeliveryState::Failed);
                        model.next_attempt_at = Set(None);
                        message_state = Some((DeliveryState::Failed, Some(error)));
                    }
                }
            }
        }
        model.update(&work.tx).await?;
        if let (DeliveryKind::ChannelMessage, Some(message_id), Some((state, error))) =
            (claimed.kind, claimed.message_id, message_state)
        {
            self.set_message_delivery(&mut work, message_id, state, error, external)
                .await?;
        }
        self.domain.answer(work, ()).await
    }

    /// Moves a message's delivery state and tells whoever works its chat.
    async fn set_message_delivery(
        self, work: &mut Work, message_id: MessageId, state: DeliveryState, error: Option<String>,
        external_id: Option<String>,
    ) -> Result<()> {
        let Some(found) = message::Entity::find_by_id(message_id)
            .one(&work.tx)
            .await?
        else {
            return Ok(());
        };
        let mut model: message::ActiveModel = found.clone().into();
        model.delivery_state = Set(state);
        model.delivery_error = Set(error);
        if state == DeliveryState::Sent {
            model.delivered_at = Set(Some(work.now));
        }
        if external_id.is_some() {
            model.external_id = Set(external_id);
        }
        model.update(&work.tx).await?;
        self.domain
            .chats()
            .tell_message_updated(
                work,
                found.chat_id,
                json!({ "messageId": message_id, "deliveryState": state }),
            )
            .await
    }

    /// Sends a message whose delivery was given up once more (any operator who sees the chat).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn retry_message(self, actor: &Actor, id: MessageId) -> Result<message::Model> {
        actor.operator()?;
        let found = find_own::<message::Entity>(&self.domain.db, actor, id).await?;
        self.domain
            .chats()
            .visible_chat(&self.domain.db, actor, found.chat_id)
            .await?;
        if found.delivery_state != DeliveryState::Failed {
            return Err(DomainError::conflict(
                "Only a message that failed can be sent again",
            ));
        }
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        delivery::Entity::update_many()
            .col_expr(delivery::Column::State, Expr::value(DeliveryState::Pending))
            .col_expr(delivery::Column::Attempts, Expr::value(0))
            .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
            .filter(delivery::Column::MessageId.eq(id))
            .filter(delivery::Column::State.eq(DeliveryState::Failed))
            .exec(&work.tx)
            .await?;
        self.set_message_delivery(&mut work, id, DeliveryState::Pending, None, None)
            .await?;
        work.outbox.wake_deliveries();
        self.domain.commit(work).await?;
        message::Entity::find_by_id(id)
            .one(&self.domain.db)
            .await?
            .ok_or(DomainError::not_found("message"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::seconds(10));
        assert_eq!(retry_delay(2), Duration::seconds(20));
        assert_eq!(retry_delay(3), Duration::seconds(40));
        assert_eq!(retry_delay(12), Duration::seconds(3600));
        assert_eq!(retry_delay(100), Duration::seconds(3600));
    }
}
