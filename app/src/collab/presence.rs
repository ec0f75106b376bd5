//! Presence as the editor sees it: the awareness state Quire clients publish
//! (caret and selection as Yjs relative positions, a typing flag) and the
//! registry of everyone else's states, kept with y-protocols' clock rules.
//!
//! The state format follows the Yjs editor bindings (`user: {name, color}`,
//! `cursor: {anchor, head}` as `Y.relativePositionToJSON`), so a CodeMirror or
//! ProseMirror Yjs client and Quire can show each other's carets. The server
//! fills in `user`; clients never send it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::{Assoc, ClientID, IndexedSequence, ReadTxn, StickyIndex, TextRef, ID};

/// Someone else in the document, as the bar shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerView {
    /// Their awareness client id (one per tab).
    pub id: u64,
    pub name: String,
    pub color: String,
    pub typing: bool,
}

/// A state not renewed for this long is dropped (y-protocols' outdated timeout).
pub const OUTDATED_MS: f64 = 30_000.0;
/// Quire clients re-announce themselves this often so nobody times them out.
pub const RENEW_MS: u32 = 15_000;
/// Presence changes are sent at most this often (20 per second).
pub const SEND_EVERY_MS: u32 = 50;

/// A caret (anchor == head) or a selection, anchored to the text around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub anchor: StickyIndex,
    pub head: StickyIndex,
}

/// A position in `text` that stays attached to the character after it, or, at
/// the very end, to the character before it (yrs has no "after" position past
/// the last character; Yjs would use the end of the type, which behaves the same).
pub fn sticky<T: ReadTxn>(text: &TextRef, txn: &T, index: u32) -> Option<StickyIndex> {
    text.sticky_index(txn, index, Assoc::After).or_else(|| text.sticky_index(txn, index, Assoc::Before))
}

/// The position right after the character with `id`: where a caret stands
/// after typing that character. `sticky` finds a position by walking the
/// text from its start, and yrs counts each string's UTF-16 length on the
/// way (milliseconds per call in a 1 MiB document); this needs no walk.
pub fn after_char(id: ID) -> StickyIndex {
    StickyIndex::from_id(id, Assoc::Before)
}

/// An awareness update carrying the given (client id, clock, JSON state) entries.
pub fn awareness_update(entries: &[(u64, u32, &str)]) -> AwarenessUpdate {
    let clients = entries
        .iter()
        .map(|(id, clock, json)| (ClientID::new(*id), AwarenessUpdateEntry { clock: *clock, json: (*json).into() }))
        .collect();
    AwarenessUpdate { clients }
}

/// What a Quire client says about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LocalState {
    pub cursor: Option<Cursor>,
    pub typing: bool,
}

impl LocalState {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// Someone else, as their (server-stamped) state describes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    pub name: String,
    pub color: String,
    pub cursor: Option<Cursor>,
    pub typing: bool,
}

impl Peer {
    /// Reads a state leniently: other Yjs clients may leave fields out or use
    /// their own shapes; what cannot be read is simply not shown.
    pub fn from_json(json: &str) -> Option<Peer> {
        let value: Value = serde_json::from_str(json).ok()?;
        let object = value.as_object()?;
        let user = object.get("user");
        let text = |key: &str| user.and_then(|u| u.get(key)).and_then(Value::as_str).map(str::to_string);
        let color = text("color").filter(|c| is_hex_color(c)).unwrap_or_else(|| "#8b8d98".into());
        Some(Peer {
            name: text("name").filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "Anonymous".into()),
            color,
            cursor: object.get("cursor").and_then(|c| serde_json::from_value(c.clone()).ok()),
            typing: object.get("typing").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// Colours go into inline styles, so only `#rgb`/`#rrggbb` are accepted.
fn is_hex_color(color: &str) -> bool {
    let digits = color.strip_prefix('#').unwrap_or("");
    matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit())
}

struct Known {
    clock: u32,
    peer: Peer,
    /// When the state last changed or was renewed, in milliseconds.
    seen_at: f64,
    /// When their caret last moved, in milliseconds.
    moved_at: f64,
}

/// Everyone else in the room.
#[derive(Default)]
pub struct Peers {
    known: HashMap<ClientID, Known>,
}

impl Peers {
    /// Applies an awareness update; returns whether anything visible changed.
    /// Our own id is skipped (we know our own state). A removal forgets the id
    /// completely, so the same tab coming back later is accepted at any clock.
    pub fn apply(&mut self, update: &AwarenessUpdate, own: ClientID, now: f64) -> bool {
        let mut changed = false;
        for (id, entry) in &update.clients {
            if *id == own {
                continue;
            }
            let known_clock = self.known.get(id).map(|k| k.clock);
            if &*entry.json == "null" {
                if known_clock.is_some_and(|clock| entry.clock >= clock) {
                    self.known.remove(id);
                    changed = true;
                }
                continue;
            }
            if known_clock.is_some_and(|clock| entry.clock <= clock) {
                continue;
            }
            let Some(peer) = Peer::from_json(&entry.json) else { continue };
            let previous = self.known.get(id);
            let visible = previous.is_none_or(|k| k.peer != peer);
            let moved_at = match previous {
                Some(k) if k.peer.cursor == peer.cursor => k.moved_at,
                _ => now,
            };
            self.known.insert(*id, Known { clock: entry.clock, peer, seen_at: now, moved_at });
            changed |= visible;
        }
        changed
    }

    /// Drops states nobody renewed in time; returns whether any went.
    pub fn prune(&mut self, now: f64) -> bool {
        let before = self.known.len();
        self.known.retain(|_, k| now - k.seen_at < OUTDATED_MS);
        self.known.len() != before
    }

    /// Forgets everyone (the connection dropped: we no longer know who is there).
    pub fn clear(&mut self) -> bool {
        let had = !self.known.is_empty();
        self.known.clear();
        had
    }

    /// Everyone, in a stable order (by name, then id).
    pub fn list(&self) -> Vec<(ClientID, &Peer)> {
        let mut list: Vec<_> = self.known.iter().map(|(id, k)| (*id, &k.peer)).collect();
        list.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.get().cmp(&b.0.get())));
        list
    }

    /// When `id`'s caret last moved (milliseconds), if we know them.
    pub fn moved_at(&self, id: ClientID) -> Option<f64> {
        self.known.get(&id).map(|k| k.moved_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::awareness_update as update;

    const ME: u64 = 1;
    const ADA: &str = r##"{"user":{"name":"Ada","color":"#3e63dd"},"cursor":null,"typing":true}"##;
    const ADA_IDLE: &str = r##"{"user":{"name":"Ada","color":"#3e63dd"},"cursor":null,"typing":false}"##;

    #[test]
    fn newer_clocks_win_and_our_own_id_is_ignored() {
        let mut peers = Peers::default();
        let me = ClientID::new(ME);
        assert!(peers.apply(&update(&[(2, 2, ADA), (ME, 9, ADA)]), me, 0.0));
        assert_eq!(peers.list().len(), 1);
        assert!(!peers.apply(&update(&[(2, 1, ADA_IDLE)]), me, 0.0), "an older state is ignored");
        assert!(peers.list()[0].1.typing);
        assert!(peers.apply(&update(&[(2, 3, ADA_IDLE)]), me, 0.0));
        assert!(!peers.list()[0].1.typing);
    }

    #[test]
    fn removal_forgets_the_id_and_stale_states_time_out() {
        let mut peers = Peers::default();
        let me = ClientID::new(ME);
        peers.apply(&update(&[(2, 5, ADA)]), me, 0.0);
        assert!(peers.apply(&update(&[(2, 6, "null")]), me, 0.0));
        assert!(peers.list().is_empty());
        peers.apply(&update(&[(2, 1, ADA)]), me, 0.0);
        assert_eq!(peers.list().len(), 1, "the same tab may come back at a lower clock");
        assert!(!peers.prune(OUTDATED_MS - 1.0));
        assert!(peers.prune(OUTDATED_MS));
        assert!(peers.list().is_empty());
    }

    #[test]
    fn unreadable_parts_of_a_state_are_not_trusted() {
        let peer =
            Peer::from_json(r#"{"user":{"name":"","color":"red;background:url(x)"},"cursor":{"anchor":5}}"#).unwrap();
        assert_eq!(peer.name, "Anonymous");
        assert_eq!(peer.color, "#8b8d98");
        assert!(peer.cursor.is_none());
        assert!(Peer::from_json("[1]").is_none());
    }

    #[test]
    fn our_cursor_serialises_as_yjs_relative_positions() {
        let doc = crate::collab::doc::new_doc();
        let text = crate::collab::doc::content(&doc);
        let mut txn = yrs::Transact::transact_mut(&doc);
        yrs::Text::insert(&text, &mut txn, 0, "hello");
        let anchor = text_sticky(&text, &mut txn, 2);
        let state = LocalState { cursor: Some(Cursor { anchor: anchor.clone(), head: anchor }), typing: false };
        let json: Value = serde_json::from_str(&state.to_json()).unwrap();
        let item = &json["cursor"]["anchor"]["item"];
        assert!(item["client"].is_u64() && item["clock"] == 2, "{json}");
        assert_eq!(json["cursor"]["anchor"]["assoc"], 0);
    }

    fn text_sticky(text: &yrs::TextRef, txn: &mut yrs::TransactionMut, index: u32) -> StickyIndex {
        sticky(text, txn, index).unwrap()
    }

    #[test]
    fn a_caret_at_the_end_stays_at_the_end_of_what_it_followed() {
        let doc = crate::collab::doc::new_doc();
        let text = crate::collab::doc::content(&doc);
        let resolve = |index: &StickyIndex| index.get_offset(&yrs::Transact::transact(&doc)).map(|o| o.index);
        assert!(sticky(&text, &yrs::Transact::transact(&doc), 0).is_some(), "an empty text has a caret position");
        yrs::Text::insert(&text, &mut yrs::Transact::transact_mut(&doc), 0, "abc");
        let end = sticky(&text, &yrs::Transact::transact(&doc), 3).expect("a position at the end");
        yrs::Text::insert(&text, &mut yrs::Transact::transact_mut(&doc), 0, "xx");
        assert_eq!(resolve(&end), Some(5));
    }

    #[test]
    fn the_caret_after_a_typed_character_is_found_without_a_walk_and_follows_it() {
        let doc = crate::collab::doc::new_doc();
        let text = crate::collab::doc::content(&doc);
        let resolve = |index: &StickyIndex| index.get_offset(&yrs::Transact::transact(&doc)).map(|o| o.index);
        yrs::Text::insert(&text, &mut yrs::Transact::transact_mut(&doc), 0, "héllo 🙂 wörld");
        // Typing "!" after the emoji (UTF-16 offset 8): the last character is the newest clock.
        yrs::Text::insert(&text, &mut yrs::Transact::transact_mut(&doc), 8, "!");
        let client = doc.client_id();
        let next = yrs::Transact::transact(&doc).state_vector().get(&client);
        let caret = after_char(ID::new(client, next - 1));
        assert_eq!(resolve(&caret), Some(9));
        assert_eq!(resolve(&caret), resolve(&sticky(&text, &yrs::Transact::transact(&doc), 9).unwrap()));
        // Text inserted before it, or by someone else at the same spot, leaves it after the "!".
        yrs::Text::insert(&text, &mut yrs::Transact::transact_mut(&doc), 0, ">> ");
        yrs::Text::insert(&text, &mut yrs::Transact::transact_mut(&doc), 12, "XY");
        assert_eq!(resolve(&caret), Some(12));
        assert_eq!(yrs::GetString::get_string(&text, &yrs::Transact::transact(&doc)), ">> héllo 🙂!XY wörld");
    }
}
