//! The bytes instances send each other: an envelope naming the sending
//! instance, then one message. The format is private to Quire (every instance
//! runs the same release; the channel names carry a version), little-endian,
//! length-prefixed, and decoded defensively: a message that does not decode is
//! dropped, never trusted in part.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

use crate::doc_id::DocId;

/// One running Quire process, random per start.
pub type InstanceId = u128;

/// One person's presence as the instance they are connected to holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayedPresence {
    /// The awareness client id.
    pub id: u64,
    pub clock: u32,
    /// The stamped JSON state; None once removed.
    pub state: Option<Arc<str>>,
    /// The owner's session key (never shown), so the same person's tab may
    /// move between instances.
    pub key: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A change to a document, already applied and stored by its sender.
    Update(DocId, Bytes),
    /// Presence changes of the sender's own clients.
    Presence(DocId, Vec<RelayedPresence>),
    /// Everyone present through the sender, complete: whoever the receiver
    /// holds for the sender and is not listed has left (its removal was lost).
    PresenceSnapshot(DocId, Vec<RelayedPresence>),
    /// "Tell me who is present on your side" (a room just opened or reconnected).
    PresenceQuery(DocId),
    /// Someone's access to the document may have changed: re-check.
    AccessChanged(DocId),
    /// A document in these users' lists changed.
    DocsChanged(DocId, Vec<String>),
    /// A sign-in failed; these throttle keys (address, account) count it.
    SignInFailed(Vec<String>),
    /// Someone signed in to the account with this throttle key.
    SignInSucceeded(String),
    /// This account signed out or revoked a token: its connections re-check.
    AccountChanged(String),
    /// The sender is alive (once a second).
    Heartbeat,
    /// The sender is shutting down: forget its clients now.
    Bye,
}

impl Message {
    /// The document this message is about, if any.
    pub fn document(&self) -> Option<&DocId> {
        match self {
            Message::Update(doc, _)
            | Message::Presence(doc, _)
            | Message::PresenceSnapshot(doc, _)
            | Message::PresenceQuery(doc)
            | Message::AccessChanged(doc) => Some(doc),
            Message::DocsChanged(..)
            | Message::SignInFailed(_)
            | Message::SignInSucceeded(_)
            | Message::AccountChanged(_)
            | Message::Heartbeat
            | Message::Bye => None,
        }
    }
}

const VERSION: u8 = 1;

mod tag {
    pub const UPDATE: u8 = 1;
    pub const PRESENCE: u8 = 2;
    pub const PRESENCE_QUERY: u8 = 3;
    pub const ACCESS_CHANGED: u8 = 4;
    pub const DOCS_CHANGED: u8 = 5;
    pub const HEARTBEAT: u8 = 6;
    pub const BYE: u8 = 7;
    pub const SIGN_IN_FAILED: u8 = 8;
    pub const SIGN_IN_SUCCEEDED: u8 = 9;
    pub const PRESENCE_SNAPSHOT: u8 = 10;
    pub const ACCOUNT_CHANGED: u8 = 11;
}

pub fn encode(from: InstanceId, message: &Message) -> Bytes {
    let mut out = BytesMut::with_capacity(64);
    out.put_u8(VERSION);
    out.put_u128_le(from);
    match message {
        Message::Update(doc, update) => {
            out.put_u8(tag::UPDATE);
            put_str(&mut out, doc.as_str());
            put_bytes(&mut out, update);
        }
        Message::Presence(doc, entries) => {
            out.put_u8(tag::PRESENCE);
            put_str(&mut out, doc.as_str());
            put_presence(&mut out, entries);
        }
        Message::PresenceSnapshot(doc, entries) => {
            out.put_u8(tag::PRESENCE_SNAPSHOT);
            put_str(&mut out, doc.as_str());
            put_presence(&mut out, entries);
        }
        Message::PresenceQuery(doc) => {
            out.put_u8(tag::PRESENCE_QUERY);
            put_str(&mut out, doc.as_str());
        }
        Message::AccessChanged(doc) => {
            out.put_u8(tag::ACCESS_CHANGED);
            put_str(&mut out, doc.as_str());
        }
        Message::DocsChanged(doc, users) => {
            out.put_u8(tag::DOCS_CHANGED);
            put_str(&mut out, doc.as_str());
            put_strings(&mut out, users);
        }
        Message::SignInFailed(keys) => {
            out.put_u8(tag::SIGN_IN_FAILED);
            put_strings(&mut out, keys);
        }
        Message::SignInSucceeded(key) => {
            out.put_u8(tag::SIGN_IN_SUCCEEDED);
            put_str(&mut out, key);
        }
        Message::AccountChanged(account) => {
            out.put_u8(tag::ACCOUNT_CHANGED);
            put_str(&mut out, account);
        }
        Message::Heartbeat => out.put_u8(tag::HEARTBEAT),
        Message::Bye => out.put_u8(tag::BYE),
    }
    out.freeze()
}

/// The sender and the message, or None for anything malformed, of another
/// version, or with bytes left over.
pub fn decode(bytes: &[u8]) -> Option<(InstanceId, Message)> {
    let mut reader = Reader { rest: bytes };
    if reader.u8()? != VERSION {
        return None;
    }
    let from = u128::from_le_bytes(reader.take(16)?.try_into().ok()?);
    let message = match reader.u8()? {
        tag::UPDATE => Message::Update(reader.doc()?, Bytes::copy_from_slice(reader.bytes()?)),
        tag::PRESENCE => Message::Presence(reader.doc()?, reader.presence()?),
        tag::PRESENCE_SNAPSHOT => Message::PresenceSnapshot(reader.doc()?, reader.presence()?),
        tag::PRESENCE_QUERY => Message::PresenceQuery(reader.doc()?),
        tag::ACCESS_CHANGED => Message::AccessChanged(reader.doc()?),
        tag::DOCS_CHANGED => Message::DocsChanged(reader.doc()?, reader.strings()?),
        tag::SIGN_IN_FAILED => Message::SignInFailed(reader.strings()?),
        tag::SIGN_IN_SUCCEEDED => Message::SignInSucceeded(reader.str()?.to_string()),
        tag::ACCOUNT_CHANGED => Message::AccountChanged(reader.str()?.to_string()),
        tag::HEARTBEAT => Message::Heartbeat,
        tag::BYE => Message::Bye,
        _ => return None,
    };
    reader.rest.is_empty().then_some((from, message))
}

fn put_bytes(out: &mut BytesMut, bytes: &[u8]) {
    out.put_u32_le(bytes.len() as u32);
    out.put_slice(bytes);
}

fn put_str(out: &mut BytesMut, text: &str) {
    put_bytes(out, text.as_bytes());
}

fn put_presence(out: &mut BytesMut, entries: &[RelayedPresence]) {
    out.put_u32_le(entries.len() as u32);
    for entry in entries {
        out.put_u64_le(entry.id);
        out.put_u32_le(entry.clock);
        put_str(out, &entry.key);
        match &entry.state {
            Some(state) => {
                out.put_u8(1);
                put_str(out, state);
            }
            None => out.put_u8(0),
        }
    }
}

fn put_strings(out: &mut BytesMut, texts: &[String]) {
    out.put_u32_le(texts.len() as u32);
    for text in texts {
        put_str(out, text);
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    fn presence(&mut self) -> Option<Vec<RelayedPresence>> {
        let count = self.u32()? as usize;
        // Each entry takes at least 21 bytes: never trust a count blindly.
        if count > self.rest.len() / 21 {
            return None;
        }
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            let id = self.u64()?;
            let clock = self.u32()?;
            let key = Arc::from(self.str()?);
            let state = match self.u8()? {
                0 => None,
                1 => Some(Arc::from(self.str()?)),
                _ => return None,
            };
            entries.push(RelayedPresence { id, clock, state, key });
        }
        Some(entries)
    }

    fn strings(&mut self) -> Option<Vec<String>> {
        let count = self.u32()? as usize;
        // Each takes at least its 4-byte length: never trust a count blindly.
        if count > self.rest.len() / 4 {
            return None;
        }
        (0..count).map(|_| self.str().map(str::to_string)).collect()
    }

    fn doc(&mut self) -> Option<DocId> {
        DocId::parse(self.str()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Message> {
        let doc = DocId::random();
        vec![
            Message::Update(doc.clone(), Bytes::from_static(&[1, 2, 3, 0])),
            Message::Presence(
                doc.clone(),
                vec![
                    RelayedPresence {
                        id: 7,
                        clock: 3,
                        state: Some(Arc::from(r#"{"user":{"name":"Ada"}}"#)),
                        key: Arc::from("k"),
                    },
                    RelayedPresence { id: u64::MAX, clock: 9, state: None, key: Arc::from("") },
                ],
            ),
            Message::PresenceSnapshot(doc.clone(), vec![]),
            Message::PresenceQuery(doc.clone()),
            Message::AccessChanged(doc.clone()),
            Message::DocsChanged(doc, vec!["u1".into(), "ü2".into()]),
            Message::SignInFailed(vec!["ip:127.0.0.1".into(), "user:ada".into()]),
            Message::SignInSucceeded("user:ada".into()),
            Message::Heartbeat,
            Message::Bye,
        ]
    }

    #[test]
    fn every_message_round_trips_with_its_sender() {
        for message in every_kind() {
            let bytes = encode(42 << 100, &message);
            assert_eq!(decode(&bytes), Some((42 << 100, message)));
        }
    }

    #[test]
    fn truncated_padded_or_foreign_bytes_are_refused() {
        for message in every_kind() {
            let bytes = encode(1, &message);
            for cut in 0..bytes.len() {
                assert_eq!(decode(&bytes[..cut]), None, "{message:?} cut at {cut}");
            }
            let mut padded = bytes.to_vec();
            padded.push(0);
            assert_eq!(decode(&padded), None);
            let mut other_version = bytes.to_vec();
            other_version[0] = 99;
            assert_eq!(decode(&other_version), None);
        }
        // A huge count with no entries behind it.
        let mut bytes = encode(1, &Message::Presence(DocId::random(), vec![])).to_vec();
        let at = bytes.len() - 4;
        bytes[at..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&bytes), None);
    }
}
