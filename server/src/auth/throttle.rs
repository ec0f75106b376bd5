//! Slows down password guessing and mass sign-ups.
//!
//! Failed sign-ins are counted per client address (IPv6 per /64, what one
//! subscriber gets) and per account; after [`FREE_FAILURES`] within [`WINDOW`],
//! each further attempt must wait, twice as long after every new failure, up
//! to [`MAX_LOCK`]. Counting both stops one address trying many accounts and
//! many addresses trying one account. An attempt counts as failed *before* the
//! password is checked ([`Throttle::attempt`]), so a burst of parallel guesses
//! cannot all slip through one window while argon2 runs; a success then takes
//! it back. A locked account still lets one attempt through from an address
//! that has not failed lately, so a stranger who knows the name cannot lock
//! its owner out — but only [`CLEAN_ADDRESS_TRIES`] such attempts per lock,
//! or a guesser holding many addresses (an IPv6 /48 is 65,536 /64s) would
//! get one guess from each.
//!
//! Sign-ups are counted per address too ([`Throttle::sign_up`], at most
//! `QUIRE_SIGNUPS_PER_HOUR`).
//!
//! In memory: a restart forgets, which costs a guesser nothing they could not
//! get by waiting. With several instances each one counts the failures the
//! others relay too (best effort: a lost message is one free try).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FREE_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const FIRST_LOCK: Duration = Duration::from_secs(30);
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Attempts a locked account admits from addresses with no recent failures,
/// per lock (each failure renews the lock and counts as one).
pub const CLEAN_ADDRESS_TRIES: u32 = 3;
/// Entries kept before stale ones are swept, bounding memory under attack.
const SWEEP_AT: usize = 10_000;

/// Window of the sign-up count.
pub const SIGN_UP_WINDOW: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
    /// Per address: sign-ups in the current window and when it began.
    sign_ups: Mutex<HashMap<String, (u32, Instant)>>,
}

/// The throttle's key for a client address: IPv6 by its /64 (one subscriber
/// holds a whole /64, so per /128 every guess could come from a new address).
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => format!("ip:{v4}"),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "ip:unknown".to_string(),
    }
}

struct Failures {
    count: u32,
    last: Instant,
    /// Attempts admitted while locked, from clean addresses.
    clean_tries: u32,
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

    /// Starts a sign-in attempt for `[address, account]`: Ok if it may go on
    /// (it is counted as failed from now on, until [`Self::succeeded`]), or
    /// how long to wait. A locked account still admits an address with no
    /// recent failures (see the module docs).
    pub fn attempt(&self, keys: &[String; 2], now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let current = |key: &String| failures.get(key).filter(|f| now.duration_since(f.last) < WINDOW);
        let wait = |f: &Failures| f.locked_until().filter(|until| *until > now).map(|until| until - now);
        let [address, account] = keys;
        if let Some(wait) = current(address).and_then(wait) {
            return Err(wait);
        }
        let address_is_clean = current(address).is_none_or(|f| f.count == 0);
        let mut bypass = false;
        if let Some(locked) = current(account) {
            if let Some(wait) = wait(locked) {
                if !address_is_clean || locked.clean_tries >= CLEAN_ADDRESS_TRIES {
                    return Err(wait);
                }
                bypass = true;
            }
        }
        Self::count(&mut failures, keys, now);
        if bypass {
            if let Some(locked) = failures.get_mut(account) {
                locked.clean_tries += 1;
            }
        }
        Ok(())
    }

    /// Counts a failure that happened elsewhere (relayed by another instance).
    pub fn failed(&self, keys: &[String], now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        Self::count(&mut failures, keys, now);
    }

    fn count(failures: &mut HashMap<String, Failures>, keys: &[String], now: Instant) {
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, f| now.duration_since(f.last) < WINDOW);
        }
        for key in keys {
            let entry = failures.entry(key.clone()).or_insert(Failures { count: 0, last: now, clean_tries: 0 });
            if now.duration_since(entry.last) >= WINDOW {
                entry.count = 0;
                entry.clean_tries = 0;
            }
            entry.count += 1;
            entry.last = now;
        }
    }

    /// The password was right: the account's count is cleared (the address
    /// keeps its count, minus the attempt [`Self::attempt`] counted).
    pub fn succeeded(&self, keys: &[String; 2]) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&keys[1]);
        if let Some(address) = failures.get_mut(&keys[0]) {
            address.count = address.count.saturating_sub(1);
        }
    }

    /// A success relayed by another instance: clears the account's count.
    pub fn account_succeeded(&self, account_key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(account_key);
    }

    /// Counts a sign-up from `address` (see [`address_key`]); false if it
    /// already made `per_hour` in the last hour (0: no limit).
    pub fn sign_up(&self, address: &str, per_hour: u32, now: Instant) -> bool {
        if per_hour == 0 {
            return true;
        }
        let mut sign_ups = self.sign_ups.lock().unwrap_or_else(|e| e.into_inner());
        if sign_ups.len() >= SWEEP_AT {
            sign_ups.retain(|_, (_, since)| now.duration_since(*since) < SIGN_UP_WINDOW);
        }
        let (count, since) = sign_ups.entry(address.to_string()).or_insert((0, now));
        if now.duration_since(*since) >= SIGN_UP_WINDOW {
            *count = 0;
            *since = now;
        }
        if *count >= per_hour {
            return false;
        }
        *count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> [String; 2] {
        ["ip:1".into(), "user:ada".into()]
    }

    #[test]
    fn attempts_count_before_the_password_is_checked() {
        // Sixty guesses started at once: only the free ones get through.
        let throttle = Throttle::default();
        let t0 = Instant::now();
        let admitted = (0..60).filter(|_| throttle.attempt(&keys(), t0).is_ok()).count();
        assert_eq!(admitted, FREE_FAILURES as usize);
    }

    #[test]
    fn a_locked_account_still_admits_its_owner_from_a_clean_address() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES + 2 {
            let _ = throttle.attempt(&keys(), t0);
        }
        assert!(throttle.attempt(&keys(), t0).is_err(), "the guesser is locked out");
        let owner = ["ip:home".to_string(), "user:ada".to_string()];
        assert!(throttle.attempt(&owner, t0).is_ok(), "the owner's first try from home passes");
        throttle.succeeded(&owner);
        assert!(throttle.attempt(&keys(), t0).is_err(), "the guesser's address stays locked");
        // A fresh address gets one try while an account is locked, not five.
        for _ in 0..FREE_FAILURES + 2 {
            let _ = throttle.attempt(&["ip:2".to_string(), "user:bob".to_string()], t0);
        }
        let fresh = ["ip:fresh".to_string(), "user:bob".to_string()];
        assert!(throttle.attempt(&fresh, t0).is_ok());
        assert!(throttle.attempt(&fresh, t0).is_err(), "one try, then the lock holds");
        // And only a few fresh addresses get that try, per lock.
        let admitted = (0..100)
            .filter(|i| throttle.attempt(&[format!("ip:many-{i}"), "user:bob".to_string()], t0).is_ok())
            .count();
        assert_eq!(admitted as u32, CLEAN_ADDRESS_TRIES - 1);
    }

    #[test]
    fn ipv6_counts_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        assert_ne!(address_key(Some(a)), address_key(Some(c)));
        assert_eq!(address_key(Some("::ffff:10.0.0.1".parse().unwrap())), "ip:10.0.0.1");
    }

    #[test]
    fn sign_ups_per_address_per_hour() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        assert!((0..3).all(|_| throttle.sign_up("ip:1", 3, t0)));
        assert!(!throttle.sign_up("ip:1", 3, t0));
        assert!(throttle.sign_up("ip:2", 3, t0));
        assert!(throttle.sign_up("ip:1", 3, t0 + SIGN_UP_WINDOW));
        assert!((0..100).all(|_| throttle.sign_up("ip:1", 0, t0)), "0 turns it off");
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
        throttle.account_succeeded("user:ada");
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
