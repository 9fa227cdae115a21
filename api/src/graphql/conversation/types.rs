//! Messages and notes as operators read them.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use crate::graphql::admin::types::Operator;
use omnipanel_domain::entity::{message, note};
use omnipanel_domain::enums::*;
use omnipanel_domain::ids::*;

use crate::graphql::context::{load, loader, masking};

use crate::graphql::loaders::FilesOfChat;

/// A note an operator left on a chat (D8).
pub struct Note(pub note::Model);

#[Object]
impl Note {
    async fn id(&self) -> NoteId {
        self.0.id
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, Some(self.0.operator_id), Operator::of).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A message in a chat.
pub struct Message(pub message::Model);

#[Object]
impl Message {
    async fn id(&self) -> MessageId {
        self.0.id
    }
    async fn chat_id(&self) -> ChatId {
        self.0.chat_id
    }
    async fn author_kind(&self) -> AuthorKind {
        self.0.author_kind
    }
    /// The operator who wrote it (OPERATOR messages).
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, self.0.author_operator_id, Operator::of).await
    }
    /// The text; what the customer's side wrote is masked for operators when the organization
    /// says so (K1).
    async fn text(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        if matches!(self.0.author_kind, AuthorKind::Customer | AuthorKind::Bot) {
            Ok(masking(ctx, self.0.organization_id)
                .await?
                .apply(&self.0.text))
        } else {
            Ok(self.0.text.clone())
        }
    }
    /// Seen by operators only (X5).
    async fn is_whisper(&self) -> bool {
        self.0.is_whisper
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// How far the message got to the customer (M2).
    /// The files the message carries (D4).
    async fn attachments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::files::Attachment>> {
        let rows = loader(ctx)
            .load_one(FilesOfChat(self.0.chat_id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|file| file.message_id == Some(self.0.id))
            .map(crate::graphql::files::Attachment)
            .collect())
    }
    async fn delivery_state(&self) -> DeliveryState {
        self.0.delivery_state
    }
    /// Why delivery failed, when it did.
    async fn delivery_error(&self) -> Option<&str> {
        self.0.delivery_error.as_deref()
    }
}
