//! The conversation around a chat: customer and bot messages, taking over from the bot (D1),
//! muting (D7), notes (D8), topics and tags (D9), and the timers that watch a conversation: the
//! SLA traffic light (F) and auto-close (D11).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::chat::ACTIVE;
use crate::customer::{self, CustomerInput};
use crate::entity::{
    channel, chat, chat_assignment, chat_tag, delivery, message, note, operator,
    organization_settings, wrap_up_reason,
};
use crate::enums::{
    ApiKeyScope, AssignmentKind, AuthorKind, ChatDirection, ChatSource, ChatStatus, ClosedByKind,
    DeliveryKind, DeliveryState, EventKind, Role,
};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::ids::*;
use crate::routing::{lock_chat, lock_operator, open_assignment};
use crate::service::Domain;
use crate::validate::check;

/// The most notes a chat may have (D8).
pub const MAX_NOTES_PER_CHAT: u64 = 10;
/// The most tags a chat may have.
pub const MAX_TAGS: usize = 20;

fn customer_or_bot(kind: &AuthorKind) -> Result<(), ValidationError> {
    match kind {
        AuthorKind::Customer | AuthorKind::Bot => Ok(()),
        _ => Err(ValidationError::new("author").with_message("must be CUSTOMER or BOT".into())),
    }
}

/// A message from the customer's side: the customer, or the bot while it has the chat.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct PostCustomerMessageInput {
    /// The chat; without it, the customer's open chat on this source, or a new one with the bot.
    pub chat_id: Option<ChatId>,
    /// Needed without `chatId`.
    pub source: Option<ChatSource>,
    pub channel_id: Option<ChannelId>,
    /// Needed without `chatId`: who is writing.
    #[validate(nested)]
    pub customer: Option<CustomerInput>,
    /// The queue the bot would hand the chat to (for a new chat).
    pub queue_id: Option<QueueId>,
    #[cfg_attr(feature = "graphql", graphql(default_with = "AuthorKind::Customer"))]
    #[validate(custom(function = "customer_or_bot"))]
    pub author_kind: AuthorKind,
    #[validate(length(min = 1, max = 4000))]
    pub text: String,
    /// The provider's message id: a repeated one is stored once.
    #[validate(length(min = 1, max = 200))]
    pub external_id: Option<String>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct MuteCustomerInput {
    pub chat_id: ChatId,
    pub muted: bool,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct AddNoteInput {
    pub chat_id: ChatId,
    /// At most 1000 characters (D8).
    #[validate(
        length(min = 1, max = 1000),
        custom(function = "crate::validate::not_blank")
    )]
    pub text: String,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateNoteInput {
    pub note_id: NoteId,
    #[validate(
        length(min = 1, max = 1000),
        custom(function = "crate::validate::not_blank")
    )]
    pub text: String,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetChatTopicInput {
    pub chat_id: ChatId,
    /// Null clears the topic (and subtopic).
    pub topic_id: Option<TopicId>,
    pub subtopic_id: Option<TopicId>,
}

fn tags(values: &[String]) -> Result<(), ValidationError> {
    if values.len() > MAX_TAGS {
        return Err(ValidationError::new("count").with_message("at most 20 tags".into()));
    }
    if values.iter().any(|t| {
        t.trim().is_empty() || t.trim().chars().count() > 50 || t.chars().any(char::is_control)
    }) {
        return Err(ValidationError::new("tag")
            .with_message("each tag has 1 to 50 characters on one line".into()));
    }
    Ok(())
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetChatTagsInput {
    pub chat_id: ChatId,
    /// The chat's tags after the change (free text, D9).
    #[validate(custom(function = "tags"))]
    pub tags: Vec<String>,
}

/// Fills a quick reply's parameters (D5).
pub fn fill_template(text: &str, customer_name: &str, operator_name: &str) -> String {
    text.replace("<customer_name>", customer_name)
        .replace("<operator_name>", operator_name)
}

impl Domain {
    /// Writes a message and everything it changes on the chat, and tells whoever follows it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn append_message(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        author_kind: AuthorKind,
        author: Option<OperatorId>,
        text: &str,
        external_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(chat::Model, message::Model)> {
        let to_customer = matches!(author_kind, AuthorKind::Operator | AuthorKind::System)
            && chat.channel_id.is_some();
        let state = if to_customer {
            DeliveryState::Pending
        } else {
            DeliveryState::Delivered
        };
        let created = message::ActiveModel {
            id: Set(MessageId::new()),
            organization_id: Set(chat.organization_id),
            chat_id: Set(chat.id),
            author_kind: Set(author_kind),
            author_operator_id: Set(author),
            text: Set(text.to_owned()),
            is_whisper: Set(false),
            quick_reply_id: Set(None),
            delivery_state: Set(state),
            delivery_error: Set(None),
            channel_id: Set(chat.channel_id),
            external_id: Set(external_id),
            created_at: Set(now),
            delivered_at: Set((state == DeliveryState::Delivered).then_some(now)),
        }
        .insert(db)
        .await?;
        if to_customer {
            // Written in this transaction, delivered by a worker with retries (M2).
            delivery::ActiveModel {
                id: Set(DeliveryId::new()),
                organization_id: Set(chat.organization_id),
                kind: Set(DeliveryKind::ChannelMessage),
                webhook_id: Set(None),
                channel_id: Set(chat.channel_id),
                chat_id: Set(Some(chat.id)),
                message_id: Set(Some(created.id)),
                event_id: Set(None),
                event_kind: Set(None),
                payload: Set(json!({ "text": text })),
                state: Set(DeliveryState::Pending),
                attempts: Set(0),
                next_attempt_at: Set(Some(now)),
                last_error: Set(None),
                last_status: Set(None),
                created_at: Set(now),
                sent_at: Set(None),
            }
            .insert(db)
            .await?;
            outbox.wake_deliveries();
        }
        let mut model: chat::ActiveModel = chat.clone().into();
        model.last_message_at = Set(Some(now));
        model.last_message_text = Set(Some(text.to_owned()));
        model.last_message_author_kind = Set(Some(author_kind));
        model.last_message_operator_id = Set(author);
        match author_kind {
            AuthorKind::Customer => {
                model.last_customer_message_at = Set(Some(now));
                // A muted customer raises no alert and does not restart the SLA clock (D7).
                if !chat.muted && chat.waiting_since.is_none() {
                    model.waiting_since = Set(Some(now));
                }
            }
            AuthorKind::Operator => {
                model.last_operator_message_at = Set(Some(now));
                model.waiting_since = Set(None);
                if chat.status == ChatStatus::New {
                    model.status = Set(ChatStatus::InProgress);
                    model.first_response_at = Set(Some(now));
                }
            }
            AuthorKind::Bot | AuthorKind::System => {}
        }
        if let Some(channel_id) = chat.channel_id
            && let Some(found) = channel::Entity::find_by_id(channel_id).one(db).await?
            && let Some(secs) = found.auto_close_after_secs
        {
            model.auto_close_at = Set(Some(now + Duration::seconds(i64::from(secs))));
        }
        model.updated_at = Set(now);
        let updated = model.update(db).await?;
        let updated = self.refresh_light(db, outbox, &updated, now).await?;
        self.tell_chat(
            db,
            outbox,
            &updated,
            EventKind::MessageCreated,
            json!({ "messageId": created.id, "authorKind": author_kind }),
            now,
        )
        .await?;
        Ok((updated, created))
    }

    /// Recomputes a chat's traffic light and its next change, telling the panels on a change.
    pub(crate) async fn refresh_light(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let settings = organization_settings::Entity::find_by_id(chat.organization_id)
            .one(db)
            .await?
            .ok_or(DomainError::not_found("settings"))?;
        let (light, changes_at) = crate::chat::traffic_light(chat, &settings, now);
        if light == chat.traffic_light && changes_at == chat.traffic_light_changes_at {
            return Ok(chat.clone());
        }
        let mut model: chat::ActiveModel = chat.clone().into();
        model.traffic_light = Set(light);
        model.traffic_light_changes_at = Set(changes_at);
        let updated = model.update(db).await?;
        if light != chat.traffic_light {
            self.tell_chat(
                db,
                outbox,
                &updated,
                EventKind::TrafficLightChanged,
                json!({ "trafficLight": light }),
                now,
            )
            .await?;
        }
        Ok(updated)
    }

    /// A message from the customer's side (the chatbot or a channel adapter). Without a chat id
    /// it goes to the customer's open chat on that source, or starts a chat with the bot.
    async fn post_customer_message_once(
        &self,
        actor: &Actor,
        input: PostCustomerMessageInput,
    ) -> Result<message::Model> {
        actor.require_scope(ApiKeyScope::Chatbot)?;
        check(&input)?;
        let now = self.now();
        let tx = self.write().await?;
        // A repeat on a known channel is answered before anything else (no empty chat for it).
        if let (Some(channel_id), Some(external_id)) = (input.channel_id, &input.external_id)
            && let Some(found) = message::Entity::find()
                .filter(message::Column::ChannelId.eq(channel_id))
                .filter(message::Column::ExternalId.eq(external_id.as_str()))
                .one(&tx)
                .await?
        {
            return Ok(found);
        }
        let (chat, new_with_bot) = match input.chat_id {
            Some(id) => {
                self.visible_chat(&tx, actor, id).await?;
                let found = lock_chat(&tx, id)
                    .await?
                    .ok_or(DomainError::not_found("chat"))?;
                if found.status == ChatStatus::Completed {
                    return Err(DomainError::conflict("The chat is closed"));
                }
                (found, false)
            }
            None => self.open_chat_for(&tx, actor, &input, now).await?,
        };
        let mut outbox = Outbox::new();
        // A provider's message id is stored once: per channel, or per chat without one.
        if let Some(external_id) = &input.external_id {
            let mut existing = message::Entity::find()
                .filter(message::Column::ExternalId.eq(external_id.as_str()));
            existing = match input.channel_id.or(chat.channel_id) {
                Some(channel_id) => existing.filter(message::Column::ChannelId.eq(channel_id)),
                None => existing.filter(message::Column::ChatId.eq(chat.id)),
            };
            if let Some(found) = existing.one(&tx).await? {
                return Ok(found);
            }
        }
        let (_, created) = self
            .append_message(
                &tx,
                &mut outbox,
                &chat,
                input.author_kind,
                None,
                &input.text,
                input.external_id.clone(),
                now,
            )
            .await?;
        if new_with_bot {
            self.tell_queue(&tx, &mut outbox, &chat, EventKind::ChatWithBot, now)
                .await?;
        }
        self.commit(tx, outbox).await?;
        Ok(created)
    }

    /// The customer's open chat on a source, or a new chat with the bot (then `true`).
    async fn open_chat_for(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        input: &PostCustomerMessageInput,
        now: DateTime<Utc>,
    ) -> Result<(chat::Model, bool)> {
        let source = input
            .source
            .ok_or_else(|| DomainError::validation("source", "is required without chatId"))?;
        let who = input
            .customer
            .as_ref()
            .ok_or_else(|| DomainError::validation("customer", "is required without chatId"))?;
        let customer =
            customer::find_or_create(db, actor.organization_id, source, who, now).await?;
        if let Some(open) = chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(customer.id))
            .filter(chat::Column::Source.eq(source))
            .filter(chat::Column::Status.ne(ChatStatus::Completed))
            .order_by_desc(chat::Column::CreatedAt)
            .one(db)
            .await?
        {
            let open = lock_chat(db, open.id)
                .await?
                .ok_or(DomainError::not_found("chat"))?;
            return Ok((open, false));
        }
        if let Some(queue_id) = input.queue_id {
            self.queue(db, actor, queue_id)
                .await
                .map_err(|_| DomainError::validation("queueId", "No such queue"))?;
        }
        let number = self
            .next_chat_number(db, actor.organization_id, ChatDirection::Inbound)
            .await?;
        let created = crate::chat::new_chat(
            actor.organization_id,
            number,
            ChatDirection::Inbound,
            ChatStatus::Bot,
            source,
            input.channel_id,
            input.queue_id,
            &customer,
            now,
        )
        .insert(db)
        .await?;
        Ok((created, true))
    }

    /// An operator takes a chat over from the bot (D1): it becomes theirs at once, and the
    /// customer gets the admin's greeting with the operator's first name.
    pub async fn take_over_chat(&self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        self.visible_chat(&tx, actor, chat_id).await?;
        let chat = lock_chat(&tx, chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        if chat.status != ChatStatus::Bot {
            return Err(DomainError::conflict(
                "Only a chat the bot has can be taken over",
            ));
        }
        let op = lock_operator(&tx, me)
            .await?
            .ok_or(DomainError::not_found("operator"))?;
        crate::routing::take_capacity_for_assignment(&tx, me, now).await?;
        open_assignment(
            &tx,
            &chat,
            AssignmentKind::TakenOver,
            Some(me),
            Some(me),
            now,
        )
        .await?;
        let mut outbox = Outbox::new();
        let owned = self.make_owner(&tx, &mut outbox, &chat, me, now).await?;
        self.tell_queue(&tx, &mut outbox, &chat, EventKind::ChatDequeued, now)
            .await?;
        let settings = self.settings_of(&tx, chat.organization_id).await?;
        let greeting = fill_template(&settings.takeover_greeting_template, "", &op.first_name);
        let (owned, _) = self
            .append_message(
                &tx,
                &mut outbox,
                &owned,
                AuthorKind::System,
                None,
                &greeting,
                None,
                now,
            )
            .await?;
        self.commit(tx, outbox).await?;
        Ok(owned)
    }

    /// Mutes or unmutes a spamming customer (D7): their messages are kept but raise no alerts
    /// and do not restart the SLA clock.
    pub async fn mute_customer(
        &self,
        actor: &Actor,
        input: MuteCustomerInput,
    ) -> Result<chat::Model> {
        let now = self.now();
        let tx = self.write().await?;
        let chat = self.owned_chat(&tx, actor, input.chat_id, true).await?;
        let mut model: chat::ActiveModel = chat.into();
        model.muted = Set(input.muted);
        if input.muted {
            model.waiting_since = Set(None);
        }
        model.updated_at = Set(now);
        let updated = model.update(&tx).await?;
        let mut outbox = Outbox::new();
        let updated = self.refresh_light(&tx, &mut outbox, &updated, now).await?;
        self.tell_chat(
            &tx,
            &mut outbox,
            &updated,
            EventKind::ChatUpdated,
            json!({ "muted": input.muted }),
            now,
        )
        .await?;
        self.commit(tx, outbox).await?;
        Ok(updated)
    }

    /// Adds the caller's note for their current responsibility (D8): at most 1000 characters,
    /// one per operator per assignment, at most 10 per chat, never on an unassigned chat.
    pub async fn add_note(&self, actor: &Actor, input: AddNoteInput) -> Result<note::Model> {
        actor.operator()?;
        check(&input)?;
        let (me, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        let chat = self.owned_chat(&tx, actor, input.chat_id, false).await?;
        let assignment = chat_assignment::Entity::find()
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::OperatorId.eq(me))
            .filter(chat_assignment::Column::EndedAt.is_null())
            .one(&tx)
            .await?
            .ok_or_else(|| DomainError::conflict("Notes need a chat that is assigned to you"))?;
        let count = note::Entity::find()
            .filter(note::Column::ChatId.eq(chat.id))
            .count(&tx)
            .await?;
        if count >= MAX_NOTES_PER_CHAT {
            return Err(DomainError::LimitExceeded(
                "A chat has at most 10 notes".into(),
            ));
        }
        let created = note::ActiveModel {
            id: Set(NoteId::new()),
            organization_id: Set(chat.organization_id),
            chat_id: Set(chat.id),
            operator_id: Set(me),
            assignment_id: Set(assignment.id),
            text: Set(input.text.trim().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&tx)
        .await
        .map_err(|e| {
            crate::error::conflict_on_unique(
                e,
                "You already have a note on this chat; edit it instead",
            )
        })?;
        tx.commit().await?;
        Ok(created)
    }

    /// Edits the caller's note while the assignment it belongs to is still theirs; after a
    /// transfer the next operator reads it but nobody edits it (D8).
    pub async fn update_note(&self, actor: &Actor, input: UpdateNoteInput) -> Result<note::Model> {
        let (me, _) = actor.operator()?;
        check(&input)?;
        let tx = self.write().await?;
        let found = note::Entity::find_by_id(input.note_id)
            .filter(note::Column::OrganizationId.eq(actor.organization_id))
            .one(&tx)
            .await?
            .ok_or(DomainError::not_found("note"))?;
        self.visible_chat(&tx, actor, found.chat_id).await?;
        if found.operator_id != me {
            return Err(DomainError::forbidden("Only the author edits a note"));
        }
        let current = chat_assignment::Entity::find_by_id(found.assignment_id)
            .one(&tx)
            .await?;
        if current.is_none_or(|a| a.ended_at.is_some()) {
            return Err(DomainError::conflict(
                "The chat has moved on; this note can no longer be edited",
            ));
        }
        let mut model: note::ActiveModel = found.into();
        model.text = Set(input.text.trim().to_owned());
        model.updated_at = Set(self.now());
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// A chat's notes, oldest first.
    pub async fn notes(&self, chat_id: ChatId) -> Result<Vec<note::Model>> {
        Ok(note::Entity::find()
            .filter(note::Column::ChatId.eq(chat_id))
            .order_by_asc(note::Column::CreatedAt)
            .all(&self.db)
            .await?)
    }

    /// Sets or clears a chat's topic and subtopic (D9).
    pub async fn set_chat_topic(
        &self,
        actor: &Actor,
        input: SetChatTopicInput,
    ) -> Result<chat::Model> {
        let now = self.now();
        let tx = self.write().await?;
        let chat = self.owned_chat(&tx, actor, input.chat_id, true).await?;
        self.check_topics(&tx, actor, input.topic_id, input.subtopic_id)
            .await?;
        let mut model: chat::ActiveModel = chat.into();
        model.topic_id = Set(input.topic_id);
        model.subtopic_id = Set(input.subtopic_id);
        model.updated_at = Set(now);
        let updated = model.update(&tx).await?;
        let mut outbox = Outbox::new();
        self.tell_chat(
            &tx,
            &mut outbox,
            &updated,
            EventKind::ChatUpdated,
            json!({ "topicId": input.topic_id }),
            now,
        )
        .await?;
        self.commit(tx, outbox).await?;
        Ok(updated)
    }

    /// Replaces a chat's free tags (D9); tags are trimmed and kept once each.
    pub async fn set_chat_tags(
        &self,
        actor: &Actor,
        input: SetChatTagsInput,
    ) -> Result<Vec<String>> {
        check(&input)?;
        let now = self.now();
        let tx = self.write().await?;
        let chat = self.owned_chat(&tx, actor, input.chat_id, true).await?;
        let mut tags: Vec<String> = input.tags.iter().map(|t| t.trim().to_owned()).collect();
        tags.sort();
        tags.dedup();
        chat_tag::Entity::delete_many()
            .filter(chat_tag::Column::ChatId.eq(chat.id))
            .exec(&tx)
            .await?;
        if !tags.is_empty() {
            chat_tag::Entity::insert_many(tags.iter().map(|tag| chat_tag::ActiveModel {
                chat_id: Set(chat.id),
                tag: Set(tag.clone()),
            }))
            .exec(&tx)
            .await?;
        }
        let mut outbox = Outbox::new();
        self.tell_chat(
            &tx,
            &mut outbox,
            &chat,
            EventKind::ChatUpdated,
            json!({ "tags": tags }),
            now,
        )
        .await?;
        self.commit(tx, outbox).await?;
        Ok(tags)
    }

    /// Moves traffic lights whose next change is due and tells the panels (F2; the scheduler).
    pub async fn advance_traffic_lights(&self) -> Result<usize> {
        let now = self.now();
        let due = crate::routing::find_due(
            &self.db,
            chat::Entity::find()
                .filter(chat::Column::TrafficLightChangesAt.lte(now))
                .filter(chat::Column::Status.is_in(ACTIVE)),
        )
        .await?;
        let mut count = 0;
        for candidate in due {
            let tx = self.write().await?;
            let Some(chat) = lock_chat(&tx, candidate.id).await? else {
                continue;
            };
            if chat.traffic_light_changes_at.is_none_or(|at| at > now) {
                continue;
            }
            let mut outbox = Outbox::new();
            self.refresh_light(&tx, &mut outbox, &chat, now).await?;
            self.commit(tx, outbox).await?;
            count += 1;
        }
        Ok(count)
    }

    /// Closes chats silent for their channel's auto-close period, with the system wrap-up
    /// reason (D11; the scheduler).
    pub async fn auto_close_chats(&self) -> Result<usize> {
        let now = self.now();
        let due = crate::routing::find_due(
            &self.db,
            chat::Entity::find()
                .filter(chat::Column::AutoCloseAt.lte(now))
                .filter(chat::Column::Status.ne(ChatStatus::Completed)),
        )
        .await?;
        let mut count = 0;
        for candidate in due {
            let tx = self.write().await?;
            let Some(chat) = lock_chat(&tx, candidate.id).await? else {
                continue;
            };
            if chat.status == ChatStatus::Completed || chat.auto_close_at.is_none_or(|at| at > now)
            {
                continue;
            }
            let Some(reason) = wrap_up_reason::Entity::find()
                .filter(wrap_up_reason::Column::OrganizationId.eq(chat.organization_id))
                .filter(wrap_up_reason::Column::IsSystem.eq(true))
                .one(&tx)
                .await?
            else {
                continue;
            };
            let mut outbox = Outbox::new();
            self.complete(
                &tx,
                &mut outbox,
                &chat,
                ClosedByKind::System,
                None,
                reason.id,
                None,
                None,
                now,
            )
            .await?;
            self.commit(tx, outbox).await?;
            count += 1;
        }
        Ok(count)
    }

    /// Recomputes the lights of an organization's open chats after its thresholds change.
    pub(crate) async fn refresh_all_lights(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        organization_id: OrganizationId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let open = chat::Entity::find()
            .filter(chat::Column::OrganizationId.eq(organization_id))
            .filter(chat::Column::Status.is_in([ChatStatus::New, ChatStatus::InProgress]))
            .all(db)
            .await?;
        for chat in open {
            self.refresh_light(db, outbox, &chat, now).await?;
        }
        Ok(())
    }

    /// The customer's other chats, newest first (D10).
    pub async fn previous_chats(&self, chat: &chat::Model) -> Result<Vec<chat::Model>> {
        Ok(chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(chat.customer_id))
            .filter(chat::Column::Id.ne(chat.id))
            .filter(chat::Column::CreatedAt.lte(chat.created_at))
            .order_by_desc(chat::Column::CreatedAt)
            .all(&self.db)
            .await?)
    }

    /// Whether an operator of this role may see the whole identity of others (used by masking).
    pub fn sees_originals(role: Role, settings: &organization_settings::Model) -> bool {
        crate::masking::Masking::for_viewer(settings, Some(role)) == crate::masking::Masking::Off
    }

    /// The first name of an operator, for templates, read on `db`.
    pub async fn first_name(&self, db: &impl ConnectionTrait, id: OperatorId) -> Result<String> {
        Ok(operator::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|o| o.first_name)
            .unwrap_or_default())
    }
}

/// The public calls, each retried when it lost a race (see [`Domain::retry`]).
impl Domain {
    pub async fn post_customer_message(
        &self,
        actor: &Actor,
        input: PostCustomerMessageInput,
    ) -> Result<message::Model> {
        self.retry(|| self.post_customer_message_once(actor, input.clone()))
            .await
    }
}
