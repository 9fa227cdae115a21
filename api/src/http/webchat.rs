//! The customer side of web chat (M1): a page any website can link or frame, and the small
//! JSON API it uses. A visitor starts a conversation and gets a token (kept by their browser);
//! with it they send messages and follow the conversation live (server-sent events).
//!
//! - `GET /webchat/{channelId}`: the page.
//! - `POST /webchat/{channelId}/conversations` `{name?, email?, phone?}` → `{token}`.
//! - `POST /webchat/{channelId}/messages` (`Authorization: Bearer <token>`) `{text, clientId?}`.
//! - `GET /webchat/{channelId}/messages` (bearer): the conversation, oldest first.
//! - `POST /webchat/{channelId}/rating` (bearer) `{score, comment?}`: rates the closed chat.
//! - `GET /webchat/{channelId}/events?token=…`: `messages` events with what is new, and a
//!   `conversation` event `{open, canRate}` whenever the latest chat opens, closes or is rated.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use omnipanel_domain::DomainError;
use omnipanel_domain::channels::{
    StartWebchatInput, VisibleMessage, WebchatConversation, WebchatCursor,
};
use omnipanel_domain::enums::RecipientKind;
use omnipanel_domain::ids::{ChannelId, ChatId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::clean::CleanJson;
use super::client_address::ClientAddress;
use super::header_text;
use super::refusal::Refusal;
use crate::state::AppState;

const PAGE: &str = include_str!("assets/webchat.html");

/// How often a quiet stream looks again (new chats of the visitor, missed notices).
const RECHECK: Duration = Duration::from_secs(15);

fn refusal(error: DomainError) -> Response {
    Refusal::from(error).into_response()
}

/// The channel the path names (`/webchat/{channelId}/…`); an id that is not one is as unknown as
/// a channel that does not exist: `NOT_FOUND`, before the body is read.
pub struct WebchatChannel(ChannelId);

impl<S: Send + Sync> FromRequestParts<S> for WebchatChannel {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let unknown = || refusal(DomainError::not_found("web chat"));
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| unknown())?;
        id.parse().map(Self).map_err(|_| unknown())
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    header_text(headers, header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "))
}

/// A message as the visitor sees it.
fn visible(message: &VisibleMessage) -> Value {
    json!({
        "id": message.message.id,
        "authorKind": message.message.author_kind,
        "author": message.author,
        "text": message.message.text,
        "createdAt": message.message.created_at,
    })
}

/// Where the visitor's latest conversation stands (null before they wrote).
fn conversation(state: Option<WebchatConversation>) -> Value {
    state.map_or(
        Value::Null,
        |c| json!({ "open": c.open, "canRate": c.can_rate }),
    )
}

/// `GET /webchat/{channelId}`.
pub async fn page(State(state): State<AppState>, WebchatChannel(id): WebchatChannel) -> Response {
    if let Err(error) = state.domain.channels().webchat_channel(id).await {
        return refusal(error);
    }
    let nonce = omnipanel_domain::secret::generate_token("");
    let body = PAGE
        .replace("{{CHANNEL_ID}}", &id.to_string())
        .replace("{{NONCE}}", &nonce);
    let policy = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// `POST /webchat/{channelId}/conversations`.
pub async fn start(
    State(state): State<AppState>, WebchatChannel(id): WebchatChannel,
    ClientAddress(client): ClientAddress, CleanJson(input): CleanJson<StartWebchatInput>,
) -> Response {
    let client = client.to_string();
    match state
        .domain
        .channels()
        .start_webchat(id, input, Some(&client))
        .await
    {
        Ok(token) => (StatusCode::CREATED, Json(json!({ "token": token }))).into_response(),
        Err(error) => refusal(error),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SayInput {
    text: String,
    client_id: Option<String>,
}

/// `POST /webchat/{channelId}/messages`.
pub async fn say(
    State(state): State<AppState>, WebchatChannel(id): WebchatChannel, headers: HeaderMap,
    CleanJson(input): CleanJson<SayInput>,
) -> Response {
    let said = state
        .domain
        .channels()
        .webchat_say(
            id,
            bearer(&headers),
            &input.text,
            input.client_id.as_deref(),
        )
        .await;
    match said {
        Ok(message) => (
            StatusCode::CREATED,
            Json(visible(&VisibleMessage {
                message,
                author: None,
            })),
        )
            .into_response(),
        Err(error) => refusal(error),
    }
}

/// `GET /webchat/{channelId}/messages`.
pub async fn read(
    State(state): State<AppState>, WebchatChannel(id): WebchatChannel, headers: HeaderMap,
) -> Response {
    let token = bearer(&headers);
    let read = async {
        let messages = state
            .domain
            .channels()
            .webchat_messages(id, token, None)
            .await?;
        let latest = state
            .domain
            .channels()
            .webchat_conversation(id, token)
            .await?;
        Ok::<_, DomainError>(json!({
            "messages": messages.iter().map(visible).collect::<Vec<_>>(),
            "conversation": conversation(latest),
        }))
    };
    match read.await {
        Ok(body) => Json(body).into_response(),
        Err(error) => refusal(error),
    }
}

#[derive(Deserialize)]
pub struct RateInput {
    score: i32,
    comment: Option<String>,
}

/// `POST /webchat/{channelId}/rating`.
pub async fn rate(
    State(state): State<AppState>, WebchatChannel(id): WebchatChannel, headers: HeaderMap,
    CleanJson(input): CleanJson<RateInput>,
) -> Response {
    match state
        .domain
        .channels()
        .webchat_rate(id, bearer(&headers), input.score, input.comment)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => refusal(error),
    }
}

#[derive(Deserialize)]
pub struct EventsParams {
    token: Option<String>,
}

/// What a visitor's event stream carries along.
struct Following {
    state: AppState,
    channel: ChannelId,
    token: String,
    cursor: Option<WebchatCursor>,
    /// The conversation's state as last sent.
    told: Option<Option<WebchatConversation>>,
    chats: HashSet<ChatId>,
    notices: tokio::sync::broadcast::Receiver<omnipanel_domain::ports::Notice>,
}

impl Following {
    /// Waits until one of the visitor's chats may have something new (or a while has passed).
    async fn wake(&mut self, customer: omnipanel_domain::ids::CustomerId) {
        let deadline = tokio::time::sleep(RECHECK);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => return,
                notice = self.notices.recv() => match notice {
                    Ok(notice) if notice.recipient_kind == RecipientKind::Chat => {
                        let chat = ChatId(notice.recipient_id);
                        if self.chats.contains(&chat) {
                            return;
                        }
                        // A chat the visitor just started is not known yet.
                        if let Ok(chats) = self.state.domain.channels().webchat_chats(self.channel, customer).await {
                            self.chats = chats.into_iter().collect();
                            if self.chats.contains(&chat) {
                                return;
                            }
                        }
                    }
                    Ok(_) => {}
                    // Missed notices: look anyway.
                    Err(_) => return,
                },
            }
        }
    }
}

/// `GET /webchat/{channelId}/events?token=…`: server-sent `messages` events.
pub async fn events(
    State(state): State<AppState>, WebchatChannel(channel): WebchatChannel,
    Query(params): Query<EventsParams>,
) -> Response {
    let token = params.token.unwrap_or_default();
    let customer = match state
        .domain
        .channels()
        .webchat_visitor(channel, Some(&token))
        .await
    {
        Ok((_, customer)) => customer,
        Err(error) => return refusal(error),
    };
    let chats = state
        .domain
        .channels()
        .webchat_chats(channel, customer)
        .await
        .unwrap_or_default()
        .into_iter()
        .collect();
    let following = Following {
        notices: state.domain.bus.subscribe(),
        state,
        channel,
        token,
        cursor: None,
        told: None,
        chats,
    };
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(stream::unfold(following, move |mut following| async move {
            loop {
                let read = following
                    .state
                    .domain
                    .channels()
                    .webchat_messages(following.channel, Some(&following.token), following.cursor)
                    .await;
                match read {
                    Ok(messages) if !messages.is_empty() => {
                        let last = &messages[messages.len() - 1].message;
                        following.cursor = Some(WebchatCursor {
                            created_at: last.created_at,
                            id: last.id,
                        });
                        let data: Vec<Value> = messages.iter().map(visible).collect();
                        let event = Event::default()
                            .event("messages")
                            .json_data(data)
                            .unwrap_or_default();
                        return Some((Ok(event), following));
                    }
                    Ok(_) => {
                        let latest = following
                            .state
                            .domain
                            .channels()
                            .webchat_conversation(following.channel, Some(&following.token))
                            .await;
                        match latest {
                            Ok(latest) if following.told != Some(latest) => {
                                following.told = Some(latest);
                                let event = Event::default()
                                    .event("conversation")
                                    .json_data(conversation(latest))
                                    .unwrap_or_default();
                                return Some((Ok(event), following));
                            }
                            Ok(_) => following.wake(customer).await,
                            Err(_) => return None,
                        }
                    }
                    // The channel or the visitor is gone: the stream ends.
                    Err(_) => return None,
                }
            }
        }));
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
