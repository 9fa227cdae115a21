//! Files over HTTP (D4): `POST /files?chatId=…&name=…` uploads the request body (its
//! `Content-Type` is the file's) for a chat the caller writes in; `GET /files/{id}` serves a
//! file to a signed-in caller who sees its chat, or to anyone holding a valid signed link.
//! Pictures are served inline; everything else as a download, never rendered by the browser.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use omnipanel_domain::DomainError;
use omnipanel_domain::files::Upload;
use omnipanel_domain::ids::{AttachmentId, ChatId};
use serde::Deserialize;
use serde_json::json;

use super::refusal::{Format, Refusal};
use super::{header_text, signed_in};
use crate::state::AppState;

/// The largest upload the route reads; each organization's own limit is checked after.
pub const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

/// An error as the GraphQL API spells it, with a fitting status (a file over the
/// organization's limit is 413).
fn error(error: DomainError) -> Response {
    let too_large = matches!(error, DomainError::LimitExceeded(_));
    let refusal = Refusal::from(error).format(Format::Graphql);
    let refusal = if too_large {
        refusal.status(StatusCode::PAYLOAD_TOO_LARGE)
    } else {
        refusal
    };
    refusal.into_response()
}

#[derive(Deserialize)]
pub struct UploadParams {
    #[serde(rename = "chatId")]
    chat_id: Option<String>,
    name: Option<String>,
}

/// `POST /files?chatId=…&name=…`.
#[tracing::instrument(skip_all)]
pub async fn upload(
    State(state): State<AppState>, Query(params): Query<UploadParams>, headers: HeaderMap,
    body: Bytes,
) -> Response {
    let actor = match signed_in(&state.domain, &headers, "Sign in first").await {
        Ok(actor) => actor,
        Err(refused) => return error(refused),
    };
    let Some(chat_id) = params.chat_id.and_then(|id| id.parse::<ChatId>().ok()) else {
        return error(DomainError::validation("chatId", "is not a chat id"));
    };
    let content_type =
        header_text(&headers, header::CONTENT_TYPE).unwrap_or("application/octet-stream");
    let upload = Upload {
        chat_id,
        name: params.name.as_deref().unwrap_or_default(),
        content_type,
        bytes: &body,
    };
    match state.domain.files().upload_file(&actor, upload).await {
        Ok(file) => {
            let url = state.domain.files().file_link(
                &file,
                state.domain.now() + state.domain.files().panel_link_ttl(),
            );
            (
                StatusCode::CREATED,
                Json(json!({
                    "id": file.id,
                    "fileName": file.file_name,
                    "contentType": file.content_type,
                    "sizeBytes": file.size_bytes,
                    "isImage": file.is_image,
                    "url": url,
                })),
            )
                .into_response()
        }
        Err(failure) => error(failure),
    }
}

#[derive(Deserialize)]
pub struct LinkParams {
    expires: Option<i64>,
    signature: Option<String>,
}

/// `GET /files/{id}`.
#[tracing::instrument(skip_all)]
pub async fn download(
    State(state): State<AppState>, Path(id): Path<String>, Query(link): Query<LinkParams>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = id.parse::<AttachmentId>() else {
        return error(DomainError::not_found("file"));
    };
    let found = match (link.expires, link.signature) {
        (Some(expires), Some(signature)) => {
            state
                .domain
                .files()
                .file_by_link(id, expires, &signature)
                .await
        }
        _ => match signed_in(&state.domain, &headers, "Sign in, or use the file's link").await {
            Ok(actor) => state.domain.files().file_for(&actor, id).await,
            Err(refused) => Err(refused),
        },
    };
    let (file, bytes) = match found {
        Ok(found) => found,
        Err(failure) => return error(failure),
    };
    let (content_type, disposition) = if file.is_image {
        (file.content_type.clone(), "inline")
    } else {
        ("application/octet-stream".to_owned(), "attachment")
    };
    // RFC 6266: an ASCII fallback and the UTF-8 name.
    let ascii: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(file.file_name.as_bytes()).collect();
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    let value = |text: String| {
        HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("application/octet-stream"))
    };
    headers.insert(header::CONTENT_TYPE, value(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(format!(
            "{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
        )),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}
