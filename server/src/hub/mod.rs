//! The Hub owns every open Room (doc id -> Room): it loads a document from the
//! Store the first time someone opens it, hands the same Room to everyone who
//! opens it after, and unloads it once nobody has used it for a while (after a
//! final flush of its pending writes).
//!
//! Each room is subscribed to the relay before it loads, so nothing another
//! instance publishes meanwhile is missed; what arrives is applied once the
//! room exists (see [`pump`]). With other instances, rooms also catch up from
//! the database (see `catch_up.rs`).

mod budget;
mod catch_up;
mod connection;
mod outbox;
mod presence;
mod room;

pub use connection::{Connection, Reply};
pub use outbox::{outbox, Full, Outbox, OutboxReceiver};
pub use presence::{PresenceError, Sender, FLUSH_EVERY};
pub use room::{Applied, CloseReason, ConnId, JoinError, Peer, Room, RoomLimits, UpdateError, TOO_SLOW};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, OnceCell};

use crate::doc_id::DocId;
use crate::error::{Error, Result};
use crate::relay::{self, InstanceId, Relay};
use crate::store::{LogIndex, Persister, Store};

/// A room that is loading or loaded; everyone asking during the load waits for
/// the same load, so a room is never served half-loaded.
type Slot = Arc<OnceCell<Arc<Room>>>;

pub struct Hub {
    store: Store,
    persister: Persister,
    limits: RoomLimits,
    rooms: Mutex<HashMap<DocId, Slot>>,
    next_conn: AtomicU64,
    relay: Relay,
    /// Catch-up rounds so far (every [`RECHECK_EVERY`]th also re-checks access).
    rounds: AtomicU64,
}

/// With other instances, every this many catch-up rounds every connection
/// re-checks its access and credentials anyway: an access change or a
/// sign-out the relay dropped unnoticed still ends its sockets (within about
/// 30 s at the default `QUIRE_RESYNC_MS`).
const RECHECK_EVERY: u64 = 15;

impl Hub {
    pub fn new(store: Store, persister: Persister, limits: RoomLimits, relay: Relay) -> Self {
        Hub {
            store,
            persister,
            limits,
            rooms: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            relay,
            rounds: AtomicU64::new(0),
        }
    }

    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    pub fn persister(&self) -> &Persister {
        &self.persister
    }

    pub fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    fn slot(&self, id: &DocId) -> Slot {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.entry(id.clone()).or_default().clone()
    }

    /// Someone's access to a document changed (shared, unshared, link revoked,
    /// deleted): every open connection to it, on every instance, re-checks its
    /// own within moments.
    pub fn access_changed(&self, id: &DocId) {
        if let Some(room) = self.open_room(id) {
            room.access_changed();
        }
        self.relay.publish(&relay::Message::AccessChanged(id.clone()));
    }

    /// An account signed out or lost an API token: its connections, on every
    /// instance, re-check their credentials (and end if they no longer hold).
    pub fn account_changed(&self, account: &str) {
        self.account_changed_here(account);
        self.relay.publish(&relay::Message::AccountChanged(account.to_string()));
    }

    /// [`Self::account_changed`] for this instance's rooms only.
    pub fn account_changed_here(&self, account: &str) {
        for room in self.loaded_rooms() {
            if room.has_account(account) {
                room.access_changed();
            }
        }
    }

    /// The open room of a document, loading it if needed; None if no such document.
    pub async fn room(&self, id: &DocId) -> Result<Option<Arc<Room>>> {
        if let Some(room) = self.open_room(id) {
            return Ok(Some(room));
        }
        if self.store.document(id).await?.is_none() {
            return Ok(None);
        }
        let slot = self.slot(id);
        let loaded = slot
            .get_or_try_init(|| async {
                let subscription = self.relay.subscribe(id).await;
                let (doc, stored, stored_bytes) = match self.load_doc(id).await {
                    Ok(loaded) => loaded,
                    Err(error) => {
                        self.relay.unsubscribe(id, subscription.token);
                        return Err(error);
                    }
                };
                let room = Arc::new(Room::new(
                    id.clone(),
                    doc,
                    self.limits,
                    self.relay.clone(),
                    subscription.token,
                    stored,
                    stored_bytes,
                ));
                tokio::spawn(pump(room.clone(), subscription.inbox));
                // Learn who is already here through other instances.
                self.relay.publish(&relay::Message::PresenceQuery(id.clone()));
                Ok::<_, Error>(room)
            })
            .await;
        match loaded {
            Ok(room) => Ok(Some(room.clone())),
            Err(error) => {
                self.forget(id, &slot);
                Err(error)
            }
        }
    }

    /// Drops a room from the map (if that slot is still the current one).
    fn forget(&self, id: &DocId, slot: &Slot) {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        if rooms.get(id).is_some_and(|current| Arc::ptr_eq(current, slot)) {
            rooms.remove(id);
        }
    }

    /// Removes a room that was closed for an internal reason; the next opener
    /// loads it afresh from the database.
    pub fn evict(&self, room: &Room) {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        let current = rooms.get(&room.id).and_then(|slot| slot.get()).map(|r| std::ptr::eq(r.as_ref(), room));
        if current == Some(true) {
            rooms.remove(&room.id);
            self.relay.unsubscribe(&room.id, room.relay_token);
        }
    }

    /// The room of a document if it is loaded.
    fn open_room(&self, id: &DocId) -> Option<Arc<Room>> {
        let rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.get(id).and_then(|slot| slot.get().cloned())
    }

    /// The Markdown of a document: from its open room, else from the database.
    pub async fn markdown(&self, id: &DocId) -> Result<Option<String>> {
        if let Some(room) = self.open_room(id) {
            return Ok(Some(room.markdown()));
        }
        if self.store.document(id).await?.is_none() {
            return Ok(None);
        }
        let (doc, _, _) = self.load_doc(id).await?;
        let text = app::collab::doc::content(&doc);
        let txn = yrs::Transact::transact(&doc);
        Ok(Some(app::collab::doc::markdown(&text, &txn)))
    }

    /// Rebuilds a document from the database (off the async threads: a long
    /// log takes a while to replay), with the bytes its rows take.
    async fn load_doc(&self, id: &DocId) -> Result<(yrs::Doc, LogIndex, u64)> {
        let stored = self.store.load_updates(id).await?;
        let doc_name = id.to_string();
        let updates = stored.updates;
        let bytes = updates.iter().map(|row| row.len() as u64).sum();
        let rebuilt = tokio::task::spawn_blocking(move || {
            app::collab::doc::doc_from_updates(updates.iter().map(Vec::as_slice))
                .map_err(|e| Error::CorruptDocument(doc_name, e.to_string()))
        })
        .await
        .map_err(|e| Error::CorruptDocument(id.to_string(), e.to_string()))??;
        if rebuilt.refused > 0 {
            tracing::warn!(doc = %id, rows = rebuilt.refused, "skipped stored rows outside the document schema");
        }
        Ok((rebuilt.doc, stored.index, bytes))
    }

    /// Unloads rooms nobody has used for `idle`. Each room's writes are
    /// committed (and its log compacted) before it leaves the map, so whoever
    /// opens it next loads everything from the database; a room someone joined
    /// meanwhile stays. Returns how many were unloaded.
    pub async fn unload_idle(&self, idle: Duration) -> usize {
        let Some(idle_before) = Instant::now().checked_sub(idle) else {
            return 0;
        };
        let candidates: Vec<Arc<Room>> = {
            let rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
            rooms
                .values()
                .filter_map(|slot| slot.get())
                .filter(|room| room.is_idle_since(idle_before))
                .cloned()
                .collect()
        };
        let mut unloaded = 0;
        for room in candidates {
            self.persister.flush(Some(room.id.clone())).await;
            let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
            if room.close_if_idle(idle_before) {
                rooms.remove(&room.id);
                self.relay.unsubscribe(&room.id, room.relay_token);
                unloaded += 1;
                tracing::debug!(doc = %room.id, "room unloaded");
            }
        }
        unloaded
    }

    /// Number of documents in memory.
    pub fn open_rooms(&self) -> usize {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Tells every connection in every room to close (server shutdown).
    pub fn close_all(&self, reason: CloseReason) {
        for room in self.loaded_rooms() {
            room.close(reason.clone());
        }
    }

    fn loaded_rooms(&self) -> Vec<Arc<Room>> {
        let rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.values().filter_map(|slot| slot.get().cloned()).collect()
    }

    /// Another instance went away: its people leave every room here.
    pub fn instance_gone(&self, instance: InstanceId) {
        for room in self.loaded_rooms() {
            room.drop_instance(instance);
        }
    }

    /// Brings every open room up to what the database holds (see
    /// `catch_up.rs`). With `lost`, the relay lost messages: also re-exchange
    /// presence with the other instances, and have every connection re-check
    /// its access (a revocation may have been among them).
    pub async fn catch_up_all(&self, lost: bool) {
        let recheck = lost || self.rounds.fetch_add(1, Ordering::Relaxed) % RECHECK_EVERY == RECHECK_EVERY - 1;
        for room in self.loaded_rooms() {
            if recheck {
                room.access_changed();
            }
            if lost {
                room.publish_presence();
                self.relay.publish(&relay::Message::PresenceQuery(room.id.clone()));
            }
            if let Err(error) = catch_up::catch_up(&self.store, &room).await {
                tracing::warn!(doc = %room.id, %error, "could not catch up from the database; retrying later");
            }
        }
    }
}

/// Applies what the relay brings for one room, in order, until the room
/// unsubscribes (its sender is dropped).
async fn pump(room: Arc<Room>, mut inbox: mpsc::Receiver<(InstanceId, relay::Message)>) {
    while let Some((from, message)) = inbox.recv().await {
        match message {
            relay::Message::Update(_, update) => {
                if !room.apply_relayed(&update) {
                    tracing::warn!(doc = %room.id, "a relayed update does not apply; the database has the truth");
                }
            }
            relay::Message::Presence(_, states) => room.apply_remote_presence(from, states),
            relay::Message::PresenceSnapshot(_, states) => room.apply_remote_snapshot(from, states),
            relay::Message::PresenceQuery(_) => room.publish_presence(),
            relay::Message::AccessChanged(_) => room.access_changed(),
            // Messages for the instance as a whole never reach a room.
            relay::Message::DocsChanged(..)
            | relay::Message::SignInFailed(_)
            | relay::Message::SignInSucceeded(_)
            | relay::Message::AccountChanged(_)
            | relay::Message::Heartbeat
            | relay::Message::Bye => {}
        }
    }
}
