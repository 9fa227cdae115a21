//! The event publisher: wakes this instance's subscribers when events commit (in-process), and
//! other instances' through PostgreSQL LISTEN/NOTIFY. Subscribers always read the outbox, so a
//! notice is only a nudge: a lost one delays nothing past the next, and a repeated one is read once.

use sea_orm::DatabaseBackend;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
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
}

/// The in-process fan-out of notices.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Notice>,
}

impl EventBus {
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(4096).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    pub fn publish(&self, notice: Notice) {
        // No subscriber is fine: the events are in the outbox for whoever comes later.
        let _ = self.sender.send(notice);
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
