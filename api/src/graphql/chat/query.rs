//! Reading chats: one by id, the operator's lists, the history, and the integration slot.

use async_graphql::{Context, Object, SimpleObject};

use omnipanel_domain::chat::{ChatFilter, ChatTab, HistoryCursor, WaitingCursor};

use omnipanel_domain::ids::*;

use crate::graphql::chat::types::{Chat, prime, visible_chat};
use crate::graphql::context::call;

use crate::graphql::page::{Forward, Page, forward};

/// The integration slot of a chat (L1).
#[derive(SimpleObject)]
pub struct IntegrationSlot {
    /// The URL to frame, with the chat id, CRM contact id, case id and phone filled in.
    pub url: String,
    /// The origin it belongs to (the panel frames nothing else).
    pub origin: String,
}

#[derive(Default)]
pub struct ChatQuery;

#[Object]
impl ChatQuery {
    /// A chat the caller may see; null otherwise (A1, A2).
    async fn chat(&self, ctx: &Context<'_>, id: ChatId) -> async_graphql::Result<Option<Chat>> {
        visible_chat(ctx, Some(id)).await
    }

    /// The caller's Active list (invitations and open chats) or Closed list (the last 10; D2).
    async fn my_chats(&self, ctx: &Context<'_>, tab: ChatTab) -> async_graphql::Result<Vec<Chat>> {
        let rows = call(ctx, |d, a| d.chats().my_chats(a, tab)).await?;
        prime(ctx, &rows).await?;
        Ok(rows.into_iter().map(Chat::from).collect())
    }

    /// Chats waiting in the queues the caller sees, head of the queue first (D2, A2).
    async fn unassigned_chats(
        &self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>,
    ) -> async_graphql::Result<Page<Chat>> {
        let Forward { first, after } = Forward::<WaitingCursor>::ask(first, after)?;
        let after_a_cursor = after.is_some();
        let page = call(ctx, |d, a| d.chats().unassigned_chats(a, first, after)).await?;
        prime(ctx, &page.chats).await?;
        Ok(forward(
            after_a_cursor,
            page.has_next,
            page.chats,
            WaitingCursor::of,
            Chat::from,
        ))
    }

    /// Chats the bot is still handling in the queues the caller sees, newest first: those an
    /// operator may take over (D1).
    async fn bot_chats(
        &self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>,
    ) -> async_graphql::Result<Page<Chat>> {
        let Forward { first, after } = Forward::ask(first, after)?;
        let after_a_cursor = after.is_some();
        let (rows, has_next) = call(ctx, |d, a| d.chats().bot_chats(a, first, after)).await?;
        newest_first(ctx, rows, after_a_cursor, has_next).await
    }

    /// Chat history, newest first: every chat the caller may see, with filters (J1, G2).
    async fn chats(
        &self, ctx: &Context<'_>, filter: Option<ChatFilter>, first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Chat>> {
        let Forward { first, after } = Forward::ask(first, after)?;
        let after_a_cursor = after.is_some();
        let (rows, has_next) = call(ctx, |d, a| {
            d.chats()
                .chat_history(a, filter.unwrap_or_default(), first, after)
        })
        .await?;
        newest_first(ctx, rows, after_a_cursor, has_next).await
    }

    /// The side iframe for a chat the caller sees: the administrator's URL template filled with
    /// the chat's context (L1); null when the organization has none.
    async fn integration_slot(
        &self, ctx: &Context<'_>, chat_id: ChatId,
    ) -> async_graphql::Result<Option<IntegrationSlot>> {
        let slot = call(ctx, |d, a| d.crm().integration_slot(a, chat_id)).await?;
        Ok(slot.map(|slot| IntegrationSlot {
            url: slot.url,
            origin: slot.origin,
        }))
    }
}

/// A page of chats listed newest first, their relations primed, each with its keyset cursor.
async fn newest_first(
    ctx: &Context<'_>, rows: Vec<omnipanel_domain::entity::chat::Model>, after_a_cursor: bool,
    has_next: bool,
) -> async_graphql::Result<Page<Chat>> {
    prime(ctx, &rows).await?;
    Ok(forward(
        after_a_cursor,
        has_next,
        rows,
        HistoryCursor::of,
        Chat::from,
    ))
}
