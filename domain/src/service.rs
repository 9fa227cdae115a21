//! The domain's context and its capabilities. `Domain` holds what every service needs (the
//! database, the clock, the server's settings, the ports) and hands out one small service per
//! capability: `domain.chats().hand_off_chat(..)`, `domain.presence().set_my_status(..)`. A
//! service borrows the context, checks what its caller may do, validates, and changes rows in
//! one transaction that commits with the events it causes.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseBackend, DatabaseConnection, DatabaseTransaction};

use crate::error::Result;
use crate::identity::throttle::ThrottlePolicy;
use crate::ports::clock::Clock;
use crate::ports::crm::{ConnectorContext, CrmConnectors};
use crate::ports::events::EventBus;
use crate::ports::files::{FileStore, LocalDisk};
use crate::ports::local_crm::LocalOnly;
use crate::ports::messengers::{Messengers, NoMessengers};
use crate::store;

/// Public service calls that run their one-attempt body again after a lost race
/// ([`Domain::retry`]), each in its own span:
///
/// ```text
/// retried! {
///     /// Sets the caller's status (B1).
///     pub async fn set_my_status(SetMyStatusInput) -> operator::Model = set_my_status_once;
/// }
/// ```
///
/// expands, inside a service's `impl`, to `pub async fn set_my_status(self, actor: &Actor,
/// input: SetMyStatusInput) -> Result<operator::Model>` calling `set_my_status_once` until it
/// commits or fails for good. Extra span fields follow the body's name.
macro_rules! retried {
    ($($(#[$doc:meta])* pub async fn $name:ident($input:ty) -> $out:ty = $once:ident $(, $field:ident = %$value:expr)*;)*) => {$(
        $(#[$doc])*
        #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id $(, $field = %$value)*))]
        pub async fn $name(self, actor: &$crate::Actor, input: $input) -> $crate::Result<$out> {
            self.domain.retry(|| self.$once(actor, input.clone())).await
        }
    )*};
}
pub(crate) use retried;

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
    /// Whether saved URLs (webhooks, channels, CRMs) may point at loopback, private and
    /// link-local addresses (`--allow-private-upstreams`).
    pub allow_private_upstreams: bool,
}

impl Default for DomainConfig {
    fn default() -> Self {
        Self {
            public_url: url::Url::parse("http://127.0.0.1:8080").expect("a valid URL"),
            session_ttl: chrono::Duration::hours(12),
            invitation_ttl: chrono::Duration::days(7),
            throttle: ThrottlePolicy::default(),
            allow_private_upstreams: false,
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
    /// The newest events of the recipients this instance's subscriptions follow, read once
    /// for all of them (`event_tails.rs`).
    pub event_tails: crate::event_tails::EventTails,
    /// The bearer tokens this instance resolved lately (`identity/credentials.rs`).
    pub credentials: crate::identity::credentials::CredentialCache,
    /// Builds each organization's CRM connector.
    pub crm_connectors: Arc<dyn CrmConnectors>,
    /// Wakes this instance's delivery workers when deliveries were queued or came due.
    pub deliveries_due: Arc<tokio::sync::Notify>,
    /// Where uploaded and received files are kept.
    pub file_store: Arc<dyn FileStore>,
    /// Sets messengers' bots up for their channels (Telegram's webhook).
    pub messengers: Arc<dyn Messengers>,
    /// Seals the secrets the server must read back (`sealing.rs`).
    pub keyring: Arc<crate::sealing::Keyring>,
    /// When this instance prunes next (`retention.rs`); an optimisation only: pruning is
    /// idempotent, so instances need not agree.
    pub(crate) prune_after: Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>,
    /// PostgreSQL: operators' messages waiting to be written together
    /// (`conversation/gathering.rs`, written by `conversation/batched.rs`).
    pub message_batches: Arc<crate::conversation::gathering::MessageBatches>,
}

/// Declares the capabilities: a service type each, borrowed from the context by its accessor.
macro_rules! capabilities {
    ($($(#[$doc:meta])* $accessor:ident => $Service:ident,)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy)]
            pub struct $Service<'d> {
                pub(crate) domain: &'d Domain,
            }
        )*

        impl Domain {
            $(
                $(#[$doc])*
                pub fn $accessor(&self) -> $Service<'_> {
                    $Service { domain: self }
                }
            )*
        }
    };
}

capabilities! {
    /// Organizations, accounts, sessions, API keys, sign-in through the CRM (`identity/`).
    identity => Identity,
    /// Queues, dictionaries, quick replies, topics, operators, settings (`admin/`).
    admin => Admin,
    /// Operators' statuses, activity and call state (`presence/`).
    presence => Presence,
    /// Offering chats to operators, and a waiting customer's place (`routing/`).
    routing => Routing,
    /// A chat's life from hand-off to rating, what a caller sees, lists, history (`chat/`).
    chats => Chats,
    /// Messages both ways, notes, topics, tags, the traffic light, outgoing (`conversation/`).
    conversation => Conversation,
    /// The CRM connection, matching, a chat's CRM records, embedded URLs (`crm/`).
    crm => Crm,
    /// Channels: set-up, inbound messages, web chat (`channels/`).
    channels => Channels,
    /// Webhooks and the outbound delivery queue (`deliveries/`).
    deliveries => Deliveries,
    /// Uploaded and received files (`files.rs`).
    files => Files,
    /// The due-time jobs (`timers.rs`).
    timers => Timers,
    /// The supervisor's live view of queues, operators and lights (`supervision/`).
    supervision => Supervision,
}

impl Domain {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, config: DomainConfig) -> Self {
        // One instance has a SQLite database to itself; instances sharing PostgreSQL keep tokens
        // only while they hear each other's changes (`share_notices` turns the cache on).
        let alone = db.get_database_backend() != DatabaseBackend::Postgres;
        Self {
            db,
            clock,
            config: Arc::new(config),
            bus: EventBus::new(),
            event_tails: crate::event_tails::EventTails::default(),
            credentials: crate::identity::credentials::CredentialCache::new(alone),
            crm_connectors: Arc::new(LocalOnly),
            deliveries_due: Arc::default(),
            file_store: Arc::new(LocalDisk::new("data/files")),
            messengers: Arc::new(NoMessengers),
            keyring: Arc::new(crate::sealing::Keyring::ephemeral()),
            prune_after: Arc::new(std::sync::Mutex::new(
                chrono::DateTime::<chrono::Utc>::MIN_UTC,
            )),
            message_batches: Arc::default(),
        }
    }

    /// The same services sealing secrets with `keyring`.
    pub fn with_keyring(mut self, keyring: crate::sealing::Keyring) -> Self {
        self.keyring = Arc::new(keyring);
        self
    }

    /// The same services setting bots up through `messengers`.
    pub fn with_messengers(mut self, messengers: Arc<dyn Messengers>) -> Self {
        self.messengers = messengers;
        self
    }

    /// The same services keeping files in `files`.
    pub fn with_files(mut self, files: Arc<dyn FileStore>) -> Self {
        self.file_store = files;
        self
    }

    /// The same services with other CRM connectors (the server adds Creatio's).
    pub fn with_crm(mut self, crm: Arc<dyn CrmConnectors>) -> Self {
        self.crm_connectors = crm;
        self
    }

    /// Opens a write transaction (`BEGIN IMMEDIATE` on SQLite; see [`store::begin_write`]).
    pub async fn write(&self) -> Result<DatabaseTransaction> {
        store::begin_write(&self.db).await
    }

    /// What CRM connectors may use of the server: the database and the clock.
    pub fn connector_context(&self) -> ConnectorContext {
        ConnectorContext {
            db: self.db.clone(),
            clock: self.clock.clone(),
        }
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

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
