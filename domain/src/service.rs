//! The service context: the database, the clock and the settings every service needs.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::clock::Clock;
use crate::crm::{CrmConnectors, LocalOnly};
use crate::error::Result;
use crate::events::{EventBus, Outbox};
use crate::files::{FileStore, LocalDisk};
use crate::throttle::ThrottlePolicy;

/// Settings of the services that come from the server's configuration.
#[derive(Clone, Debug)]
pub struct DomainConfig {
    /// Where the server is reached from outside; invitation links start with it.
    pub public_url: url::Url,
    /// How long an idle session stays valid; each use extends it.
    pub session_ttl: chrono::Duration,
    /// How long an invitation link works.
    pub invitation_ttl: chrono::Duration,
    pub throttle: ThrottlePolicy,
}

impl Default for DomainConfig {
    fn default() -> Self {
        Self {
            public_url: url::Url::parse("http://127.0.0.1:8080").expect("a valid URL"),
            session_ttl: chrono::Duration::hours(12),
            invitation_ttl: chrono::Duration::days(7),
            throttle: ThrottlePolicy::default(),
        }
    }
}

/// Everything a service call needs. Cheap to clone.
#[derive(Clone)]
pub struct Domain {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<DomainConfig>,
    /// Wakes this instance's subscribers when events commit.
    pub bus: EventBus,
    /// Builds each organization's CRM connector.
    pub crm: Arc<dyn CrmConnectors>,
    /// Wakes this instance's delivery workers when deliveries were queued or came due.
    pub deliveries_due: Arc<tokio::sync::Notify>,
    /// Where uploaded and received files are kept.
    pub files: Arc<dyn FileStore>,
}

impl Domain {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, config: DomainConfig) -> Self {
        Self {
            db,
            clock,
            config: Arc::new(config),
            bus: EventBus::new(),
            crm: Arc::new(LocalOnly),
            deliveries_due: Arc::default(),
            files: Arc::new(LocalDisk::new("data/files")),
        }
    }

    /// The same services keeping files in `files`.
    pub fn with_files(mut self, files: Arc<dyn FileStore>) -> Self {
        self.files = files;
        self
    }

    /// The same services with other CRM connectors (the server adds Creatio's).
    pub fn with_crm(mut self, crm: Arc<dyn CrmConnectors>) -> Self {
        self.crm = crm;
        self
    }

    /// Opens a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so it takes the write lock
    /// at once (waiting up to the busy timeout) instead of failing when a read turns into a write.
    pub async fn write(&self) -> Result<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }

    /// Runs a whole service call again when it lost a race the database detected (a deadlock
    /// between two instances routing at once); each attempt is one fresh transaction, so a
    /// failed one left nothing behind.
    pub async fn retry<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        const ATTEMPTS: u32 = 6;
        let mut attempt = 0;
        loop {
            match call().await {
                Err(error) if error.is_retryable() && attempt + 1 < ATTEMPTS => {
                    attempt += 1;
                    tracing::debug!(attempt, ?error, "retrying after a lost race");
                    let jitter = u64::from(rand::random::<u8>() % 16);
                    tokio::time::sleep(Duration::from_millis((5 << attempt) + jitter)).await;
                }
                other => return other,
            }
        }
    }

    /// Commits a transaction, then announces its events.
    pub async fn commit(&self, tx: DatabaseTransaction, mut outbox: Outbox) -> Result<()> {
        outbox.flush(&tx).await?;
        tx.commit().await?;
        if outbox.wakes_deliveries() {
            self.deliveries_due.notify_one();
        }
        outbox.publish(&self.bus);
        Ok(())
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Connects to SQLite (`sqlite://path`, created if missing, WAL, foreign keys on, a busy timeout)
/// or PostgreSQL (`postgres://…`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        // A burst waits for a connection rather than failing: every transaction holds one
        // connection only, so waiting always ends.
        .acquire_timeout(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    if url.starts_with("sqlite:") {
        options.max_connections(8).min_connections(1);
    } else {
        options.max_connections(20);
    }
    Database::connect(options).await
}
