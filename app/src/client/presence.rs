//! The presence half of a session: publishing our caret and typing state as
//! y-protocols awareness, hearing everyone else's, and showing them (the
//! presence bar, carets as editor decorations). It owns its state and timers
//! and knows the session only through [`Host`], so neither reaches into the
//! other.
//!
//! Our state is sent at most every [`SEND_EVERY_MS`] (a burst of caret moves
//! becomes one message), renewed every [`RENEW_MS`] so nobody times us out,
//! and re-announced after every reconnect with the clock moved past the
//! removal the server announced when the old socket closed.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::sync::Message;
use yrs::updates::encoder::Encode;
use yrs::{Doc, TextRef, Transact, ID};

use super::binding::{Editor, Mark};
use super::dom::{now_ms, AnimationFrame, Timeout};
use crate::collab::presence::{after_char, sticky, Cursor, LocalState, PeerView, Peers, RENEW_MS, SEND_EVERY_MS};

/// What presence needs from the session it belongs to.
pub trait Host {
    fn doc(&self) -> &Doc;
    fn text(&self) -> &TextRef;
    fn editor(&self) -> &Editor;
    /// The editor shows the document (after the first sync).
    fn bound(&self) -> bool;
    /// The current socket has completed its first sync.
    fn synced(&self) -> bool;
    /// Sends a frame if the socket is open; false if it could not.
    fn send(&self, frame: &[u8]) -> bool;
    /// Shows who is here (the presence bar).
    fn show_peers(&self, peers: Vec<PeerView>);
}

/// Typing stops counting as "typing" after this long without a keystroke.
const TYPING_FOR_MS: u32 = 2_000;
/// A caret's name label shows this long after it last moved, then fades, so
/// labels do not sit on top of the text people are reading.
const LABEL_FOR_MS: f64 = 3_000.0;

/// Presence for one session.
pub struct Presence {
    host: Weak<dyn Host>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    peers: Peers,
    local: LocalState,
    clock: u32,
    last_sent: f64,
    /// The selection the published cursor was made from.
    last_offsets: Option<(u32, u32)>,
    /// Where the caret stands after what was just typed here, and the last
    /// character typed: that caret's position is known without walking the
    /// text. Forgotten on any change that was not one typed insertion.
    typed: Option<(u32, ID)>,
    send_timer: Option<Timeout>,
    renew_timer: Option<Timeout>,
    typing_timer: Option<Timeout>,
    /// Redraws when the next name label is due to fade.
    fade_timer: Option<Timeout>,
    frame: Option<AnimationFrame>,
}

impl Presence {
    pub fn new(host: Weak<dyn Host>) -> Rc<Presence> {
        Rc::new(Presence { host, state: RefCell::default() })
    }

    fn host(&self) -> Option<Rc<dyn Host>> {
        self.host.upgrade()
    }

    /// Someone's presence changed.
    pub fn receive(self: &Rc<Self>, update: &AwarenessUpdate) {
        let Some(host) = self.host() else { return };
        let changed = self.state.borrow_mut().peers.apply(update, host.doc().client_id(), now_ms());
        if changed {
            self.publish_peers();
        }
    }

    /// The socket is synced: announce ourselves, past the clock the server
    /// retired when our previous socket closed.
    pub fn connected(self: &Rc<Self>) {
        self.state.borrow_mut().clock += 1;
        self.send_now();
    }

    /// Without a connection we do not know who is here.
    pub fn disconnected(self: &Rc<Self>) {
        let mut presence = self.state.borrow_mut();
        presence.send_timer = None;
        presence.renew_timer = None;
        let had = presence.peers.clear();
        drop(presence);
        if had {
            self.publish_peers();
        }
    }

    /// We typed: say so (until a pause) and where the caret went.
    pub fn note_typing(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(TYPING_FOR_MS, move || {
            if let Some(presence) = weak.upgrade() {
                presence.state.borrow_mut().local.typing = false;
                presence.schedule_send();
            }
        });
        let started = {
            let mut presence = self.state.borrow_mut();
            presence.typing_timer = timer;
            !std::mem::replace(&mut presence.local.typing, true)
        };
        self.update_local_cursor();
        if started {
            self.schedule_send();
        }
    }

    /// Text was just typed here, ending at `offset` with the character `last`.
    pub fn typed(&self, offset: u32, last: ID) {
        self.state.borrow_mut().typed = Some((offset, last));
    }

    /// The text changed otherwise (deleted, undone, changed by others): the
    /// last typed character says nothing about the caret any more.
    pub fn forget_typed(&self) {
        self.state.borrow_mut().typed = None;
    }

    /// Publishes the caret if it moved (at the next send: turning offsets into
    /// relative positions walks the document, so it is done at most 20 times a
    /// second, not per keystroke).
    pub fn update_local_cursor(self: &Rc<Self>) {
        let Some(host) = self.host() else { return };
        if host.bound() && self.state.borrow().last_offsets != Some(host.editor().selection()) {
            self.schedule_send();
        }
    }

    /// Sends our state now, or when the throttle window ends.
    fn schedule_send(self: &Rc<Self>) {
        if !self.host().is_some_and(|host| host.synced()) {
            return; // sent on (re)connect
        }
        let wait = {
            let presence = self.state.borrow();
            if presence.send_timer.is_some() {
                return;
            }
            SEND_EVERY_MS as f64 - (now_ms() - presence.last_sent)
        };
        if wait <= 0.0 {
            self.send_now();
            return;
        }
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(wait.ceil() as u32, move || {
            if let Some(presence) = weak.upgrade() {
                presence.send_now();
            }
        });
        self.state.borrow_mut().send_timer = timer;
    }

    fn send_now(self: &Rc<Self>) {
        let Some(host) = self.host() else { return };
        let offsets = host.bound().then(|| host.editor().selection());
        let (typed, sent) = {
            let presence = self.state.borrow();
            let unmoved = presence.last_offsets == offsets;
            (presence.typed, presence.local.cursor.clone().filter(|_| unmoved))
        };
        let cursor = offsets.and_then(|(anchor, head)| {
            let txn = host.doc().transact();
            // The caret has not moved (same offsets, and the position sent
            // last time still resolves to them): that position is sent again,
            // even if it would now be made differently (after the character
            // typed, or before the next one), since others show a caret whose
            // position changed as moved (its name label reappears). Only
            // checked when the offsets are unchanged: resolving walks the text.
            let resolve = |index: &yrs::StickyIndex| index.get_offset(&txn).map(|o| o.index);
            if let Some(sent) =
                sent.filter(|sent| resolve(&sent.anchor) == Some(anchor) && resolve(&sent.head) == Some(head))
            {
                return Some(sent);
            }
            let at = |offset: u32| match typed {
                Some((after, last)) if after == offset => Some(after_char(last)),
                _ => sticky(host.text(), &txn, offset),
            };
            at(anchor).zip(at(head)).map(|(anchor, head)| Cursor { anchor, head })
        });
        let frame = {
            let mut presence = self.state.borrow_mut();
            presence.last_offsets = offsets;
            presence.local.cursor = cursor;
            presence.send_timer = None;
            presence.clock += 1;
            presence.last_sent = now_ms();
            let entry = AwarenessUpdateEntry { clock: presence.clock, json: presence.local.to_json().into() };
            let update = AwarenessUpdate { clients: [(host.doc().client_id(), entry)].into_iter().collect() };
            Message::Awareness(update).encode_v1()
        };
        host.send(&frame);
        // Renew before others time us out, and drop whoever stopped renewing.
        let weak = Rc::downgrade(self);
        let renew = Timeout::new(RENEW_MS, move || {
            if let Some(presence) = weak.upgrade() {
                let pruned = presence.state.borrow_mut().peers.prune(now_ms());
                if pruned {
                    presence.publish_peers();
                }
                presence.send_now();
            }
        });
        self.state.borrow_mut().renew_timer = renew;
    }

    fn publish_peers(self: &Rc<Self>) {
        let views = self
            .state
            .borrow()
            .peers
            .list()
            .into_iter()
            .map(|(id, peer)| PeerView {
                id: id.get(),
                name: peer.name.clone(),
                color: peer.color.clone(),
                typing: peer.typing,
            })
            .collect();
        if let Some(host) = self.host() {
            host.show_peers(views);
        }
        self.schedule_cursors();
    }

    /// Redraws other people's carets before the next paint (once per frame at most).
    pub fn schedule_cursors(self: &Rc<Self>) {
        if self.state.borrow().frame.is_some() {
            return;
        }
        let weak = Rc::downgrade(self);
        let frame = AnimationFrame::new(move || {
            if let Some(presence) = weak.upgrade() {
                presence.state.borrow_mut().frame = None;
                presence.draw_cursors();
            }
        });
        self.state.borrow_mut().frame = frame;
    }

    fn draw_cursors(self: &Rc<Self>) {
        let Some(host) = self.host() else { return };
        // Not while typed text is held back (a composition): decorations
        // changing under an IME can disturb it; drawn when it ends.
        if !host.bound() || host.editor().holding() {
            return;
        }
        let now = now_ms();
        let mut next_fade: Option<f64> = None;
        // Collected first: no transaction or borrow is held while the editor draws.
        let marks: Vec<Mark> = {
            let presence = self.state.borrow();
            let txn = host.doc().transact();
            let resolve = |index: &yrs::StickyIndex| index.get_offset(&txn).map(|o| o.index);
            presence
                .peers
                .list()
                .iter()
                .filter_map(|(id, peer)| {
                    let cursor = peer.cursor.as_ref()?;
                    let fades_at = presence.peers.moved_at(*id).unwrap_or(now) + LABEL_FOR_MS;
                    if fades_at > now {
                        next_fade = Some(next_fade.map_or(fades_at, |t| t.min(fades_at)));
                    }
                    Some(Mark {
                        name: peer.name.clone(),
                        color: peer.color.clone(),
                        anchor: resolve(&cursor.anchor)?,
                        head: resolve(&cursor.head)?,
                        quiet: fades_at <= now,
                    })
                })
                .collect()
        };
        host.editor().draw_peers(&marks);
        let weak = Rc::downgrade(self);
        let timer = next_fade.and_then(|at| {
            Timeout::new((at - now).ceil() as u32 + 1, move || {
                if let Some(presence) = weak.upgrade() {
                    presence.schedule_cursors();
                }
            })
        });
        self.state.borrow_mut().fade_timer = timer;
    }
}
