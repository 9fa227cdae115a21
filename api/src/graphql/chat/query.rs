//! Reading chats: one by id, the operator's lists, the history, and the integration slot.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, SimpleObject};

use omnipanel_domain::chat::{ChatFilter, ChatTab, HistoryCursor, WaitingCursor};

use omnipanel_domain::ids::*;

use crate::graphql::chat::types::{Chat, prime, visible_chat};
use crate::graphql::context::call;

use crate::graphql::page::{decode_cursor, encode_cursor, page_size};

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
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Chat, EmptyFields, EmptyFields>> {
        let first = page_size(first, 20)?;
        let after = after
            .map(|c| decode_cursor::<WaitingCursor>(&c))
            .transpose()?;
        let has_previous = after.is_some();
        let page = call(ctx, |d, a| d.chats().unassigned_chats(a, first, after)).await?;
        prime(ctx, &page.chats).await?;
        let mut connection = Connection::new(has_previous, page.has_next);
        connection.edges.extend(
            page.chats
                .into_iter()
                .map(|chat| Edge::new(encode_cursor(&WaitingCursor::of(&chat)), Chat::from(chat))),
        );
        Ok(connection)
    }

    /// Chats the bot is still handling in the queues the caller sees, newest first: those an
    /// operator may take over (D1).
    async fn bot_chats(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Chat, EmptyFields, EmptyFields>> {
        let first = page_size(first, 20)?;
        let after = after
            .map(|c| decode_cursor::<HistoryCursor>(&c))
            .transpose()?;
        let has_previous = after.is_some();
        let (rows, has_next) = call(ctx, |d, a| d.chats().bot_chats(a, first, after)).await?;
        newest_first(ctx, rows, has_previous, has_next).await
    }

    /// Chat history, newest first: every chat the caller may see, with filters (J1, G2).
    async fn chats(
        &self,
        ctx: &Context<'_>,
        filter: Option<ChatFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Chat, EmptyFields, EmptyFields>> {
        let first = page_size(first, 20)?;
        let after = after
            .map(|c| decode_cursor::<HistoryCursor>(&c))
            .transpose()?;
        let has_previous = after.is_some();
        let (rows, has_next) = call(ctx, |d, a| {
            d.chats()
                .chat_history(a, filter.unwrap_or_default(), first, after)
        })
        .await?;
        newest_first(ctx, rows, has_previous, has_next).await
    }

    /// The side iframe for a chat the caller sees: the administrator's URL template filled with
    /// the chat's context (L1); null when the organization has none.
    async fn integration_slot(
        &self,
        ctx: &Context<'_>,
        chat_id: ChatId,
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
    ctx: &Context<'_>,
    rows: Vec<omnipanel_domain::entity::chat::Model>,
    has_previous: bool,
    has_next: bool,
) -> async_graphql::Result<Connection<String, Chat, EmptyFields, EmptyFields>> {
    prime(ctx, &rows).await?;
    let mut connection = Connection::new(has_previous, has_next);
    connection.edges.extend(rows.into_iter().map(|chat| {
        let cursor = encode_cursor(&HistoryCursor {
            created_at: chat.created_at,
            id: chat.id,
        });
        Edge::new(cursor, Chat::from(chat))
    }));
    Ok(connection)
}
