//! A webhook receiver for tests: it records every request and answers with the status it is
//! told to (200 unless told otherwise), like a CRM endpoint that goes down and comes back.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use serde_json::Value;

/// A request a fake server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Query parameters, decoded.
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Recorded {
    pub fn new(
        method: &Method, path: &str, query: Option<&str>, headers: &HeaderMap, body: &[u8],
    ) -> Self {
        Self {
            method: method.to_string(),
            path: path.to_owned(),
            query: query
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The form fields of a form-encoded body.
    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
}

struct Inner {
    requests: Vec<Recorded>,
    status: StatusCode,
}

/// A running receiver.
#[derive(Clone)]
pub struct FakeReceiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeReceiver {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            requests: Vec::new(),
            status: StatusCode::OK,
        }));
        let app = Router::new()
            .route("/{*path}", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The status every following request is answered with.
    pub fn answer(&self, status: u16) {
        self.inner.lock().unwrap().status = StatusCode::from_u16(status).unwrap();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>, method: Method, uri: Uri, headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut state = inner.lock().unwrap();
    state.requests.push(Recorded::new(
        &method,
        uri.path(),
        uri.query(),
        &headers,
        &body,
    ));
    state.status
}
