//! Text from outside without NUL characters: JSON bodies of channels' webhooks and of web chat
//! are cleaned once, here, before anything reads them. PostgreSQL stores no NUL, and a customer
//! or a provider cannot be asked to send the message again without it.

use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `body` with NUL characters removed from every string (and key) of its JSON; unchanged when it
/// holds none, or when it is not JSON (its reader refuses it then).
pub fn json_without_nul(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    // JSON spells a NUL only as the escape `\u0000`: without it there is nothing to clean.
    if !body.windows(6).any(|window| window == b"\\u0000") {
        return body.into();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            strip(&mut value);
            serde_json::to_vec(&value).map_or(body.into(), Into::into)
        }
        Err(_) => body.into(),
    }
}

fn strip(value: &mut Value) {
    match value {
        Value::String(text) => text.retain(|c| c != '\0'),
        Value::Array(items) => items.iter_mut().for_each(strip),
        Value::Object(fields) => {
            if fields.keys().any(|key| key.contains('\0')) {
                *fields = std::mem::take(fields)
                    .into_iter()
                    .map(|(key, value)| (key.replace('\0', ""), value))
                    .collect();
            }
            fields.values_mut().for_each(strip);
        }
        _ => {}
    }
}

/// Like `Json<T>`, with NUL characters removed from the body's strings first.
pub struct CleanJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CleanJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(mut value) = Json::<Value>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        strip(&mut value);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_leave_every_string_and_nothing_else() {
        let body = br#"{"text":"a\u0000b","list":["\u0000"],"k\u0000":{"n":1},"path":"C:\\u0000"}"#;
        let cleaned: Value = serde_json::from_slice(&json_without_nul(body)).unwrap();
        assert_eq!(
            cleaned,
            serde_json::json!({"text": "ab", "list": [""], "k": {"n": 1}, "path": "C:\\u0000"})
        );
        let plain = br#"{"text":"hello"}"#;
        assert!(matches!(
            json_without_nul(plain),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
