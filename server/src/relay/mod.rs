//! The relay carries what one instance must tell the others: document updates,
//! presence, access changes, list events and failed sign-ins. Two transports: in-process
//! (the default, one instance: nothing leaves the process) and Redis pub/sub
//! (`REDIS_URL`, any number of instances).
//!
//! Redis delivers at most once, so the relay is the fast path, never the
//! truth: updates reach other instances in about a millisecond when all is
//! well, and every room also converges from the database (see
//! `hub::catch_up`) whatever the relay lost. The relay says when that is
//! needed at once ([`Event::Resync`] after a reconnect or a stalled
//! subscription), and which instances went silent ([`Event::InstanceGone`]),
//! so their people's presence can be removed.
//!
//! Every message names its sender; an instance drops its own messages when
//! they come back, so nothing is applied twice. Per-document channels are
//! subscribed only while the document is open here.

pub mod channels;
pub mod envelope;
mod local;
mod redis;
mod seal;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use envelope::{InstanceId, Message, RelayedPresence};
pub use local::LocalBus;

use crate::doc_id::DocId;

/// How often each instance says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// An instance not heard from for this long is gone: its people leave.
pub const INSTANCE_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages waiting for one room before newer ones are dropped (the room
/// then catches up from the database).
const ROOM_INBOX: usize = 4096;

/// What the relay tells the server as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A document in these users' lists changed (on another instance).
    DocsChanged(DocId, Vec<String>),
    /// A sign-in failed on another instance (throttle keys).
    SignInFailed(Vec<String>),
    /// Someone signed in on another instance (account throttle key).
    SignInSucceeded(String),
    /// An account signed out or revoked a token on another instance.
    AccountChanged(String),
    /// This instance stopped hearing from another one.
    InstanceGone(InstanceId),
    /// Messages may have been lost (the relay reconnected, its subscription
    /// stalled, or this instance fell behind): every open room should catch up
    /// from the database, re-exchange presence and re-check access now.
    Resync,
}

/// How the relay is doing, for `/healthz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// One instance; nothing to relay.
    InProcess,
    Connected,
    /// Redis is unreachable or stalled; retrying with backoff.
    Reconnecting,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProcess => "in-process",
            Status::Connected => "ok",
            Status::Reconnecting => "reconnecting",
        }
    }
}

/// What a transport hands the relay.
enum Inbound {
    Payload(Bytes),
    /// The transport (re)connected, or dropped what it received because this
    /// instance fell behind: messages were missed.
    Missed,
}

/// A way to move bytes between instances. Publishing never waits: a message
/// that cannot go now is dropped, and the database makes up for it.
trait Transport: Send + Sync + 'static {
    fn publish(&self, channel: String, payload: Bytes);
    /// Resolves once the subscription is active, or once the transport gave
    /// up waiting (it subscribes again when it reconnects).
    fn subscribe(&self, channel: String) -> BoxFuture<'static, ()>;
    fn unsubscribe(&self, channel: String);
    fn status(&self) -> Status;
}

/// When this instance last heard its own heartbeat come back: proof that its
/// subscription still delivers.
#[derive(Default)]
struct Liveness {
    own_heartbeat_ms: AtomicU64,
    started: std::sync::OnceLock<Instant>,
}

impl Liveness {
    fn now_ms(&self) -> u64 {
        self.started.get_or_init(Instant::now).elapsed().as_millis() as u64
    }

    fn heard_self(&self) {
        self.own_heartbeat_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    fn silent_for(&self) -> Duration {
        Duration::from_millis(self.now_ms().saturating_sub(self.own_heartbeat_ms.load(Ordering::Relaxed)))
    }
}

/// A room's subscription: the messages about its document, and the token that
/// ends it (so a newer room of the same document is never unsubscribed by an
/// older one going away).
pub struct Subscription {
    pub token: u64,
    pub inbox: mpsc::Receiver<(InstanceId, Message)>,
}

/// Open rooms: document -> (subscription token, the room's inbox).
type Routes = HashMap<DocId, (u64, mpsc::Sender<(InstanceId, Message)>)>;

#[derive(Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

struct Inner {
    instance: InstanceId,
    /// Signs what this instance publishes and checks what it hears.
    seal: seal::Seal,
    transport: Box<dyn Transport>,
    routes: Mutex<Routes>,
    next_token: AtomicU64,
    /// True when other instances exist, so rooms must also catch up from the
    /// database (messages can be lost on the way).
    shared: bool,
}

impl Relay {
    /// A relay for this process alone, on `bus` (instances on one bus hear each
    /// other; the server gives each its own). Returns the relay and its events.
    pub fn in_process(bus: &LocalBus, cancel: CancellationToken) -> (Relay, mpsc::Receiver<Event>) {
        Self::on_bus(bus, None, cancel)
    }

    /// [`Self::in_process`] with envelopes signed with `secret` (tests of the seal).
    fn on_bus(bus: &LocalBus, secret: Option<&str>, cancel: CancellationToken) -> (Relay, mpsc::Receiver<Event>) {
        Self::start(cancel, false, seal::Seal::new(secret), |inbound, _| Box::new(bus.join(inbound)))
    }

    /// A relay through Redis at `url` (`rediss://` for TLS), its envelopes
    /// signed with `secret` if given (see `seal.rs`). It connects in the
    /// background and keeps reconnecting; a bad URL is an error now.
    pub fn redis(
        url: &str,
        secret: Option<&str>,
        cancel: CancellationToken,
    ) -> crate::error::Result<(Relay, mpsc::Receiver<Event>)> {
        let client = ::redis::Client::open(url).map_err(|e| crate::error::Error::Config(format!("REDIS_URL: {e}")))?;
        let task_cancel = cancel.clone();
        Ok(Self::start(cancel, true, seal::Seal::new(secret), move |inbound, liveness| {
            Box::new(redis::RedisTransport::start(client, inbound, liveness, task_cancel))
        }))
    }

    fn start(
        cancel: CancellationToken,
        shared: bool,
        seal: seal::Seal,
        transport: impl FnOnce(mpsc::Sender<Inbound>, Arc<Liveness>) -> Box<dyn Transport>,
    ) -> (Relay, mpsc::Receiver<Event>) {
        let (inbound_tx, inbound) = mpsc::channel(16 * 1024);
        let (events_tx, events) = mpsc::channel(1024);
        let liveness = Arc::new(Liveness::default());
        liveness.heard_self();
        let relay = Relay {
            inner: Arc::new(Inner {
                instance: random_instance_id(),
                seal,
                transport: transport(inbound_tx, liveness.clone()),
                routes: Mutex::new(HashMap::new()),
                next_token: AtomicU64::new(1),
                shared,
            }),
        };
        let global = relay.inner.transport.subscribe(channels::global());
        tokio::spawn(global);
        tokio::spawn(relay.clone().dispatch(inbound, events_tx, liveness, cancel));
        (relay, events)
    }

    pub fn instance(&self) -> InstanceId {
        self.inner.instance
    }

    /// True when other instances may write the same documents, so rooms must
    /// also converge from the database.
    pub fn is_shared(&self) -> bool {
        self.inner.shared
    }

    pub fn status(&self) -> Status {
        self.inner.transport.status()
    }

    /// Sends a message to the other instances (never waits; may be lost).
    pub fn publish(&self, message: &Message) {
        let channel = message.document().map_or_else(channels::global, channels::document);
        self.inner.transport.publish(channel, self.inner.seal.seal(envelope::encode(self.inner.instance, message)));
    }

    /// Starts receiving the messages about `doc`. Everything published after
    /// this returns is delivered (unless the relay loses it), so a room
    /// subscribes before it loads from the database.
    pub async fn subscribe(&self, doc: &DocId) -> Subscription {
        let token = self.inner.next_token.fetch_add(1, Ordering::Relaxed);
        let (sender, inbox) = mpsc::channel(ROOM_INBOX);
        self.routes().insert(doc.clone(), (token, sender));
        self.inner.transport.subscribe(channels::document(doc)).await;
        Subscription { token, inbox }
    }

    /// Stops the subscription `token` of `doc` (if it is still the current one).
    pub fn unsubscribe(&self, doc: &DocId, token: u64) {
        let mut routes = self.routes();
        if routes.get(doc).is_some_and(|(current, _)| *current == token) {
            routes.remove(doc);
            self.inner.transport.unsubscribe(channels::document(doc));
        }
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.inner.routes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Routes what arrives, says this instance is alive once a second, and
    /// notices instances that went silent.
    async fn dispatch(
        self,
        mut inbound: mpsc::Receiver<Inbound>,
        events: mpsc::Sender<Event>,
        liveness: Arc<Liveness>,
        cancel: CancellationToken,
    ) {
        let mut peers: HashMap<InstanceId, Instant> = HashMap::new();
        let mut ticker = tokio::time::interval(HEARTBEAT_EVERY);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => {
                    self.publish(&Message::Bye);
                    return;
                }
                _ = ticker.tick() => {
                    self.publish(&Message::Heartbeat);
                    let now = Instant::now();
                    let gone: Vec<InstanceId> =
                        peers.iter().filter(|(_, seen)| now.duration_since(**seen) > INSTANCE_TIMEOUT).map(|(id, _)| *id).collect();
                    for id in gone {
                        peers.remove(&id);
                        let _ = events.send(Event::InstanceGone(id)).await;
                    }
                }
                received = inbound.recv() => match received {
                    None => return,
                    Some(Inbound::Missed) => {
                        liveness.heard_self();
                        let _ = events.send(Event::Resync).await;
                    }
                    Some(Inbound::Payload(bytes)) => {
                        let Some(envelope) = self.inner.seal.open(&bytes) else {
                            tracing::warn!(bytes = bytes.len(), "dropped a relay message without a valid signature (QUIRE_RELAY_SECRET differs?)");
                            continue;
                        };
                        let Some((from, message)) = envelope::decode(envelope) else {
                            tracing::warn!(bytes = bytes.len(), "dropped a relay message that does not decode");
                            continue;
                        };
                        if from == self.inner.instance {
                            if message == Message::Heartbeat {
                                liveness.heard_self();
                            }
                            continue;
                        }
                        if message == Message::Bye {
                            peers.remove(&from);
                            let _ = events.send(Event::InstanceGone(from)).await;
                            continue;
                        }
                        peers.insert(from, Instant::now());
                        self.deliver(from, message, &events).await;
                    }
                },
            }
        }
    }

    async fn deliver(&self, from: InstanceId, message: Message, events: &mpsc::Sender<Event>) {
        match message {
            Message::DocsChanged(doc, users) => {
                let _ = events.send(Event::DocsChanged(doc, users)).await;
            }
            Message::SignInFailed(keys) => {
                let _ = events.send(Event::SignInFailed(keys)).await;
            }
            Message::SignInSucceeded(key) => {
                let _ = events.send(Event::SignInSucceeded(key)).await;
            }
            Message::AccountChanged(account) => {
                let _ = events.send(Event::AccountChanged(account)).await;
            }
            Message::Heartbeat | Message::Bye => {}
            message => {
                let Some(doc) = message.document().cloned() else {
                    return;
                };
                let route = self.routes().get(&doc).map(|(_, sender)| sender.clone());
                if let Some(route) = route {
                    if route.try_send((from, message)).is_err() {
                        tracing::warn!(%doc, from = %format!("{from:032x}"), "room inbox full; catching up from the database");
                        let _ = events.try_send(Event::Resync);
                    }
                }
            }
        }
    }
}

fn random_instance_id() -> InstanceId {
    (u128::from(fastrand::u64(..)) << 64) | u128::from(fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn next(inbox: &mut mpsc::Receiver<(InstanceId, Message)>) -> Option<Message> {
        tokio::time::timeout(Duration::from_secs(2), inbox.recv()).await.ok().flatten().map(|(_, message)| message)
    }

    #[tokio::test]
    async fn instances_on_one_bus_hear_each_other_but_never_themselves() {
        let bus = LocalBus::default();
        let cancel = CancellationToken::new();
        let (a, _) = Relay::in_process(&bus, cancel.clone());
        let (b, _) = Relay::in_process(&bus, cancel.clone());
        let doc = DocId::random();
        let mut on_a = a.subscribe(&doc).await;
        let mut on_b = b.subscribe(&doc).await;
        let update = Message::Update(doc.clone(), Bytes::from_static(b"x"));
        a.publish(&update);
        assert_eq!(next(&mut on_b.inbox).await, Some(update));
        b.publish(&Message::AccessChanged(doc.clone()));
        assert_eq!(next(&mut on_a.inbox).await, Some(Message::AccessChanged(doc.clone())));
        // A's own update never came back to A.
        assert!(on_a.inbox.try_recv().is_err());
        cancel.cancel();
    }

    #[tokio::test]
    async fn without_the_secret_nothing_published_is_heard() {
        let bus = LocalBus::default();
        let cancel = CancellationToken::new();
        let (a, _) = Relay::on_bus(&bus, Some("shared secret"), cancel.clone());
        let (b, _) = Relay::on_bus(&bus, Some("shared secret"), cancel.clone());
        // Another client of the same Redis, without the secret (or with a guess).
        let (intruder, _) = Relay::on_bus(&bus, None, cancel.clone());
        let (guesser, _) = Relay::on_bus(&bus, Some("guess"), cancel.clone());
        let doc = DocId::random();
        let mut on_b = b.subscribe(&doc).await;
        for forger in [&intruder, &guesser] {
            forger.publish(&Message::Update(doc.clone(), Bytes::from_static(b"forged")));
        }
        let genuine = Message::Update(doc.clone(), Bytes::from_static(b"genuine"));
        a.publish(&genuine);
        assert_eq!(next(&mut on_b.inbox).await, Some(genuine), "only the signed update arrives");
        assert!(on_b.inbox.try_recv().is_err());
        cancel.cancel();
    }

    #[tokio::test]
    async fn an_old_subscription_cannot_end_a_newer_one() {
        let bus = LocalBus::default();
        let cancel = CancellationToken::new();
        let (a, _) = Relay::in_process(&bus, cancel.clone());
        let (b, _) = Relay::in_process(&bus, cancel.clone());
        let doc = DocId::random();
        let old = b.subscribe(&doc).await;
        let mut new = b.subscribe(&doc).await;
        b.unsubscribe(&doc, old.token);
        a.publish(&Message::PresenceQuery(doc.clone()));
        assert_eq!(next(&mut new.inbox).await, Some(Message::PresenceQuery(doc.clone())));
        b.unsubscribe(&doc, new.token);
        a.publish(&Message::PresenceQuery(doc.clone()));
        assert_eq!(next(&mut new.inbox).await, None);
        cancel.cancel();
    }

    #[tokio::test]
    async fn a_goodbye_is_heard_at_once() {
        let bus = LocalBus::default();
        let cancel = CancellationToken::new();
        let (_a, mut events) = Relay::in_process(&bus, cancel.clone());
        let b_cancel = CancellationToken::new();
        let (b, _) = Relay::in_process(&bus, b_cancel.clone());
        b.publish(&Message::DocsChanged(DocId::random(), vec!["u".into()]));
        assert!(matches!(events.recv().await, Some(Event::DocsChanged(_, users)) if users == ["u"]));
        b_cancel.cancel();
        assert_eq!(events.recv().await, Some(Event::InstanceGone(b.instance())));
        cancel.cancel();
    }
}
