//! Omnipanel's API: the `omnipanel` command line, the axum router and the GraphQL schema.

pub mod app;
pub mod cli;
pub mod config;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod state;
pub mod telemetry;

pub use app::{App, AppConfig, TimeSource, TimerSweep};
pub use http::router;
pub use state::AppState;
