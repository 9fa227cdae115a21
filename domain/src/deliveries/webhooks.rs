//! Webhooks for CRM business processes (H4): administrators subscribe a URL to chat events; each
//! event becomes a delivery row in the transaction that caused it.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::deliveries::queue::Pending;
use crate::entity::{chat, crm_connection, delivery, webhook};
use crate::enums::{CrmKind, DeliveryKind, DeliveryState, WebhookEvent};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::page::{self, Order};
use crate::secret::generate_token;
use crate::service::Deliveries;
use crate::store::{all_live, found, live, own};
use crate::validate::{check_admin, http_url};
use crate::work::Work;

/// The chat as a webhook carries it: ids and facts, no customer contact data.
pub fn chat_summary(chat: &chat::Model) -> serde_json::Value {
    json!({
        "id": chat.id,
        "number": chat.number,
        "title": crate::chat::rules::title(chat.direction, chat.number),
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

/// A page of the delivery log.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct DeliveryCursor {
    pub created_at: DateTime<Utc>,
    pub id: DeliveryId,
}

crate::page::keyset!(DeliveryCursor);

impl DeliveryCursor {
    /// Where a list continues after `row`.
    pub fn of(row: &delivery::Model) -> Self {
        Self {
            created_at: row.created_at,
            id: row.id,
        }
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

impl Deliveries<'_> {
    /// Subscribes a URL to chat events; returns the webhook and its signing secret, which is
    /// shown only here.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_webhook(
        self, actor: &Actor, input: CreateWebhookInput,
    ) -> Result<(webhook::Model, String)> {
        check_admin(actor, &input)?;
        self.domain.public_upstream(input.url.trim(), "url").await?;
        let now = self.domain.now();
        let secret = generate_token(crate::secret::prefix::WEBHOOK_SECRET);
        let created = webhook::ActiveModel {
            id: Set(WebhookId::new()),
            organization_id: Set(actor.organization_id),
            url: Set(input.url.trim().to_owned()),
            events: Set(json!(dedup(input.events))),
            secret: Set(self.domain.keyring.seal(&secret)),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
        }
        .insert(&self.domain.db)
        .await?;
        Ok((created, secret))
    }

    async fn own_webhook(
        self, db: &impl ConnectionTrait, actor: &Actor, id: WebhookId,
    ) -> Result<webhook::Model> {
        found::<webhook::Entity>(live::<webhook::Entity>(actor, id).one(db).await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_webhook(
        self, actor: &Actor, input: UpdateWebhookInput,
    ) -> Result<webhook::Model> {
        check_admin(actor, &input)?;
        if let Some(url) = &input.url {
            self.domain.public_upstream(url.trim(), "url").await?;
        }
        let existing = self.own_webhook(&self.domain.db, actor, input.id).await?;
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
        model.updated_at = Set(self.domain.now());
        Ok(model.update(&self.domain.db).await?)
    }

    /// Removes a subscription; its delivery log stays.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn archive_webhook(self, actor: &Actor, id: WebhookId) -> Result<webhook::Model> {
        actor.require_admin()?;
        let existing = self.own_webhook(&self.domain.db, actor, id).await?;
        let mut model: webhook::ActiveModel = existing.into();
        model.active = Set(false);
        model.archived_at = Set(Some(self.domain.now()));
        Ok(model.update(&self.domain.db).await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn webhooks(self, actor: &Actor) -> Result<Vec<webhook::Model>> {
        actor.require_admin()?;
        Ok(all_live::<webhook::Entity>(actor)
            .order_by_asc(webhook::Column::CreatedAt)
            .all(&self.domain.db)
            .await?)
    }

    /// The delivery log of the organization's webhooks and CRM processes, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn deliveries(
        self, actor: &Actor, webhook_id: Option<WebhookId>, first: u64,
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
        page::read(
            &self.domain.db,
            query,
            (delivery::Column::CreatedAt, delivery::Column::Id),
            Order::NewestFirst,
            after,
            first,
        )
        .await
    }

    /// Tries a given-up delivery again (administrators).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn retry_delivery(self, actor: &Actor, id: DeliveryId) -> Result<delivery::Model> {
        actor.require_admin()?;
        let retriable = own::<delivery::Entity>(actor, id).filter(
            delivery::Column::Kind.is_in([DeliveryKind::Webhook, DeliveryKind::CrmProcess]),
        );
        let found = found::<delivery::Entity>(retriable.one(&self.domain.db).await?)?;
        if found.state != DeliveryState::Failed {
            return Err(DomainError::conflict(
                "Only a failed delivery can be retried",
            ));
        }
        let mut model: delivery::ActiveModel = found.into();
        model.state = Set(DeliveryState::Pending);
        model.attempts = Set(0);
        model.next_attempt_at = Set(Some(self.domain.now()));
        let updated = model.update(&self.domain.db).await?;
        self.domain.deliveries_due.notify_one();
        Ok(updated)
    }

    /// Queues `event` of `chat` for every active webhook of its organization that subscribes
    /// to it, in the caller's transaction.
    pub(crate) async fn queue_webhooks(
        self, work: &mut Work, event: WebhookEvent, chat: &chat::Model,
    ) -> Result<()> {
        let hooks = webhook::Entity::find()
            .filter(webhook::Column::OrganizationId.eq(chat.organization_id))
            .filter(webhook::Column::Active.eq(true))
            .filter(webhook::Column::ArchivedAt.is_null())
            .all(&work.tx)
            .await?;
        let rows: Vec<_> = hooks
            .iter()
            .filter(|hook| subscribed(hook).contains(&event))
            .map(|hook| {
                let id = DeliveryId::new();
                let payload = json!({
                    "id": id,
                    "event": event,
                    "occurredAt": work.now,
                    "organizationId": chat.organization_id,
                    "chat": chat_summary(chat),
                });
                Pending::new(DeliveryKind::Webhook, payload)
                    .for_webhook(hook.id, event.as_str())
                    .row(id, chat, work.now)
            })
            .collect();
        if !rows.is_empty() {
            delivery::Entity::insert_many(rows).exec(&work.tx).await?;
            work.outbox.wake_deliveries();
        }
        Ok(())
    }

    /// Queues the organization's Creatio business process for a closed chat, if it has one.
    pub(crate) async fn queue_close_process(
        self, work: &mut Work, chat: &chat::Model,
    ) -> Result<()> {
        let connection = crm_connection::Entity::find_by_id(chat.organization_id)
            .one(&work.tx)
            .await?;
        let Some(process) = connection
            .filter(|c| c.kind == CrmKind::Creatio)
            .and_then(|c| c.close_process_name)
        else {
            return Ok(());
        };
        let payload = json!({ "process": process, "parameters": { "ChatId": chat.id } });
        Pending::new(DeliveryKind::CrmProcess, payload)
            .for_event(WebhookEvent::ChatClosed.as_str())
            .row(DeliveryId::new(), chat, work.now)
            .insert(&work.tx)
            .await?;
        work.outbox.wake_deliveries();
        Ok(())
    }

    /// A webhook's signing secret, for the worker that signs its deliveries.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn webhook_for_delivery(self, id: WebhookId) -> Result<Option<webhook::Model>> {
        webhook::Entity::find_by_id(id)
            .one(&self.domain.db)
            .await?
            .map(|found| self.domain.open_webhook(found))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::WebhookEvent;

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
