//! A report's figures added up by PostgreSQL (O2): one statement groups the period's chats,
//! counts, averages and takes the nearest-rank percentiles (`percentile_disc`) of each group and
//! of all of them together (`GROUPING SETS`), so a report over a year of history reads a few
//! hundred rows instead of every chat. SQLite adds the same figures up in Rust (`reports.rs`);
//! both end in `report_rules::rows_of`.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, FromQueryResult, QuerySelect,
    QueryTrait, Select, Statement, TransactionTrait,
};

use crate::entity::chat;
use crate::error::{DomainError, Result};
use crate::supervision::report_rules::{Group, ReportGroup, ReportInput, ReportKind, Tally};

/// The figure each chat adds, in seconds (to the millisecond, as `Duration::num_milliseconds`
/// counts) or as a score; chats without one are left out.
fn value(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Chats | ReportKind::WrapUp | ReportKind::StatusTime => "0::float8",
        ReportKind::FirstResponse => {
            "(trunc(extract(epoch FROM first_response_at - coalesce(queued_at, created_at)) \
             * 1000) / 1000)::float8"
        }
        ReportKind::HandleTime => {
            "(trunc(extract(epoch FROM closed_at - accepted_at) * 1000) / 1000)::float8"
        }
        ReportKind::Csat => "rating::float8",
    }
}

/// What a chat is grouped by: its local period's start, or an operator, queue or topic.
fn group(input: &ReportInput, time_zone: &str) -> SimpleExpr {
    let unit = match input.group_by {
        ReportGroup::Hour => "hour",
        ReportGroup::Week => "week",
        ReportGroup::Day => "day",
        ReportGroup::Operator => return Expr::cust("operator_id"),
        ReportGroup::Queue => return Expr::cust("queue_id"),
        ReportGroup::Topic => return Expr::cust("topic_id"),
    };
    Expr::cust_with_values(
        format!("date_trunc('{unit}', coalesce(closed_at, created_at) AT TIME ZONE $1)"),
        [time_zone],
    )
}

/// One row of the statement: a group's figures, or (`is_total`) all groups'.
#[derive(Debug, FromQueryResult)]
struct Figures {
    is_total: bool,
    n: i64,
    average: Option<f64>,
    p50: Option<f64>,
    p90: Option<f64>,
    rated_1: i64,
    rated_2: i64,
    rated_3: i64,
    rated_4: i64,
    rated_5: i64,
}

impl Figures {
    fn tally(&self, kind: ReportKind) -> Tally {
        let timed = kind.is_timed();
        let scores = [
            self.rated_1,
            self.rated_2,
            self.rated_3,
            self.rated_4,
            self.rated_5,
        ]
        .map(|n| n.max(0) as u64);
        let (p50, p90, distribution) = if kind == ReportKind::Csat {
            let at = |p| Tally::score_at(&scores, p);
            (at(0.5), at(0.9), scores.to_vec())
        } else {
            (self.p50, self.p90, Vec::new())
        };
        Tally {
            count: self.n.max(0) as u64,
            average: self.average.filter(|_| timed),
            p50: p50.filter(|_| timed),
            p90: p90.filter(|_| timed),
            distribution,
        }
    }
}

/// Each group's tally and the total's, for the chats `closed` selects. Only durations need
/// their values sorted (`percentile_disc`); counts need nothing more, and the percentiles of
/// scores come from how many there are of each.
pub(crate) async fn tallies(
    db: &DatabaseConnection,
    closed: Select<chat::Entity>,
    input: &ReportInput,
    time_zone: &str,
) -> Result<(Vec<(Group, Tally)>, Tally)> {
    let chats = closed
        .select_only()
        .expr_as(group(input, time_zone), "grp")
        .expr_as(Expr::cust(value(input.kind)), "v")
        .column(chat::Column::Rating)
        .build(DatabaseBackend::Postgres);
    let durations = matches!(
        input.kind,
        ReportKind::FirstResponse | ReportKind::HandleTime
    );
    let (average, p50, p90) = match input.kind {
        _ if durations => (
            "avg(v)",
            "percentile_disc(0.5) WITHIN GROUP (ORDER BY v)",
            "percentile_disc(0.9) WITHIN GROUP (ORDER BY v)",
        ),
        ReportKind::Csat => ("avg(v)", "NULL::float8", "NULL::float8"),
        _ => ("NULL::float8", "NULL::float8", "NULL::float8"),
    };
    let sql = format!(
        "SELECT grp, grouping(grp) = 1 AS is_total, count(v) AS n, {average} AS average, \
            {p50} AS p50, {p90} AS p90, \
            count(*) FILTER (WHERE rating = 1) AS rated_1, \
            count(*) FILTER (WHERE rating = 2) AS rated_2, \
            count(*) FILTER (WHERE rating = 3) AS rated_3, \
            count(*) FILTER (WHERE rating = 4) AS rated_4, \
            count(*) FILTER (WHERE rating = 5) AS rated_5 \
         FROM ({}) AS c WHERE v IS NOT NULL GROUP BY GROUPING SETS ((grp), ())",
        chats.sql
    );
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        sql,
        chats.values.map(|v| v.0).unwrap_or_default(),
    );
    let rows = if durations {
        // A year's durations sort in memory rather than in temporary files (measured: 1.3 s →
        // 0.65 s over a million chats); the setting ends with this read-only transaction.
        let tx = db.begin().await?;
        tx.execute_unprepared("SET LOCAL work_mem = '64MB'").await?;
        let rows = tx.query_all_raw(statement).await;
        // A refused statement is rolled back as the transaction drops; its error is the answer.
        if rows.is_ok() {
            tx.commit().await?;
        }
        rows
    } else {
        db.query_all_raw(statement).await
    }
    .map_err(unknown_time_zone)?;
    let mut groups = Vec::with_capacity(rows.len());
    let mut total = Tally::empty(input.kind);
    for row in rows {
        let figures = Figures::from_query_result(&row, "")?;
        if figures.is_total {
            total = figures.tally(input.kind);
            continue;
        }
        let group = if input.group_by.is_periodic() {
            match row.try_get::<Option<NaiveDateTime>>("", "grp")? {
                Some(start) => Group::Period(start),
                None => continue,
            }
        } else {
            Group::Of(row.try_get::<Option<uuid::Uuid>>("", "grp")?)
        };
        groups.push((group, figures.tally(input.kind)));
    }
    Ok((groups, total))
}

/// A zone chrono-tz knows and PostgreSQL does not is the caller's to change, not an error of ours.
fn unknown_time_zone(error: DbErr) -> DomainError {
    let said = error.to_string();
    if said.contains("time zone") && said.contains("not recognized") {
        DomainError::validation("timeZone", "This time zone is not known to the database")
    } else {
        DomainError::Db(error)
    }
}
