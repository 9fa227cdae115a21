//! Creatio over OAuth 2.0 (client credentials against the identity service) and OData 4
//! (`../shared/CREATIO.md`).
//!
//! - The access token is cached per organization and renewed shortly before it expires and once
//!   after a 401.
//! - Every call sends `Accept: application/json`, the OData content type and `$select`.
//! - Reads are retried with exponential backoff on 429 and 5xx; writes only on 429 and 503 (the
//!   answers that say nothing was done), so a retried write never makes a second case.
//! - Every failure becomes `UPSTREAM` naming the call, the status and the CRM's own message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, HttpClientError, RequestTokenError, TokenResponse, TokenUrl,
};
use omnipanel_domain::entity::crm_connection;
use omnipanel_domain::ids::OrganizationId;
use omnipanel_domain::ports::Clock;
use omnipanel_domain::ports::{
    ContactQuery, CrmAccount, CrmActivity, CrmCase, CrmConnector, CrmContact, NewActivity, NewCase,
    NewContact,
};
use omnipanel_domain::{DomainError, Result};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::HttpPolicy;

/// The OData content type Creatio expects (`IEEE754Compatible` keeps decimals exact).
pub const ODATA_CONTENT_TYPE: &str = "application/json; charset=utf-8; IEEE754Compatible=true";

const CONTACT_FIELDS: &str = "Id,Name,MobilePhone,Email,AccountId";
const CASE_FIELDS: &str = "Id,Number,Subject,StatusId,ContactId,AccountId,RegisteredOn";

/// Renew a token this long before it expires.
const TOKEN_MARGIN_SECS: i64 = 60;
/// Creatio's default token lifetime, used when the answer has no `expires_in`.
const DEFAULT_TOKEN_SECS: i64 = 3600;

/// Where and how to reach one organization's Creatio.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatioSettings {
    /// `https://mycompany.creatio.com`, without a trailing slash.
    pub base_url: String,
    pub identity_url: String,
    /// `/0/odata` or `/odata`.
    pub odata_path: String,
    pub client_id: String,
    pub client_secret: String,
    pub case_origin_id: Option<String>,
    pub case_status_id: Option<String>,
}

impl std::fmt::Debug for CreatioSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatioSettings")
            .field("base_url", &self.base_url)
            .field("identity_url", &self.identity_url)
            .field("odata_path", &self.odata_path)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl CreatioSettings {
    /// The settings of a stored connection; an incomplete one is an `UPSTREAM` error that says
    /// what is missing.
    pub fn of(connection: &crm_connection::Model) -> Result<Self> {
        let need = |value: &Option<String>, what: &str| {
            value.clone().ok_or_else(|| {
                DomainError::Upstream(format!("The Creatio connection has no {what}"))
            })
        };
        let base_url = need(&connection.base_url, "base URL")?
            .trim_end_matches('/')
            .to_owned();
        let identity_url =
            omnipanel_domain::crm::identity_url(connection).unwrap_or_else(|| base_url.clone());
        Ok(Self {
            identity_url,
            odata_path: connection
                .odata_path
                .clone()
                .unwrap_or_else(|| "/0/odata".into()),
            client_id: need(&connection.client_id, "client id")?,
            client_secret: need(&connection.client_secret, "client secret")?,
            case_origin_id: connection.case_origin_id.clone(),
            case_status_id: connection.case_status_id.clone(),
            base_url,
        })
    }

    /// Business processes live beside OData: `/0/ServiceModel/…` on classic builds, where
    /// OData is under `/0/odata`, and `/ServiceModel/…` where it is under `/odata`.
    fn service_model_url(&self) -> String {
        let prefix = if self.odata_path.starts_with("/0/") {
            "/0"
        } else {
            ""
        };
        format!("{}{prefix}/ServiceModel", self.base_url)
    }
}

/// A cached access token and what it was issued for.
#[derive(Clone)]
struct CachedToken {
    /// The settings the token belongs to: a changed connection never uses an old token.
    issued_for: CreatioSettings,
    access_token: String,
    renew_at: DateTime<Utc>,
}

/// Access tokens per organization, shared by every connector this server builds.
#[derive(Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<OrganizationId, CachedToken>>,
}

impl TokenCache {
    fn get(
        &self,
        organization_id: OrganizationId,
        settings: &CreatioSettings,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens
            .get(&organization_id)
            .filter(|t| &t.issued_for == settings && now < t.renew_at)
            .map(|t| t.access_token.clone())
    }

    fn put(&self, organization_id: OrganizationId, token: CachedToken) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.insert(organization_id, token);
    }

    fn forget(&self, organization_id: OrganizationId) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.remove(&organization_id);
    }
}

/// One organization's Creatio.
pub struct CreatioCrm {
    organization_id: OrganizationId,
    settings: CreatioSettings,
    http: reqwest::Client,
    policy: HttpPolicy,
    tokens: Arc<TokenCache>,
    clock: Arc<dyn Clock>,
}

fn upstream(what: &str, detail: impl std::fmt::Display) -> DomainError {
    DomainError::Upstream(format!("CRM call \"{what}\" failed: {detail}"))
}

/// An OData string literal: quotes doubled.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A record id Creatio can have: a GUID. Anything else names no record (and never reaches a
/// URL or a filter).
fn guid(id: &str) -> Option<Uuid> {
    Uuid::parse_str(id.trim()).ok()
}

/// Lookups Creatio leaves empty come back as the nil GUID or an empty string.
fn lookup(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty() && guid(v) != Some(Uuid::nil()))
}

fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// The CRM's own words from an error body: the OData envelope's message, else the text.
fn error_message(body: &str) -> String {
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

#[derive(Deserialize)]
struct ODataList<T> {
    value: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContactRecord {
    id: String,
    name: Option<String>,
    mobile_phone: Option<String>,
    email: Option<String>,
    account_id: Option<String>,
}

impl From<ContactRecord> for CrmContact {
    fn from(record: ContactRecord) -> Self {
        Self {
            id: record.id,
            name: record.name.unwrap_or_default(),
            phone: text(record.mobile_phone),
            email: text(record.email),
            account_id: lookup(record.account_id),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CaseRecord {
    id: String,
    number: Option<String>,
    subject: Option<String>,
    status_id: Option<String>,
    contact_id: Option<String>,
    account_id: Option<String>,
    registered_on: Option<String>,
}

impl From<CaseRecord> for CrmCase {
    fn from(record: CaseRecord) -> Self {
        Self {
            id: record.id,
            number: record.number.unwrap_or_default(),
            subject: record.subject.unwrap_or_default(),
            status: lookup(record.status_id),
            contact_id: lookup(record.contact_id),
            account_id: lookup(record.account_id),
            created_at: record
                .registered_on
                .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
                .map(|at| at.with_timezone(&Utc)),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NamedRecord {
    id: String,
    #[serde(alias = "Title")]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CommunicationRecord {
    contact_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProcessResult {
    success: Option<bool>,
    error_info: Option<Value>,
}

impl CreatioCrm {
    pub fn new(
        organization_id: OrganizationId,
        settings: CreatioSettings,
        http: reqwest::Client,
        policy: HttpPolicy,
        tokens: Arc<TokenCache>,
        clock: Arc<dyn Clock>,
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
    async fn token(&self) -> Result<String> {
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

    fn odata_url(&self, resource: &str) -> String {
        format!(
            "{}{}/{resource}",
            self.settings.base_url, self.settings.odata_path
        )
    }

    /// Sends a request built by `build`, with the bearer token and the OData headers; renews
    /// the token once after a 401 and retries what may be retried. Returns a 2xx or 404 answer.
    async fn send(
        &self,
        what: &'static str,
        method: Method,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
        url: &str,
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
    async fn back_off(&self, attempt: u32, retry_after: Option<Duration>) {
        let exponential = self.policy.backoff * 2u32.saturating_pow(attempt);
        let wait = retry_after
            .map(|d| d.min(Duration::from_secs(30)))
            .unwrap_or(exponential);
        tokio::time::sleep(wait).await;
    }

    async fn json<T: DeserializeOwned>(what: &'static str, response: Response) -> Result<T> {
        let body = response
            .bytes()
            .await
            .map_err(|_| upstream(what, "the answer was cut off"))?;
        serde_json::from_slice(&body).map_err(|error| {
            tracing::warn!(%error, what, "unexpected CRM answer");
            upstream(what, "the CRM answered with an unexpected body")
        })
    }

    /// `GET {odata}/{entity}?$filter=…&$select=…&$top=…`.
    async fn query<T: DeserializeOwned>(
        &self,
        what: &'static str,
        entity: &str,
        filter: &str,
        select: &str,
        extra: &[(&str, &str)],
        top: u32,
    ) -> Result<Vec<T>> {
        let top = top.to_string();
        let url = self.odata_url(entity);
        let response = self
            .send(
                what,
                Method::GET,
                |request| {
                    request
                        .query(&[
                            ("$filter", filter),
                            ("$select", select),
                            ("$top", top.as_str()),
                        ])
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
    async fn get<T: DeserializeOwned>(
        &self,
        what: &'static str,
        entity: &str,
        id: &str,
        select: &str,
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
    async fn create<T: DeserializeOwned>(
        &self,
        what: &'static str,
        entity: &str,
        body: &Value,
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

#[async_trait::async_trait]
impl CrmConnector for CreatioCrm {
    async fn find_contacts(&self, query: &ContactQuery, limit: u32) -> Result<Vec<CrmContact>> {
        let what = "find contacts";
        let filter = match query {
            ContactQuery::Phone(phone) => {
                // Numbers are stored as people typed them; match on the digits and check below.
                let digits = phone.trim_start_matches('+');
                format!("contains(MobilePhone,{})", literal(digits))
            }
            ContactQuery::Email(email) => format!("Email eq {}", literal(email)),
            ContactQuery::Text(text) => format!("contains(Name,{})", literal(text)),
            ContactQuery::MessengerId(id) => {
                let links: Vec<CommunicationRecord> = self
                    .query(
                        what,
                        "ContactCommunication",
                        &format!("Number eq {}", literal(id)),
                        "ContactId",
                        &[],
                        limit,
                    )
                    .await?;
                let mut contacts = Vec::new();
                for contact_id in links.into_iter().filter_map(|l| lookup(l.contact_id)) {
                    if let Some(found) = self.contact(&contact_id).await?
                        && !contacts.contains(&found)
                    {
                        contacts.push(found);
                    }
                }
                return Ok(contacts);
            }
        };
        let found: Vec<ContactRecord> = self
            .query(
                what,
                "Contact",
                &filter,
                CONTACT_FIELDS,
                &[("$orderby", "Name")],
                limit,
            )
            .await?;
        let contacts = found.into_iter().map(CrmContact::from);
        Ok(match query {
            ContactQuery::Phone(phone) => contacts
                .filter(|c| {
                    c.phone
                        .as_deref()
                        .and_then(omnipanel_domain::customer::normalize_phone)
                        .is_some_and(|p| p.trim_start_matches('+') == phone.trim_start_matches('+'))
                })
                .collect(),
            _ => contacts.collect(),
        })
    }

    async fn contact(&self, id: &str) -> Result<Option<CrmContact>> {
        let found: Option<ContactRecord> = self
            .get("get contact", "Contact", id, CONTACT_FIELDS)
            .await?;
        Ok(found.map(CrmContact::from))
    }

    async fn create_contact(&self, contact: &NewContact) -> Result<CrmContact> {
        let mut body = json!({ "Name": contact.name });
        if let Some(phone) = &contact.phone {
            body["MobilePhone"] = json!(phone);
        }
        if let Some(email) = &contact.email {
            body["Email"] = json!(email);
        }
        if let Some(account) = contact.account_id.as_deref().and_then(guid) {
            body["AccountId"] = json!(account);
        }
        let created: ContactRecord = self.create("create contact", "Contact", &body).await?;
        Ok(created.into())
    }

    async fn account(&self, id: &str) -> Result<Option<CrmAccount>> {
        let found: Option<NamedRecord> = self.get("get account", "Account", id, "Id,Name").await?;
        Ok(found.map(|a| CrmAccount {
            id: a.id,
            name: a.name.unwrap_or_default(),
        }))
    }

    async fn contact_cases(&self, contact_id: &str) -> Result<Vec<CrmCase>> {
        let Some(contact_id) = guid(contact_id) else {
            return Ok(Vec::new());
        };
        let found: Vec<CaseRecord> = self
            .query(
                "list cases",
                "Case",
                &format!("Contact/Id eq {contact_id}"),
                CASE_FIELDS,
                &[("$orderby", "RegisteredOn desc")],
                50,
            )
            .await?;
        Ok(found.into_iter().map(CrmCase::from).collect())
    }

    async fn case(&self, id: &str) -> Result<Option<CrmCase>> {
        let found: Option<CaseRecord> = self.get("get case", "Case", id, CASE_FIELDS).await?;
        Ok(found.map(CrmCase::from))
    }

    async fn create_case(&self, case: &NewCase) -> Result<CrmCase> {
        let mut body = json!({ "Subject": case.subject, "Symptoms": case.description });
        let ids = [
            ("ContactId", case.contact_id.as_deref()),
            ("AccountId", case.account_id.as_deref()),
            ("OriginId", self.settings.case_origin_id.as_deref()),
            ("StatusId", self.settings.case_status_id.as_deref()),
        ];
        for (field, id) in ids {
            if let Some(id) = id.and_then(guid) {
                body[field] = json!(id);
            }
        }
        let created: CaseRecord = self.create("create case", "Case", &body).await?;
        let created = CrmCase::from(created);
        if !created.number.is_empty() {
            return Ok(created);
        }
        // Some builds answer without the generated number; read it back.
        Ok(self.case(&created.id).await?.unwrap_or(created))
    }

    async fn activity(&self, id: &str) -> Result<Option<CrmActivity>> {
        let found: Option<NamedRecord> =
            self.get("get activity", "Activity", id, "Id,Title").await?;
        Ok(found.map(|a| CrmActivity {
            id: a.id,
            title: a.name.unwrap_or_default(),
        }))
    }

    async fn create_activity(&self, activity: &NewActivity) -> Result<CrmActivity> {
        let mut body = json!({
            "Title": activity.title,
            "StartDate": activity.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "DueDate": activity.ended_at.unwrap_or(activity.started_at)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        for (field, id) in [
            ("ContactId", activity.contact_id.as_deref()),
            ("AccountId", activity.account_id.as_deref()),
        ] {
            if let Some(id) = id.and_then(guid) {
                body[field] = json!(id);
            }
        }
        let created: NamedRecord = self.create("create activity", "Activity", &body).await?;
        Ok(CrmActivity {
            id: created.id,
            title: created.name.unwrap_or_else(|| activity.title.clone()),
        })
    }

    async fn run_process(&self, name: &str, parameters: &[(&str, String)]) -> Result<()> {
        let what = "run business process";
        let url = format!(
            "{}/ProcessEngineService.svc/RunProcess",
            self.settings.service_model_url()
        );
        let body = json!({
            "schemaName": name,
            "parameterValues": parameters
                .iter()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect::<Vec<_>>(),
            "resultParameterNames": [],
        });
        let response = self
            .send(what, Method::POST, |r| r.body(body.to_string()), &url)
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Err(upstream(
                what,
                "HTTP 404: no process engine at this address",
            ));
        }
        let result: ProcessResult = Self::json(what, response).await?;
        if result.success == Some(false) {
            let message = result
                .error_info
                .as_ref()
                .map(|info| error_message(&json!({ "errorInfo": info }).to_string()))
                .unwrap_or_else(|| "no message".into());
            return Err(upstream(
                what,
                format!("the process did not start: {message}"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_literals_and_ids_are_safe() {
        assert_eq!(literal("O'Brien"), "'O''Brien'");
        assert!(guid("x') or (1 eq 1").is_none());
        assert_eq!(
            lookup(Some("00000000-0000-0000-0000-000000000000".into())),
            None
        );
        assert_eq!(lookup(Some(String::new())), None);
    }

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
