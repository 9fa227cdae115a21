//! Messages and notes as operators read them.

use async_graphql::{ComplexObject, Context};
use chrono::{DateTime, Utc};

use crate::graphql::admin::types::Operator;
use crate::graphql::projection::projection;
use omnipanel_domain::entity::{message, note};
use omnipanel_domain::enums::*;
use omnipanel_domain::ids::*;

use crate::graphql::context::{load, loader, masking};

use crate::graphql::loaders::FilesOfChat;

projection!(
    /// A note an operator left on a chat (D8).
    Note(note::Model) + complex {
        id: NoteId,
        text: String,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

#[ComplexObject]
impl Note {
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, Some(self.row.operator_id), Operator::of).await
    }
}

projection!(
    /// A message in a chat.
    Message(message::Model) + complex {
        id: MessageId,
        chat_id: ChatId,
        author_kind: AuthorKind,
        /// Seen by operators only (X5).
        is_whisper: bool,
        created_at: DateTime<Utc>,
        delivery_state: DeliveryState,
        /// Why delivery failed, when it did.
        delivery_error: Option<String>,
    }
);

#[ComplexObject]
impl Message {
    /// The operator who wrote it (OPERATOR messages).
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, self.row.author_operator_id, Operator::of).await
    }
    /// The text; what the customer's side wrote is masked for operators when the organization
    /// says so (K1).
    async fn text(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        if matches!(self.row.author_kind, AuthorKind::Customer | AuthorKind::Bot) {
            Ok(masking(ctx, self.row.organization_id)
                .await?
                .apply(&self.row.text))
        } else {
            Ok(self.row.text.clone())
        }
    }
    /// How far the message got to the customer (M2).
    /// The files the message carries (D4).
    async fn attachments(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::files::Attachment>> {
        let rows = loader(ctx)
            .load_one(FilesOfChat(self.row.chat_id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|file| file.message_id == Some(self.row.id))
            .map(crate::graphql::files::Attachment::from)
            .collect())
    }
}
