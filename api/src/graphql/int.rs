//! GraphQL's `Int` is 32 bits: counts and durations from the domain, clamped to it.

use chrono::Duration;

/// A count (or any integer) as an `Int`, `i32::MAX` past it.
pub fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

/// Whole seconds as an `Int`.
pub fn secs(d: Duration) -> i32 {
    int(d.num_seconds())
}
