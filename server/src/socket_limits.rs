//! How many WebSockets one person and one client address may hold at once,
//! and how many upgrade requests may be checked at once before they become
//! sockets. Without these, a single viewer could fill a document's 400
//! places, or an instance's memory, with sockets of their own.
//!
//! A person is their account, or their guest session; an address is the
//! client's (behind trusted proxies, the one they name). 0 turns a limit off
//! (the benchmarks drive thousands of sockets from one account).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Upgrade requests whose caller and access are being checked at once; more
/// wait for nothing and get 503 (they would only queue database reads).
pub const UPGRADES_IN_FLIGHT: usize = 256;

pub struct SocketLimits {
    per_person: usize,
    per_address: usize,
    held: Arc<Mutex<Held>>,
    upgrades: Arc<Semaphore>,
}

#[derive(Default)]
struct Held {
    people: HashMap<String, usize>,
    addresses: HashMap<String, usize>,
}

/// Which limit a new socket would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Person,
    Address,
}

/// One socket's place in the counts; freed when dropped.
pub struct SocketPermit {
    held: Arc<Mutex<Held>>,
    person: Option<String>,
    address: Option<String>,
}

impl SocketLimits {
    pub fn new(per_person: usize, per_address: usize) -> Self {
        SocketLimits {
            per_person,
            per_address,
            held: Arc::default(),
            upgrades: Arc::new(Semaphore::new(UPGRADES_IN_FLIGHT)),
        }
    }

    /// A place for an upgrade being checked, or None when too many are.
    pub fn upgrade(&self) -> Option<OwnedSemaphorePermit> {
        self.upgrades.clone().try_acquire_owned().ok()
    }

    /// A place for one more socket of `person` from `address`.
    pub fn open(&self, person: &str, address: Option<IpAddr>) -> Result<SocketPermit, Refused> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let person = (self.per_person > 0).then(|| person.to_string());
        let address = (self.per_address > 0).then(|| crate::auth::throttle::address_key(address));
        if let Some(person) = &person {
            if held.people.get(person).copied().unwrap_or(0) >= self.per_person {
                return Err(Refused::Person);
            }
        }
        if let Some(address) = &address {
            if held.addresses.get(address).copied().unwrap_or(0) >= self.per_address {
                return Err(Refused::Address);
            }
        }
        if let Some(person) = &person {
            *held.people.entry(person.clone()).or_default() += 1;
        }
        if let Some(address) = &address {
            *held.addresses.entry(address.clone()).or_default() += 1;
        }
        Ok(SocketPermit { held: self.held.clone(), person, address })
    }
}

impl Drop for SocketPermit {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let Held { people, addresses } = &mut *held;
        for (map, key) in [(people, &self.person), (addresses, &self.address)] {
            let Some(key) = key else { continue };
            if let Some(count) = map.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    map.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_and_given_back() {
        let limits = SocketLimits::new(2, 3);
        let home: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        let a = limits.open("ada", home).unwrap();
        let _b = limits.open("ada", home).unwrap();
        assert_eq!(limits.open("ada", home).err(), Some(Refused::Person));
        let _c = limits.open("bob", home).unwrap();
        assert_eq!(limits.open("eve", home).err(), Some(Refused::Address));
        drop(a);
        assert!(limits.open("ada", home).is_ok(), "a closed socket frees its place");
        let unlimited = SocketLimits::new(0, 0);
        let many: Vec<_> = (0..1000).map(|_| unlimited.open("bench", home).unwrap()).collect();
        assert_eq!(many.len(), 1000);
    }
}
