//! Shared reads of a recipient's newest events (L, #13).
//!
//! An operator follows their stream from several tabs, a chat from every operator in it; each
//! subscription would read the same new events from the outbox on the same notice, one query
//! each. Here the subscriptions of one recipient on this instance share a tail of its newest
//! events, kept while any of them follows it: a transaction that commits on this instance adds
//! its events to the tails of the recipients followed here before it wakes their subscribers,
//! so they read nothing from the outbox; what a tail does not hold (a subscriber further
//! behind, a cold start, an event another instance wrote) the first subscriber that needs it
//! reads from the outbox (holding that recipient's lock) and remembers for the others.
//!
//! Nothing depends on it for correctness. A recipient's events are immutable, gap-free and
//! committed in sequence order (`events.rs`), so a remembered run of them is exactly what the
//! outbox holds, and a tail only ever holds a run without gaps.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::entity::event;
use crate::enums::RecipientKind;
use crate::error::Result;
use crate::events::since;

/// How many of a recipient's newest events are remembered: enough for a follower a burst
/// behind; one further behind reads the outbox.
const REMEMBERED: usize = 64;

/// Subscriptions started before the registry drops the tails nobody follows any longer.
const SWEEP_EVERY: usize = 256;

/// A recipient's newest events: a run of consecutive sequence numbers.
#[derive(Default)]
struct Tail {
    events: VecDeque<event::Model>,
}

impl Tail {
    /// The remembered events after `after`, at most `limit`, when the run holds the one right
    /// after it; `None` when it does not (the outbox must be read).
    fn after(&self, after: i64, limit: u64) -> Option<Vec<event::Model>> {
        let first = self.events.front()?.seq;
        let last = self.events.back()?.seq;
        if after < first - 1 || after >= last {
            return None;
        }
        let skip = usize::try_from(after - first + 1).ok()?;
        Some(
            self.events
                .iter()
                .skip(skip)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .cloned()
                .collect(),
        )
    }

    /// Keeps `rows` (consecutive, oldest first, as the outbox returned them): appended when they
    /// continue the run, in its place when they are newer; an older run (a subscriber catching
    /// up) leaves the newest where it is.
    fn remember(&mut self, rows: &[event::Model]) {
        let (Some(first), Some(newest)) = (rows.first(), rows.last()) else {
            return;
        };
        match self.events.back() {
            Some(last) if last.seq + 1 == first.seq => {}
            Some(last) if newest.seq <= last.seq => return,
            _ => self.events.clear(),
        }
        self.events.extend(rows.iter().cloned());
        while self.events.len() > REMEMBERED {
            self.events.pop_front();
        }
    }
}

/// The tails of the recipients this instance's subscriptions follow.
#[derive(Clone, Default)]
pub struct EventTails {
    registry: Arc<Mutex<Registry>>,
}

type SharedTail = Arc<tokio::sync::Mutex<Tail>>;

#[derive(Default)]
struct Registry {
    tails: HashMap<(RecipientKind, Uuid), SharedTail>,
    since_sweep: usize,
}

/// One subscription's hold on its recipient's tail: the tail is kept while someone holds it.
pub struct Followed {
    kind: RecipientKind,
    recipient: Uuid,
    tail: SharedTail,
}

impl EventTails {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts following a recipient's events.
    pub fn follow(&self, kind: RecipientKind, recipient: Uuid) -> Followed {
        let mut registry = self.registry();
        registry.since_sweep += 1;
        if registry.since_sweep >= SWEEP_EVERY {
            registry.since_sweep = 0;
            // Only the registry holds it: nobody follows that recipient here any longer.
            registry.tails.retain(|_, tail| Arc::strong_count(tail) > 1);
        }
        let tail = registry.tails.entry((kind, recipient)).or_default().clone();
        Followed {
            kind,
            recipient,
            tail,
        }
    }

    /// Remembers the events a transaction has just committed for the recipients someone here
    /// follows. `rows` come recipient by recipient, each one's in sequence order
    /// (`Outbox::flush`). A tail being read just then is left alone: its reader gets the events
    /// from the outbox.
    pub fn committed(&self, rows: Vec<event::Model>) {
        if rows.is_empty() {
            return;
        }
        let followed: Vec<_> = {
            let registry = self.registry();
            if registry.tails.is_empty() {
                return;
            }
            rows.chunk_by(|a, b| {
                a.recipient_kind == b.recipient_kind && a.recipient_id == b.recipient_id
            })
            .filter_map(|run| {
                let key = (run[0].recipient_kind, run[0].recipient_id);
                registry.tails.get(&key).map(|tail| (tail.clone(), run))
            })
            .collect()
        };
        for (tail, run) in followed {
            if let Ok(mut tail) = tail.try_lock() {
                tail.remember(run);
            }
        }
    }
}

impl Followed {
    /// The recipient's events after `after`, oldest first, at most `limit`: from the tail when
    /// it holds the next one, else from the outbox (and remembered).
    pub async fn since(
        &self, db: &impl ConnectionTrait, after: i64, limit: u64,
    ) -> Result<Vec<event::Model>> {
        let mut tail = self.tail.lock().await;
        if let Some(rows) = tail.after(after, limit).filter(|rows| !rows.is_empty()) {
            return Ok(rows);
        }
        let rows = since(db, self.kind, self.recipient, after, limit).await?;
        tail.remember(&rows);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn event(seq: i64) -> event::Model {
        event::Model {
            id: crate::ids::EventId::new(),
            organization_id: crate::ids::OrganizationId::new(),
            recipient_kind: RecipientKind::Operator,
            recipient_id: Uuid::nil(),
            seq,
            kind: "CHAT_UPDATED".into(),
            chat_id: None,
            payload: serde_json::json!({}),
            created_at: Utc::now(),
        }
    }

    fn seqs(rows: &[event::Model]) -> Vec<i64> {
        rows.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn a_tail_serves_only_what_follows_on_without_a_gap() {
        let mut tail = Tail::default();
        assert!(
            tail.after(0, 10).is_none(),
            "nothing remembered: read the outbox"
        );
        tail.remember(&[event(5), event(6), event(7)]);
        assert_eq!(seqs(&tail.after(4, 10).unwrap()), [5, 6, 7]);
        assert_eq!(seqs(&tail.after(5, 1).unwrap()), [6]);
        // Further behind than the run, or at its end: the outbox must say.
        assert!(tail.after(3, 10).is_none());
        assert!(tail.after(7, 10).is_none());
        // A continuation extends the run; anything else replaces it.
        tail.remember(&[event(8)]);
        assert_eq!(seqs(&tail.after(6, 10).unwrap()), [7, 8]);
        tail.remember(&[event(20), event(21)]);
        assert!(tail.after(8, 10).is_none());
        assert_eq!(seqs(&tail.after(19, 10).unwrap()), [20, 21]);
        // A subscriber catching up reads an older run: the newest stays remembered.
        tail.remember(&[event(2), event(3)]);
        assert_eq!(seqs(&tail.after(19, 10).unwrap()), [20, 21]);
    }

    #[test]
    fn a_tail_keeps_only_the_newest() {
        let mut tail = Tail::default();
        let rows: Vec<_> = (1..=REMEMBERED as i64 + 10).map(event).collect();
        tail.remember(&rows);
        assert_eq!(tail.events.len(), REMEMBERED);
        assert!(tail.after(5, 10).is_none());
        assert_eq!(
            seqs(&tail.after(REMEMBERED as i64 + 8, 10).unwrap()),
            [REMEMBERED as i64 + 9, REMEMBERED as i64 + 10]
        );
    }

    #[test]
    fn committed_events_reach_only_the_tails_someone_follows() {
        let tails = EventTails::default();
        let followed = tails.follow(RecipientKind::Operator, Uuid::nil());
        let other = Uuid::from_u128(7);
        let mut elsewhere = event(1);
        elsewhere.recipient_id = other;
        tails.committed(vec![event(1), event(2), elsewhere]);
        let tail = followed.tail.try_lock().unwrap();
        assert_eq!(seqs(&tail.after(0, 10).unwrap()), [1, 2]);
        assert!(
            !tails
                .registry()
                .tails
                .contains_key(&(RecipientKind::Operator, other)),
            "nobody follows it here: no tail"
        );
    }

    #[test]
    fn a_tail_nobody_follows_is_dropped_at_the_next_sweep() {
        let tails = EventTails::default();
        drop(tails.follow(RecipientKind::Chat, Uuid::nil()));
        let kept = tails.follow(RecipientKind::Operator, Uuid::nil());
        for _ in 0..SWEEP_EVERY {
            drop(tails.follow(RecipientKind::Operator, Uuid::nil()));
        }
        let registry = tails.registry();
        assert!(
            !registry
                .tails
                .contains_key(&(RecipientKind::Chat, Uuid::nil()))
        );
        assert!(registry.tails.contains_key(&(kept.kind, kept.recipient)));
    }
}
