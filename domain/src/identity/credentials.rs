//! The bearer tokens this instance resolved in the last few seconds, so that a request does not
//! cost a round trip to authenticate. Only tokens that were valid are kept,
//! each with the instant it expires, and for [`HOLD`] at most.
//!
//! Whatever changes who a token stands for (signing out, an operator deactivated or given another
//! role, an API key revoked) forgets every kept token on every instance, in the change's commit:
//! here when the change commits, on the others by a PostgreSQL `NOTIFY` sent in its transaction.
//! A lookup that began before a change and ends after it is not kept (the generation moved on),
//! and an instance that is not listening for those notices keeps nothing: the cache is then off
//! until its listener is back, and it starts empty.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::actor::Actor;
use crate::error::Result;

/// How long a resolved token is answered from memory before it is read again: the bound on a
/// stale answer should a notice ever be lost with its connection still up.
pub const HOLD: Duration = Duration::seconds(10);

/// The PostgreSQL channel on which an instance tells the others to forget the tokens they keep.
pub const CREDENTIALS_CHANNEL: &str = "omnipanel_credentials";

/// Kept tokens are swept of the expired ones once there are this many.
const SWEEP_AT: usize = 4096;

/// What a token resolved to, and until when that answer holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub actor: Actor,
    /// When the session expires (an API key does not).
    pub expires_at: Option<DateTime<Utc>>,
    /// When its last use was written (a session's `last_seen_at`, a key's `last_used_at`).
    pub touched_at: Option<DateTime<Utc>>,
}

impl Resolved {
    /// Whether the token may still be used at `now`.
    pub fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// The tokens this instance keeps, by digest. Cheap to clone: clones share the one cache.
#[derive(Clone)]
pub struct CredentialCache {
    kept: Arc<Mutex<Kept>>,
    on: Arc<AtomicBool>,
}

#[derive(Default)]
struct Kept {
    /// Moves on at every forgetting; a lookup keeps its answer only if it has not.
    generation: u64,
    tokens: HashMap<String, (Resolved, DateTime<Utc>)>,
}

/// Where a lookup started, for [`CredentialCache::keep`].
#[derive(Clone, Copy, Debug)]
pub struct Generation(u64);

impl CredentialCache {
    /// An empty cache, on or off: off until it can hear other instances' changes (PostgreSQL,
    /// where instances share the database), on for a database only one instance uses (SQLite).
    pub fn new(on: bool) -> Self {
        Self {
            kept: Arc::default(),
            on: Arc::new(AtomicBool::new(on)),
        }
    }

    /// The answer kept for a token's digest, if it still holds at `now`.
    pub fn get(&self, digest: &str, now: DateTime<Utc>) -> Option<Resolved> {
        if !self.on.load(Ordering::Acquire) {
            return None;
        }
        let kept = lock(&self.kept);
        let (resolved, held_until) = kept.tokens.get(digest)?;
        (*held_until > now && resolved.valid_at(now)).then(|| resolved.clone())
    }

    /// Where a lookup starts: take it before reading the database.
    pub fn generation(&self) -> Generation {
        Generation(lock(&self.kept).generation)
    }

    /// Keeps what a lookup that started at `since` read, unless something was forgotten since.
    pub fn keep(&self, since: Generation, digest: String, resolved: Resolved, now: DateTime<Utc>) {
        if !self.on.load(Ordering::Acquire) {
            return;
        }
        let mut kept = lock(&self.kept);
        if kept.generation != since.0 {
            return;
        }
        if kept.tokens.len() >= SWEEP_AT {
            kept.tokens.retain(|_, (_, held_until)| *held_until > now);
        }
        kept.tokens.insert(digest, (resolved, now + HOLD));
    }

    /// Notes a kept token's use as written: `touched_at`, and a session's new expiry.
    pub fn touched(&self, digest: &str, at: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) {
        if let Some((resolved, _)) = lock(&self.kept).tokens.get_mut(digest) {
            resolved.touched_at = Some(at);
            if expires_at.is_some() {
                resolved.expires_at = expires_at;
            }
        }
    }

    /// Forgets every kept token (credentials changed somewhere).
    pub fn forget_all(&self) {
        let mut kept = lock(&self.kept);
        kept.generation += 1;
        kept.tokens.clear();
    }

    /// Turns the cache off and forgets what it kept (this instance stopped hearing other
    /// instances' changes), or back on (it hears them again).
    pub fn set_on(&self, on: bool) {
        self.forget_all();
        self.on.store(on, Ordering::Release);
    }

    /// Whether tokens are kept now.
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Acquire)
    }
}

/// Tells the other instances, as the transaction commits, to forget the tokens they keep (on
/// PostgreSQL, a `NOTIFY` is delivered at the commit, and only if it commits). Credentials change
/// seldom, so the notification lock a `NOTIFY` holds through the commit costs nothing that counts.
pub(crate) async fn tell_instances(db: &impl ConnectionTrait) -> Result<()> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, '')",
            [CREDENTIALS_CHANNEL.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The locked value, also after a panic elsewhere poisoned the lock.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Principal;
    use crate::enums::ApiKeyScope;
    use crate::ids::{ApiKeyId, OrganizationId};

    fn resolved(expires_at: Option<DateTime<Utc>>) -> Resolved {
        Resolved {
            actor: Actor {
                organization_id: OrganizationId::new(),
                principal: Principal::ApiKey {
                    id: ApiKeyId::new(),
                    scope: ApiKeyScope::Chatbot,
                },
            },
            expires_at,
            touched_at: None,
        }
    }

    /// Keeps a key's answer as a lookup that started just now would.
    fn kept(cache: &CredentialCache, digest: &str, now: DateTime<Utc>) {
        cache.keep(cache.generation(), digest.into(), resolved(None), now);
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn an_answer_holds_for_a_while_and_never_past_the_token_s_expiry() {
        let cache = CredentialCache::new(true);
        kept(&cache, "a", at(0));
        cache.keep(cache.generation(), "b".into(), resolved(Some(at(3))), at(0));
        assert!(cache.get("a", at(9)).is_some());
        assert!(cache.get("a", at(10)).is_none(), "held for HOLD only");
        assert!(cache.get("b", at(2)).is_some());
        assert!(cache.get("b", at(3)).is_none(), "expired");
        assert!(cache.get("c", at(0)).is_none(), "never kept");
    }

    #[test]
    fn forgetting_drops_what_was_kept_and_what_lookups_in_flight_read() {
        let cache = CredentialCache::new(true);
        kept(&cache, "a", at(0));
        let in_flight = cache.generation();
        cache.forget_all();
        assert!(cache.get("a", at(1)).is_none());
        cache.keep(in_flight, "b".into(), resolved(None), at(1));
        assert!(cache.get("b", at(1)).is_none(), "read before the change");
        kept(&cache, "b", at(1));
        assert!(cache.get("b", at(1)).is_some());
    }

    #[test]
    fn an_instance_that_stops_hearing_changes_keeps_nothing() {
        let cache = CredentialCache::new(true);
        kept(&cache, "a", at(0));
        cache.set_on(false);
        assert!(cache.get("a", at(0)).is_none());
        kept(&cache, "a", at(0));
        cache.set_on(true);
        assert!(cache.get("a", at(0)).is_none(), "nothing kept while off");
        kept(&cache, "a", at(0));
        assert!(cache.get("a", at(0)).is_some());
    }

    #[test]
    fn expired_answers_are_swept_as_the_cache_fills() {
        let cache = CredentialCache::new(true);
        for i in 0..SWEEP_AT {
            kept(&cache, &format!("old {i}"), at(0));
        }
        kept(&cache, "new", at(60));
        assert_eq!(lock(&cache.kept).tokens.len(), 1);
    }
}
