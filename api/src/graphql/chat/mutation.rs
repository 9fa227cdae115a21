//! A chat's life: hand-off, invitations, assignment, take-over, transfer, conference, monitoring,
//! close and rating.

use async_graphql::{Context, Object};

use omnipanel_domain::chat::{
    AssignChatInput, ChatIdInput, CloseChatInput, HandOffChatInput, InviteToConferenceInput,
    RateChatInput, TransferChatInput,
};

use crate::graphql::chat::types::ChatPayload;
use crate::graphql::context::call;

#[derive(Default)]
pub struct ChatMutation;

#[Object]
impl ChatMutation {
    /// The chatbot hands a conversation to operators (chatbot API key; C1). The chat is routed
    /// at once or waits in its queue.
    async fn hand_off_chat(
        &self, ctx: &Context<'_>, input: HandOffChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().hand_off_chat(a, input))
            .await
            .map(Into::into)
    }

    /// Accepts an invitation (C5).
    async fn accept_chat(
        &self, ctx: &Context<'_>, input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().accept_chat(a, input))
            .await
            .map(Into::into)
    }

    /// Declines an invitation; the chat is offered to someone else (C5).
    async fn decline_chat(
        &self, ctx: &Context<'_>, input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().decline_chat(a, input))
            .await
            .map(Into::into)
    }

    /// Assigns a waiting chat: supervisors and above to anyone, operators to themselves (C4).
    async fn assign_chat(
        &self, ctx: &Context<'_>, input: AssignChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().assign_chat(a, input))
            .await
            .map(Into::into)
    }

    /// Closes a chat with a wrap-up reason and optionally a result (D6).
    async fn close_chat(
        &self, ctx: &Context<'_>, input: CloseChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().close_chat(a, input))
            .await
            .map(Into::into)
    }

    /// Takes a chat over from the bot (D1); the customer is greeted with the admin's template.
    async fn take_over_chat(
        &self, ctx: &Context<'_>, input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().take_over_chat(a, input.chat_id))
            .await
            .map(Into::into)
    }

    /// Transfers an accepted chat to an operator, a queue or a bot scheme (E1).
    async fn transfer_chat(
        &self, ctx: &Context<'_>, input: TransferChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().transfer_chat(a, input))
            .await
            .map(Into::into)
    }

    /// Invites a colleague into the chat (E2).
    async fn invite_to_conference(
        &self, ctx: &Context<'_>, input: InviteToConferenceInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().invite_to_conference(a, input))
            .await
            .map(Into::into)
    }

    /// Joins a conference the caller was invited to (E2).
    async fn accept_conference(
        &self, ctx: &Context<'_>, input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().accept_conference(a, input.chat_id))
            .await
            .map(Into::into)
    }

    /// Ends the conference (the owner) or leaves it (a member) (E2).
    async fn end_conference(
        &self, ctx: &Context<'_>, input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().end_conference(a, input.chat_id))
            .await
            .map(Into::into)
    }

    /// Listens to a chat silently (supervisors and above; X5).
    async fn monitor_chat(
        &self, ctx: &Context<'_>, input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().monitor_chat(a, input.chat_id))
            .await
            .map(Into::into)
    }

    /// The customer's rating of a completed chat, through the chatbot (G1): 1 to 5, once; the
    /// comment is kept only for a score of 2 or lower.
    async fn rate_chat(
        &self, ctx: &Context<'_>, input: RateChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.chats().rate_chat(a, input))
            .await
            .map(Into::into)
    }
}
