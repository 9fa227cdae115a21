//! What is said in a chat, in GraphQL: messages and notes as operators read them; messages both
//! ways, mute, notes, topic and tags.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::conversation::{
    AddNoteInput, MuteCustomerInput, PostCustomerMessageInput, SendMessageInput, SetChatTagsInput,
    SetChatTopicInput, UpdateNoteInput,
};
use omnipanel_domain::entity::{message, note};
use omnipanel_domain::enums::*;
use omnipanel_domain::ids::*;

use crate::graphql::admin::types::Operator;
use crate::graphql::chat::mutation::ChatPayload;
use crate::graphql::chat::types::Chat;
use crate::graphql::context::{actor, call, domain, loader, masking};
use crate::graphql::error::Gql;
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
        Ok(loader(ctx)
            .load_one(self.0.operator_id)
            .await?
            .map(Operator::of))
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
        match self.0.author_operator_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Operator::of)),
            None => Ok(None),
        }
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

#[derive(SimpleObject)]
pub struct MessagePayload {
    pub message: Message,
}

impl From<omnipanel_domain::entity::message::Model> for MessagePayload {
    fn from(row: omnipanel_domain::entity::message::Model) -> Self {
        Self {
            message: Message(row),
        }
    }
}

#[derive(SimpleObject)]
pub struct NotePayload {
    pub note: Note,
}

impl From<omnipanel_domain::entity::note::Model> for NotePayload {
    fn from(row: omnipanel_domain::entity::note::Model) -> Self {
        Self { note: Note(row) }
    }
}

#[derive(Default)]
pub struct ConversationMutation;

#[Object]
impl ConversationMutation {
    /// Writes to the customer (D4).
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        input: SendMessageInput,
    ) -> async_graphql::Result<MessagePayload> {
        call(ctx, |d, a| d.conversation().send_message(a, input))
            .await
            .map(Into::into)
    }

    /// A message from the customer's side: the chatbot posts the customer's messages and its
    /// own while it has the chat (chatbot API key).
    async fn post_customer_message(
        &self,
        ctx: &Context<'_>,
        input: PostCustomerMessageInput,
    ) -> async_graphql::Result<MessagePayload> {
        call(ctx, |d, a| d.conversation().post_customer_message(a, input))
            .await
            .map(Into::into)
    }

    /// Mutes or unmutes a spamming customer (D7).
    async fn mute_customer(
        &self,
        ctx: &Context<'_>,
        input: MuteCustomerInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.conversation().mute_customer(a, input))
            .await
            .map(Into::into)
    }

    /// Adds the caller's note to a chat assigned to them (D8).
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        input: AddNoteInput,
    ) -> async_graphql::Result<NotePayload> {
        call(ctx, |d, a| d.conversation().add_note(a, input))
            .await
            .map(Into::into)
    }

    /// Edits the caller's note while the chat is still theirs (D8).
    async fn update_note(
        &self,
        ctx: &Context<'_>,
        input: UpdateNoteInput,
    ) -> async_graphql::Result<NotePayload> {
        call(ctx, |d, a| d.conversation().update_note(a, input))
            .await
            .map(Into::into)
    }

    /// Sets or clears a chat's topic and subtopic (D9).
    async fn set_chat_topic(
        &self,
        ctx: &Context<'_>,
        input: SetChatTopicInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.conversation().set_chat_topic(a, input))
            .await
            .map(Into::into)
    }

    /// Replaces a chat's tags (D9).
    async fn set_chat_tags(
        &self,
        ctx: &Context<'_>,
        input: SetChatTagsInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat_id = input.chat_id;
        call(ctx, |d, a| d.conversation().set_chat_tags(a, input)).await?;
        let domain = domain(ctx);
        let chat = domain
            .chats()
            .visible_chat(&domain.db, actor(ctx)?, chat_id)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }
}
