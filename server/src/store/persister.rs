//! The persistence queue: one task that writes every accepted update to the
//! database, many per transaction (group commit), in the order they were queued.
//!
//! A failed commit is retried with backoff, never dropped; while the database is
//! failing `/healthz` says so. Writers learn that their updates are durable
//! through [`Ack`]s, which are delivered only after the transaction holding
//! everything queued before them committed. A `Flush` job is answered the same
//! way, which is how rooms unload and how shutdown knows nothing is left in memory.
//!
//! The writer also cuts versions (see `versions.rs`) from what it committed:
//! once a document it wrote has seen no edit for the policy's pause, when its
//! room unloads, when asked (a named version, before a restore), and at
//! shutdown; then it thins the document's automatic versions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::authors::Authorship;
use super::versions::{Cut, Retention};
use super::{now_ms, Store, Write};
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

/// When the writer cuts versions by itself, and which it keeps.
#[derive(Debug, Clone, Copy)]
pub struct VersionPolicy {
    /// Quiet time after the last edit before an automatic version.
    pub pause: Duration,
    pub retention: Retention,
}

/// What asking for a version answers: the version holding the text, if any.
type CutReply = oneshot::Sender<crate::error::Result<Option<i64>>>;

enum PersistJob {
    /// Append one update to a document's log.
    Append(Write, Option<Ack>),
    /// Commit everything queued before, cut the versions still due, answer.
    Close(oneshot::Sender<()>),
    /// Cut a version once everything queued before is committed (of this
    /// text, if it is known: see `Store::keep_text`).
    Cut(DocId, Cut, Option<String>, CutReply),
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
    pub fn spawn(store: Store, compact_after: usize, versions: VersionPolicy) -> (Persister, JoinHandle<()>) {
        let (jobs, rx) = mpsc::channel(QUEUE_CAPACITY);
        let healthy = Arc::new(AtomicBool::new(true));
        let pending = Arc::new(AtomicUsize::new(0));
        let writer = Writer {
            store,
            compact_after,
            versions,
            healthy: healthy.clone(),
            pending: pending.clone(),
            since_compaction: HashMap::new(),
            edited: HashMap::new(),
            authorship: Authorship::default(),
        };
        let handle = tokio::spawn(writer.run(rx));
        (Persister { jobs, healthy, pending }, handle)
    }

    /// Queues an update, and the acknowledgement to deliver once it is durable.
    /// Waits only when the queue is full (backpressure on the client that sends
    /// faster than the database commits).
    pub async fn append(&self, write: Write, ack: Option<Ack>) {
        self.pending.fetch_add(1, Ordering::Relaxed);
        if self.jobs.send(PersistJob::Append(write, ack)).await.is_err() {
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

    /// For shutdown: waits until everything queued so far is committed and
    /// every document edited since its last version has a new one.
    pub async fn close(&self) {
        let (done, wait) = oneshot::channel();
        if self.jobs.send(PersistJob::Close(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Cuts a version of `doc` once everything queued so far is committed;
    /// answers the version that holds the text then (None: nothing stored).
    pub async fn cut(&self, doc: DocId, cut: Cut) -> crate::error::Result<Option<i64>> {
        self.cut_job(doc, cut, None).await
    }

    /// [`Self::cut`] of a text known to be the document's (a room's, just
    /// before a restore): nothing to rebuild from the database.
    pub async fn keep(&self, doc: DocId, cut: Cut, text: String) -> crate::error::Result<Option<i64>> {
        self.cut_job(doc, cut, Some(text)).await
    }

    async fn cut_job(&self, doc: DocId, cut: Cut, text: Option<String>) -> crate::error::Result<Option<i64>> {
        let (done, wait) = oneshot::channel();
        self.jobs.send(PersistJob::Cut(doc, cut, text, done)).await.map_err(|_| shutting_down())?;
        wait.await.map_err(|_| shutting_down())?
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

/// Writes to a document since its last version.
#[derive(Clone, Copy)]
struct Edited {
    first: tokio::time::Instant,
    last: tokio::time::Instant,
}

/// A document edited without any pause still gets a version this many
/// pauses after the first edit it holds.
const MAX_PAUSES_WITHOUT_VERSION: u32 = 10;

impl Edited {
    fn due(&self, pause: Duration) -> tokio::time::Instant {
        (self.last + pause).min(self.first + pause * MAX_PAUSES_WITHOUT_VERSION)
    }
}

fn shutting_down() -> crate::error::Error {
    crate::error::Error::Internal("the server is shutting down".into())
}

struct Writer {
    store: Store,
    compact_after: usize,
    versions: VersionPolicy,
    healthy: Arc<AtomicBool>,
    pending: Arc<AtomicUsize>,
    /// Rows and bytes appended per document since its last compaction.
    since_compaction: HashMap<DocId, (usize, u64)>,
    /// Documents written since their last version: since when, and when last.
    edited: HashMap<DocId, Edited>,
    authorship: Authorship,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<PersistJob>) {
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        loop {
            let next_version = self.edited.values().map(|edited| edited.due(self.versions.pause)).min();
            let received = match next_version {
                Some(due) => tokio::select! {
                    received = rx.recv_many(&mut jobs, MAX_BATCH) => received,
                    () = tokio::time::sleep_until(due) => {
                        self.cut_quiet_documents().await;
                        continue;
                    }
                },
                None => rx.recv_many(&mut jobs, MAX_BATCH).await,
            };
            if received == 0 {
                break;
            }
            let mut appends = Vec::with_capacity(jobs.len());
            let mut acks = Vec::new();
            let mut flushes = Vec::new();
            let mut cuts = Vec::new();
            let mut closing = None;
            for job in jobs.drain(..) {
                match job {
                    PersistJob::Append(write, ack) => {
                        appends.push(write);
                        acks.extend(ack);
                    }
                    PersistJob::Ack(ack) => acks.push(ack),
                    PersistJob::Flush(doc, done) => flushes.push((doc, done)),
                    PersistJob::Cut(doc, cut, text, done) => cuts.push((doc, cut, text, done)),
                    PersistJob::Close(done) => closing = Some(done),
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
            let now = tokio::time::Instant::now();
            for write in &appends {
                let (rows, bytes) = self.since_compaction.entry(write.doc.clone()).or_default();
                *rows += 1;
                *bytes += write.update.len() as u64;
                self.edited
                    .entry(write.doc.clone())
                    .and_modify(|e| e.last = now)
                    .or_insert(Edited { first: now, last: now });
            }
            for (doc, cut, text, done) in cuts {
                let _ = done.send(self.cut(&doc, cut, text).await);
            }
            let mut due: Vec<DocId> = self
                .since_compaction
                .iter()
                .filter(|(_, (rows, bytes))| *rows >= self.compact_after || *bytes >= COMPACT_AFTER_BYTES)
                .map(|(doc, _)| doc.clone())
                .collect();
            // A room unloading: its last version first, then its compaction.
            for doc in flushes.iter().filter_map(|(doc, _)| doc.as_ref()) {
                if self.edited.contains_key(doc) {
                    let _ = self.cut(doc, Cut::Auto, None).await;
                }
                self.authorship.forget(doc);
                due.push(doc.clone());
            }
            due.sort();
            due.dedup();
            for doc in due {
                self.compact(&doc).await;
            }
            if closing.is_some() {
                // Shutting down: what was edited since its last version gets one.
                let edited: Vec<DocId> = self.edited.keys().cloned().collect();
                for doc in edited {
                    let _ = self.cut(&doc, Cut::Auto, None).await;
                }
            }
            for (_, done) in flushes {
                let _ = done.send(());
            }
            if let Some(done) = closing.take() {
                let _ = done.send(());
            }
        }
    }

    /// Versions of every document that has been quiet for the pause (or
    /// edited for many pauses without one).
    async fn cut_quiet_documents(&mut self) {
        let now = tokio::time::Instant::now();
        let pause = self.versions.pause;
        let quiet: Vec<DocId> =
            self.edited.iter().filter(|(_, edited)| edited.due(pause) <= now).map(|(doc, _)| doc.clone()).collect();
        for doc in quiet {
            if self.cut(&doc, Cut::Auto, None).await.is_err() {
                // Try again after another pause.
                let now = tokio::time::Instant::now();
                self.edited.insert(doc, Edited { first: now, last: now });
            }
        }
    }

    /// Cuts a version of what is committed, then thins the document's versions.
    async fn cut(&mut self, doc: &DocId, cut: Cut, text: Option<String>) -> crate::error::Result<Option<i64>> {
        let cut = match text {
            Some(text) => self.store.keep_text(doc, cut, text).await,
            None => self.store.cut_version(doc, cut).await,
        };
        match &cut {
            Ok(_) => {
                self.edited.remove(doc);
                if let Err(error) = self.store.thin_versions(doc, &self.versions.retention, now_ms()).await {
                    tracing::warn!(%doc, %error, "thinning versions failed; will retry with the next version");
                }
            }
            Err(error) => tracing::warn!(%doc, %error, "cutting a version failed"),
        }
        cut
    }

    /// Commits one batch, retrying until the database takes it.
    async fn commit(&mut self, batch: &[Write]) {
        if batch.is_empty() {
            return;
        }
        let plan = self.authorship.plan_for(batch);
        let mut delay = Duration::from_millis(50);
        loop {
            match self.store.append_planned(batch, &plan).await {
                Ok(()) => {
                    self.healthy.store(true, Ordering::Relaxed);
                    self.authorship.settle(plan);
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
