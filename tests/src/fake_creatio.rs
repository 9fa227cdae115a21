//! A local stand-in for Creatio that speaks its real protocol (`../shared/CREATIO.md`): the
//! identity service's client-credentials token endpoint, OData 4 collections and records
//! (`Contact`, `Case`, `Account`, `Activity`), the OData error envelope, and the process
//! engine's `RunProcess`. It records every request so tests can assert what the connector sent,
//! and can be told to fail, to revoke its tokens, or to answer slowly.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub use crate::fake_receiver::Recorded;

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    /// Tokens the fake accepts.
    valid_tokens: Vec<String>,
    issued: usize,
    contacts: Vec<Value>,
    cases: Vec<Value>,
    /// Answers to give to the next OData calls instead of the real ones.
    failures: VecDeque<(StatusCode, Value)>,
    delay: Option<Duration>,
}

/// A running fake Creatio.
#[derive(Clone)]
pub struct FakeCreatio {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

pub const CLIENT_ID: &str = "omnipanel-client";
pub const CLIENT_SECRET: &str = "s3cr3t-client-value";

impl FakeCreatio {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/connect/token", post(token))
            .route("/0/odata/{resource}", get(collection).post(create))
            .route(
                "/0/ServiceModel/ProcessEngineService.svc/RunProcess",
                post(run_process),
            )
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// Adds a contact; returns its id.
    pub fn add_contact(&self, name: &str, mobile_phone: &str, email: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let account = uuid::Uuid::new_v4().to_string();
        self.lock().contacts.push(json!({
            "Id": id, "Name": name, "MobilePhone": mobile_phone, "Email": email, "AccountId": account,
        }));
        id
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests to a path (OData resource paths start with `/0/odata/`).
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    pub fn token_requests(&self) -> Vec<Recorded> {
        self.requests_to("/connect/token")
    }

    /// The next OData call answers `status` with the OData error envelope around `message`.
    pub fn fail_next(&self, status: u16, message: &str) {
        self.lock().failures.push_back((
            StatusCode::from_u16(status).unwrap(),
            json!({ "error": { "code": "", "message": message } }),
        ));
    }

    /// Every token issued so far stops working (as after a restart of the identity service).
    pub fn revoke_tokens(&self) {
        self.lock().valid_tokens.clear();
    }

    /// Each OData answer waits this long first.
    pub fn set_delay(&self, delay: Option<Duration>) {
        self.lock().delay = delay;
    }
}

type Shared = Arc<Mutex<Inner>>;

fn record(
    inner: &Shared, method: &Method, path: &str, query: &Option<String>, headers: &HeaderMap,
    body: &Bytes,
) {
    let request = Recorded::new(method, path, query.as_deref(), headers, body);
    inner.lock().unwrap().requests.push(request);
}

async fn token(State(inner): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    record(
        &inner,
        &Method::POST,
        "/connect/token",
        &None,
        &headers,
        &body,
    );
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let good = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    if !good {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    let mut state = inner.lock().unwrap();
    state.issued += 1;
    let token = format!("token-{}", state.issued);
    state.valid_tokens.push(token.clone());
    axum::Json(json!({ "access_token": token, "expires_in": 3600, "token_type": "Bearer" }))
        .into_response()
}

/// Checks the bearer token and plays queued failures and delays; `Some` is the answer to give
/// instead of the real one.
async fn gate(inner: &Shared, headers: &HeaderMap) -> Option<Response> {
    let delay = inner.lock().unwrap().delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut state = inner.lock().unwrap();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !state.valid_tokens.iter().any(|t| t == bearer) {
        return Some((StatusCode::UNAUTHORIZED, "401 Unauthorized").into_response());
    }
    state
        .failures
        .pop_front()
        .map(|(status, body)| (status, axum::Json(body)).into_response())
}

/// `Contact`, `Contact(<id>)`, `Case`, `Case(<id>)`: the collection or one record.
fn split_resource(resource: &str) -> (&str, Option<&str>) {
    match resource.split_once('(') {
        Some((entity, rest)) => (entity, rest.strip_suffix(')')),
        None => (resource, None),
    }
}

/// The value inside the first `'…'` after `prefix` in an OData filter.
fn quoted_after(filter: &str, prefix: &str) -> Option<String> {
    let start = filter.find(prefix)? + prefix.len();
    let rest = filter[start..].strip_prefix('\'')?;
    let end = rest.find('\'')?;
    Some(rest[..end].to_owned())
}

fn matches(record: &Value, filter: &str) -> bool {
    if filter.is_empty() {
        // No `$filter`: the whole collection, as OData gives it.
        return true;
    }
    let field = |name: &str| record[name].as_str().unwrap_or_default().to_owned();
    if let Some(v) = quoted_after(filter, "contains(MobilePhone,") {
        return field("MobilePhone")
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .contains(&v);
    }
    if let Some(v) = quoted_after(filter, "contains(Name,") {
        return field("Name").to_lowercase().contains(&v.to_lowercase());
    }
    if let Some(v) = quoted_after(filter, "Email eq ") {
        return field("Email").eq_ignore_ascii_case(&v);
    }
    if let Some(id) = filter.strip_prefix("Contact/Id eq ") {
        return field("ContactId") == id.trim();
    }
    false
}

async fn collection(
    State(inner): State<Shared>, Path(resource): Path<String>, RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let path = format!("/0/odata/{resource}");
    record(&inner, &Method::GET, &path, &query, &headers, &Bytes::new());
    if let Some(answer) = gate(&inner, &headers).await {
        return answer;
    }
    let params: HashMap<String, String> = query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let state = inner.lock().unwrap();
    let (entity, id) = split_resource(&resource);
    let records = match entity {
        "Contact" => &state.contacts,
        "Case" => &state.cases,
        _ => return (StatusCode::NOT_FOUND, "no such collection").into_response(),
    };
    if let Some(id) = id {
        return match records.iter().find(|r| r["Id"] == id) {
            Some(found) => axum::Json(found.clone()).into_response(),
            None => (
                StatusCode::NOT_FOUND,
                axum::Json(json!({ "error": { "code": "", "message": "Not found" } })),
            )
                .into_response(),
        };
    }
    let filter = params.get("$filter").cloned().unwrap_or_default();
    let top: usize = params
        .get("$top")
        .and_then(|t| t.parse().ok())
        .unwrap_or(usize::MAX);
    let value: Vec<Value> = records
        .iter()
        .filter(|r| matches(r, &filter))
        .take(top)
        .cloned()
        .collect();
    axum::Json(json!({ "@odata.context": format!("$metadata#{entity}"), "value": value }))
        .into_response()
}

async fn create(
    State(inner): State<Shared>, Path(resource): Path<String>, headers: HeaderMap, body: Bytes,
) -> Response {
    let path = format!("/0/odata/{resource}");
    record(&inner, &Method::POST, &path, &None, &headers, &body);
    if let Some(answer) = gate(&inner, &headers).await {
        return answer;
    }
    let Ok(mut created) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": { "code": "", "message": "Bad JSON" } })),
        )
            .into_response();
    };
    let mut state = inner.lock().unwrap();
    created["Id"] = json!(uuid::Uuid::new_v4().to_string());
    match resource.as_str() {
        "Case" => {
            created["Number"] = json!(format!("SR{:05}", state.cases.len() + 1));
            created["RegisteredOn"] = json!("2026-11-22T10:00:00Z");
            state.cases.push(created.clone());
        }
        "Contact" => state.contacts.push(created.clone()),
        "Activity" => {}
        _ => return (StatusCode::NOT_FOUND, "no such collection").into_response(),
    }
    (StatusCode::CREATED, axum::Json(created)).into_response()
}

async fn run_process(State(inner): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/0/ServiceModel/ProcessEngineService.svc/RunProcess";
    record(&inner, &Method::POST, path, &None, &headers, &body);
    if let Some(answer) = gate(&inner, &headers).await {
        return answer;
    }
    axum::Json(json!({
        "processId": uuid::Uuid::new_v4().to_string(),
        "processStatus": 2,
        "resultParameterValues": null,
        "success": true,
        "errorInfo": null,
    }))
    .into_response()
}
