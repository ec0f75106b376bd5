//! Where a browser's connection to a document stands, as a pure state
//! machine: what a socket closing with a given code means (retry, or stop for
//! good), and what the status pill says given the connection and how many of
//! the person's changes the server has not committed yet. The browser session
//! (`client/session.rs`) feeds it events; the pill and the page's notices
//! read [`ConnStatus`].

use crate::collab::protocol::close;

/// What the status pill shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    /// First connection in progress (and the state rendered on the server).
    Connecting,
    /// Connected, in sync, and every change of the user's is committed on the server.
    Saved,
    /// Connected; some of the user's changes are not yet committed.
    Saving,
    /// No connection; retrying with backoff. Editing goes on, and this many
    /// changes wait on this device until the connection is back.
    Offline(u64),
    /// The document has as many people as it accepts; retrying with backoff.
    RoomFull,
    /// The owner took this person's access away; no more retries.
    AccessRemoved,
    /// The owner deleted the document; no more retries.
    Deleted,
    /// The server closed the connection over what this page sent; retrying
    /// with backoff, and the changes it did not take wait on this device.
    Refused(Refusal),
}

impl ConnStatus {
    /// The connection ended for good: the editor is no longer available.
    pub fn is_final(self) -> bool {
        matches!(self, ConnStatus::AccessRemoved | ConnStatus::Deleted)
    }
}

/// Why the server turned this page's connection away (its close code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A change would take the document past its size limit (1009).
    TooLarge,
    /// Too many messages or connections: a rate or connection limit (1008).
    Limited,
    /// A change the server does not accept (1007, 1003).
    Invalid,
}

impl Refusal {
    /// The refusal a close code stands for, if it is one.
    pub fn from_close_code(code: u16) -> Option<Refusal> {
        match code {
            close::TOO_BIG => Some(Refusal::TooLarge),
            close::POLICY => Some(Refusal::Limited),
            close::INVALID | close::UNSUPPORTED => Some(Refusal::Invalid),
            _ => None,
        }
    }

    /// What it means for the person, in a sentence (the page's notice).
    pub fn explanation(self) -> &'static str {
        match self {
            Refusal::TooLarge => {
                "The server did not take your last change: this document is at its size limit. \
                 Your text is kept on this device; make the document smaller to save again."
            }
            Refusal::Limited => {
                "The server is limiting this connection (too many messages or connections). \
                 Quire reconnects by itself; your changes are kept on this device until then."
            }
            Refusal::Invalid => {
                "The server refused a change from this page. Your text is kept on this device; \
                 reload the page to start again from the server's copy."
            }
        }
    }
}

/// The state of the link to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Before the first connection completed or failed.
    Connecting,
    /// The first sync on the current socket completed.
    Synced,
    /// Disconnected; retrying.
    Offline,
    RoomFull,
    /// Access removed or document deleted: no more retries.
    Ended(ConnStatus),
}

/// What to do after a socket closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterClose {
    /// Try again after the backoff.
    Retry,
    /// Stop for good (reconnecting would be refused too); forget this
    /// device's copy, which may hold what the person may no longer see.
    End,
}

/// The link, and the last refusal (shown until every change is saved again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    link: Link,
    refusal: Option<Refusal>,
}

impl Default for Connection {
    fn default() -> Self {
        Connection { link: Link::Connecting, refusal: None }
    }
}

impl Connection {
    pub fn link(&self) -> Link {
        self.link
    }

    pub fn ended(&self) -> bool {
        matches!(self.link, Link::Ended(_))
    }

    /// The first sync on a socket completed.
    pub fn synced(&mut self) {
        if !self.ended() {
            self.link = Link::Synced;
        }
    }

    /// The connection was lost (or could not be made) and will be retried.
    pub fn lost(&mut self) {
        if !self.ended() {
            self.link = Link::Offline;
        }
    }

    /// The server closed the socket with `code`.
    pub fn closed(&mut self, code: u16) -> AfterClose {
        if self.ended() {
            return AfterClose::End;
        }
        let ended = match code {
            close::FORBIDDEN => Some(ConnStatus::AccessRemoved),
            close::GONE => Some(ConnStatus::Deleted),
            _ => None,
        };
        if let Some(status) = ended {
            self.link = Link::Ended(status);
            return AfterClose::End;
        }
        if let Some(refusal) = Refusal::from_close_code(code) {
            self.refusal = Some(refusal);
        }
        self.link = if code == close::ROOM_FULL { Link::RoomFull } else { Link::Offline };
        AfterClose::Retry
    }

    /// The pill's status with `unsaved` changes not yet committed. Once
    /// everything is saved on a synced socket, a past refusal is forgotten.
    pub fn status(&mut self, unsaved: u64) -> ConnStatus {
        if unsaved == 0 && self.link == Link::Synced {
            self.refusal = None;
        }
        match (self.link, self.refusal) {
            (Link::Ended(status), _) => status,
            (_, Some(refusal)) => ConnStatus::Refused(refusal),
            (Link::Connecting, None) => ConnStatus::Connecting,
            (Link::Synced, None) if unsaved == 0 => ConnStatus::Saved,
            (Link::Synced, None) => ConnStatus::Saving,
            (Link::Offline, None) => ConnStatus::Offline(unsaved),
            (Link::RoomFull, None) => ConnStatus::RoomFull,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connecting_then_saving_then_saved() {
        let mut c = Connection::default();
        assert_eq!(c.status(0), ConnStatus::Connecting);
        c.synced();
        assert_eq!(c.status(2), ConnStatus::Saving);
        assert_eq!(c.status(0), ConnStatus::Saved);
    }

    #[test]
    fn a_lost_socket_counts_the_changes_waiting_on_the_device() {
        let mut c = Connection::default();
        c.synced();
        assert_eq!(c.closed(close::TRY_AGAIN), AfterClose::Retry);
        assert_eq!(c.status(3), ConnStatus::Offline(3));
        c.synced();
        assert_eq!(c.status(0), ConnStatus::Saved);
        c.lost();
        assert_eq!(c.status(0), ConnStatus::Offline(0));
    }

    #[test]
    fn access_removed_and_deleted_are_final_whatever_follows() {
        for (code, status) in [(close::FORBIDDEN, ConnStatus::AccessRemoved), (close::GONE, ConnStatus::Deleted)] {
            let mut c = Connection::default();
            c.synced();
            assert_eq!(c.closed(code), AfterClose::End);
            assert_eq!(c.status(5), status);
            assert!(status.is_final());
            // Nothing brings it back: not a sync, a loss or another close.
            c.synced();
            c.lost();
            assert_eq!(c.closed(close::TRY_AGAIN), AfterClose::End);
            assert_eq!(c.status(0), status);
        }
    }

    #[test]
    fn a_refusal_shows_until_everything_is_saved_again() {
        let mut c = Connection::default();
        c.synced();
        assert_eq!(c.closed(close::TOO_BIG), AfterClose::Retry);
        assert_eq!(c.status(1), ConnStatus::Refused(Refusal::TooLarge));
        c.synced();
        // Reconnected, but the refused change is still unsaved.
        assert_eq!(c.status(1), ConnStatus::Refused(Refusal::TooLarge));
        assert_eq!(c.status(0), ConnStatus::Saved);
        assert_eq!(c.status(1), ConnStatus::Saving);
    }

    #[test]
    fn a_full_room_waits_for_a_seat() {
        let mut c = Connection::default();
        assert_eq!(c.closed(close::ROOM_FULL), AfterClose::Retry);
        assert_eq!(c.status(0), ConnStatus::RoomFull);
        assert!(!ConnStatus::RoomFull.is_final());
    }

    #[test]
    fn close_codes_name_their_refusal() {
        assert_eq!(Refusal::from_close_code(close::TOO_BIG), Some(Refusal::TooLarge));
        assert_eq!(Refusal::from_close_code(close::POLICY), Some(Refusal::Limited));
        assert_eq!(Refusal::from_close_code(close::INVALID), Some(Refusal::Invalid));
        assert_eq!(Refusal::from_close_code(close::UNSUPPORTED), Some(Refusal::Invalid));
        assert_eq!(Refusal::from_close_code(close::TRY_AGAIN), None);
    }
}
