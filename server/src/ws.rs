//! The WebSocket transport of `/ws/doc/{id}`: checks before the upgrade (origin,
//! caller, role), then one reader loop (this task) and one writer task per
//! client. The reader also keeps the client's role current (see [`AccessGuard`]).
//!
//! The writer drains the client's bounded outbox, sends pings, and closes the
//! socket with a code and reason when told to (by the room, the reader, or
//! shutdown). A client silent for three ping intervals is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;

use axum::http::HeaderMap;

use app::collab::protocol::{self, close};

use crate::access::{self, Grant};
use crate::auth::{Caller, Person};
use crate::client_addr::ClientAddr;
use crate::doc_id::DocId;
use crate::hub::{self, CloseReason, Connection, JoinError, Outbox, OutboxReceiver, Peer, Reply, Room, TOO_SLOW};
use crate::socket_limits::Refused;
use crate::state::AppState;
use crate::store::now_ms;

const TEXT_FRAME: CloseReason = CloseReason::new(close::UNSUPPORTED, "binary y-sync frames only");
const FRAME_TOO_BIG: CloseReason = CloseReason::new(close::TOO_BIG, "frame too large");
const SILENT: CloseReason = CloseReason::new(close::TRY_AGAIN, "no answer to ping");
pub const SHUTTING_DOWN: CloseReason = CloseReason::new(close::RESTART, "server restarting; reconnect");

const ROOM_FULL: CloseReason =
    CloseReason::new(close::ROOM_FULL, "This document has as many people in it as it can take. Trying again shortly.");

/// Each socket's read buffer. Tungstenite's default (128 KiB) is zero-filled
/// on the first read, so it stayed resident for every idle connection: most
/// of what a connection cost. A larger frame still arrives whole (the buffer
/// grows to fit it, up to `max_frame_bytes`).
const READ_BUFFER_BYTES: usize = 2 * 1024;

/// `GET /ws/doc/{id}`. Before anything is loaded or any byte is sent, the
/// request must come from a page of this site (Origin; 403 otherwise), from
/// someone (session or API token; 401 otherwise), who may read the document
/// (403 otherwise). At most [`UPGRADES_IN_FLIGHT`] are checked at once (503
/// beyond), and a person or address holding as many sockets as allowed gets
/// one that closes at once with 1008 and the reason.
///
/// [`UPGRADES_IN_FLIGHT`]: crate::socket_limits::UPGRADES_IN_FLIGHT
pub async fn upgrade(
    ws: WebSocketUpgrade,
    Path(id): Path<String>,
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    ClientAddr(address): ClientAddr,
) -> Response {
    if !crate::same_site::origin_allowed(&headers, state.config.public_origin.as_deref()) {
        return (StatusCode::FORBIDDEN, "cross-origin WebSocket refused").into_response();
    }
    let Some(_checking) = state.sockets.upgrade() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections being opened; try again shortly")
            .into_response();
    };
    let Some(person) = caller.person() else {
        return (StatusCode::UNAUTHORIZED, "sign in or open a share link first").into_response();
    };
    let Some(id) = DocId::parse(&id) else {
        return (StatusCode::NOT_FOUND, "document not found").into_response();
    };
    let (grant, title) = match access::grant(&state.store, &caller, &id).await {
        Ok(Some((grant, row))) => (grant, row.title),
        Ok(None) => return (StatusCode::FORBIDDEN, "you do not have access to this document").into_response(),
        Err(error) => {
            tracing::error!(doc = %id, %error, "could not check access");
            return (StatusCode::SERVICE_UNAVAILABLE, "document unavailable").into_response();
        }
    };
    crate::auth::touch_last_seen(&state, &caller);
    let room = match state.hub.room(&id).await {
        Ok(Some(room)) => room,
        Ok(None) => return (StatusCode::NOT_FOUND, "document not found").into_response(),
        Err(error) => {
            tracing::error!(doc = %id, %error, "could not open document");
            return (StatusCode::SERVICE_UNAVAILABLE, "document unavailable").into_response();
        }
    };
    let max = state.config.max_frame_bytes;
    let ws = ws.max_message_size(max).max_frame_size(max).read_buffer_size(READ_BUFFER_BYTES);
    let place = match state.sockets.open(&person.key, address) {
        Ok(place) => place,
        Err(refused) => {
            let reason = match refused {
                Refused::Person => TOO_MANY_OF_YOURS,
                Refused::Address => TOO_MANY_FROM_HERE,
            };
            return ws.on_upgrade(move |mut socket| async move {
                let frame = CloseFrame { code: reason.code, reason: reason.reason.into() };
                let _ = socket.send(WsMessage::Close(Some(frame))).await;
            });
        }
    };
    // The task tracker lets shutdown wait for every socket to finish its writes.
    let token = state.connections.token();
    let guard = AccessGuard { caller, grant, title: title_digest(&title), watch: room.watch_access() };
    let title = Bytes::from(protocol::title_message(&title));
    ws.on_upgrade(move |socket| async move {
        serve(socket, room, person, guard, title, state).await;
        drop(place);
        drop(token);
    })
}

const TOO_MANY_OF_YOURS: CloseReason = CloseReason::new(
    close::POLICY,
    "You have too many connections open (tabs or scripts). Close some and this one will reconnect.",
);
const TOO_MANY_FROM_HERE: CloseReason =
    CloseReason::new(close::POLICY, "Too many connections from your network. Try again later.");

/// Keeps a connection's role (and the title it shows) current: re-checks it
/// when the room says access changed (renaming says so too), and when an
/// expiring share link runs out.
struct AccessGuard {
    caller: Caller,
    grant: Grant,
    /// Which title the client was last sent (a digest: 8 bytes per
    /// connection instead of the text).
    title: u64,
    watch: watch::Receiver<u64>,
}

fn title_digest(title: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    title.hash(&mut hasher);
    hasher.finish()
}

impl AccessGuard {
    /// Resolves when the grant must be checked again.
    async fn due(&mut self) {
        let expiry = async {
            match self.grant.until {
                Some(until) => {
                    let wait = (until - now_ms()).max(0) as u64;
                    tokio::time::sleep(Duration::from_millis(wait)).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = self.watch.changed() => if changed.is_err() { std::future::pending::<()>().await },
            _ = expiry => {}
        }
    }

    /// The current grant and, if it changed since the client was told, the
    /// title; or why the connection must end.
    async fn recheck(&mut self, state: &AppState, doc: &DocId) -> Result<(Grant, Option<String>), CloseReason> {
        match crate::auth::still_signed_in(&state.store, &self.caller).await {
            Ok(true) => {}
            Ok(false) => return Err(SIGNED_OUT),
            Err(error) => {
                tracing::warn!(doc = %doc, %error, "could not re-check a credential; closing to be safe");
                return Err(ACCESS_UNCHECKED);
            }
        }
        match access::grant(&state.store, &self.caller, doc).await {
            Ok(Some((grant, row))) => {
                self.grant = grant;
                let digest = title_digest(&row.title);
                let renamed = (digest != self.title).then_some(row.title);
                self.title = digest;
                Ok((grant, renamed))
            }
            Ok(None) => match state.store.document(doc).await {
                Ok(Some(row)) if row.deleted_at.is_some() => Err(DELETED),
                Ok(Some(_)) => Err(ACCESS_REMOVED),
                Ok(None) => Err(DELETED),
                Err(_) => Err(ACCESS_UNCHECKED),
            },
            Err(error) => {
                tracing::warn!(doc = %doc, %error, "could not re-check access; closing to be safe");
                Err(ACCESS_UNCHECKED)
            }
        }
    }
}

const ACCESS_REMOVED: CloseReason = CloseReason::new(close::FORBIDDEN, "Your access to this document was removed.");
const SIGNED_OUT: CloseReason =
    CloseReason::new(close::FORBIDDEN, "You signed out, or the token this connection used was revoked.");
const DELETED: CloseReason = CloseReason::new(close::GONE, "This document was deleted.");
const ACCESS_UNCHECKED: CloseReason = CloseReason::new(close::TRY_AGAIN, "could not check access; reconnect");

async fn serve(
    mut socket: WebSocket,
    mut room: Arc<Room>,
    person: Person,
    mut guard: AccessGuard,
    title: Bytes,
    state: AppState,
) {
    let conn_id = state.hub.next_conn_id();
    // The first sync alone queues up to five frames (role, title, step 1,
    // step 2, presence) before the writer has sent any: a smaller outbox would turn
    // clients away as too slow at random.
    let frames = state.config.outbox_capacity.max(MIN_OUTBOX_FRAMES);
    let (outbox_tx, outbox_rx) = hub::outbox(frames, state.config.outbox_bytes());
    let (kick_tx, kick_rx) = watch::channel::<Option<CloseReason>>(None);
    // Join, retrying if the room closed between lookup and join (unloaded, or
    // closed for a reload and not yet evicted: evicting it here makes sure the
    // retry loads a fresh one instead of finding the same closed room).
    let hello = loop {
        let account = guard.caller.user.as_ref().map(|user| user.id.clone());
        match room.join(conn_id, Peer { outbox: outbox_tx.clone(), kick: kick_tx.clone(), account }) {
            Ok(hello) => break hello,
            Err(JoinError::Full) => {
                let frame = CloseFrame { code: ROOM_FULL.code, reason: ROOM_FULL.reason.into() };
                let _ = socket.send(WsMessage::Close(Some(frame))).await;
                return;
            }
            Err(JoinError::Closed) => {
                state.hub.evict(&room);
                match state.hub.room(&room.id).await {
                    Ok(Some(fresh)) => {
                        room = fresh;
                        guard.watch = room.watch_access();
                    }
                    _ => return,
                }
            }
        }
    };
    let can_write = guard.grant.role.can_edit();
    let connection = Connection::new(
        conn_id,
        room.clone(),
        person,
        can_write,
        state.hub.persister().clone(),
        state.config.max_messages_per_second,
    );
    let (sink, stream) = socket.split();
    let last_heard = Arc::new(std::sync::Mutex::new(Instant::now()));
    let writer = tokio::spawn(write_loop(
        sink,
        outbox_rx,
        kick_tx.subscribe(),
        connection.acks(),
        last_heard.clone(),
        state.config.ping_interval(),
    ));
    let role = Bytes::from(protocol::access_message(guard.grant.role));
    for frame in [role, title].into_iter().chain(hello) {
        if outbox_tx.try_send(frame).is_err() {
            let _ = kick_tx.send(Some(TOO_SLOW));
            break;
        }
    }
    let stop = Stop { kick: &kick_tx, kicked: kick_rx, shutdown: state.shutdown.clone() };
    read_loop(stream, &connection, &outbox_tx, &last_heard, stop, &mut guard, &state).await;
    room.leave(conn_id);
    if kick_tx.borrow().as_ref().map(|r| r.code) == Some(close::RELOAD) {
        state.hub.evict(&room);
    }
    drop(outbox_tx);
    drop(connection);
    // The writer ends by itself (its writes have deadlines); on shutdown it
    // gets only the drain time, so stopping stays prompt.
    let grace = if state.shutdown.is_cancelled() { DRAIN } else { state.config.ping_interval() * 3 };
    let mut writer = writer;
    if tokio::time::timeout(grace, &mut writer).await.is_err() {
        writer.abort();
    }
}

/// The smallest outbox, in frames, whatever `QUIRE_OUTBOX_CAPACITY` says.
const MIN_OUTBOX_FRAMES: usize = 8;

/// How long a closing connection keeps reading: frames the client sent before
/// it saw our Close are still its edits, and are applied and stored.
const DRAIN: Duration = Duration::from_secs(2);

/// The ways the server decides to close a connection from outside the reader.
struct Stop<'a> {
    kick: &'a watch::Sender<Option<CloseReason>>,
    kicked: watch::Receiver<Option<CloseReason>>,
    shutdown: tokio_util::sync::CancellationToken,
}

/// Reads and handles frames until the client goes away. Each frame is handled
/// to completion (never cancelled halfway, so an applied update is always
/// queued for storage). When the server closes the connection (a kick or
/// shutdown) it keeps reading until the client's Close, for at most [`DRAIN`].
async fn read_loop(
    mut stream: SplitStream<WebSocket>,
    connection: &Connection,
    outbox: &Outbox,
    last_heard: &std::sync::Mutex<Instant>,
    mut stop: Stop<'_>,
    guard: &mut AccessGuard,
    state: &AppState,
) {
    let mut drain_until: Option<Instant> = None;
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            _ = guard.due(), if drain_until.is_none() => {
                match guard.recheck(state, &connection.room.id).await {
                    Ok((grant, renamed)) => {
                        connection.set_can_write(grant.role.can_edit());
                        if outbox.try_send(Bytes::from(protocol::access_message(grant.role))).is_err() {
                            return close_for(stop.kick, connection, TOO_SLOW);
                        }
                        if let Some(title) = renamed {
                            if outbox.try_send(Bytes::from(protocol::title_message(&title))).is_err() {
                                return close_for(stop.kick, connection, TOO_SLOW);
                            }
                        }
                    }
                    Err(reason) => {
                        // Nothing more from this client is applied, even while draining.
                        connection.set_can_write(false);
                        close_for(stop.kick, connection, reason);
                    }
                }
                continue;
            }
            _ = stop.kicked.changed(), if drain_until.is_none() => {
                drain_until = Some(Instant::now() + DRAIN);
                continue;
            }
            _ = stop.shutdown.cancelled(), if drain_until.is_none() => {
                let _ = stop.kick.send(Some(SHUTTING_DOWN));
                drain_until = Some(Instant::now() + DRAIN);
                continue;
            }
            _ = tokio::time::sleep_until(drain_until.unwrap_or_else(Instant::now)), if drain_until.is_some() => return,
        };
        let Some(message) = message else { return };
        if let Ok(mut heard) = last_heard.lock() {
            *heard = Instant::now();
        }
        let frame = match message {
            Ok(WsMessage::Binary(frame)) => frame,
            Ok(WsMessage::Text(_)) => return close_for(stop.kick, connection, TEXT_FRAME),
            Ok(WsMessage::Close(_)) => return,
            Ok(WsMessage::Ping(_)) | Ok(WsMessage::Pong(_)) => continue,
            Err(error) => {
                // axum does not expose tungstenite's error kinds; its message
                // is the only way to tell an oversized frame from a dead peer.
                let error = error.to_string().to_ascii_lowercase();
                if error.contains("too long") || error.contains("capacity") {
                    close_for(stop.kick, connection, FRAME_TOO_BIG);
                }
                return;
            }
        };
        // Boxed: inline, the largest state of handling a frame (applying
        // and queueing an update for storage) would be part of every idle
        // connection's task; one allocation per frame costs far less.
        match Box::pin(connection.handle_frame(&frame)).await {
            Reply::Send(frames) => {
                for frame in frames {
                    // Replies count against the same bounds as fan-out: a
                    // client that asks and does not read is too slow.
                    if outbox.try_send(frame).is_err() {
                        return close_for(stop.kick, connection, TOO_SLOW);
                    }
                }
            }
            Reply::Close(reason) => return close_for(stop.kick, connection, reason),
        }
    }
}

/// Closes a connection because of what its client sent.
fn close_for(kick: &watch::Sender<Option<CloseReason>>, connection: &Connection, reason: CloseReason) {
    tracing::info!(conn = connection.id, doc = %connection.room.id, code = reason.code, reason = reason.reason, "closing client");
    let _ = kick.send(Some(reason));
}

/// Sends the client its frames, "saved N" when its writes commit (if it asked),
/// and pings; ends with a Close frame.
async fn write_loop(
    mut sink: SplitSink<WebSocket, WsMessage>,
    mut outbox: OutboxReceiver,
    mut kick: watch::Receiver<Option<CloseReason>>,
    (mut committed, wants_acks): (watch::Receiver<u64>, Arc<AtomicBool>),
    last_heard: Arc<std::sync::Mutex<Instant>>,
    ping_every: Duration,
) {
    let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    // As long as a silent client is given before it is dropped.
    let stuck = ping_every * 3;
    let mut acks_open = true;
    let reason = loop {
        tokio::select! {
            biased;
            changed = kick.changed() => {
                let reason = if changed.is_ok() { kick.borrow().clone() } else { None };
                if reason.is_some() { break reason; }
            }
            changed = committed.changed(), if acks_open => {
                if changed.is_err() {
                    acks_open = false;
                } else if wants_acks.load(Ordering::SeqCst) {
                    let writes = *committed.borrow_and_update();
                    if !within(stuck, sink.send(WsMessage::Binary(Bytes::from(protocol::saved(writes))))).await { return; }
                }
            }
            frame = outbox.recv() => match frame {
                Some(frame) => {
                    // Whatever else is queued by now goes out in the same
                    // write: under load one syscall carries many updates, so a
                    // busy server does not fall behind its own readers (and
                    // then drop them as too slow).
                    let written = within(stuck, async {
                        sink.feed(WsMessage::Binary(frame)).await?;
                        while let Some(frame) = outbox.try_recv() {
                            sink.feed(WsMessage::Binary(frame)).await?;
                        }
                        sink.flush().await
                    });
                    if !written.await { return; }
                }
                None => break None,
            },
            _ = ping.tick() => {
                let silent_for = last_heard.lock().map(|t| t.elapsed()).unwrap_or_default();
                if silent_for > ping_every * 3 {
                    break Some(SILENT);
                }
                if !within(stuck, sink.send(WsMessage::Ping(Bytes::new()))).await { return; }
            }
        }
    };
    let frame = reason.map(|r| CloseFrame { code: r.code, reason: r.reason.into() });
    if within(stuck, sink.send(WsMessage::Close(frame))).await {
        let _ = within(stuck, sink.close()).await;
    }
}

/// Whether a write finished, and in time: a client whose TCP window stays
/// shut would otherwise hold its writer (and so shutdown) for ever. Most
/// writes finish at once (the socket has room) and get no timer; one that
/// has to wait gets its deadline on the heap, so the timer is neither paid
/// per write under load nor part of every idle connection's task.
async fn within<E>(limit: Duration, write: impl std::future::Future<Output = Result<(), E>>) -> bool {
    let mut write = std::pin::pin!(write);
    if let Some(result) = futures::FutureExt::now_or_never(write.as_mut()) {
        return result.is_ok();
    }
    matches!(Box::pin(tokio::time::timeout(limit, write)).await, Ok(Ok(())))
}
