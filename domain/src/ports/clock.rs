//! Time, behind a trait: the server reads a system clock; tests and `serve --test-clock` read a
//! manual one they advance, so SLA, RONA and auto-close rules are tested without sleeping.

use chrono::{DateTime, Duration, DurationRound, Utc};
use std::sync::Mutex;

/// A source of the current time, truncated to microseconds (what PostgreSQL stores), so a value
/// read back from the database equals the value written.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::microseconds(1)).unwrap_or(at)
}

/// The real clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate(Utc::now())
    }
}

/// A clock that moves only when told.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// Starts at the current real time.
    pub fn new() -> Self {
        Self::starting_at(Utc::now())
    }

    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(truncate(at)),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration};

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::new();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::seconds(181));
        assert_eq!(clock.now() - start, Duration::seconds(181));
    }

    #[test]
    fn times_are_truncated_to_microseconds() {
        let at = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(
            ManualClock::starting_at(at).now().timestamp_subsec_nanos(),
            123_456_000
        );
    }
}
