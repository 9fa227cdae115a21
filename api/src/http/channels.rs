//! Inbound channel webhooks (M1): Telegram's updates and the generic JSON webhook. Each request
//! proves it comes from the channel (Telegram's secret-token header, or an HMAC signature);
//! anything else is 401 and stores nothing. A repeated update is answered 200 and stored once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use omnipanel_domain::DomainError;
use omnipanel_domain::channels::InboundMessage;
use omnipanel_domain::entity::channel;
use omnipanel_domain::enums::ChannelKind;
use omnipanel_domain::ids::ChannelId;
use omnipanel_domain::validate::json_without_nul;
use omnipanel_integrations::{generic, telegram};
use serde_json::json;

use super::header_text;
use super::refusal::Refusal;
use crate::state::AppState;

const WRONG_SIGNATURE: &str = "Unknown channel or wrong signature";

/// Stored (or deliberately ignored): the provider need not send it again.
fn accepted() -> Response {
    Json(json!({ "ok": true })).into_response()
}

fn no_such_channel() -> Response {
    Refusal::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such channel").into_response()
}

fn unauthenticated(reason: impl Into<std::borrow::Cow<'static, str>>) -> Response {
    Refusal::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", reason).into_response()
}

/// A failure of ours: 5xx, so the provider sends the update again.
fn try_again(error: &DomainError) -> Response {
    tracing::error!(?error, "inbound message not handled");
    Refusal::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "Try again later",
    )
    .into_response()
}

/// The channel the request names, if it proves itself with `secret`.
async fn channel(
    state: &AppState, id: &str, kinds: &[ChannelKind], secret: Option<&str>,
) -> Result<channel::Model, Response> {
    let Ok(id) = id.parse::<ChannelId>() else {
        return Err(no_such_channel());
    };
    match state
        .domain
        .channels()
        .authenticate_channel(id, kinds, secret)
        .await
    {
        Ok(found) => Ok(found),
        Err(DomainError::Unauthenticated(reason)) => Err(unauthenticated(reason)),
        Err(error) => Err(try_again(&error)),
    }
}

/// Stores the message; 5xx only when the provider should try again.
async fn store(state: &AppState, found: &channel::Model, inbound: InboundMessage) -> Response {
    match state
        .domain
        .channels()
        .receive_inbound(found, inbound)
        .await
    {
        Ok(_) => accepted(),
        Err(error) if error.is_internal() => try_again(&error),
        Err(error) => Refusal::from(error).into_response(),
    }
}

/// `POST /webhooks/telegram/{channelId}`: one Bot API `Update`.
#[tracing::instrument(skip_all, fields(channel_id = %id))]
pub async fn telegram(
    State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap, body: Bytes,
) -> Response {
    let secret = header_text(&headers, telegram::SECRET_HEADER);
    let found = match channel(&state, &id, &[ChannelKind::Telegram], secret).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let update: telegram::Update = match serde_json::from_slice(&json_without_nul(&body)) {
        Ok(update) => update,
        Err(_) => {
            return Refusal::validation("body", "The body is not a Telegram update")
                .into_response();
        }
    };
    match telegram::inbound(&update) {
        Some(inbound) => store(&state, &found, inbound).await,
        // Edits and other updates are acknowledged, so Telegram does not send them again.
        None => accepted(),
    }
}

/// `POST /webhooks/generic/{channelId}`: the documented JSON, signed with the channel's secret.
#[tracing::instrument(skip_all, fields(channel_id = %id))]
pub async fn generic(
    State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap, body: Bytes,
) -> Response {
    let kinds = [
        ChannelKind::InfobipWhatsapp,
        ChannelKind::Viber,
        ChannelKind::Messenger,
    ];
    // The secret is checked through the signature, not presented: find the channel first.
    let Ok(channel_id) = id.parse::<ChannelId>() else {
        return no_such_channel();
    };
    let found = match state.domain.channels().channel_by_id(channel_id).await {
        Ok(Some(found)) if kinds.contains(&found.kind) && found.archived_at.is_none() => found,
        Ok(_) => return unauthenticated(WRONG_SIGNATURE),
        Err(error) => return try_again(&error),
    };
    let verified = generic::verify(
        &found,
        header_text(&headers, "x-omnipanel-timestamp"),
        header_text(&headers, "x-omnipanel-signature"),
        &body,
        state.domain.now(),
    );
    if verified.is_err() {
        return unauthenticated(WRONG_SIGNATURE);
    }
    match generic::inbound(&json_without_nul(&body)) {
        Ok(inbound) => store(&state, &found, inbound).await,
        Err(generic::Refusal::Body(reason)) => Refusal::validation("body", reason).into_response(),
        Err(generic::Refusal::Signature) => unauthenticated(WRONG_SIGNATURE),
    }
}
