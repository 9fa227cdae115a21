//! The event publisher: wakes this instance's subscribers when events commit (in-process), and
//! other instances' through PostgreSQL LISTEN/NOTIFY. Subscribers always read the outbox, so a
//! notice is only a nudge: a repeated one is read once, and a lost one is made up for by the
//! listener, which compares the streams this instance follows with their counters every
//! [`RECONCILE_EVERY`] and whenever it (re)connects.
//!
//! Notices leave for other instances after the commit, gathered by one relay task into as few
//! `pg_notify` calls as fit: a `NOTIFY` inside a writing transaction takes PostgreSQL's global
//! notification lock from its commit until the commit is on disk, so every writing transaction
//! would wait for the previous one's flush (measured: a one-row insert with a notify commits at
//! half the rate of one without).

use sea_orm::DatabaseBackend;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, broadcast, watch};
use uuid::Uuid;

use crate::enums::RecipientKind;
use crate::identity::credentials::{CREDENTIALS_CHANNEL, CredentialCache};

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
    outgoing: Arc<Outgoing>,
}

/// Notices waiting for the relay to announce them to other instances; kept only while a relay
/// runs (on PostgreSQL), so a single SQLite instance keeps nothing.
#[derive(Default)]
struct Outgoing {
    relayed: std::sync::atomic::AtomicBool,
    queue: Mutex<Vec<Notice>>,
    ready: Notify,
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
            outgoing: Arc::default(),
        }
    }

    /// Every notice, as it comes.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    /// The latest sequence announced for one recipient; `changed()` wakes on each newer one.
    pub fn watch(&self, recipient_kind: RecipientKind, recipient_id: Uuid) -> watch::Receiver<i64> {
        let mut watched = lock(&self.watched);
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

    /// Wakes this instance's subscribers, and queues the notice for other instances when a
    /// relay runs ([`share_notices`]). Call after the commit.
    pub fn announce(&self, notice: Notice) {
        self.publish(notice);
        let outgoing = &self.outgoing;
        if outgoing.relayed.load(std::sync::atomic::Ordering::Relaxed) {
            lock(&outgoing.queue).push(notice);
            outgoing.ready.notify_one();
        }
    }

    /// The recipients someone on this instance follows, with the latest sequence announced here.
    fn watched_heads(&self) -> Vec<(RecipientKind, Uuid, i64)> {
        lock(&self.watched)
            .latest
            .iter()
            .filter(|(_, sender)| sender.receiver_count() > 0)
            .map(|((kind, id), sender)| (*kind, *id, *sender.borrow()))
            .collect()
    }

    /// Wakes this instance's subscribers of the notice's recipient.
    pub fn publish(&self, notice: Notice) {
        // No subscriber is fine: the events are in the outbox for whoever comes later.
        let _ = self.sender.send(notice);
        let watched = lock(&self.watched);
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

/// The locked value, also after a panic elsewhere poisoned the lock (the maps stay usable).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// How often each instance compares the streams it follows with their counters, making up for
/// a notice lost on the way (an instance that stopped between a commit and its relay, or a
/// listener that reconnected): the longest a follower on another instance can wait.
pub const RECONCILE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// The most a `pg_notify` payload carries (PostgreSQL's limit is 8,000 bytes).
const PAYLOAD_BYTES: usize = 7_900;

/// Runs the PostgreSQL side of the bus: announces this instance's notices to the others,
/// forwards theirs (and its own) to the local bus, reconciles what is followed here, and keeps
/// `credentials` on while it hears other instances' credential changes. Returns at once on
/// SQLite, where one instance has the database to itself.
pub async fn share_notices(
    db: sea_orm::DatabaseConnection, bus: EventBus, credentials: CredentialCache,
) {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    bus.outgoing
        .relayed
        .store(true, std::sync::atomic::Ordering::Relaxed);
    tokio::join!(
        relay(&db, &bus),
        forward(&db, &bus, &credentials),
        reconcile_every(&db, &bus)
    );
}

/// Sends the queued notices, newest per recipient, in as few `pg_notify` calls as they fit.
/// The bus's statements go straight to the pool: they are no request's, and no request's count
/// of statements includes them.
async fn relay(db: &sea_orm::DatabaseConnection, bus: &EventBus) {
    let pool = db.get_postgres_connection_pool();
    loop {
        bus.outgoing.ready.notified().await;
        let notices = std::mem::take(&mut *lock(&bus.outgoing.queue));
        for payload in payloads(notices) {
            let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
                .bind(PG_CHANNEL)
                .bind(payload)
                .execute(pool)
                .await;
            if let Err(error) = sent {
                // Followers elsewhere catch up at their next reconciliation.
                tracing::warn!(%error, "could not announce events to other instances");
            }
        }
    }
}

/// Notices as JSON arrays of at most [`PAYLOAD_BYTES`], one per recipient (its newest).
fn payloads(mut notices: Vec<Notice>) -> Vec<String> {
    notices.sort_by(|a, b| {
        (a.recipient_kind.as_str(), a.recipient_id, b.seq).cmp(&(
            b.recipient_kind.as_str(),
            b.recipient_id,
            a.seq,
        ))
    });
    notices
        .dedup_by(|a, b| a.recipient_kind == b.recipient_kind && a.recipient_id == b.recipient_id);
    let mut payloads = Vec::new();
    let mut current = String::new();
    for notice in notices {
        let item = serde_json::to_string(&notice).unwrap_or_default();
        if !current.is_empty() && current.len() + item.len() + 2 > PAYLOAD_BYTES {
            current.push(']');
            payloads.push(std::mem::take(&mut current));
        }
        current.push(if current.is_empty() { '[' } else { ',' });
        current.push_str(&item);
    }
    if !current.is_empty() {
        current.push(']');
        payloads.push(current);
    }
    payloads
}

/// The notices in a payload: an array of them, or one (as instances before the relay sent).
fn notices_in(payload: &str) -> serde_json::Result<Vec<Notice>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Payload {
        Many(Vec<Notice>),
        One(Notice),
    }
    Ok(match serde_json::from_str(payload)? {
        Payload::Many(notices) => notices,
        Payload::One(notice) => vec![notice],
    })
}

/// Forwards PostgreSQL notifications (from every instance, this one included): event notices to
/// the local bus, credential changes to the tokens kept here. Tokens are kept only while the
/// listener listens; it reconnects when its connection fails.
async fn forward(db: &sea_orm::DatabaseConnection, bus: &EventBus, credentials: &CredentialCache) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        match PgListener::connect_with(db.get_postgres_connection_pool()).await {
            Ok(mut listener) => {
                match listener.listen_all([PG_CHANNEL, CREDENTIALS_CHANNEL]).await {
                    Ok(()) => hear(db, bus, credentials, &mut listener).await,
                    Err(error) => tracing::warn!(%error, "cannot LISTEN for events"),
                }
            }
            Err(error) => tracing::warn!(%error, "cannot connect the event listener"),
        }
        credentials.set_on(false);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Hears notifications until the listener fails. Each time its connection is made (again),
/// what was said while nobody listened is made up for: the streams followed here are
/// reconciled, and the tokens kept here forgotten.
async fn hear(
    db: &sea_orm::DatabaseConnection, bus: &EventBus, credentials: &CredentialCache,
    listener: &mut sea_orm::sqlx::postgres::PgListener,
) {
    loop {
        credentials.set_on(true);
        reconcile(db, bus).await;
        loop {
            match listener.try_recv().await {
                Ok(Some(heard)) if heard.channel() == CREDENTIALS_CHANNEL => {
                    credentials.forget_all();
                }
                Ok(Some(heard)) => match notices_in(heard.payload()) {
                    Ok(notices) => notices.into_iter().for_each(|n| bus.publish(n)),
                    Err(error) => tracing::warn!(%error, "ignoring a malformed event notice"),
                },
                Ok(None) => {
                    tracing::warn!("the event listener lost its connection and made it again");
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "the event listener lost its connection");
                    return;
                }
            }
        }
    }
}

/// Reconciles every [`RECONCILE_EVERY`], from one period after start (the listener reconciles
/// as it connects).
async fn reconcile_every(db: &sea_orm::DatabaseConnection, bus: &EventBus) {
    let mut every = tokio::time::interval_at(
        tokio::time::Instant::now() + RECONCILE_EVERY,
        RECONCILE_EVERY,
    );
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        reconcile(db, bus).await;
    }
}

/// Wakes the followers here of every stream whose counter is ahead of what was announced here
/// (one statement for all of them, straight to the pool as the relay's).
async fn reconcile(db: &sea_orm::DatabaseConnection, bus: &EventBus) {
    let heads: HashMap<(&str, Uuid), (RecipientKind, i64)> = bus
        .watched_heads()
        .into_iter()
        .map(|(kind, id, seq)| ((kind.as_str(), id), (kind, seq)))
        .collect();
    if heads.is_empty() {
        return;
    }
    let ids: Vec<Uuid> = heads.keys().map(|(_, id)| *id).collect();
    let streams: Result<Vec<(String, Uuid, i64)>, _> = sea_orm::sqlx::query_as(
        "SELECT recipient_kind, recipient_id, seq FROM event_streams WHERE recipient_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(db.get_postgres_connection_pool())
    .await;
    let streams = match streams {
        Ok(streams) => streams,
        Err(error) => {
            tracing::warn!(%error, "could not reconcile followed event streams");
            return;
        }
    };
    for (kind, recipient_id, seq) in streams {
        if let Some(&(recipient_kind, known)) = heads.get(&(kind.as_str(), recipient_id))
            && seq > known
        {
            bus.publish(Notice {
                recipient_kind,
                recipient_id,
                seq,
                organization_id: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(id: u128, seq: i64) -> Notice {
        Notice {
            recipient_kind: RecipientKind::Operator,
            recipient_id: Uuid::from_u128(id),
            seq,
            organization_id: Some(Uuid::from_u128(7)),
        }
    }

    #[test]
    fn a_recipient_is_announced_once_at_its_newest() {
        let sent = payloads(vec![notice(1, 3), notice(2, 1), notice(1, 5), notice(1, 4)]);
        assert_eq!(sent.len(), 1);
        let notices = notices_in(&sent[0]).unwrap();
        assert_eq!(notices, vec![notice(1, 5), notice(2, 1)]);
    }

    #[test]
    fn payloads_stay_under_the_notify_limit_and_lose_nothing() {
        let many: Vec<Notice> = (0..500).map(|i| notice(i, 1)).collect();
        let sent = payloads(many.clone());
        assert!(sent.len() > 1);
        assert!(sent.iter().all(|p| p.len() <= PAYLOAD_BYTES));
        let back: Vec<Notice> = sent.iter().flat_map(|p| notices_in(p).unwrap()).collect();
        assert_eq!(back, many);
        assert!(payloads(Vec::new()).is_empty());
    }

    #[test]
    fn a_single_notice_from_an_older_instance_is_still_read() {
        let one = serde_json::to_string(&notice(9, 2)).unwrap();
        assert_eq!(notices_in(&one).unwrap(), vec![notice(9, 2)]);
        assert!(notices_in("{\"nonsense\": 1}").is_err());
    }

    #[tokio::test]
    async fn announcing_queues_for_other_instances_only_while_a_relay_runs() {
        let bus = EventBus::new();
        bus.announce(notice(1, 1));
        assert!(lock(&bus.outgoing.queue).is_empty());
        bus.outgoing
            .relayed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let latest = bus.watch(RecipientKind::Operator, Uuid::from_u128(1));
        bus.announce(notice(1, 2));
        assert_eq!(*lock(&bus.outgoing.queue), vec![notice(1, 2)]);
        assert!(latest.has_changed().unwrap());
        assert_eq!(
            bus.watched_heads(),
            vec![(RecipientKind::Operator, Uuid::from_u128(1), 2)]
        );
    }
}
