//! Workload e: what durability costs. A Quire client says hello (102), sends
//! small updates at a steady rate, and times each one until the server's
//! "saved N" (103) covers it: the database transaction holding it committed.

use std::time::{Duration, Instant};

use futures::SinkExt;
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Message;
use yrs::{Doc, Text, Transact};

use crate::peer::Peer;
use crate::stats::{summarize, Summary};
use crate::target::Target;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaveAck {
    pub rate: u32,
    pub writes: usize,
    pub latency: Summary,
}

pub async fn run(target: &Target, rate: u32, writes: usize) -> anyhow::Result<SaveAck> {
    let room = target.new_rooms("save-ack", 1).await?.remove(0);
    let (mut peer, _) = Peer::join(target, 0, &room, Duration::from_secs(30)).await?;
    let doc = Doc::new();
    let text = doc.get_or_insert_text("content");
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let epoch = Instant::now();
    let mut sent_at = Vec::with_capacity(writes);
    let mut latencies = Vec::with_capacity(writes);
    let mut acked = 0usize;
    while acked < writes {
        let due = epoch + interval.mul_f64(sent_at.len() as f64);
        if sent_at.len() < writes && Instant::now() >= due {
            let update = {
                let mut txn = doc.transact_mut();
                let end = text.len(&txn);
                text.insert(&mut txn, end, "word ");
                txn.encode_update_v1()
            };
            sent_at.push(Instant::now());
            peer.sink.send(Message::Binary(peer.dialect.update(&update).into())).await?;
            continue;
        }
        let wait = if sent_at.len() < writes {
            due.saturating_duration_since(Instant::now())
        } else {
            Duration::from_secs(10)
        };
        match tokio::time::timeout(wait, peer.next()).await {
            Err(_) if sent_at.len() < writes => continue,
            Err(_) => anyhow::bail!("Quire acknowledged {acked} of {writes} writes"),
            Ok(messages) => {
                messages?;
                let now = Instant::now();
                while acked < (peer.saved as usize).min(sent_at.len()) {
                    latencies.push(now.duration_since(sent_at[acked]).as_micros() as u32);
                    acked += 1;
                }
            }
        }
    }
    Ok(SaveAck { rate, writes, latency: summarize(latencies) })
}
