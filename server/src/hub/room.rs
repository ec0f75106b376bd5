//! A Room is one open document in memory: its yrs Doc and Awareness, the
//! connections editing it, and the fan-out between them.
//!
//! All yrs state sits behind one std mutex that is never held across `.await`:
//! every method takes the lock, does bounded in-memory work, and returns what
//! the caller must do next (persist an update). Fan-out uses `try_send` on each
//! peer's bounded outbox, so one slow client can never stall the room; a peer
//! whose outbox is full is told to disconnect and re-syncs when it reconnects.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use yrs::sync::{Awareness, AwarenessUpdate, Message};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, ReadTxn, StateVector, TextRef, Transact, Update};

use app::collab::{doc as qdoc, protocol};

use crate::doc_id::DocId;

pub type ConnId = u64;

/// Why the server closes a connection: a WebSocket close code and a reason the
/// client can show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: &'static str,
}

impl CloseReason {
    pub const fn new(code: u16, reason: &'static str) -> Self {
        CloseReason { code, reason }
    }
}

pub const TOO_SLOW: CloseReason = CloseReason::new(protocol::close::TRY_AGAIN, "client too slow; reconnect to re-sync");
pub const RELOADING: CloseReason = CloseReason::new(protocol::close::RELOAD, "document reloading; reconnect");

/// What the room keeps of one connection.
pub struct Peer {
    /// Frames for this client; bounded.
    pub outbox: mpsc::Sender<Bytes>,
    /// Set to tell the connection to close.
    pub kick: watch::Sender<Option<CloseReason>>,
    /// Awareness client ids this connection introduced (removed when it leaves).
    awareness_ids: HashSet<ClientID>,
}

impl Peer {
    pub fn new(outbox: mpsc::Sender<Bytes>, kick: watch::Sender<Option<CloseReason>>) -> Self {
        Peer { outbox, kick, awareness_ids: HashSet::new() }
    }
}

/// Why an update from a client was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateError {
    /// The bytes are not a yrs update.
    Malformed,
    /// Applying it could grow the document past the size limit.
    TooLarge,
    /// yrs failed while applying; the room must be reloaded from the database.
    Internal,
}

/// The room is being unloaded (or was reloaded): get a fresh one from the hub.
#[derive(Debug)]
pub struct RoomClosed;

pub struct Room {
    pub id: DocId,
    max_document_chars: u32,
    state: Mutex<RoomState>,
}

struct RoomState {
    awareness: Awareness,
    /// The document's Y.Text, looked up once rather than per update.
    text: TextRef,
    peers: HashMap<ConnId, Peer>,
    closed: bool,
    /// When the last peer left; None while anyone is connected.
    idle_since: Option<Instant>,
}

impl Room {
    /// A room holding the given document.
    pub fn new(id: DocId, doc: yrs::Doc, max_document_chars: u32) -> Self {
        let text = qdoc::content(&doc);
        Room {
            id,
            max_document_chars,
            state: Mutex::new(RoomState {
                awareness: Awareness::new(doc),
                text,
                peers: HashMap::new(),
                closed: false,
                idle_since: Some(Instant::now()),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, RoomState> {
        // Every critical section either completes or catches its own panic, so
        // a poisoned lock still guards consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a connection and returns the frames that open the conversation:
    /// the server's SyncStep1 and everyone's presence.
    pub fn join(&self, conn: ConnId, peer: Peer) -> Result<Vec<Bytes>, RoomClosed> {
        let mut state = self.state();
        if state.closed {
            return Err(RoomClosed);
        }
        let sv = state.awareness.doc().transact().state_vector();
        let mut hello = vec![Bytes::from(protocol::sync_step1(sv))];
        if state.awareness.iter().next().is_some() {
            if let Ok(presence) = state.awareness.update() {
                hello.push(Bytes::from(Message::Awareness(presence).encode_v1()));
            }
        }
        state.peers.insert(conn, peer);
        state.idle_since = None;
        Ok(hello)
    }

    /// Removes a connection and clears the presence it introduced, for everyone.
    pub fn leave(&self, conn: ConnId) {
        let mut state = self.state();
        let Some(peer) = state.peers.remove(&conn) else { return };
        if !peer.awareness_ids.is_empty() {
            for id in &peer.awareness_ids {
                state.awareness.remove_state(*id);
            }
            if let Ok(update) = state.awareness.update_with_clients(peer.awareness_ids.iter().copied()) {
                let frame = Bytes::from(Message::Awareness(update).encode_v1());
                fan_out(&state.peers, conn, &frame);
            }
        }
        if state.peers.is_empty() {
            state.idle_since = Some(Instant::now());
        }
    }

    /// The SyncStep2 answering a client's SyncStep1: exactly what it lacks.
    pub fn sync_step2_for(&self, remote: &StateVector) -> Bytes {
        let state = self.state();
        let update = state.awareness.doc().transact().encode_state_as_update_v1(remote);
        Bytes::from(protocol::sync_step2(update))
    }

    /// Applies a client's update once and fans the change out to every other
    /// connection. Returns the change to persist (None when it changed nothing).
    pub fn apply_update(&self, from: ConnId, update: &[u8]) -> Result<Option<Bytes>, UpdateError> {
        let decoded = Update::decode_v1(update).map_err(|_| UpdateError::Malformed)?;
        let mut state = self.state();
        if state.closed {
            return Err(UpdateError::Internal);
        }
        let doc = state.awareness.doc();
        // Inserted text is never longer (in UTF-16 units) than the bytes that
        // carry it, so this bound is checked before anything is applied.
        let current = qdoc::len_utf16(&state.text, &doc.transact()) as u64;
        if current + update.len() as u64 > self.max_document_chars as u64 {
            return Err(UpdateError::TooLarge);
        }
        let applied = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            txn.apply_update(decoded).map(|_| txn.encode_update_v1())
        }));
        let change = match applied {
            Ok(Ok(change)) => change,
            Ok(Err(_)) => return Err(UpdateError::Malformed),
            Err(_) => {
                tracing::error!(doc = %self.id, "yrs panicked applying an update; reloading the room");
                self.close_locked(&mut state, RELOADING);
                return Err(UpdateError::Internal);
            }
        };
        if protocol::is_empty_update(&change) {
            return Ok(None);
        }
        let frame = Bytes::from(protocol::update(change.clone()));
        fan_out(&state.peers, from, &frame);
        Ok(Some(Bytes::from(change)))
    }

    /// Applies a client's presence and relays the frame to everyone else.
    pub fn apply_awareness(&self, from: ConnId, update: AwarenessUpdate, frame: Bytes) -> Result<(), UpdateError> {
        let mut state = self.state();
        let ids: Vec<ClientID> = update.clients.keys().copied().collect();
        state.awareness.apply_update(update).map_err(|_| UpdateError::Malformed)?;
        if let Some(peer) = state.peers.get_mut(&from) {
            peer.awareness_ids.extend(ids);
        }
        fan_out(&state.peers, from, &frame);
        Ok(())
    }

    /// The current presence of everyone, for an AwarenessQuery.
    pub fn presence(&self) -> Option<Bytes> {
        let state = self.state();
        state.awareness.update().ok().map(|u| Bytes::from(Message::Awareness(u).encode_v1()))
    }

    /// The document's Markdown.
    pub fn markdown(&self) -> String {
        let state = self.state();
        let txn = state.awareness.doc().transact();
        qdoc::markdown(&state.text, &txn)
    }

    /// True if nobody has been connected since `idle_before`.
    pub fn is_idle_since(&self, idle_before: Instant) -> bool {
        self.state().idle_before(idle_before)
    }

    /// Closes the room if nobody has been connected since `idle_before`;
    /// returns whether it did. A closed room accepts no one.
    pub fn close_if_idle(&self, idle_before: Instant) -> bool {
        let mut state = self.state();
        let idle = state.idle_before(idle_before);
        if idle {
            state.closed = true;
        }
        idle
    }

    /// Closes the room and tells every connection why.
    pub fn close(&self, reason: CloseReason) {
        let mut state = self.state();
        self.close_locked(&mut state, reason);
    }

    fn close_locked(&self, state: &mut RoomState, reason: CloseReason) {
        state.closed = true;
        for peer in state.peers.values() {
            let _ = peer.kick.send(Some(reason.clone()));
        }
    }
}

impl RoomState {
    fn idle_before(&self, before: Instant) -> bool {
        self.peers.is_empty() && self.idle_since.is_some_and(|since| since <= before)
    }
}

/// Queues a frame for every peer but the sender; a peer that cannot take it is
/// told to disconnect rather than being waited for.
fn fan_out(peers: &HashMap<ConnId, Peer>, from: ConnId, frame: &Bytes) {
    for (id, peer) in peers {
        if *id == from {
            continue;
        }
        if peer.outbox.try_send(frame.clone()).is_err() {
            let _ = peer.kick.send(Some(TOO_SLOW));
        }
    }
}
