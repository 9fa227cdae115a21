//! Structured logs through `tracing`; `OMNIPANEL_LOG` (or `RUST_LOG`) sets the filter. Services
//! and outbound calls have spans at debug level; with `--log-spans` each one that the filter lets
//! through logs its busy and idle time when it closes, so a slow request shows where it waited.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init(format: LogFormat, spans: bool) {
    let filter = EnvFilter::try_from_env("OMNIPANEL_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(if spans { FmtSpan::CLOSE } else { FmtSpan::NONE })
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
