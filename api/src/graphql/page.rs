//! Relay-style connections: page sizes and the opaque cursors lists hand out.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use omnipanel_domain::DomainError;

use crate::graphql::error::to_gql;

/// A page of a connection read forwards, as `T` nodes behind opaque cursors.
pub(crate) type Page<T> = Connection<String, T, EmptyFields, EmptyFields>;

/// What a client asks of a list read forwards: how many (`first`, 20 unless said) and after
/// which of the cursors it was given (`after`, decoded into the list's own cursor `C`).
pub(crate) struct Forward<C> {
    pub first: u64,
    pub after: Option<C>,
}

impl<C: serde::de::DeserializeOwned> Forward<C> {
    pub(crate) fn ask(first: Option<i32>, after: Option<String>) -> async_graphql::Result<Self> {
        Ok(Self {
            first: page_size(first, 20)?,
            after: after.map(|c| decode_cursor(&c)).transpose()?,
        })
    }
}

/// The page of `rows` a [`Forward`] ask read: each row's node and its cursor; a page after a
/// cursor has one before it.
pub(crate) fn forward<R, C: serde::Serialize, T: async_graphql::OutputType>(
    after_a_cursor: bool, has_next: bool, rows: Vec<R>, cursor: impl Fn(&R) -> C,
    node: impl Fn(R) -> T,
) -> Page<T> {
    let mut page = Connection::new(after_a_cursor, has_next);
    page.edges.extend(
        rows.into_iter()
            .map(|row| Edge::new(encode_cursor(&cursor(&row)), node(row))),
    );
    page
}

/// The most items one page of a connection returns.
pub(crate) const MAX_PAGE: i32 = 100;

pub(crate) fn page_size(first: Option<i32>, default: i32) -> async_graphql::Result<u64> {
    page_size_of("first", first, default)
}

/// The size of a page asked for by the argument `field` (`first` or `last`).
pub(crate) fn page_size_of(
    field: &'static str, asked: Option<i32>, default: i32,
) -> async_graphql::Result<u64> {
    match asked.unwrap_or(default) {
        n if (1..=MAX_PAGE).contains(&n) => Ok(n as u64),
        _ => Err(to_gql(DomainError::validation(
            field,
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
