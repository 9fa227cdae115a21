//! Every error an HTTP route answers is JSON in the route's own format, with a code from the
//! API's list and, for bad input, the field: GraphQL's `{"errors": [{"message", "extensions":
//! {"code", "field"}}]}` on `/graphql` and `/files` (the panel reads both alike), and
//! `{"error": {"code", "message", "field"}}` everywhere else. Handlers answer with a
//! [`Refusal`]; [`json_errors`] rewrites what libraries and layers answer on their own (a body
//! over the limit, a route or method that does not exist, a malformed query string) so their
//! plain text never reaches a client.

use std::borrow::Cow;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use omnipanel_domain::DomainError;
use serde_json::{Value, json};

/// How a route spells its errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `{"errors": [{"message", "extensions": {"code", "field"}}]}`
    Graphql,
    /// `{"error": {"code", "message", "field"}}`
    Rest,
}

impl Format {
    /// The format of the route at `path`.
    pub fn of(path: &str) -> Self {
        let graphql = ["/graphql", "/files"].iter().any(|root| {
            path.strip_prefix(root)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        if graphql { Self::Graphql } else { Self::Rest }
    }
}

/// An error answer: status, code, words for a person, and the field at fault if any.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    field: Option<Cow<'static, str>>,
    format: Format,
}

impl Refusal {
    pub fn new(
        status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            format: Format::Rest,
        }
    }

    /// `400 VALIDATION` on `field`.
    pub fn validation(
        field: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION", message).field(field)
    }

    /// `404 NOT_FOUND`: no route at `path`.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("Nothing is served at {path}"),
        )
        .format(Format::of(path))
    }

    /// The answer a layer or library gave with `status` and no JSON body of its own, at `path`
    /// (whose body limit is `limit`) with the methods `allow` names.
    pub fn for_status(status: StatusCode, path: &str, limit: usize, allow: Option<&str>) -> Self {
        let (code, field, message): (&'static str, Option<&'static str>, Cow<'static, str>) =
            match status {
                StatusCode::PAYLOAD_TOO_LARGE => (
                    "LIMIT_EXCEEDED",
                    None,
                    format!("The request body is larger than the {limit} bytes allowed").into(),
                ),
                StatusCode::NOT_FOUND => return Self::no_route(path),
                StatusCode::METHOD_NOT_ALLOWED => (
                    "VALIDATION",
                    Some("method"),
                    match allow {
                        Some(allow) => format!("{path} takes {allow} requests").into(),
                        None => "This method is not served here".into(),
                    },
                ),
                StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                    "VALIDATION",
                    Some("Content-Type"),
                    "Send the body as application/json".into(),
                ),
                StatusCode::TOO_MANY_REQUESTS => (
                    "LIMIT_EXCEEDED",
                    None,
                    "Too many requests; try again later".into(),
                ),
                status if status.is_client_error() => (
                    "VALIDATION",
                    Some("request"),
                    "The request is malformed".into(),
                ),
                StatusCode::SERVICE_UNAVAILABLE => (
                    "INTERNAL",
                    None,
                    "The service is unavailable right now; try again later".into(),
                ),
                _ => ("INTERNAL", None, "Try again later".into()),
            };
        let refusal = Self::new(status, code, message).format(Format::of(path));
        match field {
            Some(field) => refusal.field(field),
            None => refusal,
        }
    }

    pub fn field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The body alone, for a caller that builds its own response around it.
    pub fn body(&self) -> Value {
        match self.format {
            Format::Graphql => {
                let mut extensions = json!({ "code": self.code });
                if let Some(field) = &self.field {
                    extensions["field"] = json!(field);
                }
                json!({ "errors": [{ "message": self.message, "extensions": extensions }] })
            }
            Format::Rest => {
                let mut error = json!({ "code": self.code, "message": self.message });
                if let Some(field) = &self.field {
                    error["field"] = json!(field);
                }
                json!({ "error": error })
            }
        }
    }
}

/// A domain error with the status that fits it; internal details are logged, never shown.
impl From<DomainError> for Refusal {
    fn from(error: DomainError) -> Self {
        let status = match &error {
            DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
            DomainError::Validation { .. } => StatusCode::BAD_REQUEST,
            DomainError::Conflict(_) => StatusCode::CONFLICT,
            DomainError::LimitExceeded(_) => StatusCode::TOO_MANY_REQUESTS,
            DomainError::Upstream(_) => StatusCode::BAD_GATEWAY,
            DomainError::Db(_) | DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if error.is_internal() {
            tracing::error!(?error, "request failed");
            return Self::new(status, error.code(), "Try again later");
        }
        let refusal = Self::new(status, error.code(), error.to_string());
        match error {
            DomainError::Validation { field, .. } => refusal.field(field),
            _ => refusal,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// The body limits [`json_errors`] names when a body is too large.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Every route's but the upload's.
    pub body: usize,
    /// `POST /files`.
    pub upload: usize,
}

impl Limits {
    fn of(&self, path: &str) -> usize {
        if path == "/files" {
            self.upload
        } else {
            self.body
        }
    }
}

/// Rewrites every error answer that is not JSON (nor a page meant for a browser) into the
/// route's JSON format, keeping its status and headers such as `Allow`.
pub async fn json_errors(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || speaks_for_itself(&response) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let allow = super::header_text(&parts.headers, header::ALLOW).map(str::to_owned);
    let refusal = Refusal::for_status(status, &path, limits.of(&path), allow.as_deref());
    let body = serde_json::to_vec(&refusal.body()).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, body.into())
}

/// A JSON answer (ours) or an HTML page (for a person in a browser) stays as it is.
fn speaks_for_itself(response: &Response) -> bool {
    super::header_text(response.headers(), header::CONTENT_TYPE).is_some_and(|kind| {
        let kind = kind.split(';').next().unwrap_or_default().trim();
        kind == "text/html" || kind == "application/json" || kind.ends_with("+json")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_routes_and_their_subpaths_speak_graphql() {
        assert_eq!(Format::of("/graphql"), Format::Graphql);
        assert_eq!(Format::of("/graphql/ws"), Format::Graphql);
        assert_eq!(Format::of("/files"), Format::Graphql);
        assert_eq!(Format::of("/files/3f"), Format::Graphql);
        assert_eq!(Format::of("/graphqlx"), Format::Rest);
        assert_eq!(Format::of("/webchat/1/messages"), Format::Rest);
    }

    #[test]
    fn a_refusal_names_code_and_field_in_either_format() {
        let rest = Refusal::validation("score", "must be 1 to 5").body();
        assert_eq!(
            rest,
            json!({ "error": { "code": "VALIDATION", "message": "must be 1 to 5", "field": "score" } })
        );
        let graphql = Refusal::validation("query", "is missing")
            .format(Format::Graphql)
            .body();
        assert_eq!(
            graphql["errors"][0]["extensions"],
            json!({ "code": "VALIDATION", "field": "query" })
        );
    }

    #[test]
    fn an_internal_error_shows_no_detail() {
        let refusal = Refusal::from(DomainError::Internal("secret detail".into()));
        assert_eq!(refusal.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(refusal.body()["error"]["message"], "Try again later");
    }
}
