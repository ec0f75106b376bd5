//! Workloads a and b: one writer appends small chunks at a steady rate into a
//! room of N clients; latency is the time from the writer's send to each other
//! client receiving the chunk. Rates climb until the server cannot keep up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Message;
use yrs::{Doc, Options, Text, Transact};

use crate::peer::{clock_reached, Peer};
use crate::stats::{summarize, Summary};
use crate::target::Target;
use crate::wire::Incoming;

/// The writer's client id: receivers look for it in every update.
pub const WRITER: u64 = 0x5EED_0001;
/// Each update appends this many ASCII characters (a burst of typing).
const CHUNK: &str = "typed it";
/// Receivers give up on chunks this long after the last send.
const DRAIN: Duration = Duration::from_secs(3);

/// One room size at one offered rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub clients: usize,
    /// Updates per second the writer sent.
    pub rate: u32,
    pub sent: usize,
    /// Chunk arrivals at the other clients (sent × (clients − 1) when none is lost).
    pub delivered: usize,
    pub expected: usize,
    /// Delivered chunks per second of sending.
    pub delivered_per_sec: f64,
    pub latency: Summary,
}

impl Point {
    /// Every chunk arrived and the 99th percentile stayed under the bar.
    pub fn sustained(&self, p99_limit_ms: f64) -> bool {
        self.delivered == self.expected && self.latency.p99_ms <= p99_limit_ms
    }
}

/// Runs one point: a fresh room, `clients` members (one writes), `rate`
/// updates per second for `duration`. With several instances the writer is
/// on the first and the readers on the second, so every update crosses the relay.
pub async fn run_point(target: &Target, clients: usize, rate: u32, duration: Duration) -> anyhow::Result<Point> {
    let room = target.new_rooms(&format!("fanout-{clients}-{rate}"), 1).await?.remove(0);
    let readers_instance = if target.instances.len() > 1 { 1 } else { 0 };
    let mut readers = Vec::with_capacity(clients - 1);
    for batch in (0..clients - 1).collect::<Vec<_>>().chunks(50) {
        let joined =
            join_all(batch.iter().map(|_| Peer::join(target, readers_instance, &room, Duration::from_secs(30)))).await;
        for result in joined {
            readers.push(result?.0);
        }
    }
    let (writer, _) = Peer::join(target, 0, &room, Duration::from_secs(30)).await?;

    let total = ((rate as f64) * duration.as_secs_f64()).round().max(1.0) as usize;
    let dialect = target.dialect(&room);
    // Every frame is made before the clock starts: the load generator's one
    // core is for sending and receiving.
    let doc = Doc::with_options(Options {
        client_id: yrs::block::ClientID::new(WRITER),
        offset_kind: yrs::OffsetKind::Utf16,
        ..Options::default()
    });
    let text = doc.get_or_insert_text("content");
    let frames: Vec<Message> = (0..total)
        .map(|_| {
            let mut txn = doc.transact_mut();
            let end = text.len(&txn);
            text.insert(&mut txn, end, CHUNK);
            Message::Binary(dialect.update(&txn.encode_update_v1()).into())
        })
        .collect();
    let epoch = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let final_clock = (total * CHUNK.len()) as u32;
    let deadline = epoch + duration + DRAIN;

    let receivers: Vec<_> = readers
        .into_iter()
        .map(|peer| tokio::spawn(receive(peer, sent_at.clone(), epoch, final_clock, deadline)))
        .collect();

    // Drain what the server sends the writer (acks, echoes) so it never blocks.
    let Peer { mut sink, stream, .. } = writer;
    let drain = tokio::spawn(stream.for_each(|_| async {}));

    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut next = 0usize;
    while next < total {
        let due = ((epoch.elapsed().as_secs_f64() / interval.as_secs_f64()) as usize + 1).min(total);
        while next < due {
            sent_at[next].store(epoch.elapsed().as_nanos() as u64, Ordering::Relaxed);
            sink.feed(frames[next].clone()).await?;
            next += 1;
        }
        sink.flush().await?;
        if next < total {
            let at = epoch + interval.mul_f64(next as f64);
            tokio::time::sleep_until(at.into()).await;
        }
    }
    let sending = epoch.elapsed();

    let mut latencies = Vec::with_capacity(total * (clients - 1));
    for receiver in receivers {
        latencies.extend(receiver.await??);
    }
    drain.abort();
    let _ = sink.close().await;
    let delivered = latencies.len();
    Ok(Point {
        clients,
        rate,
        sent: total,
        delivered,
        expected: total * (clients - 1),
        delivered_per_sec: delivered as f64 / sending.as_secs_f64().max(duration.as_secs_f64()),
        latency: summarize(latencies),
    })
}

/// One reader: notes the arrival time of every chunk, however the server
/// packed them, until the last chunk or the deadline. Latencies in µs.
async fn receive(
    mut peer: Peer,
    sent_at: Arc<Vec<AtomicU64>>,
    epoch: Instant,
    final_clock: u32,
    deadline: Instant,
) -> anyhow::Result<Vec<u32>> {
    let chunk = CHUNK.len() as u32;
    let mut latencies = Vec::with_capacity((final_clock / chunk) as usize);
    let mut reached = 0u32;
    while reached < final_clock {
        let messages = match tokio::time::timeout_at(deadline.into(), peer.next()).await {
            Ok(Ok(messages)) => messages,
            // Cut off by the server (too slow a reader) or out of time: what
            // did not arrive counts as lost.
            Ok(Err(_)) | Err(_) => break,
        };
        let now = epoch.elapsed().as_nanos() as u64;
        for message in messages {
            let (Incoming::Update(update) | Incoming::SyncStep2(update)) = message else { continue };
            let Some(end) = clock_reached(&update, WRITER)? else { continue };
            while reached + chunk <= end.min(final_clock) {
                let index = (reached / chunk) as usize;
                let sent = sent_at[index].load(Ordering::Relaxed);
                latencies.push(((now.saturating_sub(sent)) / 1000) as u32);
                reached += chunk;
            }
        }
    }
    let _ = peer.sink.close().await;
    Ok(latencies)
}

/// Offered rates for a room of `clients`: from a trickle up to well past
/// what any server here sustains (the sweep stops at the first miss).
pub fn rates(clients: usize) -> Vec<u32> {
    let ceiling = (2_000_000 / clients.max(1)) as u32;
    [50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000]
        .into_iter()
        .filter(|&rate| rate <= ceiling.max(50))
        .collect()
}
