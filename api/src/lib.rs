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

/// The allocator of every program that runs the server (`omnipanel`, the benchmark, the tests):
/// under load the system's spent about a fifth of the server's time in `malloc` and `free`
/// (README, "Benchmarks").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
pub use http::router;
pub use state::AppState;
