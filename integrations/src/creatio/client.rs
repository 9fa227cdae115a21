//! Talking to Creatio: the token, OData requests with their headers, retries with backoff, and
//! every failure as `UPSTREAM` with the CRM's own words.

use std::sync::Arc;
use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, HttpClientError, RequestTokenError, TokenResponse, TokenUrl,
};

use omnipanel_domain::ids::OrganizationId;
use omnipanel_domain::ports::Clock;

use omnipanel_domain::{DomainError, Result};
use reqwest::{Method, RequestBuilder, Response, StatusCode};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::records::{ODataList, guid};
use super::settings::CreatioSettings;
use super::token::{CachedToken, DEFAULT_TOKEN_SECS, TOKEN_MARGIN_SECS, TokenCache};
use crate::HttpPolicy;

/// The OData content type Creatio expects (`IEEE754Compatible` keeps decimals exact).
pub const ODATA_CONTENT_TYPE: &str = "application/json; charset=utf-8; IEEE754Compatible=true";

/// One organization's Creatio.
pub struct CreatioCrm {
    pub(super) organization_id: OrganizationId,
    pub(super) settings: CreatioSettings,
    pub(super) http: reqwest::Client,
    pub(super) policy: HttpPolicy,
    pub(super) tokens: Arc<TokenCache>,
    pub(super) clock: Arc<dyn Clock>,
}

pub(super) fn upstream(what: &str, detail: impl std::fmt::Display) -> DomainError {
    DomainError::Upstream(format!("CRM call \"{what}\" failed: {detail}"))
}

/// The CRM's own words from an error body: the OData envelope's message, else the text.
pub(super) fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.pointer("/error/innererror/message"))
            .or_else(|| v.pointer("/errorInfo/message"))
            .or_else(|| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let message = message.unwrap_or_else(|| body.to_owned());
    let clean: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if clean.trim().is_empty() {
        "no message".into()
    } else {
        clean.trim().to_owned()
    }
}

impl CreatioCrm {
    pub fn new(
        organization_id: OrganizationId, settings: CreatioSettings, http: reqwest::Client,
        policy: HttpPolicy, tokens: Arc<TokenCache>, clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            organization_id,
            settings,
            http,
            policy,
            tokens,
            clock,
        }
    }

    /// A valid access token: the cached one, or a new one from the identity service.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    pub(super) async fn token(&self) -> Result<String> {
        let now = self.clock.now();
        if let Some(token) = self.tokens.get(self.organization_id, &self.settings, now) {
            return Ok(token);
        }
        let what = "get an access token";
        let token_url = TokenUrl::new(format!("{}/connect/token", self.settings.identity_url))
            .map_err(|e| upstream(what, format!("bad identity URL: {e}")))?;
        let client = BasicClient::new(ClientId::new(self.settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.settings.client_secret.clone()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(token_url);
        let response = client
            .exchange_client_credentials()
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(refusal) => upstream(
                    what,
                    format!(
                        "the identity service refused: {}{}",
                        refusal.error(),
                        refusal
                            .error_description()
                            .map(|d| format!(" ({})", error_message(d)))
                            .unwrap_or_default()
                    ),
                ),
                RequestTokenError::Request(HttpClientError::Reqwest(inner))
                    if inner.is_timeout() =>
                {
                    upstream(
                        what,
                        format!("no answer within {} s", self.policy.timeout.as_secs_f32()),
                    )
                }
                RequestTokenError::Request(inner) => {
                    tracing::warn!(error = ?inner, "identity service unreachable");
                    upstream(what, "the identity service could not be reached")
                }
                RequestTokenError::Parse(_, body) => upstream(
                    what,
                    format!(
                        "unexpected answer: {}",
                        error_message(&String::from_utf8_lossy(&body))
                    ),
                ),
                RequestTokenError::Other(message) => upstream(what, message),
            })?;
        let lifetime = response
            .expires_in()
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .unwrap_or(DEFAULT_TOKEN_SECS);
        let access_token = response.access_token().secret().clone();
        self.tokens.put(
            self.organization_id,
            CachedToken {
                issued_for: self.settings.clone(),
                access_token: access_token.clone(),
                renew_at: now + chrono::Duration::seconds((lifetime - TOKEN_MARGIN_SECS).max(0)),
            },
        );
        Ok(access_token)
    }

    pub(super) fn odata_url(&self, resource: &str) -> String {
        format!(
            "{}{}/{resource}",
            self.settings.base_url, self.settings.odata_path
        )
    }

    /// Sends a request built by `build`, with the bearer token and the OData headers; renews
    /// the token once after a 401 and retries what may be retried. Returns a 2xx or 404 answer.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id, call = what, %method))]
    pub(super) async fn send(
        &self, what: &'static str, method: Method,
        build: impl Fn(RequestBuilder) -> RequestBuilder, url: &str,
    ) -> Result<Response> {
        let idempotent = matches!(method, Method::GET | Method::PATCH | Method::DELETE);
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            let token = self.token().await?;
            let request = build(
                self.http
                    .request(method.clone(), url)
                    .bearer_auth(&token)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .header(reqwest::header::CONTENT_TYPE, ODATA_CONTENT_TYPE),
            );
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) if error.is_timeout() => {
                    return Err(upstream(
                        what,
                        format!("no answer within {} s", self.policy.timeout.as_secs_f32()),
                    ));
                }
                Err(error) if error.is_connect() && attempt < self.policy.retries => {
                    tracing::debug!(%error, attempt, "CRM unreachable; retrying");
                    self.back_off(attempt, None).await;
                    attempt += 1;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(?error, what, "CRM request failed");
                    return Err(upstream(what, "the CRM could not be reached"));
                }
            };
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !renewed {
                self.tokens.forget(self.organization_id);
                renewed = true;
                continue;
            }
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE
                || (idempotent && status.is_server_error());
            if retryable && attempt < self.policy.retries {
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(Duration::from_secs);
                self.back_off(attempt, retry_after).await;
                attempt += 1;
                continue;
            }
            if status.is_success() || status == StatusCode::NOT_FOUND {
                return Ok(response);
            }
            let body = response.text().await.unwrap_or_default();
            return Err(upstream(
                what,
                format!("HTTP {}: {}", status.as_u16(), error_message(&body)),
            ));
        }
    }

    /// Waits before another attempt: the CRM's `Retry-After` (at most 30 s), else exponential.
    pub(super) async fn back_off(&self, attempt: u32, retry_after: Option<Duration>) {
        let exponential = self.policy.backoff * 2u32.saturating_pow(attempt);
        let wait = retry_after
            .map(|d| d.min(Duration::from_secs(30)))
            .unwrap_or(exponential);
        tokio::time::sleep(wait).await;
    }

    pub(super) async fn json<T: DeserializeOwned>(
        what: &'static str, response: Response,
    ) -> Result<T> {
        let body = response
            .bytes()
            .await
            .map_err(|_| upstream(what, "the answer was cut off"))?;
        // A NUL in a CRM's text would be refused by PostgreSQL wherever it is stored.
        let body = omnipanel_domain::validate::json_without_nul(&body);
        serde_json::from_slice(&body).map_err(|error| {
            tracing::warn!(%error, what, "unexpected CRM answer");
            upstream(what, "the CRM answered with an unexpected body")
        })
    }

    /// `GET {odata}/{entity}?$filter=…&$select=…&$top=…` (no `$filter` when `filter` is empty).
    pub(super) async fn query<T: DeserializeOwned>(
        &self, what: &'static str, entity: &str, filter: &str, select: &str,
        extra: &[(&str, &str)], top: u32,
    ) -> Result<Vec<T>> {
        let top = top.to_string();
        let url = self.odata_url(entity);
        let response = self
            .send(
                what,
                Method::GET,
                |request| {
                    let request = if filter.is_empty() {
                        request
                    } else {
                        request.query(&[("$filter", filter)])
                    };
                    request
                        .query(&[("$select", select), ("$top", top.as_str())])
                        .query(extra)
                },
                &url,
            )
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Err(upstream(what, format!("HTTP 404: no {entity} collection")));
        }
        Ok(Self::json::<ODataList<T>>(what, response).await?.value)
    }

    /// `GET {odata}/{entity}({id})?$select=…`; `None` when there is no such record.
    pub(super) async fn get<T: DeserializeOwned>(
        &self, what: &'static str, entity: &str, id: &str, select: &str,
    ) -> Result<Option<T>> {
        let Some(id) = guid(id) else {
            return Ok(None);
        };
        let url = self.odata_url(&format!("{entity}({id})"));
        let response = self
            .send(what, Method::GET, |r| r.query(&[("$select", select)]), &url)
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Self::json(what, response).await.map(Some)
    }

    /// `POST {odata}/{entity}` with `body`; the created record.
    pub(super) async fn create<T: DeserializeOwned>(
        &self, what: &'static str, entity: &str, body: &Value,
    ) -> Result<T> {
        let url = self.odata_url(entity);
        let response = self
            .send(what, Method::POST, |r| r.body(body.to_string()), &url)
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Err(upstream(what, format!("HTTP 404: no {entity} collection")));
        }
        Self::json(what, response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_from_the_odata_envelope() {
        assert_eq!(
            error_message(r#"{"error":{"code":"","message":"Column Foo not found"}}"#),
            "Column Foo not found"
        );
        assert_eq!(error_message("Bad\ngateway"), "Bad gateway");
        assert_eq!(error_message(""), "no message");
    }
}
