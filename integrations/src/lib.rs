//! Omnipanel's outside world behind traits: CRM connectors (Creatio over OAuth 2.0 and OData 4;
//! the built-in local CRM lives in the domain), messaging channels and outbound webhooks. Each
//! integration gets a module with its own timeouts, and every failure becomes an `UPSTREAM`
//! error that says which call failed and how.

mod attempts;
pub mod creatio;
pub mod crm_sign_in;
pub mod deliveries;
pub mod generic;
pub mod signing;
pub mod telegram;
pub mod telegram_webhook;
mod upstream;

use std::sync::Arc;
use std::time::Duration;

use omnipanel_domain::entity::crm_connection;
use omnipanel_domain::enums::CrmKind;
use omnipanel_domain::ports::{ConnectorContext, CrmConnector, CrmConnectors, LocalCrm};
use omnipanel_domain::{DomainError, Result};

pub use omnipanel_domain::ports::CrmConnector as Crm;

/// How calls to outside systems behave.
#[derive(Clone, Copy, Debug)]
pub struct HttpPolicy {
    /// The longest one request may take.
    pub timeout: Duration,
    /// Further attempts after a retryable failure.
    pub retries: u32,
    /// The first wait between attempts; it doubles each time.
    pub backoff: Duration,
    /// Whether loopback, private and link-local addresses may be called
    /// (`--allow-private-upstreams`); refused by default.
    pub allow_private: bool,
}

impl HttpPolicy {
    /// Why `url` may not be called under this policy, if it may not (see `upstream`).
    pub fn refusal(&self, url: &str) -> Option<String> {
        if self.allow_private {
            None
        } else {
            upstream::literal_refusal(url)
        }
    }
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(500),
            allow_private: false,
        }
    }
}

/// The HTTP client every integration shares: no redirects followed (OAuth endpoints must not
/// redirect), the policy's timeout, a recognisable user agent and, unless private upstreams are
/// allowed, names resolved to public addresses only.
pub fn http_client(policy: &HttpPolicy) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("omnipanel/", env!("CARGO_PKG_VERSION")));
    if !policy.allow_private {
        builder = builder.dns_resolver(Arc::new(upstream::PublicOnly));
    }
    builder
        .build()
        .map_err(|e| DomainError::Internal(format!("cannot build the HTTP client: {e}")))
}

/// Why a response's body was not read whole.
pub(crate) enum BodyError {
    /// It is longer than the limit (said by `Content-Length`, or found while reading).
    TooLarge,
    /// The connection failed while reading.
    Broken(reqwest::Error),
}

/// A response's body, at most `max_bytes` of it: refused up front when `Content-Length` says
/// more, and read chunk by chunk so a body that lies about its length never sits in memory.
pub(crate) async fn body_at_most(
    mut response: reqwest::Response, max_bytes: u64,
) -> std::result::Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > max_bytes)
    {
        return Err(BodyError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Broken)? {
        if (bytes.len() + chunk.len()) as u64 > max_bytes {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Every CRM connector this server has: the local CRM and Creatio.
pub struct Connectors {
    http: reqwest::Client,
    policy: HttpPolicy,
    tokens: Arc<creatio::TokenCache>,
}

impl Connectors {
    pub fn new(policy: HttpPolicy) -> Result<Self> {
        Ok(Self {
            http: http_client(&policy)?,
            policy,
            tokens: Arc::default(),
        })
    }
}

impl CrmConnectors for Connectors {
    fn connector(
        &self, context: &ConnectorContext, connection: &crm_connection::Model,
    ) -> Result<Arc<dyn CrmConnector>> {
        if connection.kind == CrmKind::Creatio {
            let urls = [
                connection.base_url.clone(),
                omnipanel_domain::crm::identity_url(connection),
            ];
            if let Some(why) = urls
                .iter()
                .flatten()
                .find_map(|url| self.policy.refusal(url))
            {
                return Err(DomainError::Upstream(format!(
                    "The CRM cannot be called: {why}"
                )));
            }
        }
        Ok(match connection.kind {
            CrmKind::Local => Arc::new(LocalCrm::new(context.clone(), connection.organization_id)),
            CrmKind::Creatio => Arc::new(creatio::CreatioCrm::new(
                connection.organization_id,
                creatio::CreatioSettings::of(connection)?,
                self.http.clone(),
                self.policy,
                self.tokens.clone(),
                context.clock.clone(),
            )),
        })
    }
}
