//! Reports (O2): chats handled, first response and handle time, time in status (B3), ratings
//! (CSAT) and wrap-up reasons and results, over a period, grouped by operator, queue, topic or
//! period (hour, day, week in the organization's time zone, empty periods shown as zero). The
//! figures are computed from the chats themselves, so a report never disagrees with its rows.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use validator::Validate;

use crate::actor::Actor;
use crate::entity::{chat, chat_result, operator, queue, status_log, topic, wrap_up_reason};
use crate::enums::ChatStatus;
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::presence::rules::{StatusTime, time_in_status};
use crate::service::Supervision;
use crate::supervision::Floor;

/// The longest period one report covers, and the longest an hourly one does.
const MAX_DAYS: i64 = 366;
const MAX_HOURLY_DAYS: i64 = 31;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ReportKind {
    /// Chats closed in the period.
    Chats,
    /// From queueing (or creation) to the operator's first message, for chats closed in it.
    FirstResponse,
    /// From acceptance to closing, for chats closed in it.
    HandleTime,
    /// Each operator's time in each status (B3); by operator only.
    StatusTime,
    /// The customers' ratings (1 to 5) of chats closed in the period.
    Csat,
    /// Chats closed with each wrap-up reason, then with each result; `groupBy` is not used.
    WrapUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ReportGroup {
    Operator,
    Queue,
    Topic,
    Hour,
    Day,
    /// Weeks from Monday.
    Week,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ReportInput {
    pub kind: ReportKind,
    /// The period's start (inclusive).
    pub from: DateTime<Utc>,
    /// The period's end (exclusive): at most 366 days after `from`, 31 for hourly reports.
    pub to: DateTime<Utc>,
    pub group_by: ReportGroup,
    /// The IANA time zone periods are counted in (`Europe/Warsaw`); UTC by default.
    #[validate(length(max = 64))]
    pub time_zone: Option<String>,
    /// Only this queue's chats.
    pub queue_id: Option<QueueId>,
    /// Only this operator's chats.
    pub operator_id: Option<OperatorId>,
}

/// One group's figures. Times are in seconds; for CSAT the figures are the scores.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportRow {
    /// The group: an id, `none` (no operator, queue or topic), or the period's start (RFC 3339).
    pub key: String,
    /// The group as people read it: a name, or the period's local date and time.
    pub label: String,
    pub count: u64,
    pub average: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    /// CSAT: how many ratings of 1, 2, 3, 4 and 5.
    pub distribution: Vec<u64>,
    /// STATUS_TIME: the seconds in each status.
    pub statuses: Vec<StatusTime>,
}

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
    wrap_up_reason_id: Option<WrapUpReasonId>,
    result_id: Option<ChatResultId>,
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
        let (rows, total) = if input.kind == ReportKind::StatusTime {
            self.status_time(db, actor, &floor, &input).await?
        } else {
            let chats = closed_chats(db, actor, &floor, &input).await?;
            if input.kind == ReportKind::WrapUp {
                wrap_ups(db, &chats).await?
            } else {
                let labels = Labels::read(db, input.group_by, &chats).await?;
                figures(&input, time_zone, &labels, &chats)
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
        self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        floor: &Floor,
        input: &ReportInput,
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

/// The floor's chats closed in the period, narrowed as asked.
async fn closed_chats(
    db: &impl ConnectionTrait,
    actor: &Actor,
    floor: &Floor,
    input: &ReportInput,
) -> Result<Vec<Closed>> {
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
            chat::Column::WrapUpReasonId,
            chat::Column::ResultId,
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
    Ok(chats.into_model::<Closed>().all(db).await?)
}

/// The names of the operators, queues or topics a report groups by.
#[derive(Default)]
struct Labels(HashMap<uuid::Uuid, String>);

impl Labels {
    async fn read(db: &impl ConnectionTrait, group: ReportGroup, chats: &[Closed]) -> Result<Self> {
        let mut names = HashMap::new();
        match group {
            ReportGroup::Operator => {
                let ids: Vec<OperatorId> = chats.iter().filter_map(|c| c.operator_id).collect();
                for op in operator::Entity::find()
                    .filter(operator::Column::Id.is_in(ids))
                    .all(db)
                    .await?
                {
                    names.insert(op.id.0, name_of(&op));
                }
            }
            ReportGroup::Queue => {
                let ids: Vec<QueueId> = chats.iter().filter_map(|c| c.queue_id).collect();
                for q in queue::Entity::find()
                    .filter(queue::Column::Id.is_in(ids))
                    .all(db)
                    .await?
                {
                    names.insert(q.id.0, q.name);
                }
            }
            ReportGroup::Topic => {
                let ids: Vec<TopicId> = chats.iter().filter_map(|c| c.topic_id).collect();
                for t in topic::Entity::find()
                    .filter(topic::Column::Id.is_in(ids))
                    .all(db)
                    .await?
                {
                    names.insert(t.id.0, t.name);
                }
            }
            ReportGroup::Hour | ReportGroup::Day | ReportGroup::Week => {}
        }
        Ok(Self(names))
    }

    fn row(&self, id: Option<uuid::Uuid>) -> (String, String) {
        match id {
            Some(id) => (
                id.to_string(),
                self.0.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            ),
            None => ("none".into(), "None".into()),
        }
    }
}

/// A period's start in the report's time zone, as an instant (the earliest, across a change of
/// the clocks).
fn local_start(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&naive)
        .earliest()
        // A start that falls in a gap (clocks moved forward) begins an hour later.
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

/// The local start of the period `at` falls in.
fn period_of(group: ReportGroup, tz: Tz, at: DateTime<Utc>) -> NaiveDateTime {
    let local = at.with_timezone(&tz).naive_local();
    let day = local.date();
    match group {
        ReportGroup::Hour => {
            day.and_time(NaiveTime::from_hms_opt(local.time().hour(), 0, 0).unwrap())
        }
        ReportGroup::Week => {
            let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
            monday.and_time(NaiveTime::MIN)
        }
        _ => day.and_time(NaiveTime::MIN),
    }
}

fn next_period(group: ReportGroup, start: NaiveDateTime) -> NaiveDateTime {
    match group {
        ReportGroup::Hour => start + Duration::hours(1),
        ReportGroup::Week => start + Duration::days(7),
        _ => start + Duration::days(1),
    }
}

fn period_label(group: ReportGroup, start: NaiveDateTime) -> String {
    match group {
        ReportGroup::Hour => start.format("%Y-%m-%d %H:00").to_string(),
        _ => start.format("%Y-%m-%d").to_string(),
    }
}

/// Groups the chats and adds each group up; periods with no chats are rows of zero.
fn figures(
    input: &ReportInput,
    tz: Tz,
    labels: &Labels,
    chats: &[Closed],
) -> (Vec<ReportRow>, ReportRow) {
    let kind = input.kind;
    let periodic = matches!(
        input.group_by,
        ReportGroup::Hour | ReportGroup::Day | ReportGroup::Week
    );
    // Keyed for order: periods by time, the others by label then key.
    let mut groups: BTreeMap<(String, String), (String, Vec<f64>)> = BTreeMap::new();
    if periodic {
        let mut start = period_of(input.group_by, tz, input.from);
        while local_start(tz, start) < input.to {
            let key = local_start(tz, start).to_rfc3339();
            groups.insert(
                (key.clone(), String::new()),
                (period_label(input.group_by, start), Vec::new()),
            );
            start = next_period(input.group_by, start);
        }
    }
    let mut all = Vec::new();
    for chat in chats {
        let Some(value) = chat.value(kind) else {
            continue;
        };
        all.push(value);
        let (order, key, label) = if periodic {
            let start = period_of(
                input.group_by,
                tz,
                chat.closed_at.unwrap_or(chat.created_at),
            );
            let key = local_start(tz, start).to_rfc3339();
            (
                key.clone(),
                String::new(),
                period_label(input.group_by, start),
            )
        } else {
            let id = match input.group_by {
                ReportGroup::Operator => chat.operator_id.map(|i| i.0),
                ReportGroup::Queue => chat.queue_id.map(|i| i.0),
                _ => chat.topic_id.map(|i| i.0),
            };
            let (key, label) = labels.row(id);
            (label.clone(), key, label)
        };
        groups
            .entry((order, key))
            .or_insert_with(|| (label, Vec::new()))
            .1
            .push(value);
    }
    let rows = groups
        .into_iter()
        .map(|((order, key), (label, values))| {
            let key = if periodic { order } else { key };
            summarise(kind, key, label, values)
        })
        .collect();
    (rows, summarise(kind, "total".into(), "Total".into(), all))
}

/// Count, average and percentiles (nearest rank) of a group's values.
fn summarise(kind: ReportKind, key: String, label: String, mut values: Vec<f64>) -> ReportRow {
    values.sort_by(f64::total_cmp);
    let count = values.len() as u64;
    let timed = !matches!(kind, ReportKind::Chats | ReportKind::WrapUp);
    let rank = |p: f64| -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        let index = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
        Some(values[index])
    };
    let distribution = if kind == ReportKind::Csat {
        (1..=5)
            .map(|score| values.iter().filter(|v| **v == f64::from(score)).count() as u64)
            .collect()
    } else {
        Vec::new()
    };
    ReportRow {
        key,
        label,
        count,
        average: (timed && count > 0).then(|| values.iter().sum::<f64>() / count as f64),
        p50: if timed { rank(0.5) } else { None },
        p90: if timed { rank(0.9) } else { None },
        distribution,
        statuses: Vec::new(),
    }
}

/// Chats by wrap-up reason, then by result.
async fn wrap_ups(
    db: &impl ConnectionTrait,
    chats: &[Closed],
) -> Result<(Vec<ReportRow>, ReportRow)> {
    let mut reasons: HashMap<WrapUpReasonId, u64> = HashMap::new();
    let mut results: HashMap<ChatResultId, u64> = HashMap::new();
    for chat in chats {
        if let Some(id) = chat.wrap_up_reason_id {
            *reasons.entry(id).or_default() += 1;
        }
        if let Some(id) = chat.result_id {
            *results.entry(id).or_default() += 1;
        }
    }
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
    Ok((
        by_reason,
        row("total".into(), "Total".into(), chats.len() as u64),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn percentiles_are_nearest_rank_and_csat_counts_each_score() {
        let row = summarise(
            ReportKind::Csat,
            "k".into(),
            "l".into(),
            vec![5.0, 3.0, 4.0, 5.0],
        );
        assert_eq!(row.count, 4);
        assert_eq!(row.average, Some(4.25));
        assert_eq!(row.p50, Some(4.0));
        assert_eq!(row.p90, Some(5.0));
        assert_eq!(row.distribution, vec![0, 0, 1, 1, 2]);
        let none = summarise(ReportKind::HandleTime, "k".into(), "l".into(), vec![]);
        assert_eq!((none.count, none.average, none.p50), (0, None, None));
    }

    #[test]
    fn periods_follow_the_local_clock() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        // 23:30 UTC on 1 December is 00:30 on the 2nd in Warsaw.
        let day = period_of(ReportGroup::Day, warsaw, at("2026-12-01T23:30:00Z"));
        assert_eq!(period_label(ReportGroup::Day, day), "2026-12-02");
        assert_eq!(local_start(warsaw, day), at("2026-12-01T23:00:00Z"));
        // Weeks start on Monday: Wednesday 2 December 2026 is in the week of 30 November.
        let week = period_of(ReportGroup::Week, warsaw, at("2026-12-02T12:00:00Z"));
        assert_eq!(period_label(ReportGroup::Week, week), "2026-11-30");
        // The spring change: 02:00 does not exist on 29 March 2026 in Warsaw.
        let gap = chrono::NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap();
        assert_eq!(local_start(warsaw, gap), at("2026-03-29T01:00:00Z"));
    }
}
