//! The event outbox and its fan-out (ARCHITECTURE.md 3, X1).
//!
//! A service appends events in its own transaction; each event names its recipient (an operator,
//! a chat or a queue) and carries that recipient's next sequence number, taken in the same transaction
//! from the recipient's counter in `event_streams` (whose row lock orders concurrent
//! transactions), so a recipient's events are gap-free and in commit order.
//!
//! After commit the service announces notices on the bus: this instance's subscribers wake at
//! once, other instances' through `pg_notify` sent after the commit (`ports/events.rs`: never
//! inside the transaction, where it would make every commit wait for the one before). A notice
//! is only a wake-up: subscribers read the events themselves from the outbox, from the last
//! sequence they saw, so a lost or duplicated notice never loses or repeats an event. The events
//! committed here are handed to this instance's tails first (`event_tails.rs`), so its own
//! subscribers read them from memory.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Expr, ExprTrait, PostgresQueryBuilder, QueryStatementWriter, SqlWriterValues,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};

use uuid::Uuid;

use crate::entity::{chat, event, event_stream};
use crate::enums::{EventKind, RecipientKind};
use crate::error::{DomainError, Result};
use crate::ids::{ChatId, EventId, OperatorId, OrganizationId, QueueId};
use crate::ports::events::{EventBus, Notice};

/// SQLite: the most events one insert writes (nine parameters each).
const EVENTS_PER_INSERT: usize = 2_000;

/// One event waiting for its transaction to commit.
#[derive(Debug)]
pub(crate) struct Pending {
    id: EventId,
    organization_id: OrganizationId,
    recipient_kind: RecipientKind,
    recipient_id: Uuid,
    kind: EventKind,
    chat_id: Option<ChatId>,
    payload: serde_json::Value,
    at: DateTime<Utc>,
}

/// The events one transaction causes. They are written by [`Outbox::flush`] at the end of the
/// transaction: each recipient's counter is taken then, recipients in a fixed order, so two
/// transactions never wait on each other's counters in opposite orders (no deadlock), and the
/// counters are held only for the last moments of the transaction.
#[must_use = "flush the outbox in its transaction and publish it after the commit"]
#[derive(Debug, Default)]
pub struct Outbox {
    pending: Vec<Pending>,
    notices: Vec<Notice>,
    /// The events as flushed, with their sequence numbers: what subscribers on this instance
    /// are served from memory once the transaction commits (`event_tails.rs`).
    written: Vec<event::Model>,
    /// Whether the transaction queued outbound deliveries.
    deliveries: bool,
    /// PostgreSQL: the change's last writes, rendered as data-modifying CTEs (with their
    /// values) to run in the events' statement, ahead of them ([`Outbox::lead`]).
    lead: Option<SqlWriterValues>,
    leads: usize,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues an event for an operator's panel.
    pub fn to_operator(
        &mut self, organization_id: OrganizationId, operator_id: OperatorId, kind: EventKind,
        chat_id: Option<ChatId>, payload: serde_json::Value, now: DateTime<Utc>,
    ) {
        let recipient = (RecipientKind::Operator, operator_id.0);
        self.push(organization_id, recipient, kind, chat_id, payload, now);
    }

    /// Queues an event on a chat's own stream (`chatEvents`).
    pub fn to_chat(
        &mut self, organization_id: OrganizationId, chat_id: ChatId, kind: EventKind,
        payload: serde_json::Value, now: DateTime<Utc>,
    ) {
        let recipient = (RecipientKind::Chat, chat_id.0);
        self.push(
            organization_id,
            recipient,
            kind,
            Some(chat_id),
            payload,
            now,
        );
    }

    /// Queues an event on a queue's stream (`queueEvents`): for everyone who sees its waiting
    /// chats, one event however many they are.
    pub fn to_queue(
        &mut self, organization_id: OrganizationId, queue_id: QueueId, kind: EventKind,
        chat_id: ChatId, payload: serde_json::Value, now: DateTime<Utc>,
    ) {
        let recipient = (RecipientKind::Queue, queue_id.0);
        self.push(
            organization_id,
            recipient,
            kind,
            Some(chat_id),
            payload,
            now,
        );
    }

    fn push(
        &mut self, organization_id: OrganizationId,
        (recipient_kind, recipient_id): (RecipientKind, Uuid), kind: EventKind,
        chat_id: Option<ChatId>, payload: serde_json::Value, at: DateTime<Utc>,
    ) {
        self.pending.push(Pending {
            id: EventId::new(),
            organization_id,
            recipient_kind,
            recipient_id,
            kind,
            chat_id,
            payload,
            at,
        });
    }

    /// Tells an operator what happened to a chat for them (`kind`), and the chat's own stream
    /// that it changed (`CHAT_UPDATED`), with the same payload.
    pub fn to_operator_and_chat(
        &mut self, chat: &chat::Model, operator_id: OperatorId, kind: EventKind,
        payload: serde_json::Value, now: DateTime<Utc>,
    ) {
        self.to_operator(
            chat.organization_id,
            operator_id,
            kind,
            Some(chat.id),
            payload.clone(),
            now,
        );
        self.to_chat(
            chat.organization_id,
            chat.id,
            EventKind::ChatUpdated,
            payload,
            now,
        );
    }

    /// PostgreSQL: runs `write` in the statement that writes the events, ahead of them, rather
    /// than as a statement of its own: one round trip fewer for each. Only for a change's last
    /// writes, which nothing after them in the transaction reads or references (they happen at
    /// [`Self::flush`]); writes led this way run in the order given, and none may change a row
    /// another one changes.
    pub(crate) fn lead(&mut self, write: &impl QueryStatementWriter) {
        self.lead_with(|lead| write.build_collect_into(PostgresQueryBuilder, lead));
    }

    /// [`Self::lead`] for a write sea-query does not build: `write` renders it, its values as
    /// parameters (`SqlWriter::push_param`).
    pub(crate) fn lead_with(&mut self, write: impl FnOnce(&mut SqlWriterValues)) {
        use std::fmt::Write;
        let lead = self
            .lead
            .get_or_insert_with(|| SqlWriterValues::new("$", true));
        let separator = if self.leads == 0 { "" } else { ", " };
        let _ = write!(lead, "{separator}lead_{} AS (", self.leads);
        write(lead);
        let _ = lead.write_str(")");
        self.leads += 1;
    }

    /// Writes the queued events with their recipients' next sequence numbers. Call last in the
    /// transaction. However many recipients there are, this is one statement on PostgreSQL (the
    /// counters advanced and the events written by one data-modifying CTE) and two on SQLite
    /// (every counter advanced at once, then the events in one insert, per 2,000).
    pub async fn flush(&mut self, db: &impl ConnectionTrait) -> Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        let mut lead = self.lead.take().map(|lead| {
            let (sql, values) = lead.into_parts();
            (sql, values.0)
        });
        if pending.is_empty() {
            if let Some((ctes, values)) = lead {
                let sql = format!("WITH {ctes} SELECT 1");
                db.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    sql,
                    values,
                ))
                .await?;
            }
            return Ok(());
        }
        // A stable sort: each recipient's events keep the order they happened in, and counters
        // are taken in one fixed order, so two transactions never deadlock on them.
        pending.sort_by_key(|p| (p.recipient_kind.as_str(), p.recipient_id));
        // Each event's sequence number, in `pending`'s order.
        let mut seqs = Vec::with_capacity(pending.len());
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let notices = write_events(db, &pending, lead.take()).await?;
            seqs.extend(numbered(&pending, &notices));
            self.notices.extend(notices);
            self.written = written(pending, seqs);
            return Ok(());
        }
        let groups: Vec<&[Pending]> = by_recipient(&pending).collect();
        let counts: Vec<(RecipientKind, Uuid, i64)> = groups
            .iter()
            .map(|g| (g[0].recipient_kind, g[0].recipient_id, g.len() as i64))
            .collect();
        let mut lasts = Vec::with_capacity(counts.len());
        for slice in counts.chunks(EVENTS_PER_INSERT) {
            lasts.extend(take_seqs(db, slice).await?);
        }
        for (group, last) in groups.iter().zip(lasts) {
            let notice = Notice {
                recipient_kind: group[0].recipient_kind,
                recipient_id: group[0].recipient_id,
                seq: last,
                organization_id: Some(group[0].organization_id.0),
            };
            seqs.extend(numbered(group, &[notice]));
            self.notices.push(notice);
        }
        let written = written(pending, seqs);
        // One insert, in slices that stay well under the parameters a statement may carry (a
        // change routed to a queue of hundreds tells each member).
        for slice in written.chunks(EVENTS_PER_INSERT) {
            event::Entity::insert_many(slice.iter().cloned().map(event::ActiveModel::from))
                .exec(db)
                .await?;
        }
        self.written = written;
        Ok(())
    }

    /// The events as written, each with its sequence number, recipient by recipient; for this
    /// instance's subscribers once the transaction has committed.
    pub(crate) fn take_written(&mut self) -> Vec<event::Model> {
        std::mem::take(&mut self.written)
    }

    /// Announces the flushed events, here and to other instances; call after the commit.
    pub fn publish(self, bus: &EventBus) {
        for notice in self.notices {
            bus.announce(notice);
        }
    }

    /// Notes that the transaction queued deliveries, so the workers wake at commit.
    pub fn wake_deliveries(&mut self) {
        self.deliveries = true;
    }

    pub fn wakes_deliveries(&self) -> bool {
        self.deliveries
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.notices.is_empty()
    }
}

/// Each event's sequence number, in the order of `sorted`, from its recipients' notices (one
/// each, in the same order): a notice's number is its recipient's last event's, the ones
/// before count down from it.
fn numbered<'a>(sorted: &'a [Pending], notices: &'a [Notice]) -> impl Iterator<Item = i64> + 'a {
    by_recipient(sorted)
        .zip(notices)
        .flat_map(|(group, notice)| notice.seq - group.len() as i64 + 1..=notice.seq)
}

/// The rows `pending` became, numbered by `seqs` (in the same order).
fn written(pending: Vec<Pending>, seqs: Vec<i64>) -> Vec<event::Model> {
    pending
        .into_iter()
        .zip(seqs)
        .map(|(event, seq)| event::Model {
            id: event.id,
            organization_id: event.organization_id,
            recipient_kind: event.recipient_kind,
            recipient_id: event.recipient_id,
            seq,
            kind: event.kind.as_str().to_owned(),
            chat_id: event.chat_id,
            payload: event.payload,
            created_at: event.at,
        })
        .collect()
}

/// Advances each recipient's counter by its count, in one statement, and returns the new values
/// in the order given (which must be sorted: the rows are locked in that order). A counter row
/// is created at its first event.
async fn take_seqs(
    db: &impl ConnectionTrait, counts: &[(RecipientKind, Uuid, i64)],
) -> Result<Vec<i64>> {
    use sea_orm::sea_query::{Alias, OnConflict, Query};
    let mut insert = Query::insert();
    insert
        .into_table(event_stream::Entity)
        .columns([
            event_stream::Column::RecipientKind,
            event_stream::Column::RecipientId,
            event_stream::Column::Seq,
        ])
        .on_conflict(
            OnConflict::columns([
                event_stream::Column::RecipientKind,
                event_stream::Column::RecipientId,
            ])
            .value(
                event_stream::Column::Seq,
                Expr::col((event_stream::Entity, event_stream::Column::Seq)).add(Expr::col((
                    Alias::new("excluded"),
                    event_stream::Column::Seq,
                ))),
            )
            .to_owned(),
        )
        .returning(Query::returning().columns([
            event_stream::Column::RecipientKind,
            event_stream::Column::RecipientId,
            event_stream::Column::Seq,
        ]));
    for (kind, recipient, count) in counts {
        insert.values_panic([kind.as_str().into(), (*recipient).into(), (*count).into()]);
    }
    let taken = Taken::from_rows(db.query_all(&insert).await?)?;
    counts
        .iter()
        .map(|(kind, recipient, _)| taken.seq(*kind, *recipient))
        .collect()
}

/// The counters a statement advanced, as it returned them.
struct Taken(std::collections::HashMap<(String, Uuid), i64>);

impl Taken {
    fn from_rows(rows: Vec<sea_orm::QueryResult>) -> Result<Self> {
        let mut taken = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let kind: String = row.try_get("", "recipient_kind")?;
            let recipient: Uuid = row.try_get("", "recipient_id")?;
            let seq: i64 = row.try_get("", "seq")?;
            taken.insert((kind, recipient), seq);
        }
        Ok(Self(taken))
    }

    /// The recipient's last sequence number now.
    fn seq(&self, kind: RecipientKind, recipient: Uuid) -> Result<i64> {
        self.0
            .get(&(kind.as_str().to_owned(), recipient))
            .copied()
            .ok_or(DomainError::not_found("event stream"))
    }
}

/// Sorted events, one slice per recipient.
fn by_recipient(sorted: &[Pending]) -> impl Iterator<Item = &[Pending]> {
    sorted.chunk_by(|a, b| a.recipient_kind == b.recipient_kind && a.recipient_id == b.recipient_id)
}

/// PostgreSQL: advances each recipient's counter by its number of events (in the order given,
/// which must be sorted: the counter rows are locked in that order) and writes the events with
/// the numbers taken, in one statement, after the `lead` writes (CTEs and their values) if any;
/// returns each recipient's notice, to announce after the commit.
///
/// The events go as ten arrays, one a column, that the statement unnests: its text and its
/// parameters are the same however many events there are, so each connection prepares and
/// plans it once, and a change that tells a queue of hundreds binds ten values, not thousands.
async fn write_events(
    db: &impl ConnectionTrait, sorted: &[Pending], lead: Option<(String, Vec<sea_orm::Value>)>,
) -> Result<Vec<Notice>> {
    let (ctes, mut values) = lead.unwrap_or_default();
    // Per event, its recipient's place among the recipients (`grp`: counters are taken in that
    // order) and how many of that recipient's events in the statement come after it (`back`).
    let mut groups = Vec::new();
    let (mut grps, mut backs) = (
        Vec::with_capacity(sorted.len()),
        Vec::with_capacity(sorted.len()),
    );
    for (grp, group) in by_recipient(sorted).enumerate() {
        groups.push((
            group[0].recipient_kind,
            group[0].recipient_id,
            group[0].organization_id,
        ));
        grps.extend(std::iter::repeat_n(grp as i32, group.len()));
        backs.extend((0..group.len() as i64).rev());
    }
    fn column<T>(sorted: &[Pending], of: impl Fn(&Pending) -> T) -> Vec<T> {
        sorted.iter().map(of).collect()
    }
    let first = values.len() + 1;
    // In the order of `arrays` below and of the statement's `u` columns.
    values.extend([
        column(sorted, |e| e.id.0).into(),
        column(sorted, |e| e.organization_id.0).into(),
        column(sorted, |e| e.recipient_kind.as_str().to_owned()).into(),
        column(sorted, |e| e.recipient_id).into(),
        grps.into(),
        backs.into(),
        column(sorted, |e| e.kind.as_str().to_owned()).into(),
        // An array's elements cannot be NULL here: no chat is the nil id, read back as NULL.
        column(sorted, |e| e.chat_id.map_or(Uuid::nil(), |c| c.0)).into(),
        column(sorted, |e| e.payload.to_string()).into(),
        column(sorted, |e| e.at).into(),
    ]);
    let arrays = [
        "uuid[]",
        "uuid[]",
        "varchar[]",
        "uuid[]",
        "int[]",
        "bigint[]",
        "varchar[]",
        "uuid[]",
        "text[]",
        "timestamptz[]",
    ]
    .iter()
    .enumerate()
    .map(|(k, array)| format!("${}::{array}", first + k))
    .collect::<Vec<_>>()
    .join(", ");
    let lead = if ctes.is_empty() {
        String::new()
    } else {
        format!("{ctes}, ")
    };
    let sql = format!(
        "WITH {lead}v AS (\
            SELECT id, organization_id, recipient_kind, recipient_id, grp, back, kind, \
                NULLIF(chat_id, '00000000-0000-0000-0000-000000000000') AS chat_id, \
                payload::json AS payload, created_at \
            FROM unnest({arrays}) AS u (id, organization_id, recipient_kind, recipient_id, grp, \
                back, kind, chat_id, payload, created_at)\
         ), s AS (\
            INSERT INTO event_streams (recipient_kind, recipient_id, seq) \
            SELECT recipient_kind, recipient_id, count(*) FROM v \
            GROUP BY grp, recipient_kind, recipient_id ORDER BY grp \
            ON CONFLICT (recipient_kind, recipient_id) \
            DO UPDATE SET seq = event_streams.seq + excluded.seq \
            RETURNING recipient_kind, recipient_id, seq\
         ), e AS (\
            INSERT INTO events (id, organization_id, recipient_kind, recipient_id, seq, kind, \
                chat_id, payload, created_at) \
            SELECT v.id, v.organization_id, v.recipient_kind, v.recipient_id, s.seq - v.back, \
                v.kind, v.chat_id, v.payload, v.created_at \
            FROM v JOIN s USING (recipient_kind, recipient_id)\
         ) \
         SELECT recipient_kind, recipient_id, seq FROM s",
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let taken = Taken::from_rows(rows)?;
    groups
        .into_iter()
        .map(|(recipient_kind, recipient_id, organization_id)| {
            Ok(Notice {
                recipient_kind,
                recipient_id,
                seq: taken.seq(recipient_kind, recipient_id)?,
                organization_id: Some(organization_id.0),
            })
        })
        .collect()
}

/// A recipient's latest sequence number (0 before its first event). A panel reads it before it
/// loads what it shows, then follows the events after it.
pub async fn latest_seq(
    db: &impl ConnectionTrait, recipient_kind: RecipientKind, recipient_id: Uuid,
) -> Result<i64> {
    Ok(
        event_stream::Entity::find_by_id((recipient_kind, recipient_id))
            .one(db)
            .await?
            .map_or(0, |row| row.seq),
    )
}

/// The latest sequence numbers of several recipients of one kind (0 before their first event),
/// in one read.
pub async fn latest_seqs(
    db: &impl ConnectionTrait, recipient_kind: RecipientKind, recipient_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, i64>> {
    let mut seqs: std::collections::HashMap<Uuid, i64> =
        recipient_ids.iter().map(|id| (*id, 0)).collect();
    let rows: Vec<(Uuid, i64)> = event_stream::Entity::find()
        .select_only()
        .columns([event_stream::Column::RecipientId, event_stream::Column::Seq])
        .filter(event_stream::Column::RecipientKind.eq(recipient_kind))
        .filter(event_stream::Column::RecipientId.is_in(recipient_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    seqs.extend(rows);
    Ok(seqs)
}

/// A recipient's events after `after`, oldest first, at most `limit`.
pub async fn since(
    db: &impl ConnectionTrait, recipient_kind: RecipientKind, recipient_id: Uuid, after: i64,
    limit: u64,
) -> Result<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::RecipientKind.eq(recipient_kind))
        .filter(event::Column::RecipientId.eq(recipient_id))
        .filter(event::Column::Seq.gt(after))
        .order_by_asc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}
