//! A local stand-in for the Telegram Bot API (`../shared/TELEGRAM.md`): `POST
//! /bot<token>/<method>` with a JSON body, answered `{"ok":true,"result":…}` or
//! `{"ok":false,"error_code","description","parameters"}`. It records what it receives and can
//! be taken down (answering 502 without a Bot API body, as a proxy in front of a dead server
//! would) or told to refuse. It keeps the webhook `setWebhook` registers, reports it in
//! `getWebhookInfo`, and delivers updates to it with the registered secret, as Telegram does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// A call the fake received.
#[derive(Clone, Debug)]
pub struct Call {
    pub token: String,
    pub method: String,
    /// The JSON body, or the text fields of a multipart one.
    pub body: Value,
    /// A multipart upload's file: (field, file name, content type, bytes).
    pub file: Option<(String, String, String, Vec<u8>)>,
    /// Whether it was answered with success.
    pub accepted: bool,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    down: bool,
    /// `(error_code, description, retry_after)` for every following call.
    refusal: Option<(u16, String, Option<i64>)>,
    next_message_id: i64,
    /// Files customers sent: file_id → bytes.
    files: std::collections::HashMap<String, Vec<u8>>,
    /// Per bot token, the webhook `setWebhook` registered.
    webhooks: std::collections::HashMap<String, Webhook>,
}

/// A webhook as `setWebhook` registered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub secret: String,
    pub allowed_updates: Vec<String>,
}

/// The methods that set a bot up rather than carry messages.
const WEBHOOK_METHODS: [&str; 3] = ["setWebhook", "deleteWebhook", "getWebhookInfo"];

#[derive(Clone)]
pub struct FakeTelegram {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeTelegram {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            next_message_id: 500,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/{*path}", post(call).get(download))
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

    /// The calls that carry messages and files (not the bot's set-up).
    pub fn calls(&self) -> Vec<Call> {
        let calls = self.inner.lock().unwrap().calls.clone();
        calls
            .into_iter()
            .filter(|c| !WEBHOOK_METHODS.contains(&c.method.as_str()))
            .collect()
    }

    /// The calls that set the bot's webhook up.
    pub fn webhook_calls(&self) -> Vec<Call> {
        let calls = self.inner.lock().unwrap().calls.clone();
        calls
            .into_iter()
            .filter(|c| WEBHOOK_METHODS.contains(&c.method.as_str()))
            .collect()
    }

    /// The webhook registered for `token`.
    pub fn webhook(&self, token: &str) -> Option<Webhook> {
        self.inner.lock().unwrap().webhooks.get(token).cloned()
    }

    /// Delivers an update to the webhook registered for `token` as Telegram does (its secret
    /// in `X-Telegram-Bot-Api-Secret-Token`); the status it was answered with.
    pub async fn deliver(&self, token: &str, update: Value) -> u16 {
        let webhook = self.webhook(token).expect("a registered webhook");
        reqwest::Client::new()
            .post(&webhook.url)
            .header("x-telegram-bot-api-secret-token", &webhook.secret)
            .json(&update)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The texts (or captions) of the sends that succeeded, in order.
    pub fn delivered(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.method.starts_with("send") && c.accepted)
            .map(|c| {
                let text = c.body.get("text").or_else(|| c.body.get("caption"));
                text.and_then(Value::as_str).unwrap_or_default().to_owned()
            })
            .collect()
    }

    pub fn set_down(&self, down: bool) {
        self.inner.lock().unwrap().down = down;
    }

    /// A file a customer sent, for `getFile` and the download that follows.
    pub fn add_file(&self, file_id: &str, bytes: &[u8]) {
        self.inner
            .lock()
            .unwrap()
            .files
            .insert(file_id.to_owned(), bytes.to_vec());
    }

    /// Refuses every following call like the Bot API does (`None` stops refusing).
    pub fn refuse(&self, refusal: Option<(u16, &str, Option<i64>)>) {
        self.inner.lock().unwrap().refusal = refusal.map(|(c, d, r)| (c, d.to_owned(), r));
    }
}

async fn call(
    State(inner): State<Arc<Mutex<Inner>>>, Path(path): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let (token, method) = path
        .strip_prefix("bot")
        .and_then(|rest| rest.split_once('/'))
        .map(|(t, m)| (t.to_owned(), m.to_owned()))
        .unwrap_or_default();
    let multipart = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (body, file) = if multipart {
        use axum::extract::FromRequest;
        let mut form = axum::extract::Multipart::from_request(request, &())
            .await
            .unwrap();
        let (mut fields, mut file) = (serde_json::Map::new(), None);
        while let Some(field) = form.next_field().await.unwrap() {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let content_type = field.content_type().unwrap_or_default().to_owned();
                    let bytes = field.bytes().await.unwrap().to_vec();
                    file = Some((name, file_name, content_type, bytes));
                }
                None => {
                    fields.insert(name, Value::String(field.text().await.unwrap()));
                }
            }
        }
        (Value::Object(fields), file)
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        (serde_json::from_slice(&bytes).unwrap_or(Value::Null), None)
    };
    let mut state = inner.lock().unwrap();
    let mut record = Call {
        token,
        method,
        body: body.clone(),
        file,
        accepted: false,
    };
    if state.down {
        state.calls.push(record);
        return (StatusCode::BAD_GATEWAY, "502 Bad Gateway").into_response();
    }
    if let Some((code, description, retry_after)) = state.refusal.clone() {
        state.calls.push(record);
        let mut answer = json!({ "ok": false, "error_code": code, "description": description });
        if let Some(seconds) = retry_after {
            answer["parameters"] = json!({ "retry_after": seconds });
        }
        return (StatusCode::from_u16(code).unwrap(), axum::Json(answer)).into_response();
    }
    if WEBHOOK_METHODS.contains(&record.method.as_str()) {
        record.accepted = true;
        let token = record.token.clone();
        let method = record.method.clone();
        state.calls.push(record);
        let result = match method.as_str() {
            "setWebhook" => {
                let strings = |v: &Value| {
                    v.as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                state.webhooks.insert(
                    token,
                    Webhook {
                        url: body["url"].as_str().unwrap_or_default().to_owned(),
                        secret: body["secret_token"].as_str().unwrap_or_default().to_owned(),
                        allowed_updates: strings(&body["allowed_updates"]),
                    },
                );
                json!(true)
            }
            "deleteWebhook" => {
                state.webhooks.remove(&token);
                json!(true)
            }
            _ => {
                let webhook = state.webhooks.get(&token);
                json!({
                    "url": webhook.map(|w| w.url.clone()).unwrap_or_default(),
                    "has_custom_certificate": false,
                    "pending_update_count": 0,
                    "allowed_updates": webhook.map(|w| w.allowed_updates.clone()).unwrap_or_default(),
                })
            }
        };
        return axum::Json(json!({ "ok": true, "result": result })).into_response();
    }
    if record.method == "getFile" {
        let file_id = body["file_id"].as_str().unwrap_or_default().to_owned();
        record.accepted = state.files.contains_key(&file_id);
        state.calls.push(record);
        return if state.files.contains_key(&file_id) {
            axum::Json(json!({ "ok": true, "result": { "file_id": file_id, "file_unique_id": "u", "file_path": format!("documents/{file_id}") } }))
                .into_response()
        } else {
            (StatusCode::BAD_REQUEST, axum::Json(json!({ "ok": false, "error_code": 400, "description": "Bad Request: invalid file_id" }))).into_response()
        };
    }
    state.next_message_id += 1;
    let message_id = state.next_message_id;
    record.accepted = true;
    state.calls.push(record);
    axum::Json(json!({
        "ok": true,
        "result": {
            "message_id": message_id,
            "date": 1_700_000_000,
            "chat": { "id": body["chat_id"], "type": "private" },
            "text": body["text"],
        }
    }))
    .into_response()
}

/// `GET /file/bot<token>/<file_path>`: a file's bytes.
async fn download(State(inner): State<Arc<Mutex<Inner>>>, Path(path): Path<String>) -> Response {
    let file_id = path.rsplit('/').next().unwrap_or_default();
    match inner.lock().unwrap().files.get(file_id) {
        Some(bytes) if path.starts_with("file/bot") => bytes.clone().into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
