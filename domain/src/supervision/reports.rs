//! Reports (O2): chats handled, first response and handle time, time in status (B3), ratings
//! (CSAT) and wrap-up reasons and results, over a period, grouped by operator, queue, topic or
//! period (hour, day, week in the organization's time zone, empty periods shown as zero). The
//! figures are each chat's own, so a report never disagrees with its rows: on SQLite read from
//! the chats, on PostgreSQL from the closed chats the database packs by day (`closed_days.rs`);
//! both add up in Rust ([`Tallies`]).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use crate::actor::Actor;
use crate::entity::{chat, chat_result, operator, queue, status_log, topic, wrap_up_reason};
use crate::enums::ChatStatus;
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::presence::rules::time_in_status;
use crate::service::Supervision;
use crate::supervision::report_rules::{
    Group, MAX_DAYS, MAX_HOURLY_DAYS, ReportGroup, ReportInput, ReportKind, ReportRow, Tallies,
    Tally, WrapUps, rows_of,
};
use crate::supervision::{Floor, closed_days};

#[derive(Clone, Debug)]
pub struct Report {
    pub input: ReportInput,
    pub time_zone: Tz,
    pub rows: Vec<ReportRow>,
    /// All groups together.
    pub total: ReportRow,
}

/// What a report reads of a closed chat.
#[derive(Clone, Debug, FromQueryResult)]
struct Closed {
    queue_id: Option<QueueId>,
    operator_id: Option<OperatorId>,
    topic_id: Option<TopicId>,
    created_at: DateTime<Utc>,
    queued_at: Option<DateTime<Utc>>,
    accepted_at: Option<DateTime<Utc>>,
    first_response_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    rating: Option<i16>,
}

impl Closed {
    /// The figure the report adds up for this chat, if it has one.
    fn value(&self, kind: ReportKind) -> Option<f64> {
        let secs = |d: Duration| d.num_milliseconds() as f64 / 1000.0;
        match kind {
            ReportKind::Chats | ReportKind::WrapUp | ReportKind::StatusTime => Some(0.0),
            ReportKind::FirstResponse => Some(secs(
                self.first_response_at? - self.queued_at.unwrap_or(self.created_at),
            )),
            ReportKind::HandleTime => Some(secs(self.closed_at? - self.accepted_at?)),
            ReportKind::Csat => self.rating.map(f64::from),
        }
    }

    /// Adds the chat's figure, if it has one, to its group (the SQLite path).
    fn add_to(&self, tallies: &mut Tallies, kind: ReportKind) {
        let Some(value) = self.value(kind) else {
            return;
        };
        let group = tallies
            .group_of(self.operator_id, self.queue_id, self.topic_id)
            .unwrap_or_else(|| tallies.period(self.closed_at.unwrap_or(self.created_at)));
        tallies.add(group, &[value]);
    }
}

impl Supervision<'_> {
    /// A report over the caller's floor (SUPERVISOR and above).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, kind = ?input.kind))]
    pub async fn report(self, actor: &Actor, input: ReportInput) -> Result<Report> {
        crate::validate::check(&input)?;
        let time_zone = parse_time_zone(input.time_zone.as_deref())?;
        check_period(&input)?;
        let db = &self.domain.db;
        let floor = Floor::of(db, actor).await?;
        if let Some(id) = input.queue_id {
            let found = queue::Entity::find_by_id(id).one(db).await?;
            let visible = found.is_some_and(|q| q.organization_id == actor.organization_id)
                && floor.covers(id);
            if !visible {
                return Err(DomainError::validation("queueId", "No such queue"));
            }
        }
        if let Some(id) = input.operator_id {
            let found = operator::Entity::find_by_id(id).one(db).await?;
            if found.is_none_or(|o| o.organization_id != actor.organization_id) {
                return Err(DomainError::validation("operatorId", "No such operator"));
            }
        }
        let closed = closed_in(actor, &floor, &input);
        let (rows, total) = match input.kind {
            ReportKind::StatusTime => self.status_time(db, actor, &floor, &input).await?,
            ReportKind::WrapUp => {
                let counted = if db.get_database_backend() == DatabaseBackend::Postgres {
                    closed_days::wrap_ups(db, actor, &floor, &input).await?
                } else {
                    count_wrap_ups(db, closed).await?
                };
                wrap_up_rows(db, counted).await?
            }
            _ => {
                let mut tallies = Tallies::new(&input, time_zone);
                if db.get_database_backend() == DatabaseBackend::Postgres {
                    closed_days::add(db, actor, &floor, &input, &mut tallies).await?;
                } else {
                    for chat in closed.into_model::<Closed>().all(db).await? {
                        chat.add_to(&mut tallies, input.kind);
                    }
                }
                let (groups, total) = tallies.finish();
                let names = names(db, input.group_by, &groups).await?;
                rows_of(&input, time_zone, &names, groups, total)
            }
        };
        Ok(Report {
            input,
            time_zone,
            rows,
            total,
        })
    }

    /// B3: each operator's seconds in each status, clipped to the period.
    async fn status_time(
        self, db: &impl ConnectionTrait, actor: &Actor, floor: &Floor, input: &ReportInput,
    ) -> Result<(Vec<ReportRow>, ReportRow)> {
        if input.group_by != ReportGroup::Operator {
            return Err(DomainError::validation(
                "groupBy",
                "Time in status is reported by OPERATOR",
            ));
        }
        let mut operators = operator::Entity::find()
            .filter(operator::Column::OrganizationId.eq(actor.organization_id))
            .order_by_asc(operator::Column::FirstName)
            .order_by_asc(operator::Column::Id);
        if let Some(id) = input.operator_id {
            operators = operators.filter(operator::Column::Id.eq(id));
        }
        let queues = match floor {
            Floor::Queues(queues) => queues.as_slice(),
            Floor::Organization => &[],
        };
        if let Some(members) = floor.members(queues) {
            operators = operators.filter(operator::Column::Id.in_subquery(members));
        }
        let operators = operators.all(db).await?;
        let log = status_log::Entity::find()
            .filter(status_log::Column::OperatorId.is_in(operators.iter().map(|o| o.id)))
            .filter(status_log::Column::StartedAt.lt(input.to))
            .filter(
                status_log::Column::EndedAt
                    .gt(input.from)
                    .or(status_log::Column::EndedAt.is_null()),
            )
            .all(db)
            .await?;
        let mut by_operator: HashMap<OperatorId, Vec<status_log::Model>> = HashMap::new();
        for stretch in log {
            by_operator
                .entry(stretch.operator_id)
                .or_default()
                .push(stretch);
        }
        let now = self.domain.now();
        let mut all = Vec::new();
        let rows = operators
            .into_iter()
            .map(|op| {
                let stretches = by_operator.remove(&op.id).unwrap_or_default();
                all.extend(stretches.iter().cloned());
                ReportRow {
                    key: op.id.to_string(),
                    label: name_of(&op),
                    statuses: time_in_status(&stretches, input.from, input.to, now),
                    ..ReportRow::default()
                }
            })
            .collect();
        let total = ReportRow {
            key: "total".into(),
            label: "Total".into(),
            statuses: time_in_status(&all, input.from, input.to, now),
            ..ReportRow::default()
        };
        Ok((rows, total))
    }
}

/// An operator as a report names them.
fn name_of(op: &operator::Model) -> String {
    format!("{} {}", op.first_name, op.last_name)
        .trim()
        .to_owned()
}

fn parse_time_zone(name: Option<&str>) -> Result<Tz> {
    match name {
        None => Ok(Tz::UTC),
        Some(name) => name.parse::<Tz>().map_err(|_| {
            DomainError::validation("timeZone", "An IANA time zone such as Europe/Warsaw")
        }),
    }
}

fn check_period(input: &ReportInput) -> Result<()> {
    if input.to <= input.from {
        return Err(DomainError::validation("to", "must be after from"));
    }
    let days = if matches!(input.group_by, ReportGroup::Hour) {
        MAX_HOURLY_DAYS
    } else {
        MAX_DAYS
    };
    if input.to - input.from > Duration::days(days) {
        return Err(DomainError::validation(
            "to",
            format!("A report of this grouping covers at most {days} days"),
        ));
    }
    Ok(())
}

/// The floor's chats closed in the period, narrowed as asked: what a report adds up, and what
/// the Rust path reads of each ([`Closed`]).
fn closed_in(actor: &Actor, floor: &Floor, input: &ReportInput) -> Select<chat::Entity> {
    let mut chats = chat::Entity::find()
        .select_only()
        .columns([
            chat::Column::QueueId,
            chat::Column::OperatorId,
            chat::Column::TopicId,
            chat::Column::CreatedAt,
            chat::Column::QueuedAt,
            chat::Column::AcceptedAt,
            chat::Column::FirstResponseAt,
            chat::Column::ClosedAt,
            chat::Column::Rating,
        ])
        .filter(chat::Column::OrganizationId.eq(actor.organization_id))
        .filter(chat::Column::Status.eq(ChatStatus::Completed))
        .filter(chat::Column::ClosedAt.gte(input.from))
        .filter(chat::Column::ClosedAt.lt(input.to));
    if let Floor::Queues(queues) = floor {
        chats = chats.filter(chat::Column::QueueId.is_in(queues.iter().copied()));
    }
    if let Some(id) = input.queue_id {
        chats = chats.filter(chat::Column::QueueId.eq(id));
    }
    if let Some(id) = input.operator_id {
        chats = chats.filter(chat::Column::OperatorId.eq(id));
    }
    chats
}

/// The names of the operators, queues or topics a report's groups are.
async fn names(
    db: &impl ConnectionTrait, group: ReportGroup, groups: &[(Group, Tally)],
) -> Result<HashMap<uuid::Uuid, String>> {
    let ids: Vec<uuid::Uuid> = groups
        .iter()
        .filter_map(|(group, _)| match group {
            Group::Of(id) => *id,
            Group::Period(_) => None,
        })
        .collect();
    match group {
        ReportGroup::Operator => {
            named(db, operator::Column::Id, ids, |op| (op.id.0, name_of(&op))).await
        }
        ReportGroup::Queue => named(db, queue::Column::Id, ids, |q| (q.id.0, q.name)).await,
        ReportGroup::Topic => named(db, topic::Column::Id, ids, |t| (t.id.0, t.name)).await,
        ReportGroup::Hour | ReportGroup::Day | ReportGroup::Week => Ok(HashMap::new()),
    }
}

/// The rows of `ids` (by the id column `id`), each as its id and name.
async fn named<C: ColumnTrait<EntityName: EntityTrait<Column = C>>>(
    db: &impl ConnectionTrait, id: C, ids: Vec<uuid::Uuid>,
    name: impl Fn(<C::EntityName as EntityTrait>::Model) -> (uuid::Uuid, String),
) -> Result<HashMap<uuid::Uuid, String>> {
    Ok(C::EntityName::find()
        .filter(id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(name)
        .collect())
}

/// The chats `closed` selects counted by the database (the SQLite path).
async fn count_wrap_ups(
    db: &impl ConnectionTrait, closed: Select<chat::Entity>,
) -> Result<WrapUps> {
    let reasons = count_by::<WrapUpReasonId>(db, &closed, chat::Column::WrapUpReasonId).await?;
    let results = count_by::<ChatResultId>(db, &closed, chat::Column::ResultId).await?;
    let chats: i64 = closed
        .select_only()
        .column_as(chat::Column::Id.count(), "n")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    Ok(WrapUps {
        chats: u64::try_from(chats).unwrap_or(0),
        reasons,
        results,
    })
}

/// How many of the chats `closed` selects have each value of `column` (nulls left out).
async fn count_by<Id>(
    db: &impl ConnectionTrait, closed: &Select<chat::Entity>, column: chat::Column,
) -> Result<HashMap<Id, u64>>
where
    Id: Eq + std::hash::Hash,
    (Id, i64): sea_orm::TryGetableMany,
{
    Ok(closed
        .clone()
        .select_only()
        .column(column)
        .column_as(chat::Column::Id.count(), "n")
        .filter(column.is_not_null())
        .group_by(column)
        .into_tuple::<(Id, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Chats by wrap-up reason, then by result, each by name.
async fn wrap_up_rows(
    db: &impl ConnectionTrait, counted: WrapUps,
) -> Result<(Vec<ReportRow>, ReportRow)> {
    let WrapUps {
        chats,
        reasons,
        results,
    } = counted;
    let reason_names = wrap_up_reason::Entity::find()
        .filter(wrap_up_reason::Column::Id.is_in(reasons.keys().copied()))
        .all(db)
        .await?;
    let result_names = chat_result::Entity::find()
        .filter(chat_result::Column::Id.is_in(results.keys().copied()))
        .all(db)
        .await?;
    let row = |key: String, label: String, count: u64| ReportRow {
        key,
        label,
        count,
        ..ReportRow::default()
    };
    let mut by_reason: Vec<ReportRow> = reason_names
        .into_iter()
        .map(|r| row(format!("reason:{}", r.id), r.name, reasons[&r.id]))
        .collect();
    by_reason.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    let mut by_result: Vec<ReportRow> = result_names
        .into_iter()
        .map(|r| row(format!("result:{}", r.id), r.name, results[&r.id]))
        .collect();
    by_result.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    by_reason.extend(by_result);
    Ok((by_reason, row("total".into(), "Total".into(), chats)))
}
