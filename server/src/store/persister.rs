//! The persistence queue: one task that writes every accepted update to the
//! database, many per transaction (group commit), in the order they were queued.
//!
//! A failed commit is retried with backoff, never dropped; while the database is
//! failing `/healthz` says so. Writers learn that their updates are durable
//! through [`Ack`]s, which are delivered only after the transaction holding
//! everything queued before them committed. A `Flush` job is answered the same
//! way, which is how rooms unload and how shutdown knows nothing is left in memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::Store;
use crate::doc_id::DocId;

/// Most updates committed in one transaction.
const MAX_BATCH: usize = 512;
/// Bytes appended to a document's log that make it due for compaction, however
/// few rows they are: the log of a document written and deleted again and
/// again (which the document limit does not count once collected) stays
/// bounded on disk.
const COMPACT_AFTER_BYTES: u64 = 8 * 1024 * 1024;
/// Jobs that may wait for the writer before senders wait too.
const QUEUE_CAPACITY: usize = 8192;

/// "Write number `write` of this connection is durable": raises the
/// connection's committed count once everything queued before it committed.
pub struct Ack {
    pub to: Arc<watch::Sender<u64>>,
    pub write: u64,
}

impl Ack {
    fn deliver(self) {
        self.to.send_if_modified(|committed| {
            let newer = self.write > *committed;
            if newer {
                *committed = self.write;
            }
            newer
        });
    }
}

enum PersistJob {
    /// Append one update to a document's log.
    Append(DocId, Bytes, Option<Ack>),
    /// Deliver an acknowledgement after everything queued before it committed
    /// (a write that changed nothing still waits for the ones before it).
    Ack(Ack),
    /// Answer once every job queued before this one is committed; if a document
    /// is named, compact its log first.
    Flush(Option<DocId>, oneshot::Sender<()>),
}

/// Handle to the writer task; clones share it.
#[derive(Clone)]
pub struct Persister {
    jobs: mpsc::Sender<PersistJob>,
    healthy: Arc<AtomicBool>,
    /// Updates queued and not yet committed.
    pending: Arc<AtomicUsize>,
}

impl Persister {
    /// Starts the writer. It runs until every `Persister` clone is dropped and
    /// the queue is drained, so awaiting the handle after that flushes everything.
    pub fn spawn(store: Store, compact_after: usize) -> (Persister, JoinHandle<()>) {
        let (jobs, rx) = mpsc::channel(QUEUE_CAPACITY);
        let healthy = Arc::new(AtomicBool::new(true));
        let pending = Arc::new(AtomicUsize::new(0));
        let writer = Writer {
            store,
            compact_after,
            healthy: healthy.clone(),
            pending: pending.clone(),
            since_compaction: HashMap::new(),
        };
        let handle = tokio::spawn(writer.run(rx));
        (Persister { jobs, healthy, pending }, handle)
    }

    /// Queues an update, and the acknowledgement to deliver once it is durable.
    /// Waits only when the queue is full (backpressure on the client that sends
    /// faster than the database commits).
    pub async fn append(&self, doc: DocId, update: Bytes, ack: Option<Ack>) {
        self.pending.fetch_add(1, Ordering::Relaxed);
        if self.jobs.send(PersistJob::Append(doc, update, ack)).await.is_err() {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            tracing::error!("persistence queue closed; update not stored");
        }
    }

    /// Queues an acknowledgement on its own, delivered once everything queued
    /// before it is durable.
    pub async fn acknowledge(&self, ack: Ack) {
        let _ = self.jobs.send(PersistJob::Ack(ack)).await;
    }

    /// Waits until everything queued so far is committed, compacting `doc` if given.
    pub async fn flush(&self, compact: Option<DocId>) {
        let (done, wait) = oneshot::channel();
        if self.jobs.send(PersistJob::Flush(compact, done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// False while the last commit attempt failed.
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Updates accepted from clients and not yet committed.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }
}

struct Writer {
    store: Store,
    compact_after: usize,
    healthy: Arc<AtomicBool>,
    pending: Arc<AtomicUsize>,
    /// Rows and bytes appended per document since its last compaction.
    since_compaction: HashMap<DocId, (usize, u64)>,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<PersistJob>) {
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
            let mut appends = Vec::with_capacity(jobs.len());
            let mut acks = Vec::new();
            let mut flushes = Vec::new();
            for job in jobs.drain(..) {
                match job {
                    PersistJob::Append(doc, update, ack) => {
                        appends.push((doc, update));
                        acks.extend(ack);
                    }
                    PersistJob::Ack(ack) => acks.push(ack),
                    PersistJob::Flush(doc, done) => flushes.push((doc, done)),
                }
            }
            // Every ack in this batch follows only jobs of this batch or of
            // earlier (committed) ones, so one commit answers all of them.
            self.commit(&appends).await;
            self.pending.fetch_sub(appends.len(), Ordering::Relaxed);
            if !appends.is_empty() && !acks.is_empty() {
                crate::failpoint::hit("commit:before-ack");
            }
            for ack in acks {
                ack.deliver();
            }
            for (doc, update) in &appends {
                let (rows, bytes) = self.since_compaction.entry(doc.clone()).or_default();
                *rows += 1;
                *bytes += update.len() as u64;
            }
            let mut due: Vec<DocId> = self
                .since_compaction
                .iter()
                .filter(|(_, (rows, bytes))| *rows >= self.compact_after || *bytes >= COMPACT_AFTER_BYTES)
                .map(|(doc, _)| doc.clone())
                .collect();
            due.extend(flushes.iter().filter_map(|(doc, _)| doc.clone()));
            due.sort();
            due.dedup();
            for doc in due {
                self.compact(&doc).await;
            }
            for (_, done) in flushes {
                let _ = done.send(());
            }
        }
    }

    /// Commits one batch, retrying until the database takes it.
    async fn commit(&self, batch: &[(DocId, Bytes)]) {
        if batch.is_empty() {
            return;
        }
        let mut delay = Duration::from_millis(50);
        loop {
            match self.store.append_updates(batch).await {
                Ok(()) => {
                    self.healthy.store(true, Ordering::Relaxed);
                    return;
                }
                Err(error) => {
                    self.healthy.store(false, Ordering::Relaxed);
                    tracing::error!(%error, updates = batch.len(), retry_in_ms = delay.as_millis() as u64, "storing updates failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Compaction is an optimisation: on failure the log simply stays longer.
    async fn compact(&mut self, doc: &DocId) {
        match self.store.compact(doc).await {
            Ok(merged) => {
                self.since_compaction.remove(doc);
                tracing::debug!(%doc, merged, "compacted");
            }
            Err(error) => tracing::warn!(%doc, %error, "compaction failed; will retry later"),
        }
    }
}
