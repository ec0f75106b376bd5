//! Workload c: many idle, synced connections with presence, in rooms of ten.
//! Measures how fast the server takes them (handshakes per second: WebSocket
//! open, sync answered, presence sent) and what each one costs it in memory.

use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};

use crate::peer::Peer;
use crate::servers::Running;

/// People per room.
pub const ROOM_SIZE: usize = 10;
/// Handshakes in flight at once.
const IN_FLIGHT: usize = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Capacity {
    pub connections: usize,
    /// Connections that were open and synced at the end.
    pub held: usize,
    pub handshakes_per_sec: f64,
    /// Server RSS before the first connection and with all of them, KiB.
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub kib_per_connection: f64,
}

pub async fn run(server: &Running, connections: usize) -> anyhow::Result<Capacity> {
    let target = &server.target;
    let rooms = target.new_rooms("capacity", connections.div_ceil(ROOM_SIZE)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = server.rss_kib();

    let started = Instant::now();
    let mut pending = FuturesUnordered::new();
    let mut peers = Vec::with_capacity(connections);
    let mut next = 0usize;
    let mut failures = 0usize;
    while next < connections || !pending.is_empty() {
        while next < connections && pending.len() < IN_FLIGHT {
            let room = rooms[next / ROOM_SIZE].clone();
            let person = next as u64;
            pending.push(async move {
                let (mut peer, _) = Peer::join(target, 0, &room, Duration::from_secs(60)).await?;
                let state = format!(
                    r##"{{"user":{{"name":"Reader {person}","color":"#3b82f6"}},"cursor":{{"anchor":0,"head":0}}}}"##
                );
                let frame = peer.dialect.awareness(1_000_000 + person, 1, &state);
                peer.send(frame).await?;
                anyhow::Ok(peer)
            });
            next += 1;
        }
        match pending.next().await {
            Some(Ok(peer)) => peers.push(peer),
            Some(Err(error)) => {
                failures += 1;
                if failures == 1 {
                    eprintln!("  {}: a connection failed: {error:#}", target.label);
                }
            }
            None => {}
        }
    }
    let handshakes_per_sec = peers.len() as f64 / started.elapsed().as_secs_f64();

    // Keep every socket read (pings answered, presence drained) while memory settles.
    let readers: Vec<_> =
        peers.into_iter().map(|mut peer| tokio::spawn(async move { while peer.next().await.is_ok() {} })).collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let held = readers.iter().filter(|reader| !reader.is_finished()).count();
    let rss_after_kib = server.rss_kib();
    for reader in readers {
        reader.abort();
    }
    Ok(Capacity {
        connections,
        held,
        handshakes_per_sec,
        rss_before_kib,
        rss_after_kib,
        kib_per_connection: rss_after_kib.saturating_sub(rss_before_kib) as f64 / held.max(1) as f64,
    })
}
