//! Sign-in throttling. Failed sign-ins are counted per account and per client address in the
//! database (so every instance sees them). After a number of free failures each further failure
//! blocks that key for a doubling period, capped; the block always ends, so the right password
//! is never locked out for good, and a success clears the account's count.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::sign_in_throttle;
use crate::error::{DomainError, Result};

/// How hard sign-in failures are throttled.
#[derive(Clone, Debug)]
pub struct ThrottlePolicy {
    /// Failures of one account before it is blocked.
    pub account_free_failures: i32,
    /// Failures from one client address (over all accounts) before it is blocked.
    pub address_free_failures: i32,
    /// Web chat conversations one client address may start (within `forget_after` of each
    /// other) before it waits like a throttled sign-in.
    pub webchat_free_starts: i32,
    /// The first block; each further failure doubles it.
    pub base_block: Duration,
    /// The longest block.
    pub max_block: Duration,
    /// A key's failures are forgotten after this long without another.
    pub forget_after: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account_free_failures: 5,
            address_free_failures: 30,
            webchat_free_starts: 20,
            base_block: Duration::seconds(30),
            max_block: Duration::minutes(15),
            forget_after: Duration::hours(1),
        }
    }
}

impl ThrottlePolicy {
    /// How long a key is blocked after its `failures`-th failure, if at all.
    pub fn block_for(&self, failures: i32, free: i32) -> Option<Duration> {
        if failures < free {
            return None;
        }
        let doublings = (failures - free).min(20) as u32;
        let block = self.base_block * 2i32.pow(doublings.min(20));
        Some(block.min(self.max_block))
    }
}

/// The throttle key of an account (an e-mail, whether or not it exists).
pub fn account_key(email: &str) -> String {
    format!("account:{email}")
}

/// The throttle key of a client address.
pub fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// The throttle key of web chat conversations started from a client address.
pub fn webchat_key(address: &str) -> String {
    format!("webchat:{address}")
}

/// Refuses with `LIMIT_EXCEEDED` while any of `keys` is blocked.
pub async fn check(db: &impl ConnectionTrait, keys: &[String], now: DateTime<Utc>) -> Result<()> {
    match blocked_for(db, keys, now).await? {
        Some(seconds) => Err(DomainError::LimitExceeded(
            format!("Too many failed sign-in attempts; try again in {seconds} seconds").into(),
        )),
        None => Ok(()),
    }
}

/// How many seconds the longest block among `keys` still lasts, if any is blocked.
pub async fn blocked_for(
    db: &impl ConnectionTrait, keys: &[String], now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let rows = sign_in_throttle::Entity::find()
        .filter(sign_in_throttle::Column::Key.is_in(keys.iter().cloned()))
        .all(db)
        .await?;
    let wait = rows
        .iter()
        .filter_map(|row| row.blocked_until)
        .filter(|until| *until > now)
        .max()
        .map(|until| (until - now).num_seconds().max(1));
    Ok(wait)
}

/// Counts one failure against `key` and blocks it when the policy says so.
pub async fn record_failure(
    db: &impl ConnectionTrait, policy: &ThrottlePolicy, key: String, free: i32, now: DateTime<Utc>,
) -> Result<()> {
    // Make sure the row exists, then lock it, so concurrent failures all count.
    sign_in_throttle::Entity::insert(sign_in_throttle::ActiveModel {
        key: Set(key.clone()),
        failures: Set(0),
        last_failure_at: Set(now),
        blocked_until: Set(None),
    })
    .on_conflict_do_nothing_on([sign_in_throttle::Column::Key])
    .exec(db)
    .await?;
    let row = sign_in_throttle::Entity::find_by_id(key.clone())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| DomainError::Internal("throttle row vanished".into()))?;
    let failures = if now - row.last_failure_at > policy.forget_after {
        1
    } else {
        row.failures + 1
    };
    let blocked_until = policy.block_for(failures, free).map(|block| now + block);
    sign_in_throttle::Entity::update(sign_in_throttle::ActiveModel {
        key: Set(key),
        failures: Set(failures),
        last_failure_at: Set(now),
        blocked_until: Set(blocked_until),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Forgets an account's failures after a successful sign-in.
pub async fn clear(db: &impl ConnectionTrait, key: String) -> Result<()> {
    sign_in_throttle::Entity::delete_by_id(key).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn blocks_start_after_the_free_failures_and_double_up_to_the_cap() {
        let policy = ThrottlePolicy::default();
        assert_eq!(policy.block_for(4, 5), None);
        assert_eq!(policy.block_for(5, 5), Some(Duration::seconds(30)));
        assert_eq!(policy.block_for(6, 5), Some(Duration::seconds(60)));
        assert_eq!(policy.block_for(7, 5), Some(Duration::seconds(120)));
        assert_eq!(policy.block_for(50, 5), Some(Duration::minutes(15)));
        assert_eq!(policy.block_for(i32::MAX, 5), Some(Duration::minutes(15)));
    }
}
