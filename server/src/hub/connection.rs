//! A Connection is one client in one Room: it interprets the client's y-sync
//! messages and decides what each one may do. Transport (the socket, pings,
//! queues) lives in `ws.rs`; this is the protocol and the rules.
//!
//! It also numbers the client's writes (see `protocol`): each one is queued for
//! the database with an acknowledgement, and the committed count is published
//! on a watch the transport turns into "saved N" messages.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::watch;
use yrs::sync::{Message, SyncMessage};

use app::collab::protocol::{self, close};

use super::budget::Budget;
use super::presence::{PresenceError, Sender};
use super::room::{CloseReason, ConnId, Room, UpdateError};
use crate::auth::Person;
use crate::store::{Ack, Author, Persister, Write};

pub struct Connection {
    pub id: ConnId,
    pub room: Arc<Room>,
    /// Who this client is, from its session: stamped on its presence.
    person: Person,
    /// The same person, as the log records who wrote each update.
    author: Arc<Author>,
    /// False for viewers: their writes are refused. Changes while connected.
    can_write: AtomicBool,
    persister: Persister,
    /// Writes received on this socket so far.
    writes: AtomicU64,
    /// How many of them are durably committed.
    committed: Arc<watch::Sender<u64>>,
    /// The client said hello: it wants to hear about commits.
    wants_acks: Arc<AtomicBool>,
    /// What the client may still ask for (see `budget.rs`); only the reader
    /// touches it, never across an await.
    budget: Mutex<Budget>,
}

/// What the transport should do after a frame was handled.
pub enum Reply {
    /// Send these frames back to this client only.
    Send(Vec<Bytes>),
    /// Close this client's connection.
    Close(CloseReason),
}

const MALFORMED: CloseReason = CloseReason::new(close::INVALID, "malformed y-sync message");
const TOO_MANY_IN_FRAME: CloseReason = CloseReason::new(close::TOO_BIG, "too many messages in one frame");
const UNROOTED: CloseReason =
    CloseReason::new(close::TRY_AGAIN, "update builds on changes the server does not have; reconnect to re-sync");
const BAD_UPDATE: CloseReason = CloseReason::new(close::INVALID, "update does not apply");
const TOO_LARGE: CloseReason = CloseReason::new(close::TOO_BIG, "document size limit reached");
const BAD_PRESENCE: CloseReason = CloseReason::new(close::INVALID, "presence state must be a JSON object");
const PRESENCE_TOO_LARGE: CloseReason = CloseReason::new(close::TOO_BIG, "presence state too large");
/// Sent (as a y-protocols permission-denied message) for a refused write.
pub const READ_ONLY: &str = "read-only: you can view this document but not change it; the change was not saved";
const UNSUPPORTED: CloseReason = CloseReason::new(close::UNSUPPORTED, "message type not supported");

impl Connection {
    /// `messages_per_second`: the client's message rate limit (0: none).
    pub fn new(
        id: ConnId,
        room: Arc<Room>,
        person: Person,
        can_write: bool,
        persister: Persister,
        messages_per_second: u32,
    ) -> Self {
        Connection {
            id,
            room,
            author: Arc::new(person.author()),
            person,
            can_write: AtomicBool::new(can_write),
            persister,
            writes: AtomicU64::new(0),
            committed: Arc::new(watch::Sender::new(0)),
            wants_acks: Arc::new(AtomicBool::new(false)),
            budget: Mutex::new(Budget::new(messages_per_second, Instant::now())),
        }
    }

    /// The committed count and whether the client asked to hear it, for the
    /// transport that sends "saved N".
    pub fn acks(&self) -> (watch::Receiver<u64>, Arc<AtomicBool>) {
        (self.committed.subscribe(), self.wants_acks.clone())
    }

    fn next_ack(&self) -> Ack {
        Ack { to: self.committed.clone(), write: self.writes.fetch_add(1, Ordering::SeqCst) + 1 }
    }

    /// Lets the client write, or makes it read-only, from its next message on.
    pub fn set_can_write(&self, can_write: bool) {
        self.can_write.store(can_write, Ordering::SeqCst);
    }

    /// Handles one binary frame from the client. The whole frame is decoded
    /// and charged to the client's budget before any message in it takes
    /// effect; a message that then fails (an update that does not apply, say)
    /// closes this connection alone, changes nothing itself, and the messages
    /// before it stand. At most one SyncStep1 and one AwarenessQuery per frame
    /// are answered: the answer would be the same.
    pub async fn handle_frame(&self, frame: &[u8]) -> Reply {
        let messages = match protocol::decode(frame) {
            Ok(messages) => messages,
            Err(protocol::FrameError::TooManyMessages) => return Reply::Close(TOO_MANY_IN_FRAME),
            Err(protocol::FrameError::Malformed) => return Reply::Close(MALFORMED),
        };
        let asks_sync = messages.iter().any(|m| matches!(m, Message::Sync(SyncMessage::SyncStep1(_))));
        let asks_presence = messages.iter().any(|m| matches!(m, Message::AwarenessQuery));
        let costly = usize::from(asks_sync) + usize::from(asks_presence);
        let written = messages
            .iter()
            .map(|m| match m {
                Message::Sync(SyncMessage::SyncStep2(update)) | Message::Sync(SyncMessage::Update(update)) => {
                    update.len()
                }
                _ => 0,
            })
            .sum();
        let charged = {
            let mut budget = self.budget.lock().unwrap_or_else(PoisonError::into_inner);
            budget.charge(messages.len(), costly, written, Instant::now())
        };
        if let Err(reason) = charged {
            return Reply::Close(reason);
        }
        let (mut answered_sync, mut answered_presence) = (false, false);
        let mut replies = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    if !std::mem::replace(&mut answered_sync, true) {
                        replies.push(self.room.sync_step2_for(&sv));
                    }
                }
                Message::Sync(SyncMessage::SyncStep2(update)) | Message::Sync(SyncMessage::Update(update)) => {
                    let ack = self.next_ack();
                    if !self.can_write.load(Ordering::SeqCst) {
                        // A viewer's client may still send an empty SyncStep2
                        // (it has nothing the server lacks): that is no write.
                        // Anything else is refused, and never acknowledged
                        // (later acks count it, but the client has been told).
                        if !protocol::is_empty_update(&update) {
                            replies.push(Bytes::from(protocol::permission_denied(READ_ONLY)));
                        } else {
                            self.persister.acknowledge(ack).await;
                        }
                        continue;
                    }
                    match self.room.apply_update(self.id, &update) {
                        Ok(applied) => {
                            match applied.change {
                                Some(change) => {
                                    let write = Write {
                                        doc: self.room.id.clone(),
                                        update: change,
                                        author: Some(self.author.clone()),
                                        introduced: applied.introduced,
                                    };
                                    self.persister.append(write, Some(ack)).await
                                }
                                // Nothing new, but the server may hold it only in memory
                                // (someone else's write in flight): saved once that is.
                                None => self.persister.acknowledge(ack).await,
                            }
                            if applied.unrooted {
                                return Reply::Close(UNROOTED);
                            }
                        }
                        Err(UpdateError::Malformed) => return Reply::Close(BAD_UPDATE),
                        Err(UpdateError::Schema(what)) => return Reply::Close(CloseReason::new(close::INVALID, what)),
                        Err(UpdateError::Unrooted) => return Reply::Close(UNROOTED),
                        Err(UpdateError::TooLarge) => return Reply::Close(TOO_LARGE),
                        Err(UpdateError::Internal) => return Reply::Close(super::room::RELOADING),
                    }
                }
                Message::Awareness(update) => {
                    let sender = Sender { conn: self.id, key: &self.person.key, identity: &self.person.identity };
                    match self.room.apply_awareness(&sender, update) {
                        Ok(()) => {}
                        Err(PresenceError::Malformed) => return Reply::Close(BAD_PRESENCE),
                        Err(PresenceError::TooLarge) => return Reply::Close(PRESENCE_TOO_LARGE),
                    }
                }
                Message::AwarenessQuery => {
                    if !std::mem::replace(&mut answered_presence, true) {
                        replies.extend(self.room.presence());
                    }
                }
                Message::Custom(protocol::MSG_HELLO, _) => {
                    self.wants_acks.store(true, Ordering::SeqCst);
                    // What was committed before the hello arrived is news too.
                    self.committed.send_modify(|_| {});
                }
                Message::Custom(protocol::MSG_HEARTBEAT, _) => replies.push(Bytes::from(protocol::heartbeat())),
                // Auth messages are server-to-client only; other tags are not
                // defined client-to-server.
                Message::Auth(_) | Message::Custom(..) => return Reply::Close(UNSUPPORTED),
            }
        }
        Reply::Send(replies)
    }
}
