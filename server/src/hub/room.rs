//! A Room is one open document in memory: its yrs Doc and Awareness, the
//! connections editing it, and the fan-out between them.
//!
//! All yrs state sits behind one std mutex that is never held across `.await`:
//! every method takes the lock, does bounded in-memory work, and returns what
//! the caller must do next (persist an update). Fan-out uses `try_send` on each
//! peer's bounded outbox, so one slow client can never stall the room; a peer
//! whose outbox is full is told to disconnect and re-syncs when it reconnects.
//! Presence (see `presence.rs`) is batched: a change schedules one flush, which
//! a short-lived task performs when the throttle window ends.
//!
//! With other instances, a room also publishes its clients' updates and
//! presence to the relay, and applies theirs with a relay origin: fanned out to
//! its own connections, never stored or published again (the instance the
//! change came from did both). `catch_up.rs` applies what the database holds
//! the same way.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::watch;
use yrs::sync::{AwarenessUpdate, Message};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, TextRef, Transact, Update, WriteTxn};

use app::collab::edits::Edit;
use app::collab::schema::{self, SchemaError};
use app::collab::{doc as qdoc, protocol};

use super::outbox::Outbox;
use super::presence::{Flush, Presence, PresenceError, Sender};
use crate::doc_id::DocId;
use crate::relay::{self, InstanceId, Relay, RelayedPresence};
use crate::store::LogIndex;

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

/// What one room accepts.
#[derive(Debug, Clone, Copy)]
pub struct RoomLimits {
    /// Largest document, in UTF-16 code units of its text.
    pub max_document_chars: u32,
    /// Largest document, in bytes of its encoded state: everything it stores,
    /// deleted text and history included, not only the visible text.
    pub max_document_bytes: u64,
    /// Connections at once; the next one is turned away.
    pub max_peers: usize,
    /// Largest awareness state of one client, in bytes of JSON.
    pub max_presence_bytes: usize,
}

/// What the room keeps of one connection.
pub struct Peer {
    /// Frames for this client; bounded in frames and bytes.
    pub outbox: Outbox,
    /// Set to tell the connection to close.
    pub kick: watch::Sender<Option<CloseReason>>,
    /// The signed-in account behind it (None for guests), so that signing
    /// out or revoking a token re-checks exactly the rooms it is in.
    pub account: Option<String>,
}

/// What applying a client's update did.
#[derive(Debug)]
pub struct Applied {
    /// The change to persist; None when nothing changed.
    pub change: Option<Bytes>,
    /// Part of it could not be placed and was dropped: the client must
    /// re-sync (what was placed stands, and is in `change`).
    pub unrooted: bool,
    /// `(client, start, end)`: the yrs clock ranges this update brought into
    /// the document, which the sending connection's person introduced.
    pub introduced: Vec<(u64, u32, u32)>,
}

/// Why an update from a client was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateError {
    /// The bytes are not a yrs update.
    Malformed,
    /// A well-formed update that writes what a Quire document does not hold.
    Schema(&'static str),
    /// It builds on changes this server does not have (yet): applied, it would
    /// wait in memory for them. The client re-syncs when it reconnects.
    Unrooted,
    /// Applying it could grow the document past a size limit.
    TooLarge,
    /// yrs failed while applying; the room must be reloaded from the database.
    Internal,
}

/// Why a connection could not join.
#[derive(Debug, PartialEq, Eq)]
pub enum JoinError {
    /// The room is being unloaded (or was reloaded): get a fresh one from the hub.
    Closed,
    /// The room has as many people as it accepts.
    Full,
}

pub struct Room {
    pub id: DocId,
    limits: RoomLimits,
    state: Mutex<RoomState>,
    /// Bumped when anyone's access to the document may have changed; each
    /// connection watches it and re-checks its own role.
    access: watch::Sender<u64>,
    relay: Relay,
    /// This room's relay subscription, ended when it unloads.
    pub relay_token: u64,
    /// Which stored rows the document in memory already holds (see `catch_up.rs`).
    stored: Mutex<LogIndex>,
}

struct RoomState {
    doc: Doc,
    presence: Presence,
    /// The document's Y.Text, looked up once rather than per update.
    text: TextRef,
    peers: HashMap<ConnId, Peer>,
    /// About how many bytes the document's encoded state takes: measured at
    /// load, then grown by each change applied (an upper bound, since deleted
    /// text shrinks when collected); measured again when it nears the limit.
    stored_bytes: u64,
    closed: bool,
    /// Bumped by every change applied: a diff made against a copy of the text
    /// still fits if this has not moved (a deletion alone leaves the state
    /// vector as it was, so that cannot tell).
    revision: u64,
    /// When the last peer left; None while anyone is connected.
    idle_since: Option<Instant>,
}

impl Room {
    /// A room holding the given document, built from the stored rows `stored`
    /// (`stored_bytes` of them), publishing to `relay` (subscribed with `relay_token`).
    pub fn new(
        id: DocId,
        doc: Doc,
        limits: RoomLimits,
        relay: Relay,
        relay_token: u64,
        stored: LogIndex,
        stored_bytes: u64,
    ) -> Self {
        let text = qdoc::content(&doc);
        Room {
            id,
            limits,
            state: Mutex::new(RoomState {
                doc,
                presence: Presence::new(limits.max_presence_bytes),
                text,
                peers: HashMap::new(),
                stored_bytes,
                closed: false,
                revision: 0,
                idle_since: Some(Instant::now()),
            }),
            access: watch::Sender::new(0),
            relay,
            relay_token,
            stored: Mutex::new(stored),
        }
    }

    /// Which stored rows the document holds; see `catch_up.rs`.
    pub fn stored(&self) -> MutexGuard<'_, LogIndex> {
        self.stored.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells every connection to re-check its access.
    pub fn access_changed(&self) {
        self.access.send_modify(|epoch| *epoch = epoch.wrapping_add(1));
    }

    /// Whether a connection of this account is here.
    pub fn has_account(&self, account: &str) -> bool {
        self.state().peers.values().any(|peer| peer.account.as_deref() == Some(account))
    }

    /// What a connection watches to learn that access changed.
    pub fn watch_access(&self) -> watch::Receiver<u64> {
        self.access.subscribe()
    }

    fn state(&self) -> MutexGuard<'_, RoomState> {
        // Every critical section either completes or catches its own panic, so
        // a poisoned lock still guards consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a connection and returns the frames that open the conversation:
    /// the server's SyncStep1 and everyone's presence.
    pub fn join(&self, conn: ConnId, peer: Peer) -> Result<Vec<Bytes>, JoinError> {
        let mut state = self.state();
        if state.closed {
            return Err(JoinError::Closed);
        }
        if state.peers.len() >= self.limits.max_peers {
            return Err(JoinError::Full);
        }
        let sv = state.doc.transact().state_vector();
        let mut hello = vec![Bytes::from(protocol::sync_step1(sv))];
        hello.extend(state.presence.snapshot().map(awareness_frame));
        state.peers.insert(conn, peer);
        state.idle_since = None;
        Ok(hello)
    }

    /// Removes a connection and clears the presence it introduced, for everyone.
    pub fn leave(self: &Arc<Self>, conn: ConnId) {
        let mut state = self.state();
        if state.peers.remove(&conn).is_none() {
            return;
        }
        let now = Instant::now();
        let flush = state.presence.leave(conn, now);
        self.follow_up(&mut state, flush, now);
        if state.peers.is_empty() {
            state.idle_since = Some(now);
        }
    }

    /// The SyncStep2 answering a client's SyncStep1: exactly what it lacks.
    pub fn sync_step2_for(&self, remote: &StateVector) -> Bytes {
        let state = self.state();
        let update = state.doc.transact().encode_state_as_update_v1(remote);
        Bytes::from(protocol::sync_step2(update))
    }

    /// Applies a client's update once and fans the change out to every other
    /// connection. Returns what to persist and whether the client must go.
    /// The update is checked against the document schema before yrs decodes it,
    /// and refused if it would wait for missing changes or outgrow the limits.
    pub fn apply_update(&self, from: ConnId, update: &[u8]) -> Result<Applied, UpdateError> {
        let shape = schema::check_client_update(update).map_err(|error| match error {
            SchemaError::Malformed => UpdateError::Malformed,
            SchemaError::Outside(what) => UpdateError::Schema(what),
        })?;
        let decoded = Update::decode_v1(update).map_err(|_| UpdateError::Malformed)?;
        let mut state = self.state();
        if state.closed {
            return Err(UpdateError::Internal);
        }
        let before = state.doc.transact().state_vector();
        if !shape.applies_to(&before) {
            return Err(UpdateError::Unrooted);
        }
        // Only what an update inserts counts against the limits (UTF-16
        // units never outnumber UTF-8 bytes): deleting is always allowed, so
        // a document at its limit can still be made smaller.
        if shape.inserted > 0 {
            let current = qdoc::len_utf16(&state.text, &state.doc.transact()) as u64;
            if current + shape.inserted > self.limits.max_document_chars as u64 {
                return Err(UpdateError::TooLarge);
            }
            self.make_room_for(&mut state, update.len() as u64)?;
        }
        let doc = &state.doc;
        let applied = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            let applied = txn.apply_update(decoded).map(|_| txn.encode_update_v1());
            // Whatever could not be placed (it refers to changes nobody sent:
            // a cycle, say) would wait in memory for ever: drop it. Anything
            // the relay left waiting goes with it; catching up from the
            // database brings that back.
            let unrooted = txn.has_missing_updates();
            if unrooted {
                let _ = txn.prune_pending();
            }
            applied.map(|change| (change, unrooted))
        }));
        let (change, unrooted) = match applied {
            Ok(Ok(applied)) => applied,
            Ok(Err(_)) => return Err(UpdateError::Malformed),
            Err(_) => {
                tracing::error!(doc = %self.id, "yrs panicked applying an update; reloading the room");
                self.close_locked(&mut state, RELOADING);
                return Err(UpdateError::Internal);
            }
        };
        if protocol::is_empty_update(&change) {
            return Ok(Applied { change: None, unrooted, introduced: Vec::new() });
        }
        state.stored_bytes += change.len() as u64;
        state.revision += 1;
        let frame = Bytes::from(protocol::update(change.clone()));
        fan_out(&state.peers, from, &frame);
        let change = Bytes::from(change);
        self.relay.publish(&relay::Message::Update(self.id.clone(), change.clone()));
        Ok(Applied { change: Some(change), unrooted, introduced: shape.adds_to(&before) })
    }

    /// Makes the text `target` with an edit of the room's own (a restore),
    /// touching only what differs: fanned out to everyone here and relayed
    /// like a client's update. Returns the change to persist and the clocks it
    /// introduced, or None when the text already was `target`.
    ///
    /// The diff runs without the room's lock, against a copy of the text; it
    /// is applied if nobody changed the document meanwhile. Only when people
    /// keep typing through every try is it computed under the lock (the diff
    /// has a time limit, so that wait is bounded).
    pub async fn replace_text(&self, target: &str) -> Result<Option<Applied>, UpdateError> {
        if target.encode_utf16().count() as u64 > self.limits.max_document_chars as u64 {
            return Err(UpdateError::TooLarge);
        }
        const TRIES: usize = 3;
        for _ in 0..TRIES {
            let (current, seen) = {
                let state = self.state();
                if state.closed {
                    return Err(UpdateError::Internal);
                }
                let text = qdoc::markdown(&state.text, &state.doc.transact());
                (text, state.revision)
            };
            let wanted = target.to_string();
            let edits = tokio::task::spawn_blocking(move || app::collab::compare::restore_edits(&current, &wanted))
                .await
                .map_err(|_| UpdateError::Internal)?;
            let mut state = self.state();
            if state.revision == seen {
                return self.apply_own_edits(&mut state, &edits);
            }
        }
        let mut state = self.state();
        let current = qdoc::markdown(&state.text, &state.doc.transact());
        let edits = app::collab::compare::restore_edits(&current, target);
        self.apply_own_edits(&mut state, &edits)
    }

    fn apply_own_edits(&self, state: &mut RoomState, edits: &[Edit]) -> Result<Option<Applied>, UpdateError> {
        if state.closed {
            return Err(UpdateError::Internal);
        }
        if edits.is_empty() {
            return Ok(None);
        }
        self.make_room_for(state, edits.iter().map(|edit| edit.insert.len() as u64).sum())?;
        let client = state.doc.client_id();
        let before = state.doc.transact().state_vector().get(&client);
        let (doc, text) = (&state.doc, &state.text);
        let applied = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            app::collab::compare::apply_edits(text, &mut txn, edits);
            (txn.encode_update_v1(), txn.state_vector().get(&client))
        }));
        let Ok((change, after)) = applied else {
            tracing::error!(doc = %self.id, "yrs panicked restoring a version; reloading the room");
            self.close_locked(state, RELOADING);
            return Err(UpdateError::Internal);
        };
        state.stored_bytes += change.len() as u64;
        state.revision += 1;
        fan_out(&state.peers, ConnId::MAX, &Bytes::from(protocol::update(change.clone())));
        let change = Bytes::from(change);
        self.relay.publish(&relay::Message::Update(self.id.clone(), change.clone()));
        let introduced = if after > before { vec![(client.get(), before, after)] } else { Vec::new() };
        Ok(Some(Applied { change: Some(change), unrooted: false, introduced }))
    }

    /// Ok if `incoming` more bytes keep the document within its byte limit.
    /// The running estimate only grows, so when it says no the document is
    /// measured (what deleted text it collected no longer counts) before refusing.
    fn make_room_for(&self, state: &mut RoomState, incoming: u64) -> Result<(), UpdateError> {
        let limit = self.limits.max_document_bytes;
        if state.stored_bytes + incoming <= limit {
            return Ok(());
        }
        state.stored_bytes = state.doc.transact().encode_state_as_update_v1(&StateVector::default()).len() as u64;
        if state.stored_bytes + incoming <= limit {
            Ok(())
        } else {
            Err(UpdateError::TooLarge)
        }
    }

    /// Applies a change that is already stored (or being stored) elsewhere: from
    /// another instance, or read back from the database. Fans out whatever was
    /// new here; never stored or published again. False if it does not apply
    /// (malformed, or outside the document schema: never decoded then).
    pub fn apply_relayed(&self, update: &[u8]) -> bool {
        if schema::check_update(update).is_err() {
            return false;
        }
        let Ok(decoded) = Update::decode_v1(update) else {
            return false;
        };
        let mut state = self.state();
        if state.closed {
            return true;
        }
        let doc = &state.doc;
        let applied = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            txn.apply_update(decoded).map(|_| txn.encode_update_v1())
        }));
        match applied {
            Ok(Ok(change)) => {
                if !protocol::is_empty_update(&change) {
                    state.stored_bytes += change.len() as u64;
                    state.revision += 1;
                    fan_out(&state.peers, ConnId::MAX, &Bytes::from(protocol::update(change)));
                }
                true
            }
            Ok(Err(_)) => false,
            Err(_) => {
                tracing::error!(doc = %self.id, "yrs panicked applying a relayed update; reloading the room");
                self.close_locked(&mut state, RELOADING);
                false
            }
        }
    }

    /// Presence relayed by another instance: shown to this room's connections.
    pub fn apply_remote_presence(&self, from: InstanceId, states: Vec<RelayedPresence>) {
        let mut state = self.state();
        if let Some(update) = state.presence.apply_remote(from, states, Instant::now()) {
            fan_out(&state.peers, ConnId::MAX, &awareness_frame(update));
        }
    }

    /// Everyone present through another instance, complete (see
    /// `Presence::apply_remote_snapshot`).
    pub fn apply_remote_snapshot(&self, from: InstanceId, states: Vec<RelayedPresence>) {
        let mut state = self.state();
        if let Some(update) = state.presence.apply_remote_snapshot(from, states, Instant::now()) {
            fan_out(&state.peers, ConnId::MAX, &awareness_frame(update));
        }
    }

    /// Another instance went away: the people connected there leave.
    pub fn drop_instance(&self, instance: InstanceId) {
        let mut state = self.state();
        if let Some(update) = state.presence.drop_instance(instance, Instant::now()) {
            fan_out(&state.peers, ConnId::MAX, &awareness_frame(update));
        }
    }

    /// Tells the other instances who is present here, all of them (they
    /// asked, or this room just reconnected to them): even nobody is news, to
    /// an instance that still shows someone whose leaving it missed.
    pub fn publish_presence(&self) {
        let states = self.state().presence.local_states();
        self.relay.publish(&relay::Message::PresenceSnapshot(self.id.clone(), states));
    }

    /// Applies a client's presence under the room's rules (see `presence.rs`);
    /// everyone hears of it with the next presence flush.
    pub fn apply_awareness(self: &Arc<Self>, from: &Sender<'_>, update: AwarenessUpdate) -> Result<(), PresenceError> {
        let mut state = self.state();
        let now = Instant::now();
        let flush = state.presence.apply(from, update, now)?;
        self.follow_up(&mut state, flush, now);
        Ok(())
    }

    /// Flushes presence now or arranges for it to be flushed later.
    fn follow_up(self: &Arc<Self>, state: &mut RoomState, flush: Flush, now: Instant) {
        match flush {
            Flush::Now => self.flush_presence(state, now),
            Flush::After(delay) => {
                let room = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let mut state = room.state();
                    room.flush_presence(&mut state, Instant::now());
                });
            }
            Flush::Nothing => {}
        }
    }

    /// Sends every presence change since the last flush to everyone here, as
    /// one frame, and to the other instances. Senders get their own state back
    /// too: it carries a clock they already have, so Yjs clients ignore it, and
    /// one frame for all is far cheaper than one each.
    fn flush_presence(&self, state: &mut RoomState, now: Instant) {
        if let Some((update, relayed)) = state.presence.flush(now) {
            fan_out(&state.peers, ConnId::MAX, &awareness_frame(update));
            self.relay.publish(&relay::Message::Presence(self.id.clone(), relayed));
        }
    }

    /// The current presence of everyone, for an AwarenessQuery.
    pub fn presence(&self) -> Option<Bytes> {
        self.state().presence.snapshot().map(awareness_frame)
    }

    /// The document's Markdown.
    pub fn markdown(&self) -> String {
        let state = self.state();
        let txn = state.doc.transact();
        qdoc::markdown(&state.text, &txn)
    }

    /// The whole document as one update, for work on a copy away from the lock.
    pub fn encoded(&self) -> Vec<u8> {
        self.state().doc.transact().encode_state_as_update_v1(&StateVector::default())
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

fn awareness_frame(update: AwarenessUpdate) -> Bytes {
    Bytes::from(Message::Awareness(update).encode_v1())
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
