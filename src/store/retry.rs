//! Retrying whole transactions after serialization failures.
//!
//! PostgreSQL at SERIALIZABLE, and the distributed PostgreSQL-compatible
//! databases at any level (CockroachDB, YugabyteDB), abort a transaction that
//! conflicts with another with SQLSTATE 40001 and expect the client to run it
//! again from the start. A deadlock (40P01) is handled alike.
#![cfg_attr(not(feature = "postgres"), allow(dead_code))]

use std::time::Duration;

use crate::store::StoreError;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Attempts in all (the first one included), at least 1.
    pub(crate) max_attempts: u32,
    /// Delay before the second attempt; doubled for each further one.
    pub(crate) base_delay: Duration,
    /// Longest delay between attempts.
    pub(crate) max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(200),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt `n` (from 1): exponential, capped, with
    /// random jitter in its upper half so that colliding clients spread out.
    fn delay(&self, n: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << n.saturating_sub(1).min(16));
        let cap = exp.min(self.max_delay);
        let jitter = getrandom::u32().unwrap_or(0) % 1024;
        cap / 2 + (cap / 2) * jitter / 1024
    }
}

/// Runs `attempt` (given the attempt number, from 1) until it returns
/// anything but a serialization failure, at most `policy.max_attempts` times.
pub(crate) fn with_retries<T>(
    policy: &RetryPolicy,
    mut attempt: impl FnMut(u32) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut n = 0u32;
    loop {
        n = n.saturating_add(1);
        match attempt(n) {
            Err(StoreError::Backend(e)) if e.is_serialization_failure() => {
                if n >= policy.max_attempts.max(1) {
                    return Err(StoreError::RetriesExhausted {
                        attempts: n,
                        last: e,
                    });
                }
                std::thread::sleep(policy.delay(n));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::store::BackendError;

    fn failure(code: &str) -> StoreError {
        StoreError::Backend(BackendError::new(
            "postgres",
            Some(code.into()),
            "could not serialize access due to read/write dependencies among transactions",
        ))
    }

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_micros(10),
            max_delay: Duration::from_micros(100),
        }
    }

    #[test]
    fn retries_serialization_failures_then_succeeds() {
        let mut calls = 0;
        let r = with_retries(&quick(5), |n| {
            calls += 1;
            assert_eq!(n, calls);
            if n < 3 {
                Err(failure(if n == 1 { "40001" } else { "40P01" }))
            } else {
                Ok(n)
            }
        });
        assert_eq!(r, Ok(3));
        assert_eq!(calls, 3);
    }

    #[test]
    fn gives_up_after_the_last_attempt() {
        let mut calls = 0;
        let r: Result<(), _> = with_retries(&quick(4), |_| {
            calls += 1;
            Err(failure("40001"))
        });
        assert_eq!(calls, 4);
        match r {
            Err(StoreError::RetriesExhausted { attempts: 4, last }) => {
                assert_eq!(last.code(), Some("40001"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_errors_are_not_retried() {
        let mut calls = 0;
        let r: Result<(), _> = with_retries(&quick(5), |_| {
            calls += 1;
            Err(failure("23505"))
        });
        assert_eq!(calls, 1);
        assert!(matches!(r, Err(StoreError::Backend(_))));
    }

    #[test]
    fn delays_grow_and_are_capped() {
        let p = RetryPolicy::default();
        for n in 1..40 {
            let d = p.delay(n);
            assert!(d <= p.max_delay, "{n}: {d:?}");
            assert!(d >= p.base_delay / 2 || n == 1, "{n}: {d:?}");
        }
    }
}
