//! Which of the user's own changes the server has committed: the bookkeeping
//! behind the status pill's "Saving…", "Saved" and "Offline — N changes on
//! this device", and the warning when a tab with unsaved changes is closed.
//!
//! The server numbers a client's writes (SyncStep2 and Update messages) from 1
//! on each socket and says "saved N" once writes 1..=N are committed (see
//! `protocol`). Each write covers every local change made before it was sent:
//! an Update carries the newest one, and a SyncStep2 carries everything the
//! server lacked, including changes made offline or in an earlier page load.

use std::collections::VecDeque;

#[derive(Debug, Default)]
pub struct SaveTracker {
    /// Local changes made so far (counting unsaved ones restored from the device).
    made: u64,
    /// How many of them are known to be committed.
    saved: u64,
    /// Writes sent on the current socket.
    writes: u64,
    /// Unacknowledged writes on this socket: (write number, `made` when sent).
    in_flight: VecDeque<(u64, u64)>,
}

impl SaveTracker {
    /// Starts from `unsaved` changes an earlier page load left on this device.
    pub fn restored(unsaved: u64) -> Self {
        SaveTracker { made: unsaved, ..Self::default() }
    }

    /// The user changed the document.
    pub fn local_change(&mut self) {
        self.made += 1;
    }

    /// A new socket: its writes are numbered from 1, and nothing sent on the
    /// old one will be acknowledged (the next sync exchange re-covers it).
    pub fn new_socket(&mut self) {
        self.writes = 0;
        self.in_flight.clear();
    }

    /// A write left on the current socket; it covers every change made so far.
    pub fn sent_write(&mut self) {
        self.writes += 1;
        self.in_flight.push_back((self.writes, self.made));
    }

    /// The server committed this socket's writes 1..=`writes`.
    pub fn acknowledged(&mut self, writes: u64) {
        while let Some(&(write, covered)) = self.in_flight.front() {
            if write > writes {
                break;
            }
            self.saved = self.saved.max(covered);
            self.in_flight.pop_front();
        }
    }

    /// Local changes not yet known to be on the server's disk.
    pub fn unsaved(&self) -> u64 {
        self.made - self.saved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_once_every_write_covering_a_change_is_acknowledged() {
        let mut saves = SaveTracker::default();
        saves.new_socket();
        saves.sent_write(); // the sync exchange, before any change
        saves.local_change();
        saves.sent_write();
        saves.local_change();
        saves.sent_write();
        assert_eq!(saves.unsaved(), 2);
        saves.acknowledged(2);
        assert_eq!(saves.unsaved(), 1, "write 2 covered the first change only");
        saves.acknowledged(3);
        assert_eq!(saves.unsaved(), 0);
        saves.acknowledged(3);
        assert_eq!(saves.unsaved(), 0, "repeated acknowledgements change nothing");
    }

    #[test]
    fn offline_changes_are_covered_by_the_next_sync_exchange() {
        let mut saves = SaveTracker::restored(3);
        saves.new_socket();
        saves.local_change();
        saves.sent_write(); // an update sent just before the socket died
        saves.local_change(); // typed offline
        assert_eq!(saves.unsaved(), 5);
        saves.new_socket();
        saves.acknowledged(1);
        assert_eq!(saves.unsaved(), 5, "acknowledgements are per socket; nothing was sent on this one");
        saves.sent_write(); // SyncStep2: everything the server lacks
        saves.local_change();
        saves.sent_write();
        saves.acknowledged(1);
        assert_eq!(saves.unsaved(), 1);
        saves.acknowledged(2);
        assert_eq!(saves.unsaved(), 0);
    }
}
