//! The one shape of every due-time job (`timers.rs` lists them): find the due rows, then
//! handle each in its own transaction that locks it, re-checks it under the lock (another
//! instance may have handled it meanwhile, or the row changed) and acts; what it changed commits
//! with its events. So two instances never fire one timer twice, and a failed row leaves nothing
//! behind.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, EntityTrait, QuerySelect, Select};

use crate::entity::{chat, operator};
use crate::error::Result;
use crate::routing::rows::{lock_chat, lock_operator};
use crate::service::Domain;
use crate::work::Work;

/// The most rows one sweep of one job handles; the rest wait for the next tick.
const BATCH: u64 = 100;

/// A due-time job: the query that finds its due rows, and what firing one does.
pub(crate) trait Timer {
    type Entity: EntityTrait<Model: DueRow>;

    /// The rows whose due time has passed at `now`.
    fn due(now: DateTime<Utc>) -> Select<Self::Entity>;

    /// Re-checks a row, locked and read again, and acts; answers whether it fired (a row that
    /// is no longer due changes nothing).
    async fn fire(
        domain: &Domain, row: <Self::Entity as EntityTrait>::Model, work: &mut Work,
    ) -> Result<bool>;
}

/// A row a sweep locks before it re-checks it.
pub(crate) trait DueRow: Sized + Send + Sync {
    async fn lock(&self, tx: &DatabaseTransaction) -> Result<Option<Self>>;
}

impl DueRow for chat::Model {
    async fn lock(&self, tx: &DatabaseTransaction) -> Result<Option<Self>> {
        lock_chat(tx, self.id).await
    }
}

impl DueRow for operator::Model {
    async fn lock(&self, tx: &DatabaseTransaction) -> Result<Option<Self>> {
        lock_operator(tx, self.id).await
    }
}

/// Fires what is due of one job: each due row in its own transaction that locks it, re-checks
/// it and acts, committing with its events. Returns how many fired.
pub(crate) async fn sweep<T: Timer>(domain: &Domain) -> Result<usize> {
    let now = domain.now();
    let rows = T::due(now).limit(BATCH).all(&domain.db).await?;
    let mut fired = 0;
    for row in rows {
        let mut work = domain.begin(now).await?;
        let Some(locked) = row.lock(&work.tx).await? else {
            continue;
        };
        if T::fire(domain, locked, &mut work).await? {
            domain.commit(work).await?;
            fired += 1;
        }
    }
    Ok(fired)
}
