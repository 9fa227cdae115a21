//! The chatbot hands a conversation to operators (C1, C2, C6): the chat is created with its
//! customer, transcript and variables, and routed at once or left waiting in its queue.

use sea_orm::ActiveValue::Set;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::admin::working_hours::waiting_reply;
use crate::chat::rules::{TranscriptEntryInput, Variable, fill_template, new_chat};
use crate::conversation::said::Said;
use crate::crm::matching::Matching;
use crate::customer::{self, CustomerInput, NewNumber};
use crate::entity::{chat, message, queue};
use crate::enums::{
    ApiKeyScope, AuthorKind, ChatDirection, ChatSource, ChatStatus, DeliveryState, RoutingOutcome,
    RoutingTrigger, WebhookEvent,
};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::service::Chats;
use crate::validate::check;
use crate::work::Work;

/// A conversation the chatbot hands to operators (C1).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct HandOffChatInput {
    /// The queue the chat waits in.
    pub queue_id: QueueId,
    pub source: ChatSource,
    /// The channel the conversation runs on, if Omnipanel delivers its messages.
    pub channel_id: Option<ChannelId>,
    #[validate(nested)]
    pub customer: CustomerInput,
    pub topic_id: Option<TopicId>,
    pub subtopic_id: Option<TopicId>,
    /// Free key/value pairs from the bot.
    #[validate(length(max = 50), nested)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub variables: Vec<Variable>,
    /// The bot's conversation so far, oldest first.
    #[validate(length(max = 500), nested)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub transcript: Vec<TranscriptEntryInput>,
}

impl Chats<'_> {
    /// The chatbot hands a conversation to operators (C1, C2): the chat is created with its
    /// customer, transcript and variables, and routed at once or left waiting in its queue. A
    /// full queue with nobody free refuses the hand-off (`LIMIT_EXCEEDED`; C6).
    async fn hand_off_chat_once(
        self, actor: &Actor, input: HandOffChatInput, matching: &Matching,
    ) -> Result<chat::Model> {
        // What the hand-off names is checked first, so that a refused one takes no number. Then
        // the chat's number, and a new customer's, are taken, each hand-off's in a statement of
        // its own: the organization's row is held for that statement, not through routing to
        // the commit, so a burst of hand-offs does not go through one at a time. The checks
        // read as they would inside the change, which locks none of these rows either.
        let db = &self.domain.db;
        let queue = self
            .usable_queue(db, actor, input.queue_id, "queueId")
            .await?;
        self.check_topics(db, actor, input.topic_id, input.subtopic_id)
            .await?;
        if let Some(channel_id) = input.channel_id {
            self.domain
                .channels()
                .usable_channel(db, actor, channel_id, "channelId")
                .await?;
        }
        let new_customer =
            !customer::is_known(db, actor.organization_id, input.source, &input.customer).await?;
        let (chat_number, customer_number) = self
            .domain
            .reserve_chat_numbers(actor.organization_id, ChatDirection::Inbound, new_customer)
            .await?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let customer = customer::find_or_create_numbered(
            &work.tx,
            actor.organization_id,
            input.source,
            &input.customer,
            now,
            customer_number.map_or(NewNumber::Next, NewNumber::Reserved),
        )
        .await
        .map_err(|e| match e {
            DomainError::Validation { field, message } if field == "customer" => {
                DomainError::validation(field, message)
            }
            other => other,
        })?
        .ok_or(DomainError::not_found("customer"))?;
        let customer = self
            .domain
            .crm()
            .link_matched(&work.tx, customer, matching, &input.customer, now)
            .await?;
        let variables: serde_json::Map<String, serde_json::Value> = input
            .variables
            .iter()
            .map(|v| (v.key.clone(), json!(v.value)))
            .collect();
        let last = input.transcript.last();
        let mut model = new_chat(
            actor.organization_id,
            chat_number,
            ChatDirection::Inbound,
            ChatStatus::Queued,
            input.source,
            input.channel_id,
            Some(queue.id),
            &customer,
            now,
        );
        model.topic_id = Set(input.topic_id);
        model.subtopic_id = Set(input.subtopic_id);
        model.variables = Set(serde_json::Value::Object(variables));
        model.queued_at = Set(Some(now));
        model.waiting_since = Set(Some(now));
        model.last_customer_message_at = Set(input
            .transcript
            .iter()
            .rev()
            .find(|m| m.author_kind == AuthorKind::Customer)
            .map(|m| m.sent_at.unwrap_or(now)));
        model.last_message_at = Set(last.map(|m| m.sent_at.unwrap_or(now)));
        model.last_message_text = Set(last.map(|m| m.text.clone()));
        model.last_message_author_kind = Set(last.map(|m| m.author_kind));
        let created = model.insert(&work.tx).await?;
        if !input.transcript.is_empty() {
            message::Entity::insert_many(input.transcript.iter().map(|entry| {
                let at = entry.sent_at.unwrap_or(now);
                Said::by(entry.author_kind, &entry.text).row(
                    &created,
                    false,
                    DeliveryState::Delivered,
                    at,
                )
            }))
            .exec(&work.tx)
            .await?;
        }
        let chat = self
            .offer_new_chat(&mut work, &created, &queue, true)
            .await?;
        self.domain.answer(work, chat).await
    }

    /// Offers a chat that has just arrived in `queue` to its operators (C2, C4): routed at once,
    /// or left waiting and announced to the queue's members. With `enforce_limit`, a full queue
    /// with nobody free refuses it (`LIMIT_EXCEEDED`; C6); the caller's transaction then rolls
    /// back. Returns the
    /// chat as routing left it, with its `CHAT_CREATED` webhooks queued.
    pub(crate) async fn offer_new_chat(
        self, work: &mut Work, created: &chat::Model, queue: &queue::Model, enforce_limit: bool,
    ) -> Result<chat::Model> {
        let routed = self
            .domain
            .routing()
            .route_held(work, created.clone(), Some(queue), RoutingTrigger::HandOff)
            .await?;
        let outcome = routed.outcome;
        if outcome == RoutingOutcome::Queued
            && enforce_limit
            && let Some(limit) = queue.size_limit
        {
            let waiting = chat::Entity::find()
                .filter(chat::Column::QueueId.eq(queue.id))
                .filter(chat::Column::Status.eq(ChatStatus::Queued))
                .count(&work.tx)
                .await?;
            if waiting > u64::try_from(limit).unwrap_or(0) {
                return Err(DomainError::LimitExceeded(
                    format!(
                        "The queue {} is full ({limit} waiting) and nobody is free",
                        queue.name
                    )
                    .into(),
                ));
            }
        }
        let mut chat = match routed.chat {
            Some(chat) => chat,
            None => chat::Entity::find_by_id(created.id)
                .one(&work.tx)
                .await?
                .ok_or(DomainError::not_found("chat"))?,
        };
        if outcome == RoutingOutcome::Queued
            && let Some(reply) = waiting_reply(queue, work.now)
        {
            chat = self.auto_reply(work, &chat, reply).await?;
        }
        self.domain
            .deliveries()
            .queue_webhooks(work, WebhookEvent::ChatCreated, &chat)
            .await?;
        Ok(chat)
    }

    /// The queue's automatic reply to a customer whose chat waits (001), from the system, with
    /// the customer's name filled in.
    async fn auto_reply(
        self, work: &mut Work, chat: &chat::Model, reply: &str,
    ) -> Result<chat::Model> {
        let name = crate::entity::customer::Entity::find_by_id(chat.customer_id)
            .one(&work.tx)
            .await?
            .and_then(|c| c.name)
            .unwrap_or_default();
        let text = fill_template(reply, &name, "");
        let (chat, _) = self
            .domain
            .conversation()
            .append_message(work, chat, None, Said::system(text.trim()))
            .await?;
        Ok(chat)
    }

    /// The chatbot hands a conversation over; the customer is matched to a CRM contact first,
    /// outside the transaction (H1).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn hand_off_chat(
        self, actor: &Actor, input: HandOffChatInput,
    ) -> Result<chat::Model> {
        actor.require_scope(ApiKeyScope::Chatbot)?;
        check(&input)?;
        let matching = self
            .domain
            .crm()
            .match_contact(actor.organization_id, input.source, &input.customer)
            .await;
        self.domain
            .retry(|| self.hand_off_chat_once(actor, input.clone(), &matching))
            .await
    }
}
