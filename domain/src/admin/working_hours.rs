//! A queue's automatic replies and working hours (001): a customer whose chat has to wait is told
//! so in the queue's words, and outside the queue's weekly hours (in its own time zone) gets the
//! out-of-hours reply instead.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::entity::queue;
use crate::enums::Weekday;
use crate::error::{DomainError, Result};

/// One opening span of a queue's week: `opens` to `closes` on `day`, as `HH:MM` in the queue's
/// time zone; `closes` may be `24:00`. A span across midnight is two spans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::SimpleObject, async_graphql::InputObject),
    graphql(input_name = "WorkingHoursInput")
)]
pub struct WorkingHours {
    pub day: Weekday,
    /// `HH:MM`, 00:00 to 23:59.
    #[validate(custom(function = "clock_time"))]
    pub opens: String,
    /// `HH:MM` after `opens`, at most 24:00.
    #[validate(custom(function = "clock_time"))]
    pub closes: String,
}

/// Minutes since midnight of an `HH:MM` time; `24:00` is the day's end.
fn minutes(time: &str) -> Option<u32> {
    let (hours, mins) = time.split_once(':')?;
    if hours.len() != 2 || mins.len() != 2 {
        return None;
    }
    let (hours, mins): (u32, u32) = (hours.parse().ok()?, mins.parse().ok()?);
    match (hours, mins) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(hours * 60 + mins),
        _ => None,
    }
}

fn clock_time(time: &str) -> std::result::Result<(), ValidationError> {
    minutes(time).map(|_| ()).ok_or_else(|| {
        ValidationError::new("clock_time").with_message("a time such as 09:00".into())
    })
}

/// A week's spans, checked beyond their fields: each closes after it opens.
pub fn check_week(hours: &[WorkingHours]) -> Result<()> {
    for (index, span) in hours.iter().enumerate() {
        if let (Some(opens), Some(closes)) = (minutes(&span.opens), minutes(&span.closes))
            && opens >= closes
        {
            return Err(DomainError::validation(
                format!("workingHours[{index}].closes"),
                "must come after opens on the same day (a span across midnight is two spans)",
            ));
        }
    }
    Ok(())
}

/// The queue's time zone, checked: an IANA name, UTC when none.
pub fn time_zone(name: Option<&str>) -> Result<Tz> {
    match name {
        None => Ok(Tz::UTC),
        Some(name) => name.parse::<Tz>().map_err(|_| {
            DomainError::validation("timeZone", "An IANA time zone such as Europe/Warsaw")
        }),
    }
}

/// The working hours stored on a queue; none set means the queue is always open.
pub fn working_hours(queue: &queue::Model) -> Vec<WorkingHours> {
    queue
        .working_hours
        .clone()
        .and_then(|hours| serde_json::from_value(hours).ok())
        .unwrap_or_default()
}

/// Whether `now` falls in one of the spans, read in `tz`; no spans: always open.
pub fn is_open(hours: &[WorkingHours], tz: Tz, now: DateTime<Utc>) -> bool {
    if hours.is_empty() {
        return true;
    }
    let local = now.with_timezone(&tz);
    let day = Weekday::of(local.weekday());
    let at = local.hour() * 60 + local.minute();
    hours.iter().any(|span| {
        span.day == day
            && minutes(&span.opens).is_some_and(|opens| opens <= at)
            && minutes(&span.closes).is_some_and(|closes| at < closes)
    })
}

/// Whether `queue` is within its working hours at `now`.
pub fn queue_open(queue: &queue::Model, now: DateTime<Utc>) -> bool {
    is_open(
        &working_hours(queue),
        time_zone(queue.time_zone.as_deref()).unwrap_or(Tz::UTC),
        now,
    )
}

/// What a customer whose chat has to wait in `queue` is told at `now`, if anything: the
/// out-of-hours reply outside the queue's hours (when it has one), else the queue's reply.
pub fn waiting_reply(queue: &queue::Model, now: DateTime<Utc>) -> Option<&str> {
    let open = queue_open(queue, now);
    let out_of_hours = queue.out_of_hours_reply.as_deref().filter(|_| !open);
    out_of_hours.or(queue.queued_reply.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(day: Weekday, opens: &str, closes: &str) -> WorkingHours {
        WorkingHours {
            day,
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn times_are_hours_and_minutes_of_one_day() {
        assert_eq!(minutes("09:30"), Some(570));
        assert_eq!(minutes("24:00"), Some(1440));
        for bad in ["9:30", "24:01", "12:60", "noon", "", "09:30:00"] {
            assert_eq!(minutes(bad), None, "{bad}");
        }
        assert!(span(Weekday::Monday, "09:00", "18:00").validate().is_ok());
        assert!(span(Weekday::Monday, "9", "18:00").validate().is_err());
        assert!(check_week(&[span(Weekday::Monday, "09:00", "24:00")]).is_ok());
        for backwards in [["18:00", "09:00"], ["09:00", "09:00"]] {
            let week = [
                span(Weekday::Monday, "09:00", "18:00"),
                span(Weekday::Tuesday, backwards[0], backwards[1]),
            ];
            match check_week(&week) {
                Err(DomainError::Validation { field, .. }) => {
                    assert_eq!(field, "workingHours[1].closes");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_queue_is_open_in_its_spans_in_its_own_time_zone() {
        let week = [
            span(Weekday::Monday, "09:00", "18:00"),
            span(Weekday::Saturday, "22:00", "24:00"),
        ];
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        // Monday 2026-12-07, 08:30 UTC is 09:30 in Warsaw (CET, UTC+1).
        assert!(is_open(&week, warsaw, at("2026-12-07T08:30:00Z")));
        assert!(!is_open(&week, Tz::UTC, at("2026-12-07T08:30:00Z")));
        // 18:00 is closed: a span ends before its closing minute.
        assert!(!is_open(&week, warsaw, at("2026-12-07T17:00:00Z")));
        assert!(is_open(&week, warsaw, at("2026-12-07T16:59:00Z")));
        // Saturday 23:59 local is still open; Sunday is not.
        assert!(is_open(&week, warsaw, at("2026-12-05T22:59:00Z")));
        assert!(!is_open(&week, warsaw, at("2026-12-05T23:00:00Z")));
        // No hours: always open.
        assert!(is_open(&[], warsaw, at("2026-12-06T03:00:00Z")));
    }
}
