//! Login throttling: failed logins per account and per client address earn growing waits, so a
//! password cannot be guessed online at speed, from one address or spread over many accounts.
//!
//! An attempt counts as failed until it succeeds, so parallel guesses cannot all slip in before
//! the first failure is recorded. While a key must wait, every attempt is refused the same way
//! (`RATE_LIMITED`), also with the right password: the answer reveals nothing about it.

use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::error::{ApiError, ApiResult};

/// Longest account key kept: the longest valid e-mail address.
const MAX_ACCOUNT_KEY_LEN: usize = 254;
/// Bounds memory under a spray of distinct e-mails or addresses: an entry is a few dozen bytes.
const CAPACITY: u64 = 100_000;

/// How many failures are free and how the wait grows after them.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures of one account before it must wait.
    pub account_free_failures: u32,
    /// Failures from one client address (over all accounts) before it must wait.
    pub address_free_failures: u32,
    /// The first wait; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// Failures are forgotten after this long without another one.
    pub memory: Duration,
}

impl ThrottlePolicy {
    /// The wait after `failures` failures when `free` of them cost nothing: `base_delay`,
    /// doubling per further failure, capped at `max_delay`.
    pub fn delay_after(&self, failures: u32, free: u32) -> Duration {
        let Some(extra) = failures.checked_sub(free) else {
            return Duration::zero();
        };
        let factor = 1i32.checked_shl(extra.min(30)).unwrap_or(i32::MAX);
        (self.base_delay * factor).min(self.max_delay)
    }
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Key {
    Account(String),
    Address(IpAddr),
}

pub struct LoginThrottle {
    policy: ThrottlePolicy,
    failures: moka::sync::Cache<Key, Failures>,
    /// Makes check-and-count one step, so concurrent attempts cannot all pass the check.
    lock: Mutex<()>,
}

/// A login attempt let through; report how it ended with [`LoginThrottle::succeeded`] (a
/// failure needs nothing more: it was counted up front).
#[must_use]
pub struct Attempt {
    account: Key,
    address: Key,
}

impl LoginThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        let memory = policy.memory.to_std().unwrap_or(std::time::Duration::ZERO);
        Self {
            policy,
            failures: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(memory)
                .build(),
            lock: Mutex::new(()),
        }
    }

    /// Lets a login for `account` (the e-mail as typed) from `address` go ahead, counting it as
    /// a failure until it succeeds; `RATE_LIMITED` while either must wait.
    pub fn attempt(
        &self,
        account: &str,
        address: IpAddr,
        now: DateTime<Utc>,
    ) -> ApiResult<Attempt> {
        let account = Key::Account(account_key(account));
        let address = Key::Address(address);
        let _guard = self
            .lock
            .lock()
            .map_err(|_| ApiError::Internal("login throttle lock poisoned".into()))?;
        let keys = [
            (&account, self.policy.account_free_failures),
            (&address, self.policy.address_free_failures),
        ];
        let wait = keys
            .iter()
            .map(|(key, free)| self.wait(key, *free, now))
            .max()
            .unwrap_or_else(Duration::zero);
        if wait > Duration::zero() {
            let millis = u64::try_from(wait.num_milliseconds()).unwrap_or(0);
            return Err(ApiError::RateLimited {
                retry_after_secs: millis.div_ceil(1000),
            });
        }
        for (key, _) in keys {
            let count = self.current(key, now).map_or(0, |f| f.count);
            self.failures.insert(
                key.clone(),
                Failures {
                    count: count.saturating_add(1),
                    last: now,
                },
            );
        }
        Ok(Attempt { account, address })
    }

    /// The right password: the account starts afresh, and the address gets back the failure
    /// counted up front (only that one, so a valid account cannot wash out other guesses).
    pub fn succeeded(&self, attempt: Attempt) {
        let Ok(_guard) = self.lock.lock() else {
            return;
        };
        self.failures.invalidate(&attempt.account);
        if let Some(failures) = self.failures.get(&attempt.address) {
            match failures.count {
                0 | 1 => self.failures.invalidate(&attempt.address),
                count => self.failures.insert(
                    attempt.address,
                    Failures {
                        count: count - 1,
                        ..failures
                    },
                ),
            }
        }
    }

    fn current(&self, key: &Key, now: DateTime<Utc>) -> Option<Failures> {
        self.failures
            .get(key)
            .filter(|failures| now - failures.last < self.policy.memory)
    }

    fn wait(&self, key: &Key, free: u32, now: DateTime<Utc>) -> Duration {
        self.current(key, now)
            .map_or_else(Duration::zero, |failures| {
                let until = failures.last + self.policy.delay_after(failures.count, free);
                (until - now).max(Duration::zero())
            })
    }
}

/// The account as typed, in the form logins compare it (trimmed, lower case), bounded in size.
fn account_key(account: &str) -> String {
    account
        .trim()
        .chars()
        .take(MAX_ACCOUNT_KEY_LEN)
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            account_free_failures: 3,
            address_free_failures: 5,
            base_delay: Duration::seconds(2),
            max_delay: Duration::seconds(60),
            memory: Duration::hours(1),
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(seconds)
    }

    const ADDRESS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn retry_after(result: ApiResult<Attempt>) -> u64 {
        match result {
            Err(ApiError::RateLimited { retry_after_secs }) => retry_after_secs,
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => panic!("attempt was let through"),
        }
    }

    #[test]
    fn delay_is_free_then_doubles_up_to_the_cap() {
        let policy = policy();
        let delays: Vec<i64> = (0..12)
            .map(|n| policy.delay_after(n, 3).num_seconds())
            .collect();
        assert_eq!(delays, [0, 0, 0, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        assert_eq!(policy.delay_after(u32::MAX, 0), policy.max_delay);
    }

    #[test]
    fn an_account_waits_longer_after_each_failure() {
        let throttle = LoginThrottle::new(policy());
        for _ in 0..3 {
            let _ = throttle.attempt("A@b.co", ADDRESS, at(0)).expect("free");
        }
        assert_eq!(retry_after(throttle.attempt(" a@B.co", ADDRESS, at(1))), 1);
        let _ = throttle.attempt("a@b.co", ADDRESS, at(2)).expect("waited");
        assert_eq!(retry_after(throttle.attempt("a@b.co", ADDRESS, at(2))), 4);
        // Another account from the same address is not held up by this one.
        let _ = throttle
            .attempt("c@d.co", ADDRESS, at(2))
            .expect("other account");
    }

    #[test]
    fn success_resets_the_account_but_not_the_address() {
        let throttle = LoginThrottle::new(policy());
        for _ in 0..2 {
            let _ = throttle.attempt("a@b.co", ADDRESS, at(0)).expect("free");
        }
        let good = throttle.attempt("a@b.co", ADDRESS, at(0)).expect("free");
        throttle.succeeded(good);
        for _ in 0..3 {
            let _ = throttle.attempt("a@b.co", ADDRESS, at(0)).expect("fresh");
        }
        // Five failures from the address in all: the sixth attempt, for anyone, waits.
        assert_eq!(retry_after(throttle.attempt("x@y.co", ADDRESS, at(0))), 2);
    }

    #[test]
    fn failures_are_forgotten_after_the_memory() {
        let throttle = LoginThrottle::new(policy());
        for _ in 0..6 {
            let _ = throttle.attempt("a@b.co", ADDRESS, at(0));
        }
        assert!(throttle.attempt("a@b.co", ADDRESS, at(1)).is_err());
        let _ = throttle
            .attempt("a@b.co", ADDRESS, at(3600))
            .expect("forgotten");
    }
}
