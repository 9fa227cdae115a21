//! Reports as CSV (O2): `GET /reports/{kind}.csv?from=&to=&groupBy=&timeZone=&queueId=&operatorId=`
//! with the session (`Authorization: Bearer …`): UTF-8 with a header row, the numbers of the
//! GraphQL `report` for the same arguments. `kind` is the report's kind in kebab case (`chats`,
//! `first-response`, `handle-time`, `status-time`, `csat`, `wrap-up`); `groupBy` as in GraphQL
//! (`DAY`), `from` and `to` in RFC 3339.

use async_graphql::EnumType;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use omnipanel_domain::DomainError;
use omnipanel_domain::supervision::{Report, ReportGroup, ReportInput, ReportKind, ReportRow};
use serde::Deserialize;

use super::refusal::Refusal;
use super::signed_in;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    #[serde(rename = "groupBy")]
    group_by: Option<String>,
    #[serde(rename = "timeZone")]
    time_zone: Option<String>,
    #[serde(rename = "queueId")]
    queue_id: Option<String>,
    #[serde(rename = "operatorId")]
    operator_id: Option<String>,
}

/// A kind as a path spells it: its GraphQL name in lower case, with hyphens (`first-response`).
fn path_name(graphql_name: &str) -> String {
    graphql_name.to_ascii_lowercase().replace('_', "-")
}

/// The value of the enum `T` whose GraphQL name, as `spelled`, is `name`, or the refusal on
/// `field` that lists the names.
fn named<T: EnumType>(
    name: Option<&str>, spelled: fn(&str) -> String, field: &'static str, how: &str,
) -> Result<T, Refusal> {
    let items = T::items();
    name.and_then(|name| items.iter().find(|item| spelled(item.name) == name))
        .map(|item| item.value)
        .ok_or_else(|| {
            let names: Vec<String> = items.iter().map(|item| spelled(item.name)).collect();
            Refusal::validation(field, format!("One of {}{how}", names.join(", ")))
        })
}

/// `GET /reports/{kind}.csv`.
#[tracing::instrument(skip_all)]
pub async fn csv(
    State(state): State<AppState>, Path(file): Path<String>,
    params: Result<Query<Params>, QueryRejection>, headers: HeaderMap,
) -> Response {
    let actor = match signed_in(&state.domain, &headers, "Sign in first").await {
        Ok(actor) => actor,
        Err(refused) => return Refusal::from(refused).into_response(),
    };
    let input = match params
        .map_err(|rejection| Refusal::validation("query", rejection.body_text()))
        .and_then(|Query(params)| input(&file, params))
    {
        Ok(input) => input,
        Err(refusal) => return refusal.into_response(),
    };
    let kind = file.trim_end_matches(".csv").to_owned();
    match state.domain.supervision().report(&actor, input).await {
        Ok(report) => match write(&report) {
            Ok(body) => (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&format!(
                            "attachment; filename=\"report-{kind}.csv\""
                        ))
                        .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                ],
                body,
            )
                .into_response(),
            Err(error) => Refusal::from(DomainError::Internal(error.to_string())).into_response(),
        },
        Err(error) => Refusal::from(error).into_response(),
    }
}

/// The report the path and the query ask for, or the refusal naming what is wrong.
fn input(file: &str, params: Params) -> Result<ReportInput, Refusal> {
    let kind = named::<ReportKind>(
        file.strip_suffix(".csv"),
        path_name,
        "kind",
        ", as <kind>.csv",
    )?;
    let instant = |value: Option<String>, field: &'static str| -> Result<DateTime<Utc>, Refusal> {
        value
            .as_deref()
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| Refusal::validation(field, "An RFC 3339 date and time is required"))
    };
    let group_by = params.group_by.map(|g| g.to_ascii_uppercase());
    let group_by = named::<ReportGroup>(group_by.as_deref(), str::to_owned, "groupBy", "")?;
    Ok(ReportInput {
        kind,
        from: instant(params.from, "from")?,
        to: instant(params.to, "to")?,
        group_by,
        time_zone: params.time_zone,
        queue_id: id(params.queue_id, "queueId")?,
        operator_id: id(params.operator_id, "operatorId")?,
    })
}

/// An optional id in the query.
fn id<T: std::str::FromStr>(
    value: Option<String>, field: &'static str,
) -> Result<Option<T>, Refusal> {
    value
        .map(|v| {
            v.parse()
                .map_err(|_| Refusal::validation(field, "is not a valid id"))
        })
        .transpose()
}

/// The report as CSV: a header row, a row per group, then the total.
fn write(report: &Report) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let kind = report.input.kind;
    let rows = report.rows.iter().chain(std::iter::once(&report.total));
    match kind {
        ReportKind::StatusTime => {
            out.write_record(["key", "label", "status", "seconds"])?;
            for row in rows {
                for status in &row.statuses {
                    out.write_record([
                        row.key.as_str(),
                        row.label.as_str(),
                        status.status.as_str(),
                        &status.seconds.to_string(),
                    ])?;
                }
            }
        }
        ReportKind::Chats | ReportKind::WrapUp => {
            out.write_record(["key", "label", "count"])?;
            for row in rows {
                out.write_record([row.key.as_str(), row.label.as_str(), &row.count.to_string()])?;
            }
        }
        ReportKind::FirstResponse | ReportKind::HandleTime | ReportKind::Csat => {
            let mut header = vec!["key", "label", "count", "average", "p50", "p90"];
            if kind == ReportKind::Csat {
                header.extend(["rated_1", "rated_2", "rated_3", "rated_4", "rated_5"]);
            }
            out.write_record(&header)?;
            for row in rows {
                out.write_record(figures(row))?;
            }
        }
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// A row's count, average, percentiles and (CSAT) distribution, as written.
fn figures(row: &ReportRow) -> Vec<String> {
    let number = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
    let mut record = vec![
        row.key.clone(),
        row.label.clone(),
        row.count.to_string(),
        number(row.average),
        number(row.p50),
        number(row.p90),
    ];
    record.extend(row.distribution.iter().map(u64::to_string));
    record
}
