//! What one connection may ask of the server, so that a client that was let
//! in — a viewer is enough — cannot make the server do unbounded work:
//!
//! - at most [`protocol::MAX_MESSAGES_PER_FRAME`] messages per frame (checked
//!   while decoding);
//! - at most one SyncStep1 and one AwarenessQuery answered per frame (each
//!   answer can be the whole document, or everyone's presence);
//! - a token bucket of messages per second (`QUIRE_MAX_MESSAGES_PER_SECOND`;
//!   0 turns it off, as benchmark writers need), with a burst of two seconds'
//!   worth, so a paste or a reconnect's catch-up passes;
//! - a token bucket of those costly requests: a few at once, then one a second;
//! - a token bucket of bytes written (updates): 32 MiB at once — a large
//!   paste, an offline session's catch-up — then 1 MiB a second, so one
//!   editor cannot keep the database writing 16 MiB frames (off with the
//!   message rate).
//!
//! Over budget, the connection is closed with 1008 and a reason; nobody else
//! notices.
//!
//! [`protocol::MAX_MESSAGES_PER_FRAME`]: app::collab::protocol::MAX_MESSAGES_PER_FRAME

use std::time::Instant;

use app::collab::protocol::close;

use super::room::CloseReason;

pub const TOO_MANY_MESSAGES: CloseReason =
    CloseReason::new(close::POLICY, "too many messages: slow down (the server's per-connection rate limit)");
pub const TOO_MANY_REQUESTS: CloseReason =
    CloseReason::new(close::POLICY, "too many sync or presence requests: slow down");
pub const TOO_MUCH_WRITTEN: CloseReason =
    CloseReason::new(close::POLICY, "too much written too fast: slow down (the server's per-connection rate limit)");

/// Bytes of updates a connection may send at once...
const WRITE_BURST: f64 = 32.0 * 1024.0 * 1024.0;
/// ...and per second after that.
const WRITE_BYTES_PER_SECOND: f64 = 1024.0 * 1024.0;

/// Costly requests (a SyncStep1 or an AwarenessQuery) a connection may make at once.
const COSTLY_BURST: f64 = 8.0;
/// ...and per second after that.
const COSTLY_PER_SECOND: f64 = 1.0;

struct Bucket {
    tokens: f64,
    burst: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    fn new(burst: f64, per_second: f64, now: Instant) -> Self {
        Bucket { tokens: burst, burst, per_second, last: now }
    }

    fn take(&mut self, n: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens < n {
            return false;
        }
        self.tokens -= n;
        true
    }
}

/// One connection's budget.
pub struct Budget {
    /// None when the message rate is not limited (nor then the bytes written).
    messages: Option<Bucket>,
    written: Option<Bucket>,
    costly: Bucket,
}

impl Budget {
    /// A fresh budget; `messages_per_second` 0 means no message rate limit.
    pub fn new(messages_per_second: u32, now: Instant) -> Self {
        let messages = (messages_per_second > 0).then(|| {
            let rate = f64::from(messages_per_second);
            Bucket::new((rate * 2.0).max(protocol_frame_max()), rate, now)
        });
        let written = (messages_per_second > 0).then(|| Bucket::new(WRITE_BURST, WRITE_BYTES_PER_SECOND, now));
        Budget { messages, written, costly: Bucket::new(COSTLY_BURST, COSTLY_PER_SECOND, now) }
    }

    /// Charges one frame of `messages` messages, `costly` of them answered
    /// requests, carrying `written` bytes of updates; Err with the reason to
    /// close if it is over budget.
    pub fn charge(&mut self, messages: usize, costly: usize, written: usize, now: Instant) -> Result<(), CloseReason> {
        if let Some(bucket) = &mut self.messages {
            if !bucket.take(messages as f64, now) {
                return Err(TOO_MANY_MESSAGES);
            }
        }
        if let Some(bucket) = &mut self.written {
            if written > 0 && !bucket.take(written as f64, now) {
                return Err(TOO_MUCH_WRITTEN);
            }
        }
        if costly > 0 && !self.costly.take(costly as f64, now) {
            return Err(TOO_MANY_REQUESTS);
        }
        Ok(())
    }
}

/// A single full frame always fits the burst.
fn protocol_frame_max() -> f64 {
    app::collab::protocol::MAX_MESSAGES_PER_FRAME as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bursts_pass_then_the_rate_holds() {
        let t0 = Instant::now();
        let mut budget = Budget::new(100, t0);
        assert!(budget.charge(200, 0, 0, t0).is_ok(), "two seconds' worth at once");
        assert_eq!(budget.charge(1, 0, 0, t0), Err(TOO_MANY_MESSAGES));
        let mut budget = Budget::new(100, t0);
        // A steady 100 a second goes on for ever.
        for i in 1..=1_000 {
            assert!(budget.charge(1, 0, 0, t0 + Duration::from_millis(10 * i)).is_ok());
        }
    }

    #[test]
    fn a_large_paste_passes_but_a_stream_of_them_does_not() {
        let t0 = Instant::now();
        let mut budget = Budget::new(100, t0);
        assert!(budget.charge(1, 0, 16 << 20, t0).is_ok());
        assert!(budget.charge(1, 0, 15 << 20, t0).is_ok());
        assert_eq!(budget.charge(1, 0, 16 << 20, t0), Err(TOO_MUCH_WRITTEN));
        let mut off = Budget::new(0, t0);
        assert!((0..100).all(|_| off.charge(1, 0, 16 << 20, t0).is_ok()));
    }

    #[test]
    fn zero_turns_the_message_rate_off_but_not_the_costly_requests() {
        let t0 = Instant::now();
        let mut budget = Budget::new(0, t0);
        for _ in 0..10_000 {
            assert!(budget.charge(64, 0, 0, t0).is_ok());
        }
        for _ in 0..COSTLY_BURST as usize {
            assert!(budget.charge(1, 1, 0, t0).is_ok());
        }
        assert_eq!(budget.charge(1, 1, 0, t0), Err(TOO_MANY_REQUESTS));
        assert!(budget.charge(1, 1, 0, t0 + Duration::from_secs(1)).is_ok(), "one a second after the burst");
    }
}
