//! What operators add to a chat (D7, D8, D9, D10): mute, notes, topic and subtopic, tags, and
//! the customer's description, which later chats show.

use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::entity::{chat, chat_assignment, chat_tag, customer, note};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::service::Conversation;
use crate::validate::{check, not_blank};

/// The most notes a chat may have (D8).
pub const MAX_NOTES_PER_CHAT: u64 = 10;

/// The most tags a chat may have.
pub const MAX_TAGS: usize = 20;

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
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    pub text: String,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateNoteInput {
    pub note_id: NoteId,
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    pub text: String,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct DescribeCustomerInput {
    /// A chat of the customer's that the caller works (supervisors: any open one they see).
    pub chat_id: ChatId,
    /// What operators should know of the customer, at most 1000 characters; null or blank
    /// clears it.
    #[validate(length(max = 1000))]
    pub description: Option<String>,
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

impl Conversation<'_> {
    /// Mutes or unmutes a spamming customer (D7): their messages are kept but raise no alerts
    /// and do not restart the SLA clock.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn mute_customer(
        self, actor: &Actor, input: MuteCustomerInput,
    ) -> Result<chat::Model> {
        let (mut work, chat) = self
            .domain
            .chats()
            .begin_on_owned(actor, input.chat_id, true)
            .await?;
        let mut model: chat::ActiveModel = chat.into();
        model.muted = Set(input.muted);
        if input.muted {
            model.waiting_since = Set(None);
        }
        let updated = work.save(model).await?;
        let updated = self.refresh_light(&mut work, &updated).await?;
        self.domain
            .chats()
            .commit_update(work, updated, json!({ "muted": input.muted }))
            .await
    }

    /// Describes the chat's customer (D10): kept on the customer, so every later chat of theirs
    /// shows it. The operator working the chat, or a supervisor, may change it.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn describe_customer(
        self, actor: &Actor, input: DescribeCustomerInput,
    ) -> Result<chat::Model> {
        check(&input)?;
        let description = input
            .description
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
        let (work, chat) = self
            .domain
            .chats()
            .begin_on_owned(actor, input.chat_id, true)
            .await?;
        customer::ActiveModel {
            id: Set(chat.customer_id),
            description: Set(description),
            updated_at: Set(work.now),
            ..Default::default()
        }
        .update(&work.tx)
        .await?;
        self.domain
            .chats()
            .commit_update(work, chat, json!({ "customer": "description" }))
            .await
    }

    /// Adds the caller's note for their current responsibility (D8): at most 1000 characters,
    /// one per operator per assignment, at most 10 per chat, never on an unassigned chat.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn add_note(self, actor: &Actor, input: AddNoteInput) -> Result<note::Model> {
        actor.operator()?;
        check(&input)?;
        let (me, _) = actor.operator()?;
        let now = self.domain.now();
        let tx = self.domain.write().await?;
        let chat = self
            .domain
            .chats()
            .owned_chat(&tx, actor, input.chat_id, false)
            .await?;
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
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_note(self, actor: &Actor, input: UpdateNoteInput) -> Result<note::Model> {
        let (me, _) = actor.operator()?;
        check(&input)?;
        let tx = self.domain.write().await?;
        let found = note::Entity::find_by_id(input.note_id)
            .filter(note::Column::OrganizationId.eq(actor.organization_id))
            .one(&tx)
            .await?
            .ok_or(DomainError::not_found("note"))?;
        self.domain
            .chats()
            .visible_chat(&tx, actor, found.chat_id)
            .await?;
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
        model.updated_at = Set(self.domain.now());
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// A chat's notes, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(chat_id = %chat_id))]
    pub async fn notes(self, chat_id: ChatId) -> Result<Vec<note::Model>> {
        Ok(note::Entity::find()
            .filter(note::Column::ChatId.eq(chat_id))
            .order_by_asc(note::Column::CreatedAt)
            .all(&self.domain.db)
            .await?)
    }

    /// Sets or clears a chat's topic and subtopic (D9).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn set_chat_topic(
        self, actor: &Actor, input: SetChatTopicInput,
    ) -> Result<chat::Model> {
        let (work, chat) = self
            .domain
            .chats()
            .begin_on_owned(actor, input.chat_id, true)
            .await?;
        self.domain
            .chats()
            .check_topics(&work.tx, actor, input.topic_id, input.subtopic_id)
            .await?;
        let mut model: chat::ActiveModel = chat.into();
        model.topic_id = Set(input.topic_id);
        model.subtopic_id = Set(input.subtopic_id);
        let updated = work.save(model).await?;
        self.domain
            .chats()
            .commit_update(work, updated, json!({ "topicId": input.topic_id }))
            .await
    }

    /// Replaces a chat's free tags (D9); tags are trimmed and kept once each.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn set_chat_tags(
        self, actor: &Actor, input: SetChatTagsInput,
    ) -> Result<Vec<String>> {
        check(&input)?;
        let (work, chat) = self
            .domain
            .chats()
            .begin_on_owned(actor, input.chat_id, true)
            .await?;
        let mut tags: Vec<String> = input.tags.iter().map(|t| t.trim().to_owned()).collect();
        tags.sort();
        tags.dedup();
        chat_tag::Entity::delete_many()
            .filter(chat_tag::Column::ChatId.eq(chat.id))
            .exec(&work.tx)
            .await?;
        if !tags.is_empty() {
            chat_tag::Entity::insert_many(tags.iter().map(|tag| chat_tag::ActiveModel {
                chat_id: Set(chat.id),
                tag: Set(tag.clone()),
            }))
            .exec(&work.tx)
            .await?;
        }
        self.domain
            .chats()
            .commit_update(work, chat, json!({ "tags": tags }))
            .await?;
        Ok(tags)
    }
}
