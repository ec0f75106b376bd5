//! The wire: standard y-sync framing (yrs::sync), the one place Quire's own
//! message tags are defined, and WebSocket close codes.
//!
//! Every binary WebSocket frame carries y-protocols messages:
//!
//! | tag | message | direction |
//! | --- | --- | --- |
//! | 0 | Sync: SyncStep1 (state vector), SyncStep2 (missing updates), Update | both |
//! | 1 | Awareness (presence) | both |
//! | 2 | Auth: permission denied, with a reason (a refused write) | server → client |
//! | 3 | AwarenessQuery | both |
//! | 101 | Quire access: the client's role now (one byte, see [`access_message`]) | server → client |
//! | 102 | Quire hello: "I am a Quire client; acknowledge my saves" (version byte) | client → server |
//! | 103 | Quire saved: the first N writes this client sent on this socket are committed | server → client |
//! | 104 | Quire heartbeat: the client asks, the server echoes (detects dead sockets) | both |
//!
//! A *write* is every `Sync/SyncStep2` and `Sync/Update` a client sends, counted
//! from 1 on each socket. The server sends "saved N" only after the database
//! transaction holding writes 1..=N committed, and only to clients that said
//! hello, so stock Yjs clients never see Quire's per-save messages.
//!
//! Quire's own messages take tags from [`QUIRE_TAG_BASE`] up, which standard Yjs
//! clients ignore, so they never disturb an unmodified `y-websocket` client.
//! When the server ends a connection it explains itself in the WebSocket close
//! frame, with the codes in [`close`].

use yrs::encoding::read::{self, Cursor, Read};
use yrs::sync::protocol::{MSG_AUTH, MSG_AWARENESS, MSG_QUERY_AWARENESS, MSG_SYNC, MSG_SYNC_STEP_1, PERMISSION_DENIED};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::StateVector;

use super::schema;

/// First tag Quire uses for its own messages.
pub const QUIRE_TAG_BASE: u8 = 100;
/// The client's role changed (or is being stated on connect).
pub const MSG_ACCESS: u8 = QUIRE_TAG_BASE + 1;
/// A Quire client introduces itself and asks for save acknowledgements.
pub const MSG_HELLO: u8 = QUIRE_TAG_BASE + 2;
/// How many of the client's writes on this socket are durably committed.
pub const MSG_SAVED: u8 = QUIRE_TAG_BASE + 3;
/// Heartbeat: the client sends one, the server sends it back.
pub const MSG_HEARTBEAT: u8 = QUIRE_TAG_BASE + 4;
/// Server → client: the document's title (UTF-8), on connect and whenever it
/// changes, so a rename reaches every open page.
pub const MSG_TITLE: u8 = QUIRE_TAG_BASE + 5;
/// The longest title a client takes from a title message, in bytes (titles
/// are at most 200 characters).
pub const MAX_TITLE_BYTES: usize = 1024;
/// The version of Quire's own messages a client speaks (the hello's payload).
pub const QUIRE_PROTOCOL_VERSION: u8 = 1;

/// Close codes the server uses; the browser shows the reason to the user.
pub mod close {
    /// The server is shutting down or restarting: reconnect.
    pub const RESTART: u16 = 1012;
    /// A text frame, or a message this protocol does not allow.
    pub const UNSUPPORTED: u16 = 1003;
    /// A frame that does not decode, or an update that does not apply.
    pub const INVALID: u16 = 1007;
    /// The client asked for more than one connection may (messages per
    /// second, sync requests, sockets): slow down.
    pub const POLICY: u16 = 1008;
    /// A frame or a document over the configured size limits.
    pub const TOO_BIG: u16 = 1009;
    /// The client fell behind (its outbound queue filled) or stopped answering
    /// pings: reconnect and re-sync.
    pub const TRY_AGAIN: u16 = 1013;
    /// The document was removed from memory for an internal reason: reconnect.
    pub const RELOAD: u16 = 4000;
    /// The document has as many people in it as it accepts: try again later.
    pub const ROOM_FULL: u16 = 4001;
    /// The person no longer has access (unshared, link revoked or expired).
    pub const FORBIDDEN: u16 = 4003;
    /// The document was deleted.
    pub const GONE: u16 = 4004;
}

/// The most messages one frame may carry. Clients send one or two (an update
/// and presence, a hello and a sync step); a frame of a million tiny messages
/// is refused before any of them is decoded.
pub const MAX_MESSAGES_PER_FRAME: usize = 64;

/// Why a frame was refused before any message in it took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Not whole, well-formed y-sync messages.
    Malformed,
    /// More than [`MAX_MESSAGES_PER_FRAME`] messages.
    TooManyMessages,
}

/// Decodes every y-sync message in one frame. Unlike yrs's `MessageReader`,
/// which takes a truncated message for the end of the frame, a frame must be
/// whole messages to the last byte, or it is an error. State vectors and
/// presence are checked (see `schema`) before yrs decodes them; updates stay
/// bytes here and are checked where they are applied.
pub fn decode(frame: &[u8]) -> Result<Vec<Message>, FrameError> {
    let mut cursor = Cursor::new(frame);
    let mut messages = Vec::with_capacity(1);
    while cursor.has_content() {
        if messages.len() == MAX_MESSAGES_PER_FRAME {
            return Err(FrameError::TooManyMessages);
        }
        let start = cursor.next;
        skip_message(&mut cursor).map_err(|_| FrameError::Malformed)?;
        let message = Message::decode_v1(&frame[start..cursor.next]).map_err(|_| FrameError::Malformed)?;
        messages.push(message);
    }
    Ok(messages)
}

/// Moves past one message's framing (y-protocols: a tag, then per tag a sub-tag
/// and/or a length-prefixed buffer), failing if the frame ends inside it or if
/// a state vector or presence update inside it is malformed.
fn skip_message(cursor: &mut Cursor<'_>) -> Result<(), read::Error> {
    let malformed = |_| read::Error::UnexpectedValue;
    let tag: u8 = cursor.read_var()?;
    match tag {
        MSG_SYNC => {
            let step: u8 = cursor.read_var()?;
            let payload = cursor.read_buf()?;
            if step == MSG_SYNC_STEP_1 {
                schema::check_state_vector(payload).map_err(malformed)?;
            }
        }
        MSG_AWARENESS => {
            schema::check_awareness(cursor.read_buf()?).map_err(malformed)?;
        }
        MSG_AUTH => {
            let denied: u8 = cursor.read_var()?;
            if denied == PERMISSION_DENIED {
                cursor.read_string()?;
            }
        }
        MSG_QUERY_AWARENESS => {}
        _ => {
            cursor.read_buf()?;
        }
    }
    Ok(())
}

/// `Sync/SyncStep1` carrying a state vector.
pub fn sync_step1(sv: StateVector) -> Vec<u8> {
    Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1()
}

/// `Sync/SyncStep2` carrying the updates the other side lacks.
pub fn sync_step2(update: Vec<u8>) -> Vec<u8> {
    Message::Sync(SyncMessage::SyncStep2(update)).encode_v1()
}

/// `Sync/Update` carrying one incremental update.
pub fn update(update: Vec<u8>) -> Vec<u8> {
    Message::Sync(SyncMessage::Update(update)).encode_v1()
}

/// Quire's access message: 0 = viewer (read-only), 1 = editor, 2 = owner.
pub fn access_message(role: crate::api::Role) -> Vec<u8> {
    use crate::api::Role;
    let byte = match role {
        Role::Viewer => 0,
        Role::Editor => 1,
        Role::Owner => 2,
    };
    Message::Custom(MSG_ACCESS, vec![byte]).encode_v1()
}

/// Reads an access message's payload; None if it is not one.
pub fn read_access(payload: &[u8]) -> Option<crate::api::Role> {
    use crate::api::Role;
    match payload {
        [0] => Some(Role::Viewer),
        [1] => Some(Role::Editor),
        [2] => Some(Role::Owner),
        _ => None,
    }
}

/// The document's title, for the client to show.
pub fn title_message(title: &str) -> Vec<u8> {
    Message::Custom(MSG_TITLE, title.as_bytes().to_vec()).encode_v1()
}

/// Reads a title message's payload; None if it is not a sensible title.
pub fn read_title(payload: &[u8]) -> Option<String> {
    if payload.is_empty() || payload.len() > MAX_TITLE_BYTES {
        return None;
    }
    let title = std::str::from_utf8(payload).ok()?;
    (!title.chars().any(char::is_control)).then(|| title.to_string())
}

/// The hello a Quire client sends first on every socket.
pub fn hello() -> Vec<u8> {
    Message::Custom(MSG_HELLO, vec![QUIRE_PROTOCOL_VERSION]).encode_v1()
}

/// "Your first `writes` writes on this socket are committed."
pub fn saved(writes: u64) -> Vec<u8> {
    use yrs::encoding::write::Write;
    let mut payload = Vec::with_capacity(4);
    payload.write_var(writes);
    Message::Custom(MSG_SAVED, payload).encode_v1()
}

/// Reads a saved message's payload; None if it is not one.
pub fn read_saved(payload: &[u8]) -> Option<u64> {
    let mut cursor = Cursor::new(payload);
    let writes: u64 = cursor.read_var().ok()?;
    (!cursor.has_content()).then_some(writes)
}

/// A heartbeat (the same frame both ways).
pub fn heartbeat() -> Vec<u8> {
    Message::Custom(MSG_HEARTBEAT, Vec::new()).encode_v1()
}

/// y-protocols' "permission denied" auth message: how any Yjs client is told
/// that a write was refused.
pub fn permission_denied(reason: &str) -> Vec<u8> {
    Message::Auth(Some(reason.to_string())).encode_v1()
}

/// True when a v1 update carries no change (no structs and no deletions).
pub fn is_empty_update(update: &[u8]) -> bool {
    update == [0, 0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, ReadTxn, Text, Transact};

    #[test]
    fn frames_round_trip() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("content");
        text.insert(&mut doc.transact_mut(), 0, "hi");
        let sv = doc.transact().state_vector();
        let step2 = doc.transact().encode_state_as_update_v1(&StateVector::default());

        let decoded = decode(&sync_step1(sv.clone())).unwrap();
        assert_eq!(decoded, vec![Message::Sync(SyncMessage::SyncStep1(sv))]);
        let decoded = decode(&sync_step2(step2.clone())).unwrap();
        assert_eq!(decoded, vec![Message::Sync(SyncMessage::SyncStep2(step2.clone()))]);
        let decoded = decode(&update(step2.clone())).unwrap();
        assert_eq!(decoded, vec![Message::Sync(SyncMessage::Update(step2))]);
    }

    #[test]
    fn matches_the_bytes_yjs_sends() {
        // y-protocols writes SyncStep1 of an empty doc as [0, 0, 1, 0]:
        // messageSync, messageYjsSyncStep1, a 1-byte buffer holding "0 clients".
        assert_eq!(sync_step1(StateVector::default()), vec![0, 0, 1, 0]);
        assert_eq!(decode(&[0, 0, 1, 0]).unwrap().len(), 1);
    }

    #[test]
    fn quire_tags_decode_as_custom_messages() {
        let frame = Message::Custom(QUIRE_TAG_BASE, b"bye".to_vec()).encode_v1();
        assert_eq!(decode(&frame).unwrap(), vec![Message::Custom(QUIRE_TAG_BASE, b"bye".to_vec())]);
    }

    #[test]
    fn access_messages_round_trip() {
        use crate::api::Role;
        for role in [Role::Viewer, Role::Editor, Role::Owner] {
            match &decode(&access_message(role)).unwrap()[0] {
                Message::Custom(MSG_ACCESS, payload) => {
                    assert_eq!(read_access(payload), Some(role))
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(matches!(&decode(&permission_denied("no")).unwrap()[0], Message::Auth(Some(r)) if r == "no"));
    }

    #[test]
    fn quire_messages_round_trip() {
        for writes in [0, 1, 127, 128, 1 << 40] {
            match &decode(&saved(writes)).unwrap()[0] {
                Message::Custom(MSG_SAVED, payload) => {
                    assert_eq!(read_saved(payload), Some(writes))
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(read_saved(&[]), None);
        assert_eq!(read_saved(&[1, 2]), None, "trailing bytes");
        assert_eq!(decode(&hello()).unwrap(), vec![Message::Custom(MSG_HELLO, vec![QUIRE_PROTOCOL_VERSION])]);
        match &decode(&title_message("Plan <b>ü</b>")).unwrap()[0] {
            Message::Custom(MSG_TITLE, payload) => assert_eq!(read_title(payload).as_deref(), Some("Plan <b>ü</b>")),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(read_title(b""), None);
        assert_eq!(read_title(b"\xff\xfe"), None);
        assert_eq!(read_title(b"a\nb"), None);
        assert_eq!(read_title(&[b'a'; MAX_TITLE_BYTES + 1]), None);
        assert_eq!(decode(&heartbeat()).unwrap(), vec![Message::Custom(MSG_HEARTBEAT, vec![])]);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode(&[0, 7, 0]).is_err(), "unknown sync step");
        assert!(decode(&[0, 2, 200]).is_err(), "truncated update");
        assert!(decode(&[1]).is_err(), "awareness without payload");
        assert!(decode(&[0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err(), "a state vector claiming 2^32 clients");
        assert!(decode(&[1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err(), "presence claiming 2^32 clients");
        let mut two = sync_step1(StateVector::default());
        two.extend(sync_step1(StateVector::default()));
        assert_eq!(decode(&two).unwrap().len(), 2, "several messages in one frame");
        two.pop();
        assert!(decode(&two).is_err(), "a truncated second message");
        // A sync frame whose update payload is garbage decodes as a frame, and
        // then fails as an update.
        let msgs = decode(&update(vec![9, 9, 9])).unwrap();
        match &msgs[0] {
            Message::Sync(SyncMessage::Update(u)) => assert!(yrs::Update::decode_v1(u).is_err()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_frame_of_many_tiny_messages_is_refused_whole() {
        let many: Vec<u8> = [0u8, 0, 1, 0].repeat(MAX_MESSAGES_PER_FRAME);
        assert_eq!(decode(&many).unwrap().len(), MAX_MESSAGES_PER_FRAME);
        let too_many: Vec<u8> = [0u8, 0, 1, 0].repeat(1 << 20);
        assert_eq!(decode(&too_many), Err(FrameError::TooManyMessages));
        assert_eq!(decode(&[3u8].repeat(MAX_MESSAGES_PER_FRAME + 1)), Err(FrameError::TooManyMessages));
    }

    #[test]
    fn empty_updates_are_recognised() {
        let doc = Doc::new();
        let txn = doc.transact();
        let sv = txn.state_vector();
        assert!(is_empty_update(&txn.encode_state_as_update_v1(&sv)));
    }
}
