//! The composition root: everything `omnipanel serve` runs, put together in one place. The
//! command line builds it from flags and variables; the end-to-end tests build the very same
//! thing with a manual clock, short upstream timeouts and timers that fire only when a test
//! advances the clock.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use omnipanel_domain::demo::Demo;
use omnipanel_domain::ports::{Clock, LocalDisk, ManualClock, SystemClock};
use omnipanel_domain::{Domain, DomainConfig, DomainError};
use omnipanel_integrations::deliveries::DeliveryWorker;
use omnipanel_integrations::telegram_webhook::TelegramBots;
use omnipanel_integrations::{Connectors, HttpPolicy};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// Where the server's time comes from.
#[derive(Clone)]
pub enum TimeSource {
    /// The system clock (production).
    System,
    /// A clock that moves only when told: tests, and `serve --test-clock`, whose `advanceClock`
    /// mutation moves it and fires what became due.
    Manual(Arc<ManualClock>),
}

/// When due timers (invitation expiry, AWAY, traffic lights, auto-close, delivery retries) fire.
#[derive(Clone, Copy, Debug)]
pub enum TimerSweep {
    /// One sweep every period (production: every second).
    Every(Duration),
    /// Only when `advanceClock` (or a test) asks: nothing happens by timing luck.
    WhenAdvanced,
}

/// How the server is put together.
#[derive(Clone)]
pub struct AppConfig {
    /// Where users reach the server (invitation links, OAuth redirects).
    pub public_url: url::Url,
    pub session_ttl: chrono::Duration,
    /// The largest request body.
    pub max_body_bytes: usize,
    /// Where uploaded and received files are kept.
    pub files_dir: PathBuf,
    /// Timeouts and retries of calls to CRMs, identity services, webhooks and channels.
    pub upstream: HttpPolicy,
    pub time: TimeSource,
    pub timers: TimerSweep,
    /// Seed the demo organization (`serve --demo`).
    pub demo: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The keys that seal stored secrets.
    pub keyring: omnipanel_domain::sealing::Keyring,
}

/// The assembled server, ready to serve.
pub struct App {
    pub domain: Domain,
    pub state: AppState,
    /// What `demo` seeded, when asked.
    pub demo: Option<Demo>,
    tasks: Vec<JoinHandle<()>>,
}

impl App {
    /// Builds the services on `db` (connected and migrated) and starts what runs beside the
    /// HTTP server: the delivery worker, the timer sweep and, on PostgreSQL, the listener that
    /// carries other instances' events.
    pub async fn build(config: AppConfig, db: DatabaseConnection) -> Result<Self, DomainError> {
        let (clock, test_clock): (Arc<dyn Clock>, _) = match &config.time {
            TimeSource::System => (Arc::new(SystemClock), None),
            TimeSource::Manual(manual) => (manual.clone(), Some(manual.clone())),
        };
        let settings = DomainConfig {
            public_url: config.public_url.clone(),
            session_ttl: config.session_ttl,
            allow_private_upstreams: config.upstream.allow_private,
            ..DomainConfig::default()
        };
        let domain = Domain::new(db, clock, settings)
            .with_crm(Arc::new(Connectors::new(config.upstream)?))
            .with_messengers(Arc::new(TelegramBots::new(&config.upstream)?))
            .with_files(Arc::new(LocalDisk::new(config.files_dir.clone())))
            .with_keyring(config.keyring.clone());
        let demo = if config.demo {
            Some(omnipanel_domain::demo::seed(&domain).await?)
        } else {
            None
        };
        let mut tasks = vec![
            DeliveryWorker::new(domain.clone(), config.upstream)?.spawn(),
            tokio::spawn(omnipanel_domain::ports::share_notices(
                domain.db.clone(),
                domain.bus.clone(),
                domain.credentials.clone(),
            )),
        ];
        if let TimerSweep::Every(period) = config.timers {
            tasks.push(tokio::spawn(sweep(domain.clone(), period)));
        }
        let state = AppState::new(domain.clone(), test_clock, config.max_body_bytes)
            .with_upstream_policy(config.upstream)?
            .with_trusted_proxies(config.trusted_proxies.clone());
        Ok(Self {
            domain,
            state,
            demo,
            tasks,
        })
    }

    /// Serves on `listener` until `shutdown` resolves and in-flight requests finish; the
    /// background tasks stop with it.
    pub fn serve(
        self, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<(SocketAddr, impl Future<Output = std::io::Result<()>>)> {
        let (addr, server) = crate::http::serve_on(self.state, listener, shutdown)?;
        let tasks = self.tasks;
        Ok((addr, async move {
            let served = server.await;
            tasks.iter().for_each(JoinHandle::abort);
            served
        }))
    }
}

/// The one tick loop: fires every due timer, then wakes the delivery worker for due retries.
async fn sweep(domain: Domain, period: Duration) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match domain.timers().run_due().await {
            Ok(0) => {}
            Ok(fired) => tracing::debug!(fired, "timers fired"),
            Err(error) => tracing::error!(?error, "timer sweep failed"),
        }
    }
}
