//! The Redis transport: PUBLISH on one connection, SUBSCRIBE on another.
//!
//! Both reconnect by themselves with backoff (100 ms doubling to 5 s, with
//! jitter) while the instance keeps serving its own clients. Publishing never
//! waits for Redis: messages queue (bounded) for one task that sends them in
//! pipelined batches and drops them while Redis is away. The subscriber
//! re-subscribes to every open document on each connection and then reports
//! [`Inbound::Missed`], because whatever was published meanwhile is lost.
//! It does the same after dropping messages because this instance could not
//! keep up with them.
//!
//! A connection can also stay open and deliver nothing (a stalled proxy, a
//! paused server). Each instance hears its own heartbeat on the global channel
//! once a second; a subscriber that has not heard it for [`STALLED_AFTER`]
//! drops the connection and starts over.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::StreamExt;
use redis::aio::PubSubSink;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use super::{channels, Inbound, Liveness, Status, Transport};

/// Longest wait for Redis to answer anything before the connection counts as broken.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);
/// A subscription that has not delivered this instance's own heartbeat for
/// this long is stalled.
pub const STALLED_AFTER: Duration = Duration::from_secs(3);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(5);
/// Messages waiting to be published; beyond this they are dropped.
const OUTBOX: usize = 16 * 1024;
/// Messages sent in one pipeline.
const BATCH: usize = 256;

pub(super) struct RedisTransport {
    outbox: mpsc::Sender<(String, Bytes)>,
    subscriptions: Arc<Subscriptions>,
}

/// What the subscriber connection should be subscribed to, and the handle to
/// its current connection, if any.
#[derive(Default)]
struct Subscriptions {
    wanted: Mutex<HashSet<String>>,
    sink: Mutex<Option<PubSubSink>>,
    connected: AtomicBool,
}

impl Subscriptions {
    fn wanted(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.wanted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sink(&self) -> std::sync::MutexGuard<'_, Option<PubSubSink>> {
        self.sink.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl RedisTransport {
    pub(super) fn start(
        client: redis::Client,
        inbound: mpsc::Sender<Inbound>,
        liveness: Arc<Liveness>,
        cancel: CancellationToken,
    ) -> Self {
        let (outbox, queue) = mpsc::channel(OUTBOX);
        let subscriptions = Arc::new(Subscriptions::default());
        subscriptions.wanted().insert(channels::global());
        tokio::spawn(publish(client.clone(), queue, cancel.clone()));
        tokio::spawn(subscribe(client, subscriptions.clone(), inbound, liveness, cancel));
        RedisTransport { outbox, subscriptions }
    }
}

impl Transport for RedisTransport {
    fn publish(&self, channel: String, payload: Bytes) {
        if self.outbox.try_send((channel, payload)).is_err() {
            tracing::debug!("relay outbox full; message dropped");
        }
    }

    fn subscribe(&self, channel: String) -> BoxFuture<'static, ()> {
        self.subscriptions.wanted().insert(channel.clone());
        let sink = self.subscriptions.sink().clone();
        Box::pin(async move {
            // Without a connection, the next one subscribes to everything wanted.
            if let Some(mut sink) = sink {
                if !matches!(timeout(ANSWER_WITHIN, sink.subscribe(&channel)).await, Ok(Ok(()))) {
                    tracing::debug!(%channel, "subscribing waits for the next connection");
                }
            }
        })
    }

    fn unsubscribe(&self, channel: String) {
        self.subscriptions.wanted().remove(&channel);
        if let Some(mut sink) = self.subscriptions.sink().clone() {
            let subscriptions = self.subscriptions.clone();
            tokio::spawn(async move {
                // The document may have been opened again meanwhile. (Should the
                // two still cross, the room catches up from the database.)
                if !subscriptions.wanted().contains(&channel) {
                    let _ = timeout(ANSWER_WITHIN, sink.unsubscribe(&channel)).await;
                }
            });
        }
    }

    fn status(&self) -> Status {
        if self.subscriptions.connected.load(Ordering::Relaxed) {
            Status::Connected
        } else {
            Status::Reconnecting
        }
    }
}

/// The next wait before reconnecting: doubling, capped, with jitter so many
/// instances do not reconnect in lockstep.
fn backoff(delay: &mut Duration) -> Duration {
    let wait = delay.mul_f64(0.5 + fastrand::f64() * 0.5);
    *delay = (*delay * 2).min(LAST_RETRY);
    wait
}

async fn publish(client: redis::Client, mut queue: mpsc::Receiver<(String, Bytes)>, cancel: CancellationToken) {
    let mut connection = None;
    let mut delay = FIRST_RETRY;
    let mut retry_at = tokio::time::Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let received = tokio::select! {
            // Shutdown waits briefly for what is queued (the goodbye among it).
            _ = cancel.cancelled() => timeout(Duration::from_millis(200), queue.recv_many(&mut batch, BATCH)).await.unwrap_or(0),
            received = queue.recv_many(&mut batch, BATCH) => received,
        };
        if received == 0 {
            return;
        }
        if connection.is_none() && tokio::time::Instant::now() >= retry_at {
            match timeout(ANSWER_WITHIN, client.get_multiplexed_async_connection()).await {
                Ok(Ok(opened)) => connection = Some(opened),
                _ => retry_at = tokio::time::Instant::now() + backoff(&mut delay),
            }
        }
        if let Some(open) = connection.as_mut() {
            let mut pipe = redis::pipe();
            for (channel, payload) in &batch {
                pipe.cmd("PUBLISH").arg(channel).arg(payload.as_ref()).ignore();
            }
            match timeout(ANSWER_WITHIN, pipe.query_async::<()>(open)).await {
                Ok(Ok(())) => delay = FIRST_RETRY,
                _ => {
                    tracing::warn!(dropped = batch.len(), "publishing to Redis failed; reconnecting");
                    connection = None;
                    retry_at = tokio::time::Instant::now() + backoff(&mut delay);
                }
            }
        }
        // Without Redis the batch is dropped: the database makes up for it.
        batch.clear();
        if cancel.is_cancelled() {
            return;
        }
    }
}

async fn subscribe(
    client: redis::Client,
    subscriptions: Arc<Subscriptions>,
    inbound: mpsc::Sender<Inbound>,
    liveness: Arc<Liveness>,
    cancel: CancellationToken,
) {
    let mut delay = FIRST_RETRY;
    let mut was_up = true;
    loop {
        let connected = tokio::select! {
            _ = cancel.cancelled() => return,
            connected = connect(&client, &subscriptions) => connected,
        };
        match connected {
            Some(mut stream) => {
                liveness.heard_self();
                subscriptions.connected.store(true, Ordering::Relaxed);
                if !was_up {
                    tracing::info!("relay connected to Redis");
                }
                was_up = true;
                delay = FIRST_RETRY;
                let _ = inbound.send(Inbound::Missed).await;
                let mut dropped = false;
                let mut check = tokio::time::interval(Duration::from_millis(500));
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        message = stream.next() => match message {
                            Some(message) => {
                                if dropped && inbound.try_send(Inbound::Missed).is_ok() {
                                    dropped = false;
                                }
                                if inbound.try_send(Inbound::Payload(Bytes::copy_from_slice(message.get_payload_bytes()))).is_err() {
                                    tracing::warn!("relay inbound queue full; message dropped");
                                    dropped = true;
                                }
                            }
                            None => {
                                tracing::warn!("lost the Redis subscription; reconnecting");
                                break;
                            }
                        },
                        _ = check.tick() => if liveness.silent_for() > STALLED_AFTER {
                            tracing::warn!("the Redis subscription stalled; reconnecting");
                            break;
                        },
                    }
                }
                *subscriptions.sink() = None;
                subscriptions.connected.store(false, Ordering::Relaxed);
            }
            None => {
                if was_up {
                    tracing::warn!("cannot reach Redis; serving this instance's clients alone and retrying");
                }
                was_up = false;
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(backoff(&mut delay)) => {}
        }
    }
}

/// A subscriber connection subscribed to everything wanted, or None.
async fn connect(client: &redis::Client, subscriptions: &Subscriptions) -> Option<redis::aio::PubSubStream> {
    let pubsub = timeout(ANSWER_WITHIN, client.get_async_pubsub()).await.ok()?.ok()?;
    let (mut sink, stream) = pubsub.split();
    let wanted: Vec<String> = subscriptions.wanted().iter().cloned().collect();
    timeout(ANSWER_WITHIN, sink.subscribe(wanted)).await.ok()?.ok()?;
    // Channels wanted while this was connecting are subscribed by their own
    // callers through this sink, or by the next connection.
    *subscriptions.sink() = Some(sink.clone());
    let late: Vec<String> = subscriptions.wanted().iter().cloned().collect();
    timeout(ANSWER_WITHIN, sink.subscribe(late)).await.ok()?.ok()?;
    Some(stream)
}
