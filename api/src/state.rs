//! The shared state of the HTTP server.

use std::sync::Arc;

use omnipanel_domain::ports::ManualClock;
use omnipanel_domain::{Domain, DomainError};
use omnipanel_integrations::HttpPolicy;
use omnipanel_integrations::crm_sign_in::CrmSignIn;

use crate::graphql::AppSchema;
use crate::graphql::context::{AppLoader, subscription_loader};
use crate::metrics::Metrics;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub domain: Domain,
    pub schema: AppSchema,
    pub metrics: Arc<Metrics>,
    /// The request body limit in bytes.
    pub max_body_bytes: usize,
    /// Present only with `serve --test-clock`.
    pub test_clock: Option<Arc<ManualClock>>,
    /// The identity-service client for sign-in through the CRM.
    pub crm_sign_in: CrmSignIn,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxies`).
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// What WebSocket connections read through (`context::subscription_loader`).
    pub subscription_loader: AppLoader,
}

impl AppState {
    /// Uses `policy` for calls to the CRM's identity service.
    pub fn with_upstream_policy(mut self, policy: HttpPolicy) -> Result<Self, DomainError> {
        self.crm_sign_in = CrmSignIn::new(policy)?;
        Ok(self)
    }

    pub fn new(
        domain: Domain, test_clock: Option<Arc<ManualClock>>, max_body_bytes: usize,
    ) -> Self {
        let schema = crate::graphql::build_schema(domain.clone(), test_clock.clone());
        let subscription_loader = subscription_loader(&domain);
        Self {
            domain,
            schema,
            metrics: Arc::new(Metrics::new()),
            max_body_bytes,
            test_clock,
            crm_sign_in: CrmSignIn::new(HttpPolicy::default())
                .expect("the TLS backend is compiled in"),
            trusted_proxies: Arc::new([]),
            subscription_loader,
        }
    }

    /// Reads the client's address from `X-Forwarded-For` when a request comes from one of
    /// `proxies`.
    pub fn with_trusted_proxies(mut self, proxies: Vec<ipnet::IpNet>) -> Self {
        self.trusted_proxies = proxies.into();
        self
    }
}
