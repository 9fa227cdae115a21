//! Text from outside without NUL characters: JSON bodies of channels' webhooks and of web chat
//! are cleaned once, here, before anything reads them. PostgreSQL stores no NUL, and a customer
//! or a provider cannot be asked to send the message again without it.

use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use omnipanel_domain::validate::strip_nul;

/// Like `Json<T>`, with NUL characters removed from the body's strings first.
pub struct CleanJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CleanJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(mut value) = Json::<Value>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        strip_nul(&mut value);
        serde_json::from_value(value)
            .map(CleanJson)
            .map_err(|error| {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Failed to deserialize the JSON body into the target type: {error}"),
                )
                    .into_response()
            })
    }
}
