//! Relay-style connections: page sizes and the opaque cursors lists hand out.

use async_graphql::Context;
use async_graphql::connection::{Connection, Edge, EmptyFields};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use omnipanel_domain::chat::HistoryCursor;

use omnipanel_domain::entity::chat;

use omnipanel_domain::DomainError;

use crate::graphql::chat::types::{Chat, prime};
use crate::graphql::error::to_gql;

/// The most items one page of a connection returns.
pub(crate) const MAX_PAGE: i32 = 100;

pub(crate) fn page_size(first: Option<i32>, default: i32) -> async_graphql::Result<u64> {
    match first.unwrap_or(default) {
        n if (1..=MAX_PAGE).contains(&n) => Ok(n as u64),
        _ => Err(to_gql(DomainError::validation(
            "first",
            "must be between 1 and 100",
        ))),
    }
}

pub(crate) fn encode_cursor<T: serde::Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

pub(crate) fn decode_cursor<T: serde::de::DeserializeOwned>(
    cursor: &str,
) -> async_graphql::Result<T> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            to_gql(DomainError::validation(
                "after",
                "is not a cursor this list gave out",
            ))
        })
}

/// A page of chats listed newest first, their relations primed, each with its keyset cursor.
pub(crate) async fn newest_first(
    ctx: &Context<'_>,
    rows: Vec<chat::Model>,
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
        Edge::new(cursor, Chat(chat))
    }));
    Ok(connection)
}
