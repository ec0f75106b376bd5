//! The two dialects of the y-websocket protocol the benchmark speaks.
//!
//! Quire, the reference `y-websocket` server and the bare relay all carry
//! plain y-protocols messages (`[tag][...]`, possibly several in one frame).
//! Hocuspocus puts the document's name in front of every message and wants an
//! auth message before anything else. Only what the benchmark needs is decoded:
//! sync payloads, Quire's save acknowledgement and Hocuspocus's auth answer.

use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

const MSG_SYNC: u64 = 0;
const MSG_AWARENESS: u64 = 1;
const MSG_AUTH: u64 = 2;
const MSG_QUERY_AWARENESS: u64 = 3;
/// Hocuspocus: a sync message sent in reply to one of ours.
const HOCUSPOCUS_SYNC_REPLY: u64 = 4;
/// Quire: "your first N writes on this socket are committed".
const QUIRE_SAVED: u64 = 103;
/// Quire: "acknowledge my saves" (version 1).
const QUIRE_HELLO: u64 = 102;

const SYNC_STEP1: u64 = 0;
const SYNC_STEP2: u64 = 1;
const SYNC_UPDATE: u64 = 2;

/// What one decoded message means to a benchmark client.
#[derive(Debug, PartialEq)]
pub enum Incoming {
    /// The server's state vector: it asks for what we have.
    SyncStep1,
    /// What we lacked (the answer to our SyncStep1).
    SyncStep2(Vec<u8>),
    /// Someone's update.
    Update(Vec<u8>),
    /// Quire committed this socket's first N writes.
    Saved(u64),
    /// Hocuspocus accepted our token.
    Authenticated,
    /// Anything else: presence, pings, access, statuses.
    Other,
}

/// How frames are framed for one server.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialect {
    /// Standard y-protocols frames (Quire, y-websocket, the relay).
    YSync,
    /// Hocuspocus: each message starts with the document's name.
    Hocuspocus { document: String },
}

impl Dialect {
    /// The frame to send before anything else, if the server needs one.
    pub fn opening(&self) -> Option<Vec<u8>> {
        match self {
            Dialect::YSync => None,
            Dialect::Hocuspocus { .. } => {
                let mut body = Vec::new();
                body.write_var(MSG_AUTH);
                body.write_var(0u64); // token
                body.write_string("");
                Some(self.frame(body))
            }
        }
    }

    /// SyncStep1 with an empty state vector: "send me everything".
    pub fn sync_step1_empty(&self) -> Vec<u8> {
        let mut body = Vec::new();
        body.write_var(MSG_SYNC);
        body.write_var(SYNC_STEP1);
        body.write_buf([0u8]); // a state vector with no clients
        self.frame(body)
    }

    /// SyncStep2 carrying `update` (the answer to a server's SyncStep1).
    pub fn sync_step2(&self, update: &[u8]) -> Vec<u8> {
        self.sync(SYNC_STEP2, update)
    }

    /// One incremental update.
    pub fn update(&self, update: &[u8]) -> Vec<u8> {
        self.sync(SYNC_UPDATE, update)
    }

    /// A presence (awareness) update: one client's JSON state at `clock`.
    pub fn awareness(&self, client: u64, clock: u32, state: &str) -> Vec<u8> {
        let mut inner = Vec::new();
        inner.write_var(1u64);
        inner.write_var(client);
        inner.write_var(clock);
        inner.write_string(state);
        let mut body = Vec::new();
        body.write_var(MSG_AWARENESS);
        body.write_buf(&inner);
        self.frame(body)
    }

    /// Quire's hello: only Quire understands it (others ignore unknown tags,
    /// but it is sent to Quire only).
    pub fn quire_hello(&self) -> Vec<u8> {
        let mut body = Vec::new();
        body.write_var(QUIRE_HELLO);
        body.write_buf([1u8]);
        self.frame(body)
    }

    fn sync(&self, kind: u64, update: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(update.len() + 8);
        body.write_var(MSG_SYNC);
        body.write_var(kind);
        body.write_buf(update);
        self.frame(body)
    }

    fn frame(&self, body: Vec<u8>) -> Vec<u8> {
        match self {
            Dialect::YSync => body,
            Dialect::Hocuspocus { document } => {
                let mut framed = Vec::with_capacity(body.len() + document.len() + 2);
                framed.write_string(document);
                framed.extend_from_slice(&body);
                framed
            }
        }
    }

    /// Every message in one frame from the server. A frame that does not
    /// decode is an error: the benchmark must not count garbage as delivery.
    pub fn parse(&self, frame: &[u8]) -> anyhow::Result<Vec<Incoming>> {
        let mut cursor = Cursor::new(frame);
        if let Dialect::Hocuspocus { .. } = self {
            let _document = read_string(&mut cursor)?;
            // One message per frame, and a reply is an ordinary sync message.
            let tag: u64 = read_var(&mut cursor)?;
            let message = match tag {
                MSG_SYNC | HOCUSPOCUS_SYNC_REPLY => read_sync(&mut cursor)?,
                MSG_AUTH => match read_var(&mut cursor)? {
                    2 => Incoming::Authenticated,
                    _ => anyhow::bail!("Hocuspocus refused the connection"),
                },
                // Hocuspocus's sync status (`[8][applied: 0|1]`, after every
                // update it applied) and anything else.
                _ => Incoming::Other,
            };
            return Ok(vec![message]);
        }
        let mut messages = Vec::with_capacity(1);
        while cursor.has_content() {
            let tag: u64 = read_var(&mut cursor)?;
            messages.push(match tag {
                MSG_SYNC => read_sync(&mut cursor)?,
                MSG_QUERY_AWARENESS => Incoming::Other,
                QUIRE_SAVED => {
                    let payload = read_buf(&mut cursor)?;
                    let mut inner = Cursor::new(payload);
                    Incoming::Saved(read_var(&mut inner)?)
                }
                // MSG_AWARENESS, MSG_AUTH and anything else carry one buffer.
                _ => {
                    read_buf(&mut cursor)?;
                    Incoming::Other
                }
            });
        }
        Ok(messages)
    }
}

fn read_sync(cursor: &mut Cursor) -> anyhow::Result<Incoming> {
    let kind: u64 = read_var(cursor)?;
    let payload = read_buf(cursor)?;
    Ok(match kind {
        SYNC_STEP1 => Incoming::SyncStep1,
        SYNC_STEP2 => Incoming::SyncStep2(payload.to_vec()),
        SYNC_UPDATE => Incoming::Update(payload.to_vec()),
        other => anyhow::bail!("unknown sync message {other}"),
    })
}

fn read_var(cursor: &mut Cursor) -> anyhow::Result<u64> {
    cursor.read_var().map_err(|e| anyhow::anyhow!("bad frame: {e}"))
}

/// A length-prefixed byte string, borrowed from the frame.
fn read_buf<'a>(cursor: &mut Cursor<'a>) -> anyhow::Result<&'a [u8]> {
    let len = read_var(cursor)? as usize;
    let start = cursor.next;
    let end = start
        .checked_add(len)
        .filter(|&end| end <= cursor.buf.len())
        .ok_or_else(|| anyhow::anyhow!("bad frame: truncated"))?;
    cursor.next = end;
    Ok(&cursor.buf[start..end])
}

fn read_string<'a>(cursor: &mut Cursor<'a>) -> anyhow::Result<&'a str> {
    Ok(std::str::from_utf8(read_buf(cursor)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hocuspocus_frames_carry_the_document_name() {
        let dialect = Dialect::Hocuspocus { document: "room-1".into() };
        let frame = dialect.update(&[0, 0]);
        assert_eq!(&frame[..7], b"\x06room-1");
        assert_eq!(dialect.parse(&frame).unwrap(), vec![Incoming::Update(vec![0, 0])]);
    }

    #[test]
    fn ysync_frames_may_hold_several_messages() {
        let dialect = Dialect::YSync;
        let mut frame = dialect.update(&[0, 0]);
        frame.extend(dialect.awareness(7, 1, "{}"));
        frame.extend([103, 1, 5]); // Quire: saved 5
        let messages = dialect.parse(&frame).unwrap();
        assert_eq!(messages, vec![Incoming::Update(vec![0, 0]), Incoming::Other, Incoming::Saved(5)]);
        assert!(dialect.parse(&[0, 2, 9]).is_err(), "a truncated frame is an error");
    }
}
