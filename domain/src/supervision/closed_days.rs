//! A report's chats read on PostgreSQL from `closed_chats_by_day` (O2): closed chats packed by
//! organization, UTC day, queue, operator and topic, one array per figure, kept by the database
//! in the transactions that change the chats (migration 14). A year of an organization is a few
//! thousand rows; each chat's own instant and figure are in them, so the period is cut to the
//! microsecond, local periods follow the report's time zone, and percentiles stay exact. The
//! figures then add up in Rust as SQLite's do ([`Tallies`]).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use sea_orm::sqlx::{self, AssertSqlSafe};
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr};

use crate::actor::Actor;
use crate::error::{DomainError, Result};
use crate::ids::{ChatResultId, OperatorId, QueueId, TopicId, WrapUpReasonId};
use crate::supervision::Floor;
use crate::supervision::report_rules::{DayPeriods, ReportInput, ReportKind, Tallies, WrapUps};

/// One organization's chats closed on one UTC day with one queue, operator and topic (the nil
/// UUID for none): the day, the queue, operator and topic, how many chats, their closing instants
/// (not read for a whole day: [`whole_days`]) and, in the same order, the report's figure of
/// each (milliseconds, or a rating; none for a count).
type Day = (
    NaiveDate,
    uuid::Uuid,
    uuid::Uuid,
    uuid::Uuid,
    i32,
    Option<Vec<DateTime<Utc>>>,
    Option<Vec<Option<i64>>>,
);

/// The figure column a report reads, or none when it only counts.
fn figures(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::FirstResponse => "first_response_ms",
        ReportKind::HandleTime => "handle_ms",
        ReportKind::Csat => "rating::bigint[]",
        ReportKind::Chats | ReportKind::WrapUp | ReportKind::StatusTime => "NULL::bigint[]",
    }
}

fn known(id: uuid::Uuid) -> Option<uuid::Uuid> {
    (!id.is_nil()).then_some(id)
}

/// Which of an organization's days a report reads: those its period touches, of the floor's
/// queues, narrowed as asked; the instants of the whole days (`$7`) are left out. Binds `$1` to
/// `$7` ([`read`]).
const DAYS_READ: &str = "FROM closed_chats_by_day \
    WHERE organization_id = $1 AND day BETWEEN $2 AND $3 \
      AND ($4::uuid[] IS NULL OR queue_id = ANY($4)) \
      AND ($5::uuid IS NULL OR queue_id = $5) \
      AND ($6::uuid IS NULL OR operator_id = $6)";

/// The closing instants of a day's chats, unless the day is whole.
const INSTANTS: &str = "CASE WHEN day = ANY($7) THEN NULL ELSE closed_at END";

/// The UTC day of the period's last instant.
fn last_day(input: &ReportInput) -> NaiveDate {
    (input.to - Duration::microseconds(1)).date_naive()
}

/// The UTC days the period touches.
fn days(input: &ReportInput) -> impl Iterator<Item = NaiveDate> {
    let last = last_day(input);
    input
        .from
        .date_naive()
        .iter_days()
        .take_while(move |day| *day <= last)
}

/// The UTC days inside the period whose chats all fall in one group (`in_one_group`): their
/// chats all count, and their instants need not be read (for a year's report, nearly every day).
fn whole_days(input: &ReportInput, in_one_group: impl Fn(NaiveDate) -> bool) -> Vec<NaiveDate> {
    days(input)
        .filter(|day| {
            let start = Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN));
            input.from <= start && start + Duration::days(1) <= input.to && in_one_group(*day)
        })
        .collect()
}

/// The days a report reads, `columns` of each.
async fn read<T>(
    db: &DatabaseConnection, actor: &Actor, floor: &Floor, input: &ReportInput,
    whole: &[NaiveDate], columns: &str,
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let queues: Option<Vec<uuid::Uuid>> = match floor {
        Floor::Queues(queues) => Some(queues.iter().map(|q| q.0).collect()),
        Floor::Organization => None,
    };
    // The only text put in is fixed column expressions.
    sqlx::query_as(AssertSqlSafe(format!("SELECT {columns} {DAYS_READ}")))
        .bind(actor.organization_id.0)
        .bind(input.from.date_naive())
        .bind(last_day(input))
        .bind(queues)
        .bind(input.queue_id.map(|q| q.0))
        .bind(input.operator_id.map(|o| o.0))
        .bind(whole)
        .fetch_all(db.get_postgres_connection_pool())
        .await
        .map_err(|error| DbErr::Query(RuntimeErr::SqlxError(error.into())).into())
}

/// Adds the figures of the floor's chats closed in the report's period, narrowed as asked.
pub(crate) async fn add(
    db: &DatabaseConnection, actor: &Actor, floor: &Floor, input: &ReportInput,
    tallies: &mut Tallies,
) -> Result<()> {
    // Each day's local periods, asked of the time zone once (periodic reports only).
    let periods: HashMap<NaiveDate, Option<DayPeriods>> = if input.group_by.is_periodic() {
        days(input)
            .map(|day| (day, tallies.periods_of_utc_day(day)))
            .collect()
    } else {
        HashMap::new()
    };
    let whole = whole_days(input, |day| {
        !input.group_by.is_periodic()
            || periods
                .get(&day)
                .and_then(Option::as_ref)
                .is_some_and(|periods| periods.len() == 1)
    });
    let columns = format!(
        "day, queue_id, operator_id, topic_id, cardinality(closed_at), {INSTANTS}, {}",
        figures(input.kind)
    );
    let days: Vec<Day> = read(db, actor, floor, input, &whole, &columns).await?;
    let value: fn(i64) -> f64 = match input.kind {
        ReportKind::FirstResponse | ReportKind::HandleTime => |ms| ms as f64 / 1000.0,
        _ => |figure| figure as f64,
    };
    // The figures gathered for each group of a day before they join it.
    let mut gathered: Vec<Vec<f64>> = Vec::new();
    for (day, queue, operator, topic, count, closed_at, day_figures) in days {
        let figure = |i: usize| match &day_figures {
            Some(figures) => figures.get(i).copied().flatten().map(value),
            None => Some(0.0),
        };
        let count = usize::try_from(count).unwrap_or(0);
        // Each chat's instant (none on a whole day) and figure, if it has one in the period.
        let figures = (0..count).filter_map(|i| {
            let at = match &closed_at {
                Some(instants) => Some(*instants.get(i)?),
                None => None,
            };
            let counted = at.is_none_or(|at| input.covers(at));
            counted.then_some((at, figure(i)?))
        });
        let of = tallies.group_of(
            known(operator).map(OperatorId),
            known(queue).map(QueueId),
            known(topic).map(TopicId),
        );
        if let Some(group) = of {
            gathered.resize_with(1, Vec::new);
            gathered[0].clear();
            gathered[0].extend(figures.map(|(_, figure)| figure));
            tallies.add(group, &gathered[0]);
            continue;
        }
        match periods.get(&day).and_then(Option::as_ref) {
            Some(periods) => {
                gathered.resize_with(periods.len(), Vec::new);
                gathered.iter_mut().for_each(Vec::clear);
                for (at, figure) in figures {
                    // A whole day is one period.
                    let period =
                        at.map_or(0, |at| periods.partition_point(|(from, _)| *from <= at) - 1);
                    gathered[period].push(figure);
                }
                for ((_, group), figures) in periods.iter().zip(&gathered) {
                    tallies.add(*group, figures);
                }
            }
            None => {
                for (at, figure) in figures {
                    // Never a whole day: a day of a change of the clocks has no periods.
                    let at = at.ok_or_else(|| {
                        DomainError::Internal(format!("{day} read as whole, has no periods"))
                    })?;
                    tallies.add(tallies.period(at), &[figure]);
                }
            }
        }
    }
    Ok(())
}

/// Counts the floor's chats closed in the report's period, narrowed as asked, by wrap-up reason
/// and by result.
pub(crate) async fn wrap_ups(
    db: &DatabaseConnection, actor: &Actor, floor: &Floor, input: &ReportInput,
) -> Result<WrapUps> {
    type Closed = (
        Option<Vec<DateTime<Utc>>>,
        Vec<Option<uuid::Uuid>>,
        Vec<Option<uuid::Uuid>>,
    );
    // Wrap-ups are not grouped: every day inside the period is whole.
    let whole = whole_days(input, |_| true);
    let columns = format!("{INSTANTS}, wrap_up_reason_id, result_id");
    let days: Vec<Closed> = read(db, actor, floor, input, &whole, &columns).await?;
    let mut counted = WrapUps::default();
    for (closed_at, reasons, results) in days {
        for (i, (reason, result)) in reasons.into_iter().zip(results).enumerate() {
            let at = closed_at.as_ref().and_then(|instants| instants.get(i));
            if at.is_some_and(|at| !input.covers(*at)) {
                continue;
            }
            counted.chats += 1;
            if let Some(id) = reason {
                *counted.reasons.entry(WrapUpReasonId(id)).or_default() += 1;
            }
            if let Some(id) = result {
                *counted.results.entry(ChatResultId(id)).or_default() += 1;
            }
        }
    }
    Ok(counted)
}
