//! Outbound deliveries (ARCHITECTURE.md 6, H4, M2): webhook subscriptions of CRM business
//! processes, the delivery rows written in the transaction that caused them, and how workers
//! claim, retry and give them up.
//!
//! A delivery is claimed by moving its due time forward by a lease with a conditional update
//! (the row's old due time must still be there), so two workers, on one instance or several,
//! never send one delivery at once; a worker that dies mid-send leaves a lease that expires
//! and the delivery is tried again. Receivers de-duplicate by the delivery id, which stays the
//! same across attempts: one event to one webhook is one row in the log, however many tries.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::entity::{chat, crm_connection, delivery, message, webhook};
use crate::enums::{CrmKind, DeliveryKind, DeliveryState, EventKind, WebhookEvent};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::ids::*;
use crate::page::{self, Order};
use crate::secret::generate_token;
use crate::service::Domain;
use crate::validate::{check, http_url};

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

/// The chat as a webhook carries it: ids and facts, no customer contact data.
pub fn chat_summary(chat: &chat::Model) -> serde_json::Value {
    json!({
        "id": chat.id,
        "number": chat.number,
        "title": crate::chat::title(chat.direction, chat.number),
        "status": chat.status,
        "direction": chat.direction,
        "source": chat.source,
        "queueId": chat.queue_id,
        "operatorId": chat.operator_id,
        "customerId": chat.customer_id,
        "contactId": chat.crm_contact_id,
        "accountId": chat.crm_account_id,
        "activityId": chat.crm_activity_id,
        "caseId": chat.crm_case_id,
        "caseNumber": chat.crm_case_number,
        "topicId": chat.topic_id,
        "subtopicId": chat.subtopic_id,
        "wrapUpReasonId": chat.wrap_up_reason_id,
        "resultId": chat.result_id,
        "rating": chat.rating,
        "ratingComment": chat.rating_comment,
        "createdAt": chat.created_at,
        "acceptedAt": chat.accepted_at,
        "closedAt": chat.closed_at,
    })
}

fn valid_events(events: &[WebhookEvent]) -> Result<(), ValidationError> {
    if events.is_empty() {
        Err(ValidationError::new("events").with_message("must name at least one event".into()))
    } else {
        Ok(())
    }
}

/// A webhook subscription of a CRM business process (H4).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateWebhookInput {
    /// Where deliveries are POSTed (http or https).
    #[validate(length(max = 2000), custom(function = "http_url"))]
    pub url: String,
    #[validate(custom(function = "valid_events"))]
    pub events: Vec<WebhookEvent>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateWebhookInput {
    pub id: WebhookId,
    #[validate(length(max = 2000), custom(function = "http_url"))]
    pub url: Option<String>,
    #[validate(custom(function = "valid_events"))]
    pub events: Option<Vec<WebhookEvent>>,
    /// A paused webhook gets no new deliveries.
    pub active: Option<bool>,
}

/// The events a stored webhook subscribes to.
pub fn subscribed(hook: &webhook::Model) -> Vec<WebhookEvent> {
    serde_json::from_value(hook.events.clone()).unwrap_or_default()
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

/// A page of the delivery log.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct DeliveryCursor {
    pub created_at: DateTime<Utc>,
    pub id: DeliveryId,
}

impl Domain {
    /// Subscribes a URL to chat events; returns the webhook and its signing secret, which is
    /// shown only here.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        input: CreateWebhookInput,
    ) -> Result<(webhook::Model, String)> {
        actor.require_admin()?;
        check(&input)?;
        let now = self.now();
        let secret = generate_token(crate::secret::prefix::WEBHOOK_SECRET);
        let created = webhook::ActiveModel {
            id: Set(WebhookId::new()),
            organization_id: Set(actor.organization_id),
            url: Set(input.url.trim().to_owned()),
            events: Set(json!(dedup(input.events))),
            secret: Set(secret.clone()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok((created, secret))
    }

    async fn own_webhook(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: WebhookId,
    ) -> Result<webhook::Model> {
        webhook::Entity::find_by_id(id)
            .filter(webhook::Column::OrganizationId.eq(actor.organization_id))
            .filter(webhook::Column::ArchivedAt.is_null())
            .one(db)
            .await?
            .ok_or(DomainError::not_found("webhook"))
    }

    pub async fn update_webhook(
        &self,
        actor: &Actor,
        input: UpdateWebhookInput,
    ) -> Result<webhook::Model> {
        actor.require_admin()?;
        check(&input)?;
        let existing = self.own_webhook(&self.db, actor, input.id).await?;
        let mut model: webhook::ActiveModel = existing.into();
        if let Some(url) = input.url {
            model.url = Set(url.trim().to_owned());
        }
        if let Some(events) = input.events {
            model.events = Set(json!(dedup(events)));
        }
        if let Some(active) = input.active {
            model.active = Set(active);
        }
        model.updated_at = Set(self.now());
        Ok(model.update(&self.db).await?)
    }

    /// Removes a subscription; its delivery log stays.
    pub async fn archive_webhook(&self, actor: &Actor, id: WebhookId) -> Result<webhook::Model> {
        actor.require_admin()?;
        let existing = self.own_webhook(&self.db, actor, id).await?;
        let mut model: webhook::ActiveModel = existing.into();
        model.active = Set(false);
        model.archived_at = Set(Some(self.now()));
        Ok(model.update(&self.db).await?)
    }

    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<webhook::Model>> {
        actor.require_admin()?;
        Ok(webhook::Entity::find()
            .filter(webhook::Column::OrganizationId.eq(actor.organization_id))
            .filter(webhook::Column::ArchivedAt.is_null())
            .order_by_asc(webhook::Column::CreatedAt)
            .all(&self.db)
            .await?)
    }

    /// The delivery log of the organization's webhooks and CRM processes, newest first.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        webhook_id: Option<WebhookId>,
        first: u64,
        after: Option<DeliveryCursor>,
    ) -> Result<(Vec<delivery::Model>, bool)> {
        actor.require_admin()?;
        let mut query = delivery::Entity::find()
            .filter(delivery::Column::OrganizationId.eq(actor.organization_id))
            .filter(
                delivery::Column::Kind.is_in([DeliveryKind::Webhook, DeliveryKind::CrmProcess]),
            );
        if let Some(id) = webhook_id {
            query = query.filter(delivery::Column::WebhookId.eq(id));
        }
        if let Some(cursor) = after {
            query = query.filter(page::after(
                delivery::Column::CreatedAt,
                delivery::Column::Id,
                cursor.created_at,
                cursor.id,
                Order::NewestFirst,
            ));
        }
        page::read(
            &self.db,
            query,
            (delivery::Column::CreatedAt, delivery::Column::Id),
            Order::NewestFirst,
            first,
        )
        .await
    }

    /// Tries a given-up delivery again (administrators).
    pub async fn retry_delivery(&self, actor: &Actor, id: DeliveryId) -> Result<delivery::Model> {
        actor.require_admin()?;
        let found = delivery::Entity::find_by_id(id)
            .filter(delivery::Column::OrganizationId.eq(actor.organization_id))
            .filter(delivery::Column::Kind.is_in([DeliveryKind::Webhook, DeliveryKind::CrmProcess]))
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("delivery"))?;
        if found.state != DeliveryState::Failed {
            return Err(DomainError::conflict(
                "Only a failed delivery can be retried",
            ));
        }
        let mut model: delivery::ActiveModel = found.into();
        model.state = Set(DeliveryState::Pending);
        model.attempts = Set(0);
        model.next_attempt_at = Set(Some(self.now()));
        let updated = model.update(&self.db).await?;
        self.deliveries_due.notify_one();
        Ok(updated)
    }

    /// Queues `event` of `chat` for every active webhook of its organization that subscribes
    /// to it, in the caller's transaction.
    pub(crate) async fn queue_webhooks(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        event: WebhookEvent,
        chat: &chat::Model,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let hooks = webhook::Entity::find()
            .filter(webhook::Column::OrganizationId.eq(chat.organization_id))
            .filter(webhook::Column::Active.eq(true))
            .filter(webhook::Column::ArchivedAt.is_null())
            .all(db)
            .await?;
        let rows: Vec<_> = hooks
            .iter()
            .filter(|hook| subscribed(hook).contains(&event))
            .map(|hook| {
                let id = DeliveryId::new();
                new_delivery(
                    id,
                    chat,
                    DeliveryKind::Webhook,
                    Some(hook.id),
                    Some(event.as_str()),
                    json!({
                        "id": id,
                        "event": event,
                        "occurredAt": now,
                        "organizationId": chat.organization_id,
                        "chat": chat_summary(chat),
                    }),
                    now,
                )
            })
            .collect();
        if !rows.is_empty() {
            delivery::Entity::insert_many(rows).exec(db).await?;
            outbox.wake_deliveries();
        }
        Ok(())
    }

    /// Queues the organization's Creatio business process for a closed chat, if it has one.
    pub(crate) async fn queue_close_process(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let connection = crm_connection::Entity::find_by_id(chat.organization_id)
            .one(db)
            .await?;
        let Some(process) = connection
            .filter(|c| c.kind == CrmKind::Creatio)
            .and_then(|c| c.close_process_name)
        else {
            return Ok(());
        };
        new_delivery(
            DeliveryId::new(),
            chat,
            DeliveryKind::CrmProcess,
            None,
            Some(WebhookEvent::ChatClosed.as_str()),
            json!({ "process": process, "parameters": { "ChatId": chat.id } }),
            now,
        )
        .insert(db)
        .await?;
        outbox.wake_deliveries();
        Ok(())
    }

    /// Claims up to `limit` due deliveries of `kinds` for this worker. Deliveries of one chat to
    /// one receiver (a webhook, the customer's channel) go out in order: one waits while an
    /// earlier one is still pending.
    pub async fn claim_deliveries(
        &self,
        kinds: &[DeliveryKind],
        limit: u64,
    ) -> Result<Vec<delivery::Model>> {
        let now = self.now();
        let due = delivery::Entity::find()
            .filter(delivery::Column::State.eq(DeliveryState::Pending))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .filter(delivery::Column::Kind.is_in(kinds.iter().copied()))
            .order_by_asc(delivery::Column::NextAttemptAt)
            .order_by_asc(delivery::Column::CreatedAt)
            .limit(limit)
            .all(&self.db)
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
                    .count(&self.db)
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
                .exec(&self.db)
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
    pub async fn record_attempt(&self, claimed: &delivery::Model, attempt: Attempt) -> Result<()> {
        let now = self.now();
        let tx = self.write().await?;
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
        model.update(&tx).await?;
        let mut outbox = Outbox::new();
        if let (DeliveryKind::ChannelMessage, Some(message_id), Some((state, error))) =
            (claimed.kind, claimed.message_id, message_state)
        {
            self.set_message_delivery(&tx, &mut outbox, message_id, state, error, external, now)
                .await?;
        }
        self.commit(tx, outbox).await?;
        Ok(())
    }

    /// Moves a message's delivery state and tells whoever works its chat.
    #[allow(clippy::too_many_arguments)]
    async fn set_message_delivery(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        message_id: MessageId,
        state: DeliveryState,
        error: Option<String>,
        external_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let Some(found) = message::Entity::find_by_id(message_id).one(db).await? else {
            return Ok(());
        };
        let mut model: message::ActiveModel = found.clone().into();
        model.delivery_state = Set(state);
        model.delivery_error = Set(error);
        if state == DeliveryState::Sent {
            model.delivered_at = Set(Some(now));
        }
        if external_id.is_some() {
            model.external_id = Set(external_id);
        }
        model.update(db).await?;
        if let Some(chat) = chat::Entity::find_by_id(found.chat_id).one(db).await? {
            self.tell_chat(
                db,
                outbox,
                &chat,
                EventKind::MessageUpdated,
                json!({ "messageId": message_id, "deliveryState": state }),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Sends a message whose delivery was given up once more (any operator who sees the chat).
    pub async fn retry_message(&self, actor: &Actor, id: MessageId) -> Result<message::Model> {
        actor.operator()?;
        let found = message::Entity::find_by_id(id)
            .filter(message::Column::OrganizationId.eq(actor.organization_id))
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("message"))?;
        self.visible_chat(&self.db, actor, found.chat_id).await?;
        if found.delivery_state != DeliveryState::Failed {
            return Err(DomainError::conflict(
                "Only a message that failed can be sent again",
            ));
        }
        let now = self.now();
        let tx = self.write().await?;
        delivery::Entity::update_many()
            .col_expr(delivery::Column::State, Expr::value(DeliveryState::Pending))
            .col_expr(delivery::Column::Attempts, Expr::value(0))
            .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
            .filter(delivery::Column::MessageId.eq(id))
            .filter(delivery::Column::State.eq(DeliveryState::Failed))
            .exec(&tx)
            .await?;
        let mut outbox = Outbox::new();
        self.set_message_delivery(
            &tx,
            &mut outbox,
            id,
            DeliveryState::Pending,
            None,
            None,
            now,
        )
        .await?;
        outbox.wake_deliveries();
        self.commit(tx, outbox).await?;
        message::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("message"))
    }

    /// A webhook's signing secret, for the worker that signs its deliveries.
    pub async fn webhook_for_delivery(&self, id: WebhookId) -> Result<Option<webhook::Model>> {
        Ok(webhook::Entity::find_by_id(id).one(&self.db).await?)
    }
}

fn dedup(events: Vec<WebhookEvent>) -> Vec<WebhookEvent> {
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        if !out.contains(&event) {
            out.push(event);
        }
    }
    out
}

fn new_delivery(
    id: DeliveryId,
    chat: &chat::Model,
    kind: DeliveryKind,
    webhook_id: Option<WebhookId>,
    event_kind: Option<&str>,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> delivery::ActiveModel {
    delivery::ActiveModel {
        id: Set(id),
        organization_id: Set(chat.organization_id),
        kind: Set(kind),
        webhook_id: Set(webhook_id),
        channel_id: Set(None),
        chat_id: Set(Some(chat.id)),
        message_id: Set(None),
        event_id: Set(None),
        event_kind: Set(event_kind.map(str::to_owned)),
        payload: Set(payload),
        state: Set(DeliveryState::Pending),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        last_error: Set(None),
        last_status: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::seconds(10));
        assert_eq!(retry_delay(2), Duration::seconds(20));
        assert_eq!(retry_delay(3), Duration::seconds(40));
        assert_eq!(retry_delay(12), Duration::seconds(3600));
        assert_eq!(retry_delay(100), Duration::seconds(3600));
    }

    #[test]
    fn events_are_named_once() {
        assert_eq!(
            dedup(vec![
                WebhookEvent::ChatClosed,
                WebhookEvent::ChatRated,
                WebhookEvent::ChatClosed
            ]),
            vec![WebhookEvent::ChatClosed, WebhookEvent::ChatRated]
        );
    }
}
