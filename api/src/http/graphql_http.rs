//! GraphQL over HTTP, as its specification (graphql.github.io/graphql-over-http) describes it:
//! POST with `application/json` bodies (one operation or a batch), GET for queries only (a
//! mutation over GET is 405), the answer in `application/graphql-response+json` or
//! `application/json` as the client's `Accept` asks. With `application/graphql-response+json`
//! a request that never ran (a document that does not parse or validate, variables that do not
//! coerce) is 400 and has no `data`; with `application/json` it is 200, as older clients expect.
//! `graphql-http`'s audit suite checks all of it (`tests/browser/graphql-http.test.mjs`).

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::client_address::ClientAddress;
use super::refusal::{Format, Refusal};
use super::{authenticate, header_text};
use crate::graphql::context::RequestInfo;
use crate::graphql::{self, MAX_BATCH};
use crate::state::AppState;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    GraphqlResponse,
    Json,
}

impl Answer {
    fn media_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => GRAPHQL_RESPONSE_JSON,
            Self::Json => JSON,
        }
    }
}

/// The answer's media type from `Accept`: the one with the highest quality, the first listed
/// on a tie; `application/json` for a missing header or a wildcard. `None`: nothing we speak.
fn negotiate(accept: Option<&str>) -> Option<Answer> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(Answer::Json);
    };
    let mut best: Option<(f32, Answer)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let answer = match parts
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            GRAPHQL_RESPONSE_JSON => Answer::GraphqlResponse,
            JSON | "application/*" | "*/*" => Answer::Json,
            _ => continue,
        };
        let quality = parts
            .filter_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, answer));
        }
    }
    best.map(|(_, answer)| answer)
}

fn accepts_html(headers: &HeaderMap) -> bool {
    header_text(headers, header::ACCEPT).is_some_and(|accept| accept.contains("text/html"))
}

fn refuse(refusal: Refusal) -> Response {
    refusal.format(Format::Graphql).into_response()
}

fn not_acceptable() -> Response {
    refuse(
        Refusal::new(
            StatusCode::NOT_ACCEPTABLE,
            "VALIDATION",
            format!("Ask for {GRAPHQL_RESPONSE_JSON} or {JSON}"),
        )
        .field("Accept"),
    )
}

/// `POST /graphql`: one operation or a batch, as JSON.
#[tracing::instrument(skip_all)]
pub async fn post(
    State(state): State<AppState>, ClientAddress(client): ClientAddress, headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(answer) = negotiate(header_text(&headers, header::ACCEPT)) else {
        return not_acceptable();
    };
    if let Err(refusal) = check_content_type(header_text(&headers, header::CONTENT_TYPE)) {
        return refuse(refusal);
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return refuse(body_refusal(&rejection, state.max_body_bytes)),
    };
    let batch = match batch_of(&body) {
        Ok(batch) => batch,
        Err(refusal) => return refuse(refusal),
    };
    execute(&state, client, &headers, batch, answer).await
}

/// `GET /graphql?query=…`: a query (never a mutation); without a query, GraphiQL for a browser.
#[tracing::instrument(skip_all)]
pub async fn get(
    State(state): State<AppState>, ClientAddress(client): ClientAddress, headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params: Map<String, Value> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
            .collect();
    if !params.contains_key("query") && accepts_html(&headers) {
        return graphiql().into_response();
    }
    let Some(answer) = negotiate(header_text(&headers, header::ACCEPT)) else {
        return not_acceptable();
    };
    let request = match get_params(params).and_then(request_of) {
        Ok(request) => request,
        Err(refusal) => return refuse(refusal),
    };
    if changes_state(&request) {
        let mut response = refuse(
            Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "VALIDATION",
                "Only queries may be sent with GET; send mutations with POST",
            )
            .field("query"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(
        &state,
        client,
        &headers,
        BatchRequest::Single(request),
        answer,
    )
    .await
}

fn graphiql() -> Html<String> {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

/// The body must be JSON, in UTF-8 (the default) if a charset is named.
fn check_content_type(content_type: Option<&str>) -> Result<(), Refusal> {
    let unsupported = |message: String| {
        Refusal::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "VALIDATION", message)
            .field("Content-Type")
    };
    let Some(content_type) = content_type else {
        return Err(unsupported(format!(
            "Name the body's type: Content-Type: {JSON}"
        )));
    };
    let mut parts = content_type.split(';').map(str::trim);
    let media_type = parts.next().unwrap_or_default();
    if !media_type.eq_ignore_ascii_case(JSON) {
        return Err(unsupported(format!(
            "Send the body as {JSON}, not {media_type}"
        )));
    }
    let charset = parts.find_map(|p| {
        p.split_once('=')
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
            .map(|(_, value)| value.trim().trim_matches('"'))
    });
    match charset {
        Some(charset) if !charset.eq_ignore_ascii_case("utf-8") => Err(unsupported(format!(
            "Send the body in UTF-8, not {charset}"
        ))),
        _ => Ok(()),
    }
}

fn body_refusal(rejection: &BytesRejection, limit: usize) -> Refusal {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "LIMIT_EXCEEDED",
            format!("The request body is larger than the {limit} bytes allowed"),
        )
    } else {
        Refusal::validation("body", "The request body could not be read")
    }
}

/// The operations of a POST body: one object, or an array of at most `MAX_BATCH`.
fn batch_of(body: &[u8]) -> Result<BatchRequest, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::validation(
            "body",
            "The body is empty; send {\"query\": \"…\"}",
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| Refusal::validation("body", format!("The body is not JSON: {error}")))?;
    match value {
        Value::Object(params) => request_of(params).map(BatchRequest::Single),
        Value::Array(items) if items.is_empty() => Err(Refusal::validation(
            "body",
            "A batch must hold at least one operation",
        )),
        Value::Array(items) if items.len() > MAX_BATCH => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "LIMIT_EXCEEDED",
            format!("A batch may hold at most {MAX_BATCH} operations"),
        )),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(params) => request_of(params),
                _ => Err(not_an_operation()),
            })
            .collect::<Result<_, _>>()
            .map(BatchRequest::Batch),
        _ => Err(not_an_operation()),
    }
}

fn not_an_operation() -> Refusal {
    Refusal::validation(
        "body",
        "The body must be an object {\"query\": \"…\"} or an array of them",
    )
}

/// GET's parameters as POST's: `variables` and `extensions` are JSON in the query string.
fn get_params(mut params: Map<String, Value>) -> Result<Map<String, Value>, Refusal> {
    for name in ["variables", "extensions"] {
        if let Some(Value::String(text)) = params.get(name) {
            let parsed = serde_json::from_str(text).map_err(|error| {
                Refusal::validation(name, format!("`{name}` is not JSON: {error}"))
            })?;
            params.insert(name.to_owned(), parsed);
        }
    }
    Ok(params)
}

/// One operation's parameters, each of the type the specification names.
fn request_of(mut params: Map<String, Value>) -> Result<async_graphql::Request, Refusal> {
    let query = param(&mut params, "query", "a string", string)?
        .ok_or_else(|| Refusal::validation("query", "The request has no `query`"))?;
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = param(&mut params, "operationName", "a string", string)? {
        request = request.operation_name(name);
    }
    if let Some(variables) = param(&mut params, "variables", "an object", object)? {
        request = request.variables(async_graphql::Variables::from_json(variables));
    }
    if let Some(extensions) = param(&mut params, "extensions", "an object", object)? {
        request.extensions = serde_json::from_value(extensions)
            .map_err(|_| Refusal::validation("extensions", "`extensions` must be an object"))?;
    }
    Ok(request)
}

/// A parameter: absent or null is `None`; a value `take` refuses is a `VALIDATION` naming it.
fn param<T>(
    params: &mut Map<String, Value>, name: &'static str, kind: &str, take: fn(Value) -> Option<T>,
) -> Result<Option<T>, Refusal> {
    match params.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => take(value)
            .map(Some)
            .ok_or_else(|| Refusal::validation(name, format!("`{name}` must be {kind}"))),
    }
}

fn string(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        _ => None,
    }
}

fn object(value: Value) -> Option<Value> {
    value.is_object().then_some(value)
}

/// Whether the operation the request names is a mutation or a subscription. A document that
/// does not parse is left to execution, which reports it.
fn changes_state(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let ty = match &document.operations {
        DocumentOperations::Single(operation) => Some(operation.node.ty),
        DocumentOperations::Multiple(operations) => request
            .operation_name
            .as_deref()
            .and_then(|name| operations.get(name))
            .map(|operation| operation.node.ty),
    };
    ty.is_some_and(|ty| ty != OperationType::Query)
}

async fn execute(
    state: &AppState, client: std::net::IpAddr, headers: &HeaderMap, batch: BatchRequest,
    answer: Answer,
) -> Response {
    let auth = authenticate(&state.domain, header_text(headers, header::AUTHORIZATION)).await;
    let info = RequestInfo {
        client_address: Some(client.to_string()),
    };
    let batch = match batch {
        BatchRequest::Single(request) => {
            BatchRequest::Single(graphql::request_data(request, &state.domain, auth, info))
        }
        BatchRequest::Batch(requests) => BatchRequest::Batch(
            requests
                .into_iter()
                .map(|request| {
                    graphql::request_data(request, &state.domain, auth.clone(), info.clone())
                })
                .collect(),
        ),
    };
    respond(state.schema.execute_batch(batch).await, answer)
}

fn respond(response: BatchResponse, answer: Answer) -> Response {
    let extra_headers = response.http_headers();
    let (status, body) = match response {
        BatchResponse::Single(response) => one(response, answer),
        BatchResponse::Batch(responses) => (
            StatusCode::OK,
            Value::Array(responses.into_iter().map(|r| one(r, answer).1).collect()),
        ),
    };
    let mut http = (status, body.to_string()).into_response();
    let headers = http.headers_mut();
    headers.extend(extra_headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.media_type()),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    http
}

/// One response's status and body. A request error (no data, no error on a field) is 400
/// without `data` under `application/graphql-response+json`.
fn one(response: async_graphql::Response, answer: Answer) -> (StatusCode, Value) {
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty());
    if answer == Answer::GraphqlResponse && request_error {
        let mut body = json!({ "errors": response.errors });
        if !response.extensions.is_empty() {
            body["extensions"] = json!(response.extensions);
        }
        return (StatusCode::BAD_REQUEST, body);
    }
    (
        StatusCode::OK,
        serde_json::to_value(&response).unwrap_or(Value::Null),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_follows_accept() {
        assert_eq!(negotiate(None), Some(Answer::Json));
        assert_eq!(negotiate(Some("*/*")), Some(Answer::Json));
        assert_eq!(negotiate(Some("application/json")), Some(Answer::Json));
        assert_eq!(
            negotiate(Some("application/graphql-response+json")),
            Some(Answer::GraphqlResponse)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(Answer::GraphqlResponse)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Answer::Json)
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }

    #[test]
    fn the_body_must_be_utf8_json() {
        assert!(check_content_type(Some("application/json")).is_ok());
        assert!(check_content_type(Some("Application/JSON; charset=UTF-8")).is_ok());
        assert!(check_content_type(None).is_err());
        assert!(check_content_type(Some("text/plain")).is_err());
        assert!(check_content_type(Some("application/json; charset=latin1")).is_err());
    }

    #[test]
    fn each_parameter_has_its_type() {
        let params = |value: Value| match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let field =
            |value: Value| request_of(params(value)).unwrap_err().body()["error"]["field"].clone();
        assert_eq!(field(json!({ "qeury": "{ a }" })), "query");
        assert_eq!(field(json!({ "query": 0 })), "query");
        assert_eq!(
            field(json!({ "query": "{ a }", "operationName": false })),
            "operationName"
        );
        assert_eq!(
            field(json!({ "query": "{ a }", "variables": "x" })),
            "variables"
        );
        assert_eq!(
            field(json!({ "query": "{ a }", "extensions": ["x"] })),
            "extensions"
        );
        let request = request_of(params(json!({
            "query": "query Q($a: Int) { a }",
            "operationName": "Q",
            "variables": { "a": 1 },
            "extensions": null,
        })))
        .unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
    }

    #[test]
    fn a_batch_is_bounded_and_holds_objects() {
        assert!(batch_of(b"  ").is_err());
        assert!(batch_of(b"{ \"not a JSON").is_err());
        assert!(batch_of(b"[]").is_err());
        assert!(batch_of(b"[1]").is_err());
        let many = serde_json::to_vec(&vec![json!({ "query": "{ a }" }); MAX_BATCH + 1]).unwrap();
        assert_eq!(
            batch_of(&many).unwrap_err().body()["error"]["code"],
            "LIMIT_EXCEEDED"
        );
        assert!(
            matches!(batch_of(b"[{\"query\": \"{ a }\"}]"), Ok(BatchRequest::Batch(b)) if b.len() == 1)
        );
    }

    #[test]
    fn mutations_and_subscriptions_change_state_queries_do_not() {
        let named = |query: &str, name: Option<&str>| {
            let request = async_graphql::Request::new(query);
            match name {
                Some(name) => request.operation_name(name),
                None => request,
            }
        };
        assert!(!changes_state(&named("{ a }", None)));
        assert!(changes_state(&named("mutation { a }", None)));
        assert!(changes_state(&named("subscription { a }", None)));
        assert!(changes_state(&named(
            "query Q { a } mutation M { b }",
            Some("M")
        )));
        assert!(!changes_state(&named(
            "query Q { a } mutation M { b }",
            Some("Q")
        )));
        assert!(!changes_state(&named("{", None)));
    }
}
