//! The event publisher: wakes this instance's subscribers when events commit (in-process), and
//! other instances' through PostgreSQL LISTEN/NOTIFY. Subscribers always read the outbox, so a
//! notice is only a nudge: a lost one delays nothing past the next, and a repeated one is read once.

use sea_orm::DatabaseBackend;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::enums::RecipientKind;

/// The PostgreSQL channel events are announced on.
pub const PG_CHANNEL: &str = "omnipanel_events";

/// "Recipient X has events up to `seq`": a wake-up for subscribers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub recipient_kind: RecipientKind,
    pub recipient_id: Uuid,
    pub seq: i64,
    /// The organization the events belong to, for followers of a whole organization (the
    /// supervisor's live view); absent in notices from instances that predate it.
    #[serde(default)]
    pub organization_id: Option<Uuid>,
}

/// The in-process fan-out of notices. A subscription follows one recipient through
/// [`EventBus::watch`], which wakes only that recipient's subscribers, however many others
/// there are; [`EventBus::subscribe`] hears every notice (for followers of several chats).
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Notice>,
    watched: Arc<Mutex<Watched>>,
}

/// Each watched recipient's latest sequence, and how many watches were made since the last
/// sweep of recipients nobody watches any more.
#[derive(Default)]
struct Watched {
    latest: HashMap<(RecipientKind, Uuid), watch::Sender<i64>>,
    since_sweep: usize,
}

/// Recipients watched before the registry drops those nobody watches any longer.
const SWEEP_EVERY: usize = 1024;

impl EventBus {
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(4096).0,
            watched: Arc::default(),
        }
    }

    /// Every notice, as it comes.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    /// The latest sequence announced for one recipient; `changed()` wakes on each newer one.
    pub fn watch(&self, recipient_kind: RecipientKind, recipient_id: Uuid) -> watch::Receiver<i64> {
        let mut watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        watched.since_sweep += 1;
        if watched.since_sweep >= SWEEP_EVERY {
            watched.since_sweep = 0;
            watched
                .latest
                .retain(|_, sender| sender.receiver_count() > 0);
        }
        watched
            .latest
            .entry((recipient_kind, recipient_id))
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    pub fn publish(&self, notice: Notice) {
        // No subscriber is fine: the events are in the outbox for whoever comes later.
        let _ = self.sender.send(notice);
        let watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(latest) = watched
            .latest
            .get(&(notice.recipient_kind, notice.recipient_id))
        {
            latest.send_if_modified(|seq| {
                let newer = notice.seq > *seq;
                if newer {
                    *seq = notice.seq;
                }
                newer
            });
        }
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

/// Forwards PostgreSQL notifications (from every instance, this one included) to the local bus,
/// reconnecting when the connection drops. Returns at once on SQLite.
pub async fn forward_postgres_notices(db: sea_orm::DatabaseConnection, bus: EventBus) {
    use sea_orm::sqlx::postgres::PgListener;
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    loop {
        match PgListener::connect_with(db.get_postgres_connection_pool()).await {
            Ok(mut listener) => match listener.listen(PG_CHANNEL).await {
                Ok(()) => loop {
                    match listener.recv().await {
                        Ok(notification) => {
                            match serde_json::from_str::<Notice>(notification.payload()) {
                                Ok(notice) => bus.publish(notice),
                                Err(error) => {
                                    tracing::warn!(%error, "ignoring a malformed event notice")
                                }
                            }
                        }
                        Err(error) => {
                            tracing::warn!(%error, "event listener lost its connection");
                            break;
                        }
                    }
                },
                Err(error) => tracing::warn!(%error, "cannot LISTEN for events"),
            },
            Err(error) => tracing::warn!(%error, "cannot connect the event listener"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
