//! JSON bodies from outside, read once, here: a body that is not JSON or not of the expected
//! shape is a `VALIDATION` refusal naming the field at fault (never the parser's own text),
//! and NUL characters are removed from the body's strings first: PostgreSQL stores no NUL,
//! and a customer or a provider cannot be asked to send the message again without it.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use omnipanel_domain::validate::strip_nul;

use super::refusal::Refusal;

/// Like `Json<T>`, with NUL characters removed and refusals in the route's JSON.
pub struct CleanJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CleanJson<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(mut value) = Json::<Value>::from_request(request, state)
            .await
            .map_err(rejected)?;
        strip_nul(&mut value);
        serde_path_to_error::deserialize(value)
            .map(CleanJson)
            .map_err(|error| {
                let field = error.path().to_string();
                let field = if field == "." {
                    "body".to_owned()
                } else {
                    field
                };
                Refusal::validation(field, shape_message(error.inner()))
            })
    }
}

fn rejected(rejection: JsonRejection) -> Refusal {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "VALIDATION",
            "Send the body as application/json",
        )
        .field("Content-Type"),
        JsonRejection::JsonSyntaxError(_) => Refusal::validation("body", "The body is not JSON"),
        rejection if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "LIMIT_EXCEEDED",
            "The request body is too large",
        ),
        _ => Refusal::validation("body", "The body could not be read"),
    }
}

/// serde's words for a value of the wrong shape, without the position suffix.
fn shape_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Rating {
        score: u8,
    }

    #[test]
    fn a_wrongly_typed_field_is_named() {
        let error =
            serde_path_to_error::deserialize::<_, Rating>(serde_json::json!({ "score": "five" }))
                .unwrap_err();
        assert_eq!(error.path().to_string(), "score");
        assert_eq!(
            shape_message(error.inner()),
            "invalid type: string \"five\", expected u8"
        );
    }
}
