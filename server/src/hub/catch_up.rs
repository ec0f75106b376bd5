//! Convergence from the database, the source of truth. With several instances
//! the relay is only a fast path: Redis pub/sub drops messages while an
//! instance is disconnected, restarting or stalled. So every open room
//! regularly compares what the database holds for its document (log seqs and
//! snapshot version) with what it has already merged, reads only the new rows
//! (and the snapshot, if compaction wrote a new one), and applies them with
//! the relay origin: fanned out to its connections, never stored again.
//!
//! Bound: a change committed by any instance reaches every open room within
//! one catch-up interval (`QUIRE_RESYNC_MS`, 2 s by default) plus one query,
//! whatever the relay did; at once when the relay reports a reconnect. Rows this
//! instance wrote itself come back too and apply as no-ops (a CRDT update
//! applied twice changes nothing), which keeps this free of any bookkeeping
//! shared with the writer.

use crate::error::Result;
use crate::store::{LogIndex, Store};

use super::Room;

/// What the database holds that `room` has not merged yet.
struct Missing {
    snapshot: bool,
    seqs: Vec<i64>,
}

fn missing(merged: &LogIndex, now: &LogIndex) -> Missing {
    let seqs = now.seqs.iter().copied().filter(|seq| merged.seqs.binary_search(seq).is_err()).collect();
    Missing { snapshot: now.snapshot.is_some() && now.snapshot != merged.snapshot, seqs }
}

/// Brings `room` up to what the database holds. Returns how many stored
/// pieces (rows and snapshots) it applied.
pub async fn catch_up(store: &Store, room: &Room) -> Result<usize> {
    let now = store.log_index(&room.id).await?;
    let todo = missing(&room.stored(), &now);
    let mut applied = 0;
    // Rows deleted meanwhile by a compaction are in a snapshot whose version
    // differs from `now`'s: the next round reads it.
    if todo.snapshot {
        if let Some((_, snapshot)) = store.snapshot(&room.id).await? {
            applied += usize::from(apply(room, &snapshot));
        }
    }
    for row in store.log_rows(&room.id, &todo.seqs).await? {
        applied += usize::from(apply(room, &row));
    }
    *room.stored() = now;
    Ok(applied)
}

fn apply(room: &Room, stored: &[u8]) -> bool {
    let ok = room.apply_relayed(stored);
    if !ok {
        tracing::error!(doc = %room.id, "a stored update does not apply");
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unseen_rows_and_new_snapshots_are_read() {
        let merged = LogIndex { snapshot: Some(10), seqs: vec![11, 12, 14] };
        let same = missing(&merged, &merged.clone());
        assert!(!same.snapshot && same.seqs.is_empty());
        // A row committed late with a lower seq (PostgreSQL sequences) is not skipped.
        let later = missing(&merged, &LogIndex { snapshot: Some(10), seqs: vec![11, 12, 13, 14, 15] });
        assert_eq!((later.snapshot, later.seqs), (false, vec![13, 15]));
        // Compaction folded everything into a new snapshot.
        let compacted = missing(&merged, &LogIndex { snapshot: Some(15), seqs: vec![] });
        assert!(compacted.snapshot && compacted.seqs.is_empty());
        let fresh = missing(&LogIndex::default(), &LogIndex { snapshot: None, seqs: vec![1] });
        assert_eq!((fresh.snapshot, fresh.seqs), (false, vec![1]));
    }
}
