//! A live editing session for one document: a yrs Doc, the textarea binding,
//! undo history, and the y-sync conversation with the server over a
//! reconnecting socket. Presence (who is here, carets) is in `presence.rs`.
//!
//! Typed edits go into the Doc with the `LOCAL` origin; undo and redo use the
//! history's own origin; remote updates use `REMOTE`. Every non-remote change
//! leaves as an `Update` frame (an update observer collects them), and every
//! non-typed change (remote or undo) is patched into the textarea from the
//! Y.Text's delta, with the caret carried along by sticky indices. While an IME
//! composition is open nothing is sent and remote updates wait, so the
//! composition is never disturbed; both flow as soon as it ends.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use leptos::prelude::{Set, WriteSignal};
use wasm_bindgen::JsCast;
use web_sys::{HtmlButtonElement, HtmlElement, HtmlTextAreaElement};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Observable, Origin, ReadTxn, Subscription, Text, TextRef, Transact, Update};

use super::binding::{patches_from_event, Binding, Patch, Selection};
use super::cursors::Cursors;
use super::dom::{Listener, Timeout};
use super::presence::PresenceState;
use super::preview::Preview;
use super::provider::{doc_url, Backoff, Socket, SocketEvent};
use crate::collab::history::History;
use crate::collab::presence::sticky;
use crate::collab::{doc as qdoc, protocol};
use crate::components::presence_bar::PeerView;
use crate::components::status::ConnStatus;

pub(super) const LOCAL: &str = "quire-local";
const REMOTE: &str = "quire-remote";

/// Whether the undo and redo buttons have anything to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryState {
    pub can_undo: bool,
    pub can_redo: bool,
}

/// Where the session reports to the page.
pub struct Outputs {
    pub set_status: WriteSignal<ConnStatus>,
    pub set_ready: WriteSignal<bool>,
    pub set_peers: WriteSignal<Vec<PeerView>>,
    pub set_history: WriteSignal<HistoryState>,
    /// The caller's role, as the server states it on connect and on changes.
    pub set_role: WriteSignal<crate::api::Role>,
}

/// The page elements a session drives.
pub struct Elements {
    pub textarea: HtmlTextAreaElement,
    /// An empty element over the textarea, for other people's carets.
    pub cursor_layer: HtmlElement,
    pub undo: HtmlButtonElement,
    pub redo: HtmlButtonElement,
}

/// Ends the session (closes the socket, detaches listeners) when dropped.
pub struct Session {
    _inner: Rc<Inner>,
}

pub(super) struct Inner {
    pub(super) doc: Doc,
    pub(super) text: TextRef,
    url: String,
    pub(super) outputs: Outputs,
    pub(super) binding: RefCell<Binding>,
    pub(super) textarea: HtmlTextAreaElement,
    socket: RefCell<Option<Socket>>,
    /// The first sync on the current socket has completed.
    pub(super) synced_now: Cell<bool>,
    backoff: RefCell<Backoff>,
    retry: RefCell<Option<Timeout>>,
    preview: RefCell<Preview>,
    preview_timer: RefCell<Option<Timeout>>,
    history: RefCell<History>,
    pub(super) presence: RefCell<PresenceState>,
    pub(super) cursors: RefCell<Option<Cursors>>,
    /// The element shows the Doc (set at the first completed sync).
    pub(super) bound: Cell<bool>,
    composing: Cell<bool>,
    /// Remote updates received during an IME composition.
    held: RefCell<Vec<Vec<u8>>>,
    /// Patches collected by the Y.Text observer for non-typed changes.
    patches: Rc<RefCell<Vec<Patch>>>,
    /// Updates of our own (typed, undo, redo) waiting to be sent.
    outgoing: Rc<RefCell<Vec<Vec<u8>>>>,
    pub(super) listeners: RefCell<Vec<Listener>>,
    _observers: Vec<Subscription>,
}

/// Starts editing `doc_id` in the given elements, with `preview` showing the
/// rendered Markdown the page was served with.
pub fn start(doc_id: &str, elements: Elements, preview: Preview, outputs: Outputs) -> Session {
    let doc = qdoc::new_doc();
    let text = qdoc::content(&doc);
    let patches = Rc::new(RefCell::new(Vec::new()));
    let collected = patches.clone();
    let text_observer = text.observe(move |txn, event| {
        // Typed changes are already in the element; everything else is patched in.
        let typed = txn.origin().is_some_and(|origin| *origin == Origin::from(LOCAL));
        if !typed {
            collected.borrow_mut().extend(patches_from_event(event, txn));
        }
    });
    let outgoing = Rc::new(RefCell::new(Vec::new()));
    let queue = outgoing.clone();
    let update_observer = doc
        .observe_update_v1(move |txn, event| {
            let remote = txn.origin().is_some_and(|origin| *origin == Origin::from(REMOTE));
            if !remote && !protocol::is_empty_update(&event.update) {
                queue.borrow_mut().push(event.update.clone());
            }
        })
        .expect("a fresh document accepts observers");
    let clock: Arc<dyn yrs::sync::time::Clock> = Arc::new(|| js_sys::Date::now() as u64);
    let history = History::new(&doc, &text, Origin::from(LOCAL), clock);
    let Elements { textarea, cursor_layer, undo, redo } = elements;
    let inner = Rc::new(Inner {
        doc,
        text,
        url: doc_url(doc_id).unwrap_or_default(),
        outputs,
        binding: RefCell::new(Binding::new(textarea.clone())),
        textarea: textarea.clone(),
        socket: RefCell::new(None),
        synced_now: Cell::new(false),
        backoff: RefCell::new(Backoff::default()),
        retry: RefCell::new(None),
        preview: RefCell::new(preview),
        preview_timer: RefCell::new(None),
        history: RefCell::new(history),
        presence: RefCell::new(PresenceState::default()),
        cursors: RefCell::new(Cursors::new(textarea.clone(), cursor_layer)),
        bound: Cell::new(false),
        composing: Cell::new(false),
        held: RefCell::new(Vec::new()),
        patches,
        outgoing,
        listeners: RefCell::new(Vec::new()),
        _observers: vec![text_observer, update_observer],
    });
    let target: &web_sys::EventTarget = textarea.unchecked_ref();
    let weak = Rc::downgrade(&inner);
    let mut listeners = vec![
        Listener::new(target, "beforeinput", with(&weak, |inner, event| {
            let kind = event.dyn_ref::<web_sys::InputEvent>().map(|e| e.input_type()).unwrap_or_default();
            match kind.as_str() {
                // The browser's own undo would replay its private history,
                // which knows nothing of other people's edits.
                "historyUndo" | "historyRedo" => {
                    event.prevent_default();
                    inner.step_history(kind == "historyRedo");
                }
                _ => inner.binding.borrow_mut().note_before_input(),
            }
        })),
        Listener::new(target, "input", with(&weak, |inner, event| {
            let composing = event.dyn_ref::<web_sys::InputEvent>().is_some_and(|e| e.is_composing());
            if !composing && !inner.composing.get() {
                inner.local_input();
            }
        })),
        Listener::new(target, "keydown", with(&weak, |inner, event| {
            let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
            if let Some(redo) = history_shortcut(key) {
                event.prevent_default();
                inner.step_history(redo);
            }
        })),
        Listener::new(target, "compositionstart", with(&weak, |inner, _| inner.composing.set(true))),
        Listener::new(target, "compositionend", with(&weak, |inner, _| {
            inner.composing.set(false);
            inner.local_input();
            let held: Vec<Vec<u8>> = inner.held.borrow_mut().drain(..).collect();
            for update in held {
                inner.apply_remote(&update);
            }
        })),
        Listener::new(undo.unchecked_ref(), "click", with(&weak, |inner, _| inner.step_history(false))),
        Listener::new(redo.unchecked_ref(), "click", with(&weak, |inner, _| inner.step_history(true))),
    ];
    if let Some(window) = web_sys::window() {
        // The browser knows before any timer that the network is back.
        listeners.push(Listener::new(window.unchecked_ref(), "online", with(&weak, |inner, _| {
            if inner.socket.borrow().is_none() {
                inner.connect();
            }
        })));
    }
    *inner.listeners.borrow_mut() = listeners;
    inner.watch_presence(&weak);
    inner.connect();
    Session { _inner: inner }
}

/// Ctrl/Cmd+Z is undo; Ctrl/Cmd+Shift+Z and Ctrl+Y are redo.
fn history_shortcut(key: &web_sys::KeyboardEvent) -> Option<bool> {
    if !(key.ctrl_key() || key.meta_key()) || key.alt_key() {
        return None;
    }
    match key.key().to_ascii_lowercase().as_str() {
        "z" => Some(key.shift_key()),
        "y" if key.ctrl_key() => Some(true),
        _ => None,
    }
}

/// An event callback that runs only while the session is alive.
pub(super) fn with(weak: &Weak<Inner>, f: impl Fn(&Rc<Inner>, web_sys::Event) + 'static) -> impl FnMut(web_sys::Event) + 'static {
    let weak = weak.clone();
    move |event| {
        if let Some(inner) = weak.upgrade() {
            f(&inner, event);
        }
    }
}

impl Inner {
    fn connect(self: &Rc<Self>) {
        self.retry.borrow_mut().take();
        let weak = Rc::downgrade(self);
        let on_event = Rc::new(move |event| {
            if let Some(inner) = weak.upgrade() {
                inner.on_socket(event);
            }
        });
        match Socket::connect(&self.url, on_event) {
            Ok(socket) => *self.socket.borrow_mut() = Some(socket),
            Err(_) => self.schedule_reconnect(ConnStatus::Reconnecting),
        }
    }

    fn schedule_reconnect(self: &Rc<Self>, status: ConnStatus) {
        self.socket.borrow_mut().take();
        self.synced_now.set(false);
        self.disconnected_presence();
        let delay = self.backoff.borrow_mut().next_delay_ms();
        self.outputs.set_status.set(status);
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(delay, move || {
            if let Some(inner) = weak.upgrade() {
                inner.connect();
            }
        });
        *self.retry.borrow_mut() = timer;
    }

    pub(super) fn send(&self, frame: &[u8]) {
        if let Some(socket) = self.socket.borrow().as_ref() {
            socket.send(frame);
        }
    }

    fn on_socket(self: &Rc<Self>, event: SocketEvent) {
        match event {
            SocketEvent::Open => {
                // Step 1 both ways: the server sends its own, and answers ours
                // with exactly what we lack.
                let sv = self.doc.transact().state_vector();
                self.send(&protocol::sync_step1(sv));
            }
            SocketEvent::Frame(frame) => self.on_frame(&frame),
            SocketEvent::Closed { code, reason } => {
                if !reason.is_empty() {
                    web_sys::console::info_1(&format!("Quire: connection closed ({code}): {reason}").into());
                }
                let ended = match code {
                    protocol::close::FORBIDDEN => Some(ConnStatus::AccessRemoved),
                    protocol::close::GONE => Some(ConnStatus::Deleted),
                    _ => None,
                };
                if let Some(status) = ended {
                    // Final: reconnecting would be refused too.
                    self.socket.borrow_mut().take();
                    self.synced_now.set(false);
                    self.disconnected_presence();
                    self.outputs.set_status.set(status);
                    return;
                }
                let status = if code == protocol::close::ROOM_FULL { ConnStatus::RoomFull } else { ConnStatus::Reconnecting };
                self.schedule_reconnect(status);
            }
        }
    }

    fn on_frame(self: &Rc<Self>, frame: &[u8]) {
        let Ok(messages) = protocol::decode(frame) else { return };
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let missing = self.doc.transact().encode_state_as_update_v1(&sv);
                    self.send(&protocol::sync_step2(missing));
                }
                Message::Sync(SyncMessage::SyncStep2(update)) => {
                    self.receive_update(update);
                    self.synced();
                }
                Message::Sync(SyncMessage::Update(update)) => self.receive_update(update),
                Message::Awareness(update) => self.receive_presence(&update),
                Message::Custom(protocol::MSG_ACCESS, payload) => {
                    if let Some(role) = protocol::read_access(&payload) {
                        self.outputs.set_role.set(role);
                    }
                }
                Message::Auth(Some(reason)) => {
                    // A write was refused (access was reduced while we typed):
                    // this copy now holds text the server will never take, so
                    // start over from the server's.
                    web_sys::console::warn_1(&format!("Quire: {reason}").into());
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().reload();
                    }
                }
                _ => {}
            }
        }
    }

    fn synced(self: &Rc<Self>) {
        self.backoff.borrow_mut().reset();
        self.outputs.set_status.set(ConnStatus::Connected);
        if !self.bound.get() {
            let text = qdoc::markdown(&self.text, &self.doc.transact());
            self.binding.borrow_mut().reset(&text);
            if let Some(cursors) = self.cursors.borrow_mut().as_mut() {
                cursors.invalidate();
            }
            self.patches.borrow_mut().clear();
            self.bound.set(true);
            self.outputs.set_ready.set(true);
            self.schedule_preview();
        }
        self.synced_now.set(true);
        self.connected_presence();
    }

    fn receive_update(self: &Rc<Self>, update: Vec<u8>) {
        if self.composing.get() {
            self.held.borrow_mut().push(update);
        } else {
            self.apply_remote(&update);
        }
    }

    /// Applies a remote update, patches the element, and keeps the selection
    /// attached to the text it was in.
    fn apply_remote(self: &Rc<Self>, bytes: &[u8]) {
        let Ok(update) = Update::decode_v1(bytes) else { return };
        let selection = self.binding.borrow().selection();
        let anchors = {
            let mut txn = self.doc.transact_mut_with(REMOTE);
            let anchors = self
                .bound
                .get()
                .then(|| (sticky(&self.text, &txn, selection.start), sticky(&self.text, &txn, selection.end)));
            if txn.apply_update(update).is_err() {
                return;
            }
            anchors
        };
        let patches: Vec<Patch> = self.patches.borrow_mut().drain(..).collect();
        if !self.bound.get() || patches.is_empty() {
            return;
        }
        let selection = anchors.map(|(start, end)| {
            let txn = self.doc.transact();
            let resolve = |index: Option<yrs::StickyIndex>, fallback: u32| {
                index.and_then(|i| i.get_offset(&txn)).map(|o| o.index).unwrap_or(fallback)
            };
            Selection { start: resolve(start, selection.start), end: resolve(end, selection.end), backward: selection.backward }
        });
        self.show_patches(&patches, selection);
    }

    /// Splices non-typed changes into the element (and the caret mirror).
    fn show_patches(self: &Rc<Self>, patches: &[Patch], selection: Option<Selection>) {
        self.binding.borrow_mut().apply(patches);
        if let Some(cursors) = self.cursors.borrow_mut().as_mut() {
            for patch in patches {
                match patch {
                    Patch::Insert { at, text } => cursors.splice(*at, 0, text),
                    Patch::Delete { at, len } => cursors.splice(*at, *len, ""),
                }
            }
        }
        if let Some(selection) = selection {
            self.binding.borrow().set_selection(selection);
        }
        self.schedule_preview();
        self.schedule_cursors();
    }

    /// Turns what the user just typed into one Y.Text edit and sends it.
    fn local_input(self: &Rc<Self>) {
        if !self.bound.get() {
            return;
        }
        let Some(edit) = self.binding.borrow_mut().take_local_edit() else { return };
        self.history.borrow_mut().before_edit(&edit);
        if let Some(cursors) = self.cursors.borrow_mut().as_mut() {
            cursors.splice(edit.start, edit.delete, &edit.insert);
        }
        {
            let mut txn = self.doc.transact_mut_with(LOCAL);
            if edit.delete > 0 {
                self.text.remove_range(&mut txn, edit.start, edit.delete);
            }
            if !edit.insert.is_empty() {
                self.text.insert(&mut txn, edit.start, &edit.insert);
            }
        }
        self.send_outgoing();
        self.publish_history();
        self.schedule_preview();
        self.note_typing();
    }

    /// Undoes (or redoes) the user's own last step, puts the caret where it
    /// happened, and sends the change.
    fn step_history(self: &Rc<Self>, redo: bool) {
        // Read-only (a viewer, or access ended): nothing of ours may change.
        if !self.bound.get() || self.composing.get() || self.textarea.read_only() {
            return;
        }
        let changed = {
            let mut history = self.history.borrow_mut();
            if redo { history.redo() } else { history.undo() }
        };
        let patches: Vec<Patch> = self.patches.borrow_mut().drain(..).collect();
        if changed && !patches.is_empty() {
            let caret = match patches.last() {
                Some(Patch::Insert { at, text }) => at + text.encode_utf16().count() as u32,
                Some(Patch::Delete { at, .. }) => *at,
                None => 0,
            };
            self.show_patches(&patches, Some(Selection { start: caret, end: caret, backward: false }));
            self.send_outgoing();
            self.update_local_cursor();
        }
        self.publish_history();
        let _ = self.textarea.focus();
    }

    /// Sends every change of ours the update observer collected.
    fn send_outgoing(&self) {
        let updates: Vec<Vec<u8>> = self.outgoing.borrow_mut().drain(..).collect();
        for update in updates {
            self.send(&protocol::update(update));
        }
    }

    fn publish_history(&self) {
        let history = self.history.borrow();
        self.outputs.set_history.set(HistoryState { can_undo: history.can_undo(), can_redo: history.can_redo() });
    }

    /// Re-renders the preview once typing pauses; bigger documents wait a bit
    /// longer (parsing is linear in the document) so it never competes with
    /// keystrokes.
    fn schedule_preview(self: &Rc<Self>) {
        let len = self.binding.borrow().len_utf16();
        let delay = (60 + len / 2_000).min(800);
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(delay, move || {
            if let Some(inner) = weak.upgrade() {
                let text = inner.binding.borrow().text();
                inner.preview.borrow_mut().show(&text);
            }
        });
        *self.preview_timer.borrow_mut() = timer;
    }
}
