//! Slows down password guessing. Failed sign-ins are counted per client
//! address and per account; after [`FREE_FAILURES`] within [`WINDOW`], each
//! further attempt must wait, twice as long after every new failure, up to
//! [`MAX_LOCK`]. Counting both stops one address trying many accounts and many
//! addresses trying one account. A success clears the account's count (the
//! address keeps its count, so a guesser cannot reset it with their own
//! account). In memory: a restart forgets, which costs a guesser nothing
//! they could not get by waiting. With several instances each one counts the
//! failures the others relay too (best effort: a lost message is one free try).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FREE_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const FIRST_LOCK: Duration = Duration::from_secs(30);
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Entries kept before stale ones are swept, bounding memory under attack.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    fn locked_until(&self) -> Option<Instant> {
        let over = self.count.checked_sub(FREE_FAILURES)?;
        let lock = FIRST_LOCK.saturating_mul(1u32 << over.min(10)).min(MAX_LOCK);
        Some(self.last + lock)
    }
}

impl Throttle {
    /// Ok, or how long the caller must wait before trying again.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let wait = keys
            .iter()
            .filter_map(|key| failures.get(key))
            .filter(|f| now.duration_since(f.last) < WINDOW)
            .filter_map(Failures::locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        wait.map_or(Ok(()), Err)
    }

    pub fn failed(&self, keys: &[String], now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, f| now.duration_since(f.last) < WINDOW);
        }
        for key in keys {
            let entry = failures.entry(key.clone()).or_insert(Failures { count: 0, last: now });
            if now.duration_since(entry.last) >= WINDOW {
                entry.count = 0;
            }
            entry.count += 1;
            entry.last = now;
        }
    }

    pub fn succeeded(&self, account_key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(account_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec!["ip:1".into(), "user:ada".into()]
    }

    #[test]
    fn a_few_mistakes_are_free_then_waits_double() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert!(throttle.check(&keys(), t0).is_ok());
            throttle.failed(&keys(), t0);
        }
        assert_eq!(throttle.check(&keys(), t0), Err(FIRST_LOCK));
        let t1 = t0 + FIRST_LOCK;
        assert!(throttle.check(&keys(), t1).is_ok());
        throttle.failed(&keys(), t1);
        assert_eq!(throttle.check(&keys(), t1), Err(FIRST_LOCK * 2));
        // Another address trying the same account is locked too.
        assert!(throttle.check(&["ip:2".into(), "user:ada".into()], t1).is_err());
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..=FREE_FAILURES {
            throttle.failed(&keys(), t0);
        }
        throttle.succeeded("user:ada");
        assert!(throttle.check(&["ip:9".into(), "user:ada".into()], t0).is_ok());
        assert!(throttle.check(&["ip:1".into(), "user:bob".into()], t0).is_err());
    }

    #[test]
    fn failures_are_forgotten_after_the_window() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..=FREE_FAILURES + 3 {
            throttle.failed(&keys(), t0);
        }
        assert!(throttle.check(&keys(), t0 + WINDOW).is_ok());
    }
}
