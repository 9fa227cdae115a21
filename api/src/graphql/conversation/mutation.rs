//! What is said in a chat and about it: messages both ways, mute, notes, topic and tags.

use async_graphql::{Context, Object, SimpleObject};

use omnipanel_domain::conversation::{
    AddNoteInput, DescribeCustomerInput, MuteCustomerInput, PostCustomerMessageInput,
    SendMessageInput, SetChatTagsInput, SetChatTopicInput, UpdateNoteInput,
};

use crate::graphql::chat::types::{Chat, ChatPayload};
use crate::graphql::context::{actor, call, domain};
use crate::graphql::error::Gql;

use crate::graphql::conversation::types::{Message, Note};

#[derive(SimpleObject)]
pub struct MessagePayload {
    pub message: Message,
}

impl From<omnipanel_domain::entity::message::Model> for MessagePayload {
    fn from(row: omnipanel_domain::entity::message::Model) -> Self {
        Self {
            message: Message::from(row),
        }
    }
}

#[derive(SimpleObject)]
pub struct NotePayload {
    pub note: Note,
}

impl From<omnipanel_domain::entity::note::Model> for NotePayload {
    fn from(row: omnipanel_domain::entity::note::Model) -> Self {
        Self {
            note: Note::from(row),
        }
    }
}

#[derive(Default)]
pub struct ConversationMutation;

#[Object]
impl ConversationMutation {
    /// Writes to the customer (D4).
    async fn send_message(
        &self, ctx: &Context<'_>, input: SendMessageInput,
    ) -> async_graphql::Result<MessagePayload> {
        call(ctx, |d, a| d.conversation().send_message(a, input))
            .await
            .map(Into::into)
    }

    /// A message from the customer's side: the chatbot posts the customer's messages and its
    /// own while it has the chat (chatbot API key).
    async fn post_customer_message(
        &self, ctx: &Context<'_>, input: PostCustomerMessageInput,
    ) -> async_graphql::Result<MessagePayload> {
        call(ctx, |d, a| d.conversation().post_customer_message(a, input))
            .await
            .map(Into::into)
    }

    /// Mutes or unmutes a spamming customer (D7).
    async fn mute_customer(
        &self, ctx: &Context<'_>, input: MuteCustomerInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.conversation().mute_customer(a, input))
            .await
            .map(Into::into)
    }

    /// Describes the chat's customer for every later chat of theirs (D10).
    async fn describe_customer(
        &self, ctx: &Context<'_>, input: DescribeCustomerInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.conversation().describe_customer(a, input))
            .await
            .map(Into::into)
    }

    /// Adds the caller's note to a chat assigned to them (D8).
    async fn add_note(
        &self, ctx: &Context<'_>, input: AddNoteInput,
    ) -> async_graphql::Result<NotePayload> {
        call(ctx, |d, a| d.conversation().add_note(a, input))
            .await
            .map(Into::into)
    }

    /// Edits the caller's note while the chat is still theirs (D8).
    async fn update_note(
        &self, ctx: &Context<'_>, input: UpdateNoteInput,
    ) -> async_graphql::Result<NotePayload> {
        call(ctx, |d, a| d.conversation().update_note(a, input))
            .await
            .map(Into::into)
    }

    /// Sets or clears a chat's topic and subtopic (D9).
    async fn set_chat_topic(
        &self, ctx: &Context<'_>, input: SetChatTopicInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.conversation().set_chat_topic(a, input))
            .await
            .map(Into::into)
    }

    /// Replaces a chat's tags (D9).
    async fn set_chat_tags(
        &self, ctx: &Context<'_>, input: SetChatTagsInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat_id = input.chat_id;
        call(ctx, |d, a| d.conversation().set_chat_tags(a, input)).await?;
        let domain = domain(ctx);
        let chat = domain
            .chats()
            .visible_chat(&domain.db, actor(ctx)?, chat_id)
            .await
            .gql()?;
        Ok(ChatPayload {
            chat: Chat::from(chat),
        })
    }
}
