//! The shared state of the HTTP server.

use std::sync::Arc;

use omnipanel_domain::Domain;
use omnipanel_domain::clock::ManualClock;

use crate::graphql::AppSchema;
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
}

impl AppState {
    pub fn new(
        domain: Domain,
        test_clock: Option<Arc<ManualClock>>,
        max_body_bytes: usize,
    ) -> Self {
        let schema = crate::graphql::build_schema(domain.clone(), test_clock.clone());
        Self {
            domain,
            schema,
            metrics: Arc::new(Metrics::new()),
            max_body_bytes,
            test_clock,
        }
    }
}
