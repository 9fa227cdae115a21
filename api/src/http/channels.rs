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

use crate::state::AppState;

fn answer(status: StatusCode, error: Option<&str>) -> Response {
    let body = match error {
        None => json!({ "ok": true }),
        Some(error) => json!({ "ok": false, "error": error }),
    };
    (status, Json(body)).into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The channel the request names, if it proves itself with `secret`.
async fn channel(
    state: &AppState,
    id: &str,
    kinds: &[ChannelKind],
    secret: Option<&str>,
) -> Result<channel::Model, Response> {
    let Ok(id) = id.parse::<ChannelId>() else {
        return Err(answer(StatusCode::NOT_FOUND, Some("No such channel")));
    };
    match state
        .domain
        .channels()
        .authenticate_channel(id, kinds, secret)
        .await
    {
        Ok(found) => Ok(found),
        Err(DomainError::Unauthenticated(reason)) => {
            Err(answer(StatusCode::UNAUTHORIZED, Some(&reason)))
        }
        Err(error) => {
            tracing::error!(?error, "channel lookup failed");
            Err(answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("Try again later"),
            ))
        }
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
        Ok(_) => answer(StatusCode::OK, None),
        Err(DomainError::Validation { message, .. }) => {
            answer(StatusCode::UNPROCESSABLE_ENTITY, Some(&message))
        }
        Err(error) => {
            tracing::error!(?error, channel_id = %found.id, "inbound message not stored");
            answer(StatusCode::INTERNAL_SERVER_ERROR, Some("Try again later"))
        }
    }
}

/// `POST /webhooks/telegram/{channelId}`: one Bot API `Update`.
#[tracing::instrument(skip_all, fields(channel_id = %id))]
pub async fn telegram(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secret = header(&headers, telegram::SECRET_HEADER);
    let found = match channel(&state, &id, &[ChannelKind::Telegram], secret).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let update: telegram::Update = match serde_json::from_slice(&json_without_nul(&body)) {
        Ok(update) => update,
        Err(error) => {
            return answer(
                StatusCode::BAD_REQUEST,
                Some(&format!("Not a Telegram update: {error}")),
            );
        }
    };
    match telegram::inbound(&update) {
        Some(inbound) => store(&state, &found, inbound).await,
        // Edits and other updates are acknowledged, so Telegram does not send them again.
        None => answer(StatusCode::OK, None),
    }
}

/// `POST /webhooks/generic/{channelId}`: the documented JSON, signed with the channel's secret.
#[tracing::instrument(skip_all, fields(channel_id = %id))]
pub async fn generic(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let kinds = [
        ChannelKind::InfobipWhatsapp,
        ChannelKind::Viber,
        ChannelKind::Messenger,
    ];
    // The secret is checked through the signature, not presented: find the channel first.
    let Ok(channel_id) = id.parse::<ChannelId>() else {
        return answer(StatusCode::NOT_FOUND, Some("No such channel"));
    };
    let found = match state.domain.channels().channel_by_id(channel_id).await {
        Ok(Some(found)) if kinds.contains(&found.kind) && found.archived_at.is_none() => found,
        Ok(_) => {
            return answer(
                StatusCode::UNAUTHORIZED,
                Some("Unknown channel or wrong signature"),
            );
        }
        Err(error) => {
            tracing::error!(?error, "channel lookup failed");
            return answer(StatusCode::INTERNAL_SERVER_ERROR, Some("Try again later"));
        }
    };
    let verified = generic::verify(
        &found,
        header(&headers, "x-omnipanel-timestamp"),
        header(&headers, "x-omnipanel-signature"),
        &body,
        state.domain.now(),
    );
    if verified.is_err() {
        return answer(
            StatusCode::UNAUTHORIZED,
            Some("Unknown channel or wrong signature"),
        );
    }
    match generic::inbound(&json_without_nul(&body)) {
        Ok(inbound) => store(&state, &found, inbound).await,
        Err(generic::Refusal::Body(reason)) => answer(StatusCode::BAD_REQUEST, Some(&reason)),
        Err(generic::Refusal::Signature) => answer(
            StatusCode::UNAUTHORIZED,
            Some("Unknown channel or wrong signature"),
        ),
    }
}
