//! A report's vocabulary and its rules, free of the database (O2): the kinds, groupings and
//! input; how one group's values add up (count, average, nearest-rank percentiles, the CSAT
//! distribution); which local period an instant falls in; and how groups become the report's
//! rows, every period present and in order. Both ways of reading the figures (added up in Rust
//! on SQLite, by the database on PostgreSQL) end here, so they cannot order or label apart.

use std::collections::{BTreeMap, HashMap};

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike,
    Utc,
};
use chrono_tz::Tz;
use validator::Validate;

use crate::ids::*;
use crate::presence::rules::StatusTime;

/// The longest period one report covers, and the longest an hourly one does.
pub(crate) const MAX_DAYS: i64 = 366;
pub(crate) const MAX_HOURLY_DAYS: i64 = 31;

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

impl ReportInput {
    /// Whether `at` falls in the period (`from` inclusive, `to` exclusive).
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }
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

/// What one group's values add up to. Times are in seconds; for CSAT the values are scores.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Tally {
    pub count: u64,
    pub average: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    /// CSAT: how many ratings of 1, 2, 3, 4 and 5.
    pub distribution: Vec<u64>,
}

impl Tally {
    /// Count, average and percentiles (nearest rank: the value at rank ⌈p·n⌉, as PostgreSQL's
    /// `percentile_disc`) of a group's values. The two ranks are selected, not sorted for: a
    /// year's million values in linear time.
    pub(crate) fn of(kind: ReportKind, mut values: Vec<f64>) -> Self {
        let count = values.len();
        let timed = kind.is_timed();
        let distribution = if kind == ReportKind::Csat {
            (1..=5)
                .map(|score| values.iter().filter(|v| **v == f64::from(score)).count() as u64)
                .collect()
        } else {
            Vec::new()
        };
        let average = (timed && count > 0).then(|| values.iter().sum::<f64>() / count as f64);
        let (p50, p90) = if timed && count > 0 {
            let index = |p: f64| ((p * count as f64).ceil() as usize).clamp(1, count) - 1;
            let (at_50, at_90) = (index(0.5), index(0.9));
            let (below, p90, _) = values.select_nth_unstable_by(at_90, f64::total_cmp);
            let p90 = *p90;
            // Everything below the 90th rank's place is no greater than it.
            let p50 = if at_50 < at_90 {
                *below.select_nth_unstable_by(at_50, f64::total_cmp).1
            } else {
                p90
            };
            (Some(p50), Some(p90))
        } else {
            (None, None)
        };
        Self {
            count: count as u64,
            average,
            p50,
            p90,
            distribution,
        }
    }

    /// An empty group of `kind` (a period with no chats).
    pub(crate) fn empty(kind: ReportKind) -> Self {
        Self::of(kind, Vec::new())
    }

    fn row(self, key: String, label: String) -> ReportRow {
        ReportRow {
            key,
            label,
            count: self.count,
            average: self.average,
            p50: self.p50,
            p90: self.p90,
            distribution: self.distribution,
            statuses: Vec::new(),
        }
    }
}

impl ReportKind {
    /// Whether the kind has figures beyond a count (an average and percentiles).
    pub(crate) fn is_timed(self) -> bool {
        !matches!(self, Self::Chats | Self::WrapUp)
    }
}

impl ReportGroup {
    pub(crate) fn is_periodic(self) -> bool {
        matches!(self, Self::Hour | Self::Day | Self::Week)
    }
}

/// What a report groups by: the local start of a period, or an operator, queue or topic (none
/// for chats without one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Group {
    Period(NaiveDateTime),
    Of(Option<uuid::Uuid>),
}

/// The periods of a UTC day, each with the instant it starts from, in order.
pub(crate) type DayPeriods = Vec<(DateTime<Utc>, Group)>;

/// Chats' figures added up by group as they are read: what both databases' reading ends in.
pub(crate) struct Tallies {
    kind: ReportKind,
    group_by: ReportGroup,
    tz: Tz,
    groups: HashMap<Group, Vec<f64>>,
    all: Vec<f64>,
}

impl Tallies {
    pub(crate) fn new(input: &ReportInput, tz: Tz) -> Self {
        Self {
            kind: input.kind,
            group_by: input.group_by,
            tz,
            groups: HashMap::new(),
            all: Vec::new(),
        }
    }

    /// The group of a chat with this operator, queue and topic, when the report groups by one of
    /// them (periods depend on the instant).
    pub(crate) fn group_of(
        &self, operator: Option<OperatorId>, queue: Option<QueueId>, topic: Option<TopicId>,
    ) -> Option<Group> {
        match self.group_by {
            ReportGroup::Operator => Some(Group::Of(operator.map(|id| id.0))),
            ReportGroup::Queue => Some(Group::Of(queue.map(|id| id.0))),
            ReportGroup::Topic => Some(Group::Of(topic.map(|id| id.0))),
            ReportGroup::Hour | ReportGroup::Day | ReportGroup::Week => None,
        }
    }

    /// The periods a UTC day's instants fall in, each with the instant it starts from (the
    /// first from the day's start), so that a day of chats is grouped without asking the time
    /// zone about each. Only where every instant of a stretch is surely its period's: the
    /// period holds both its ends and the clocks do not change in it. Otherwise (a day with a
    /// change of the clocks) none, and each chat's period is its own question.
    pub(crate) fn periods_of_utc_day(&self, day: NaiveDate) -> Option<DayPeriods> {
        let offset = |at: DateTime<Utc>| self.tz.offset_from_utc_datetime(&at.naive_utc()).fix();
        let day_start = Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN));
        let day_end = day_start + Duration::days(1);
        let mut periods = Vec::new();
        let mut from = day_start;
        while from < day_end {
            let period = period_of(self.group_by, self.tz, from);
            let until = local_start(self.tz, next_period(self.group_by, period)).min(day_end);
            let last = until - Duration::microseconds(1);
            let sure = from < until
                && period_of(self.group_by, self.tz, last) == period
                && offset(from) == offset(last);
            if !sure {
                return None;
            }
            periods.push((from, Group::Period(period)));
            from = until;
        }
        Some(periods)
    }

    /// The period of a chat closed at `at`.
    pub(crate) fn period(&self, at: DateTime<Utc>) -> Group {
        Group::Period(period_of(self.group_by, self.tz, at))
    }

    /// Adds values to a group; a group is a row only with some.
    pub(crate) fn add(&mut self, group: Group, values: &[f64]) {
        if values.is_empty() {
            return;
        }
        self.all.extend_from_slice(values);
        self.groups
            .entry(group)
            .or_default()
            .extend_from_slice(values);
    }

    /// Each group's tally and the total's.
    pub(crate) fn finish(self) -> (Vec<(Group, Tally)>, Tally) {
        let kind = self.kind;
        let groups = self
            .groups
            .into_iter()
            .map(|(group, values)| (group, Tally::of(kind, values)))
            .collect();
        (groups, Tally::of(kind, self.all))
    }
}

/// How many chats closed in a period, and with each wrap-up reason and each result.
#[derive(Debug, Default)]
pub(crate) struct WrapUps {
    pub chats: u64,
    pub reasons: HashMap<WrapUpReasonId, u64>,
    pub results: HashMap<ChatResultId, u64>,
}

/// The report's rows from its groups: every period of the report present (empty ones as zero)
/// in time order, or the operators, queues or topics by name; `names` names the ids.
pub(crate) fn rows_of(
    input: &ReportInput, tz: Tz, names: &HashMap<uuid::Uuid, String>, groups: Vec<(Group, Tally)>,
    total: Tally,
) -> (Vec<ReportRow>, ReportRow) {
    let mut tallies: HashMap<Group, Tally> = groups.into_iter().collect();
    let rows = if input.group_by.is_periodic() {
        let mut rows = Vec::new();
        let mut start = period_of(input.group_by, tz, input.from);
        while local_start(tz, start) < input.to {
            let tally = tallies
                .remove(&Group::Period(start))
                .unwrap_or_else(|| Tally::empty(input.kind));
            let key = local_start(tz, start).to_rfc3339();
            rows.push(tally.row(key, period_label(input.group_by, start)));
            start = next_period(input.group_by, start);
        }
        rows
    } else {
        // By name, then id, so that two operators of one name keep their order.
        let mut ordered: BTreeMap<(String, String), Tally> = BTreeMap::new();
        for (group, tally) in tallies {
            let (key, label) = match group {
                Group::Of(Some(id)) => (
                    id.to_string(),
                    names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                ),
                _ => ("none".to_owned(), "None".to_owned()),
            };
            ordered.insert((label, key), tally);
        }
        ordered
            .into_iter()
            .map(|((label, key), tally)| tally.row(key, label))
            .collect()
    };
    (rows, total.row("total".into(), "Total".into()))
}

/// A period's start in the report's time zone, as an instant (the earliest, across a change of
/// the clocks).
pub(crate) fn local_start(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
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
pub(crate) fn period_of(group: ReportGroup, tz: Tz, at: DateTime<Utc>) -> NaiveDateTime {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn percentiles_are_nearest_rank_and_csat_counts_each_score() {
        let row = Tally::of(ReportKind::Csat, vec![5.0, 3.0, 4.0, 5.0]);
        assert_eq!(row.count, 4);
        assert_eq!(row.average, Some(4.25));
        assert_eq!(row.p50, Some(4.0));
        assert_eq!(row.p90, Some(5.0));
        assert_eq!(row.distribution, vec![0, 0, 1, 1, 2]);
        let none = Tally::empty(ReportKind::HandleTime);
        assert_eq!((none.count, none.average, none.p50), (0, None, None));
    }

    #[test]
    fn every_period_is_a_row_and_other_groups_go_by_name() {
        let input = |group_by| ReportInput {
            kind: ReportKind::HandleTime,
            from: at("2026-12-01T00:00:00Z"),
            to: at("2026-12-04T00:00:00Z"),
            group_by,
            time_zone: None,
            queue_id: None,
            operator_id: None,
        };
        let second = period_of(ReportGroup::Day, Tz::UTC, at("2026-12-02T10:00:00Z"));
        let tally = Tally::of(ReportKind::HandleTime, vec![30.0, 10.0, 20.0]);
        let (rows, total) = rows_of(
            &input(ReportGroup::Day),
            Tz::UTC,
            &HashMap::new(),
            vec![(Group::Period(second), tally.clone())],
            tally.clone(),
        );
        let days: Vec<_> = rows.iter().map(|r| (r.label.as_str(), r.count)).collect();
        assert_eq!(
            days,
            [("2026-12-01", 0), ("2026-12-02", 3), ("2026-12-03", 0)]
        );
        assert_eq!(rows[1].key, "2026-12-02T00:00:00+00:00");
        assert_eq!((rows[0].average, rows[1].p50), (None, Some(20.0)));
        assert_eq!((total.key.as_str(), total.count), ("total", 3));

        let (zoe, adam) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let names = HashMap::from([(zoe, "Zoe".to_owned()), (adam, "Adam".to_owned())]);
        let (rows, _) = rows_of(
            &input(ReportGroup::Operator),
            Tz::UTC,
            &names,
            vec![
                (Group::Of(Some(zoe)), tally.clone()),
                (Group::Of(None), tally.clone()),
                (Group::Of(Some(adam)), tally.clone()),
            ],
            tally,
        );
        let labels: Vec<_> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["Adam", "None", "Zoe"]);
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

    #[test]
    fn selected_percentiles_are_the_sorted_ones() {
        // A fixed pseudo-random sequence, with repeats, of every length up to 200.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 % 97.0 / 4.0
        };
        for n in 1..=200 {
            let values: Vec<f64> = (0..n).map(|_| next()).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let at = |p: f64| sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
            let tally = Tally::of(ReportKind::HandleTime, values);
            assert_eq!(
                (tally.p50, tally.p90),
                (Some(at(0.5)), Some(at(0.9))),
                "n = {n}"
            );
            assert_eq!(tally.count, n as u64);
        }
    }

    #[test]
    fn a_utc_days_periods_are_its_instants_periods() {
        let zones = [
            "UTC",
            "Europe/Warsaw",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
            "America/Sao_Paulo",
            "Pacific/Chatham",
            "America/Havana",
        ];
        for zone in zones {
            let tz: Tz = zone.parse().unwrap();
            for group_by in [ReportGroup::Day, ReportGroup::Week, ReportGroup::Hour] {
                let input = ReportInput {
                    kind: ReportKind::Chats,
                    from: at("2018-01-01T00:00:00Z"),
                    to: at("2019-01-01T00:00:00Z"),
                    group_by,
                    time_zone: Some(zone.into()),
                    queue_id: None,
                    operator_id: None,
                };
                let tallies = Tallies::new(&input, tz);
                let mut asked_each = 0;
                let mut day = NaiveDate::from_ymd_opt(2018, 1, 1).unwrap();
                while day.year() == 2018 {
                    match tallies.periods_of_utc_day(day) {
                        Some(periods) => {
                            let start = Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN));
                            for minute in (0..24 * 60).step_by(5) {
                                let at = start + Duration::minutes(minute);
                                let found = periods.partition_point(|(from, _)| *from <= at) - 1;
                                assert_eq!(
                                    periods[found].1,
                                    tallies.period(at),
                                    "{zone} {group_by:?} {at}"
                                );
                            }
                        }
                        None => asked_each += 1,
                    }
                    day = day.succ_opt().unwrap();
                }
                // Only the days the clocks change on (two a year, at most) are asked chat by chat.
                assert!(asked_each <= 2, "{zone} {group_by:?}: {asked_each} days");
            }
        }
    }
}
