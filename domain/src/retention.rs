//! Retention (S2): what grows with traffic is pruned by each organization's policy, in bounded
//! batches, by the timer (at most once a minute per instance; any instance may do it, and
//! deleting what another instance deleted already is nothing).
//!
//! - The event outbox: events older than `event_retention_days`, but never younger than a
//!   session lasts, so a panel that is still signed in can always catch up on what it missed.
//!   Sequences live in `event_streams`, so pruning never moves a recipient's numbering.
//! - The delivery log: finished deliveries (sent, delivered, failed) older than
//!   `delivery_log_retention_days`; a pending one is work acknowledged and is never pruned.
//! - Inbound receipts older than `receipt_retention_days` (at least a day: Telegram retries an
//!   unacknowledged update for about that long).
//! - The status log: statuses that ended more than `status_log_retention_days` ago.
//! - Closed chats, with their messages, notes and files, only when an organization sets
//!   `chat_retention_days` (by default history is kept).
//! - Expired or revoked sessions, expired pending sign-ins, and sign-in failures already
//!   forgotten by the throttle: for every organization alike, a day after they stopped
//!   mattering.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};

use crate::entity::{
    attachment, channel, chat, crm_sign_in, delivery, event, inbound_receipt, oauth_login_state,
    organization_settings, session, sign_in_throttle, status_log,
};
use crate::enums::{ChatStatus, DeliveryState};
use crate::error::Result;
use crate::service::Timers;

/// Rows one statement deletes.
const BATCH: u64 = 1000;
/// Statements one table gets per run; the rest waits for the next run.
const MAX_BATCHES: u32 = 20;
/// How often an instance prunes.
pub(crate) const EVERY: Duration = Duration::minutes(1);
/// How long what no longer matters (an expired session, a forgotten failure) is kept anyway.
const GRACE: Duration = Duration::days(1);

/// How many rows a run removed, per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub events: u64,
    pub deliveries: u64,
    pub receipts: u64,
    pub status_log: u64,
    pub chats: u64,
    pub sign_in_leftovers: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.events
            + self.deliveries
            + self.receipts
            + self.status_log
            + self.chats
            + self.sign_in_leftovers
    }
}

impl Timers<'_> {
    /// Prunes by every organization's policy if this instance has not in the last minute.
    pub(crate) async fn prune_if_due(self, now: DateTime<Utc>) -> Result<Pruned> {
        {
            let mut next = self.domain.prune_after.lock().expect("not poisoned");
            if now < *next {
                return Ok(Pruned::default());
            }
            *next = now + EVERY;
        }
        self.prune(now).await
    }

    /// Prunes what every organization's policy says is old at `now`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn prune(self, now: DateTime<Utc>) -> Result<Pruned> {
        let domain = self.domain;
        let db = &domain.db;
        // A signed-in panel reconnects within its session's idle lifetime.
        let event_floor = domain.config.session_ttl + Duration::hours(1);
        let events = prune_aged::<event::Entity>(
            db,
            now,
            organization_settings::Column::EventRetentionDays,
            event_floor,
            [
                event::Column::Id,
                event::Column::OrganizationId,
                event::Column::CreatedAt,
            ],
            Condition::all(),
        )
        .await?;
        // A pending delivery is acknowledged work: only finished ones go.
        let finished = [
            DeliveryState::Sent,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ];
        let deliveries = prune_aged::<delivery::Entity>(
            db,
            now,
            organization_settings::Column::DeliveryLogRetentionDays,
            Duration::zero(),
            [
                delivery::Column::Id,
                delivery::Column::OrganizationId,
                delivery::Column::CreatedAt,
            ],
            Condition::all().add(delivery::Column::State.is_in(finished)),
        )
        .await?;
        // Only statuses that ended: the one an operator is in has no end.
        let status_log = prune_aged::<status_log::Entity>(
            db,
            now,
            organization_settings::Column::StatusLogRetentionDays,
            Duration::zero(),
            [
                status_log::Column::Id,
                status_log::Column::OrganizationId,
                status_log::Column::EndedAt,
            ],
            Condition::all(),
        )
        .await?;
        let mut pruned = Pruned {
            events,
            deliveries,
            status_log,
            ..Pruned::default()
        };

        for (days, orgs) in
            policies(db, organization_settings::Column::ReceiptRetentionDays).await?
        {
            let cutoff = now - days.max(GRACE);
            let channels = channel::Entity::find()
                .select_only()
                .column(channel::Column::Id)
                .filter(channel::Column::OrganizationId.in_subquery(orgs))
                .into_query();
            let key = |select: SelectStatement| {
                Expr::tuple([
                    Expr::col(inbound_receipt::Column::ChannelId),
                    Expr::col(inbound_receipt::Column::ExternalId),
                ])
                .in_subquery(select)
            };
            pruned.receipts += delete_in_batches::<inbound_receipt::Entity>(db, key, || {
                inbound_receipt::Entity::find()
                    .select_only()
                    .column(inbound_receipt::Column::ChannelId)
                    .column(inbound_receipt::Column::ExternalId)
                    .filter(inbound_receipt::Column::ReceivedAt.lt(cutoff))
                    .filter(inbound_receipt::Column::ChannelId.in_subquery(channels.clone()))
                    .limit(BATCH)
                    .into_query()
            })
            .await?;
        }

        for (days, orgs) in policies(db, organization_settings::Column::ChatRetentionDays).await? {
            pruned.chats += self.prune_chats(now - days, orgs).await?;
        }

        pruned.sign_in_leftovers += self.prune_sign_in_leftovers(now).await?;
        if pruned.total() > 0 {
            tracing::info!(?pruned, "retention pruned old rows");
        }
        Ok(pruned)
    }

    /// Closed chats closed before `cutoff`, batch by batch: the rows (messages, notes, files'
    /// records go with their chat) in a transaction, then the files' bytes. A file whose
    /// removal fails is logged and left on disk: its record is gone, so nobody can reach it.
    async fn prune_chats(self, cutoff: DateTime<Utc>, orgs: SelectStatement) -> Result<u64> {
        let domain = self.domain;
        let mut total = 0;
        for _ in 0..MAX_BATCHES {
            // A write transaction like every other (SQLite takes its lock up front).
            let tx = domain.write().await?;
            let ids: Vec<crate::ids::ChatId> = chat::Entity::find()
                .select_only()
                .column(chat::Column::Id)
                .filter(chat::Column::Status.eq(ChatStatus::Completed))
                .filter(chat::Column::ClosedAt.lt(cutoff))
                .filter(chat::Column::OrganizationId.in_subquery(orgs.clone()))
                .limit(BATCH)
                .into_tuple()
                .all(&tx)
                .await?;
            if ids.is_empty() {
                break;
            }
            let keys: Vec<String> = attachment::Entity::find()
                .select_only()
                .column(attachment::Column::StorageKey)
                .filter(attachment::Column::ChatId.is_in(ids.iter().copied()))
                .into_tuple()
                .all(&tx)
                .await?;
            let deleted = chat::Entity::delete_many()
                .filter(chat::Column::Id.is_in(ids.iter().copied()))
                .exec(&tx)
                .await?
                .rows_affected;
            tx.commit().await?;
            for key in keys {
                if let Err(error) = domain.file_store.delete(&key).await {
                    tracing::warn!(?error, key, "a pruned chat's file stays on disk");
                }
            }
            total += deleted;
            if (ids.len() as u64) < BATCH {
                break;
            }
        }
        Ok(total)
    }

    /// Sessions, pending sign-ins and throttle counts a day after they stopped mattering.
    async fn prune_sign_in_leftovers(self, now: DateTime<Utc>) -> Result<u64> {
        let db = &self.domain.db;
        let before = now - GRACE;
        let mut total =
            delete_in_batches::<session::Entity>(db, id_in(session::Column::Id), || {
                session::Entity::find()
                    .select_only()
                    .column(session::Column::Id)
                    .filter(
                        session::Column::ExpiresAt
                            .lt(before)
                            .or(session::Column::RevokedAt.lt(before)),
                    )
                    .limit(BATCH)
                    .into_query()
            })
            .await?;
        total += crm_sign_in::Entity::delete_many()
            .filter(crm_sign_in::Column::ExpiresAt.lt(before))
            .exec(db)
            .await?
            .rows_affected;
        total += oauth_login_state::Entity::delete_many()
            .filter(oauth_login_state::Column::ExpiresAt.lt(before))
            .exec(db)
            .await?
            .rows_affected;
        // A count the throttle has forgotten, with no block still running.
        let forgotten = now - self.domain.config.throttle.forget_after - GRACE;
        total += delete_in_batches::<sign_in_throttle::Entity>(
            db,
            id_in(sign_in_throttle::Column::Key),
            || {
                sign_in_throttle::Entity::find()
                    .select_only()
                    .column(sign_in_throttle::Column::Key)
                    .filter(sign_in_throttle::Column::LastFailureAt.lt(forgotten))
                    .filter(
                        sign_in_throttle::Column::BlockedUntil
                            .is_null()
                            .or(sign_in_throttle::Column::BlockedUntil.lt(now)),
                    )
                    .limit(BATCH)
                    .into_query()
            },
        )
        .await?;
        Ok(total)
    }
}

/// Each retention (in days) the organizations use, with the query of those using it: most
/// share the default, so there are few.
async fn policies(
    db: &impl ConnectionTrait, column: organization_settings::Column,
) -> Result<Vec<(Duration, SelectStatement)>> {
    let values: Vec<Option<i32>> = organization_settings::Entity::find()
        .select_only()
        .column(column)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(values
        .into_iter()
        .flatten()
        .filter(|days| *days > 0)
        .map(|days| {
            let orgs = Query::select()
                .column(organization_settings::Column::OrganizationId)
                .from(organization_settings::Entity)
                .and_where(Expr::col(column).eq(days))
                .to_owned();
            (Duration::days(i64::from(days)), orgs)
        })
        .collect())
}

/// Deletes, for each value of `policy` in use, the rows of the organizations using it whose age
/// is past the policy (and at least `floor`) and that `also` selects. `columns`: the table's key,
/// its organization, its age.
async fn prune_aged<E: EntityTrait>(
    db: &impl ConnectionTrait, now: DateTime<Utc>, policy: organization_settings::Column,
    floor: Duration, [id, organization, age]: [E::Column; 3], also: Condition,
) -> Result<u64> {
    let mut total = 0;
    for (days, orgs) in policies(db, policy).await? {
        let cutoff = now - days.max(floor);
        total += delete_in_batches::<E>(db, id_in(id), || {
            E::find()
                .select_only()
                .column(id)
                .filter(age.lt(cutoff))
                .filter(also.clone())
                .filter(organization.in_subquery(orgs.clone()))
                .limit(BATCH)
                .into_query()
        })
        .await?;
    }
    Ok(total)
}

/// The key condition of a table with a one-column key.
fn id_in(column: impl ColumnTrait) -> impl Fn(SelectStatement) -> Expr {
    move |select| column.in_subquery(select)
}

/// Deletes the rows whose keys `select` finds (at most `BATCH` at a time), until a batch comes
/// back short or `MAX_BATCHES` ran.
async fn delete_in_batches<E: EntityTrait>(
    db: &impl ConnectionTrait, key: impl Fn(SelectStatement) -> Expr,
    select: impl Fn() -> SelectStatement,
) -> Result<u64> {
    let mut total = 0;
    for _ in 0..MAX_BATCHES {
        let deleted = E::delete_many()
            .filter(key(select()))
            .exec(db)
            .await?
            .rows_affected;
        total += deleted;
        if deleted < BATCH {
            break;
        }
    }
    Ok(total)
}
