//! The in-process transport: a bus inside one process. The server gives each
//! instance a bus of its own, so by default nothing is relayed at all (one
//! instance has no one to tell); tests put several relays on one bus.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::{Inbound, Status, Transport};

type Subscribers = HashMap<String, HashMap<u64, mpsc::Sender<Inbound>>>;

#[derive(Clone, Default)]
pub struct LocalBus {
    subscribers: Arc<Mutex<Subscribers>>,
    next_member: Arc<AtomicU64>,
}

impl LocalBus {
    pub(super) fn join(&self, inbound: mpsc::Sender<Inbound>) -> LocalTransport {
        LocalTransport { bus: self.clone(), member: self.next_member.fetch_add(1, Ordering::Relaxed), inbound }
    }

    fn subscribers(&self) -> std::sync::MutexGuard<'_, Subscribers> {
        self.subscribers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(super) struct LocalTransport {
    bus: LocalBus,
    member: u64,
    inbound: mpsc::Sender<Inbound>,
}

impl Transport for LocalTransport {
    fn publish(&self, channel: String, payload: Bytes) {
        if let Some(members) = self.bus.subscribers().get(&channel) {
            for inbound in members.values() {
                let _ = inbound.try_send(Inbound::Payload(payload.clone()));
            }
        }
    }

    fn subscribe(&self, channel: String) -> BoxFuture<'static, ()> {
        self.bus.subscribers().entry(channel).or_default().insert(self.member, self.inbound.clone());
        Box::pin(async {})
    }

    fn unsubscribe(&self, channel: String) {
        let mut subscribers = self.bus.subscribers();
        if let Some(members) = subscribers.get_mut(&channel) {
            members.remove(&self.member);
            if members.is_empty() {
                subscribers.remove(&channel);
            }
        }
    }

    fn status(&self) -> Status {
        Status::InProcess
    }
}

impl Drop for LocalTransport {
    fn drop(&mut self) {
        let mut subscribers = self.bus.subscribers();
        for members in subscribers.values_mut() {
            members.remove(&self.member);
        }
        subscribers.retain(|_, members| !members.is_empty());
    }
}
