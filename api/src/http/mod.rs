//! The HTTP surface: GraphQL over HTTP and WebSocket, the operator panel, sign-in through the
//! CRM, channels' webhooks, files, health, readiness and metrics.

mod channels;
mod clean;
pub mod client_address;
mod crm_oauth;
mod files;
mod graphql_http;
mod refusal;
mod reports;
mod webchat;
mod widget;

use std::future::Future;
use std::net::SocketAddr;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{DefaultBodyLimit, MatchedPath, State, WebSocketUpgrade};
use axum::http::{Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use omnipanel_domain::{Domain, DomainError};
use sea_orm::ConnectionTrait;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::graphql::context::{Auth, RequestInfo};
use crate::metrics;
use crate::state::AppState;
use client_address::ClientAddress;
use refusal::{Limits, Refusal};

/// The application's routes and middleware.
pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| p.as_str());
        tracing::info_span!("http", method = %request.method(), route)
    });
    Router::new()
        .route("/graphql", get(graphql_http::get).post(graphql_http::post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(metrics::endpoint).with_state(state.metrics.clone()),
        )
        .route("/oauth/crm/start", get(crm_oauth::start))
        .route("/oauth/crm/callback", get(crm_oauth::callback))
        .route("/webhooks/telegram/{channel_id}", post(channels::telegram))
        .route("/webhooks/generic/{channel_id}", post(channels::generic))
        .route("/files/{id}", get(files::download))
        .route("/reports/{file}", get(reports::csv))
        .route("/webchat/{channel_id}", get(webchat::page))
        .route("/webchat/{channel_id}/conversations", post(webchat::start))
        .route(
            "/webchat/{channel_id}/messages",
            get(webchat::read).post(webchat::say),
        )
        .route("/webchat/{channel_id}/rating", post(webchat::rate))
        .route("/webchat/{channel_id}/events", get(webchat::events))
        .route("/widget", get(widget::redirect))
        .route("/widget/", get(widget::page))
        .route("/widget/{*path}", get(widget::asset))
        .layer(RequestBodyLimitLayer::new(state.max_body_bytes))
        // Uploads have a limit of their own; each organization's is checked after.
        .merge(
            Router::new()
                .route("/files", post(files::upload))
                .layer(DefaultBodyLimit::max(files::MAX_UPLOAD_BYTES))
                .layer(RequestBodyLimitLayer::new(files::MAX_UPLOAD_BYTES)),
        )
        .fallback(nothing_here)
        .layer(middleware::from_fn_with_state(
            Limits {
                body: state.max_body_bytes,
                upload: files::MAX_UPLOAD_BYTES,
            },
            refusal::json_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(trace)
        .with_state(state)
}

/// Serves on a listener already bound (so the caller knows the address before the state is
/// built: links and OAuth redirects name it). `App::serve` is its one caller.
pub fn serve_on(
    state: AppState, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, impl Future<Output = std::io::Result<()>>)> {
    let addr = listener.local_addr()?;
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    Ok((
        addr,
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .into_future(),
    ))
}

/// A request header's value, if it is there and readable as text.
pub(crate) fn header_text(
    headers: &axum::http::HeaderMap, name: impl axum::http::header::AsHeaderName,
) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Resolves a bearer token to the caller.
pub(crate) async fn authenticate(domain: &Domain, authorization: Option<&str>) -> Auth {
    let Some(value) = authorization else {
        return Auth::Anonymous;
    };
    let Some(token) = value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Auth::Rejected("The Authorization header must be `Bearer <token>`".into());
    };
    match domain.identity().authenticate(token).await {
        Ok(actor) => Auth::Authenticated(actor),
        Err(DomainError::Unauthenticated(reason)) => Auth::Rejected(reason.into_owned()),
        Err(error) => {
            tracing::error!(?error, "authentication failed");
            Auth::Rejected("Authentication is unavailable right now".into())
        }
    }
}

/// The caller of a route outside GraphQL, from its `Authorization` header, or `UNAUTHENTICATED`;
/// `anonymous` tells a caller without credentials what to do.
pub(crate) async fn signed_in(
    domain: &Domain, headers: &axum::http::HeaderMap, anonymous: &'static str,
) -> Result<omnipanel_domain::Actor, DomainError> {
    match authenticate(
        domain,
        header_text(headers, axum::http::header::AUTHORIZATION),
    )
    .await
    {
        Auth::Authenticated(actor) => Ok(actor),
        Auth::Rejected(reason) => Err(DomainError::Unauthenticated(reason.into())),
        Auth::Anonymous => Err(DomainError::Unauthenticated(anonymous.into())),
    }
}

/// The read and write buffer of one WebSocket.
const WS_BUFFER_BYTES: usize = 8 * 1024;

/// Subscriptions over `graphql-transport-ws`; the token comes in `connection_init`'s payload as
/// `{"authorization": "Bearer …"}`.
async fn graphql_ws(
    State(state): State<AppState>, ClientAddress(client): ClientAddress, protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Panels send a few small messages and receive events of a few hundred bytes: small
    // buffers keep thousands of open panels cheap (the defaults are 128 KiB each way), and a
    // message is bounded like a request body.
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(WS_BUFFER_BYTES)
        .write_buffer_size(WS_BUFFER_BYTES)
        .max_message_size(state.max_body_bytes)
        .on_upgrade(move |stream| {
            let domain = state.domain.clone();
            let loader = state.subscription_loader.clone();
            GraphQLWebSocket::new(stream, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let authorization = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str())
                        .map(str::to_owned);
                    let auth = authenticate(&domain, authorization.as_deref()).await;
                    if let Auth::Rejected(reason) = &auth {
                        return Err(async_graphql::Error::new(reason.clone()));
                    }
                    let mut data = async_graphql::Data::default();
                    data.insert(auth);
                    data.insert(RequestInfo {
                        client_address: Some(client.to_string()),
                    });
                    data.insert(loader);
                    Ok(data)
                })
                .serve()
        })
}

/// A route that does not exist, answered in the format of the routes around it.
async fn nothing_here(uri: Uri) -> Refusal {
    Refusal::no_route(uri.path())
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.domain.db.execute_unprepared("SELECT 1").await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(%error, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
