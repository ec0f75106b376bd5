//! A connection's outbound queue, bounded twice: in frames (so fan-out never
//! waits for a slow client) and in bytes (so a client that asks for the whole
//! document and never reads the answer cannot make the server hold copies of
//! it without end). A full outbox means the client is too slow: it is dropped
//! and re-syncs when it reconnects.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

/// The sending side, held by the room (fan-out) and the connection (replies).
#[derive(Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Bytes>,
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// The writer's side.
pub struct OutboxReceiver {
    frames: mpsc::Receiver<Bytes>,
    queued: Arc<AtomicUsize>,
}

/// The frame was not queued: the client is too slow, or gone.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

/// An outbox holding at most `max_frames` frames and `max_bytes` bytes (one
/// frame larger than that is still taken when the outbox is empty).
pub fn outbox(max_frames: usize, max_bytes: usize) -> (Outbox, OutboxReceiver) {
    let (tx, rx) = mpsc::channel(max_frames.max(1));
    let queued = Arc::new(AtomicUsize::new(0));
    (Outbox { frames: tx, queued: queued.clone(), max_bytes }, OutboxReceiver { frames: rx, queued })
}

impl Outbox {
    /// Queues a frame without waiting.
    pub fn try_send(&self, frame: Bytes) -> Result<(), Full> {
        let len = frame.len();
        let before = self.queued.fetch_add(len, Ordering::AcqRel);
        if before > 0 && before + len > self.max_bytes {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            return Err(Full);
        }
        self.frames.try_send(frame).map_err(|_| {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            Full
        })
    }
}

impl OutboxReceiver {
    /// The next frame; None once every sender is gone.
    pub async fn recv(&mut self) -> Option<Bytes> {
        let frame = self.frames.recv().await?;
        self.queued.fetch_sub(frame.len(), Ordering::AcqRel);
        Some(frame)
    }

    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Option<Bytes> {
        let frame = self.frames.try_recv().ok()?;
        self.queued.fetch_sub(frame.len(), Ordering::AcqRel);
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_in_frames_and_in_bytes() {
        let (tx, mut rx) = outbox(3, 10);
        assert_eq!(tx.try_send(Bytes::from(vec![0; 25])), Ok(()), "one large frame fits an empty outbox");
        assert_eq!(tx.try_send(Bytes::from(vec![0; 1])), Err(Full), "nothing fits behind it");
        assert_eq!(rx.recv().await.map(|f| f.len()), Some(25));
        for _ in 0..3 {
            assert_eq!(tx.try_send(Bytes::from(vec![0; 2])), Ok(()));
        }
        assert_eq!(tx.try_send(Bytes::from(vec![0; 2])), Err(Full), "three frames at most");
        assert!(rx.try_recv().is_some());
        assert_eq!(tx.try_send(Bytes::from(vec![0; 5])), Ok(()), "4 + 5 bytes fit in 10");
        assert!(rx.try_recv().is_some());
        assert_eq!(tx.try_send(Bytes::from(vec![0; 4])), Err(Full), "7 + 4 bytes would pass 10");
    }
}
