//! A live editing session for one document: a yrs Doc, the CodeMirror view of
//! it (`binding.rs`), undo history, and the y-sync conversation with the
//! server over a reconnecting socket. Presence (who is here, carets) is in
//! `presence.rs`.
//!
//! Typed edits go into the Doc with the `LOCAL` origin; undo and redo use the
//! history's own origin; remote updates use `REMOTE`. Every non-remote change
//! leaves as an `Update` frame (an update observer collects them), and every
//! non-typed change (remote or undo) is shown in the editor from the Y.Text's
//! delta; CodeMirror maps the selection through it, so a caret stays before
//! text someone else inserts exactly at it. While an IME composition is open
//! nothing is sent and remote updates wait, so the composition is never
//! disturbed; both flow as soon as it ends.
//!
//! Durability: every update also goes to the document's copy on this device
//! (`offline.rs`), which is loaded before the first connection, so a reload
//! without network shows the latest edits and lets the user keep writing. The
//! status says "Saved" only once the server acknowledged every local change
//! (see `collab::saves`). A heartbeat notices dead sockets within ~30 s, and
//! the browser's offline/online events end or restart the connection at once.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use leptos::prelude::{Set, WriteSignal};
use wasm_bindgen::JsCast;
use web_sys::{HtmlButtonElement, HtmlElement};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Observable, Origin, ReadTxn, Subscription, Text, TextRef, Transact, Update};

use super::binding::{Editor, Hooks};
use super::dom::{Interval, Listener, Timeout};
use super::offline::LocalCopy;
use super::presence::PresenceState;
use super::preview::Preview;
use super::provider::{doc_url, Backoff, Socket, SocketEvent};
use crate::collab::edits::{editor_changes, end_of_last, local_edits, Change};
use crate::collab::history::History;
use crate::collab::saves::SaveTracker;
use crate::collab::{doc as qdoc, protocol};
use crate::components::presence_bar::PeerView;
use crate::components::status::{ConnStatus, Refusal};

pub(super) const LOCAL: &str = "quire-local";
const REMOTE: &str = "quire-remote";
/// Updates loaded from this device's copy: neither sent nor stored again.
const DEVICE: &str = "quire-device";
/// How often the client sends a heartbeat, and how long a socket may stay
/// silent (or stuck connecting) before it counts as dead.
const HEARTBEAT_MS: u32 = 10_000;
const DEAD_AFTER_MS: f64 = 30_000.0;

/// Where the connection stands, as far as the status pill is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
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
    /// The document's title, as the server states it on connect and on renames.
    pub set_title: WriteSignal<String>,
}

/// The page elements a session drives.
pub struct Elements {
    /// Where the editor goes; it opens on `text`, the document as the page
    /// was served (so nothing moves when it mounts).
    pub editor_host: HtmlElement,
    pub text: String,
    pub undo: HtmlButtonElement,
    pub redo: HtmlButtonElement,
}

/// Ends the session (closes the socket, detaches listeners) when dropped.
pub struct Session {
    inner: Rc<Inner>,
}

impl Session {
    /// Whether the person may change the text here (the page decides: role,
    /// first sync, access).
    pub fn set_read_only(&self, read_only: bool) {
        self.inner.editor.set_read_only(read_only);
    }

    /// A toolbar button: formats the selection (nothing where read-only).
    pub fn format(&self, name: &str) {
        self.inner.editor.format(name);
    }

    pub fn set_line_numbers(&self, on: bool) {
        self.inner.editor.set_line_numbers(on);
    }
}

pub(super) struct Inner {
    pub(super) doc: Doc,
    pub(super) text: TextRef,
    url: String,
    pub(super) outputs: Outputs,
    pub(super) editor: Editor,
    socket: RefCell<Option<Socket>>,
    /// The first sync on the current socket has completed.
    pub(super) synced_now: Cell<bool>,
    link: Cell<Link>,
    /// The server last turned this page away over what it sent; shown until
    /// every change of ours is saved again.
    refusal: Cell<Option<Refusal>>,
    /// The document's copy on this device, once opened (shared with the
    /// update observer, which stores every update in it).
    device: Rc<RefCell<Option<Rc<LocalCopy>>>>,
    saves: RefCell<SaveTracker>,
    /// The unsaved count last written to the device.
    stored_unsaved: Cell<u64>,
    /// When the current socket last showed signs of life (ms since epoch).
    last_heard: Cell<f64>,
    heartbeat: RefCell<Option<Interval>>,
    backoff: RefCell<Backoff>,
    retry: RefCell<Option<Timeout>>,
    preview: RefCell<Preview>,
    preview_timer: RefCell<Option<Timeout>>,
    history: RefCell<History>,
    pub(super) presence: RefCell<PresenceState>,
    /// The element shows the Doc (set at the first completed sync).
    pub(super) bound: Cell<bool>,
    composing: Cell<bool>,
    /// Remote updates received during an IME composition.
    held: RefCell<Vec<Vec<u8>>>,
    /// Editor changes collected by the Y.Text observer for non-typed
    /// changes, one list per Y.Text event (each against the text before it).
    patches: Rc<RefCell<Vec<Vec<Change>>>>,
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
            collected.borrow_mut().push(editor_changes(event.delta(txn)));
        }
    });
    let outgoing = Rc::new(RefCell::new(Vec::new()));
    let queue = outgoing.clone();
    let device: Rc<RefCell<Option<Rc<LocalCopy>>>> = Rc::default();
    let keep = device.clone();
    let update_observer = doc
        .observe_update_v1(move |txn, event| {
            let origin = txn.origin();
            if origin.is_some_and(|origin| *origin == Origin::from(DEVICE)) {
                return;
            }
            if let Some(copy) = keep.borrow().as_ref() {
                copy.append(&event.update);
            }
            let remote = origin.is_some_and(|origin| *origin == Origin::from(REMOTE));
            if !remote && !protocol::is_empty_update(&event.update) {
                queue.borrow_mut().push(event.update.clone());
            }
        })
        .expect("a fresh document accepts observers");
    let clock: Arc<dyn yrs::sync::time::Clock> = Arc::new(|| js_sys::Date::now() as u64);
    let history = History::new(&doc, &text, Origin::from(LOCAL), clock);
    let Elements { editor_host, text: served, undo, redo } = elements;
    let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
        let hooks = Hooks {
            local: Box::new(on(weak, |inner, changes: Vec<(u32, u32, String)>| inner.local_input(&changes))),
            selection: unit(on(weak, |inner, ()| inner.update_local_cursor())),
            undo: unit(on(weak, |inner, ()| inner.step_history(false))),
            redo: unit(on(weak, |inner, ()| inner.step_history(true))),
            composing: Box::new(on(weak, |inner, composing: bool| inner.set_composing(composing))),
        };
        Inner {
            doc,
            text,
            url: doc_url(doc_id).unwrap_or_default(),
            outputs,
            editor: Editor::mount(&editor_host, &served, hooks, crate::prefs::line_numbers()),
            socket: RefCell::new(None),
            synced_now: Cell::new(false),
            link: Cell::new(Link::Connecting),
            refusal: Cell::new(None),
            device,
            saves: RefCell::new(SaveTracker::default()),
            stored_unsaved: Cell::new(0),
            last_heard: Cell::new(js_sys::Date::now()),
            heartbeat: RefCell::new(None),
            backoff: RefCell::new(Backoff::default()),
            retry: RefCell::new(None),
            preview: RefCell::new(preview),
            preview_timer: RefCell::new(None),
            history: RefCell::new(history),
            presence: RefCell::new(PresenceState::default()),
            bound: Cell::new(false),
            composing: Cell::new(false),
            held: RefCell::new(Vec::new()),
            patches,
            outgoing,
            listeners: RefCell::new(Vec::new()),
            _observers: vec![text_observer, update_observer],
        }
    });
    {
        let preview = inner.preview.borrow();
        inner.editor.follow_with(preview.article());
        inner.editor.set_block_lines(preview.lines());
    }
    let weak = Rc::downgrade(&inner);
    let mut listeners = vec![
        Listener::new(undo.unchecked_ref(), "click", with(&weak, |inner, _| inner.step_history(false))),
        Listener::new(redo.unchecked_ref(), "click", with(&weak, |inner, _| inner.step_history(true))),
    ];
    if let Some(window) = web_sys::window() {
        // The browser knows before any timer whether the network is there.
        listeners.push(Listener::new(
            window.unchecked_ref(),
            "online",
            with(&weak, |inner, _| {
                if inner.socket.borrow().is_none() && !matches!(inner.link.get(), Link::Ended(_)) {
                    inner.connect();
                }
            }),
        ));
        listeners.push(Listener::new(
            window.unchecked_ref(),
            "offline",
            with(&weak, |inner, _| {
                if inner.socket.borrow().is_some() {
                    inner.schedule_reconnect(Link::Offline);
                }
            }),
        ));
        // Closing the tab while the server has not confirmed everything: ask.
        listeners.push(Listener::new(
            window.unchecked_ref(),
            "beforeunload",
            with(&weak, |inner, event| {
                if inner.saves.borrow().unsaved() > 0 {
                    event.prevent_default();
                    if let Some(event) = event.dyn_ref::<web_sys::BeforeUnloadEvent>() {
                        event.set_return_value("Some changes are not saved on the server yet.");
                    }
                }
            }),
        ));
    }
    *inner.listeners.borrow_mut() = listeners;
    *inner.heartbeat.borrow_mut() = Interval::new(HEARTBEAT_MS, {
        let weak = weak.clone();
        move || {
            if let Some(inner) = weak.upgrade() {
                inner.beat();
            }
        }
    });
    let id = doc_id.to_string();
    wasm_bindgen_futures::spawn_local(async move {
        let copy = LocalCopy::open(&id).await;
        let Some(inner) = weak.upgrade() else { return };
        match copy {
            Ok(copy) => inner.restore(copy).await,
            Err(error) => {
                web_sys::console::warn_2(&"Quire: no copy on this device (IndexedDB unavailable)".into(), &error)
            }
        }
        inner.connect();
    });
    Session { inner }
}

/// A callback that runs only while the session is alive.
fn on<A>(weak: &Weak<Inner>, f: impl Fn(&Rc<Inner>, A) + 'static) -> impl FnMut(A) + 'static {
    let weak = weak.clone();
    move |argument| {
        if let Some(inner) = weak.upgrade() {
            f(&inner, argument);
        }
    }
}

/// A callback without an argument.
fn unit(mut f: impl FnMut(()) + 'static) -> Box<dyn FnMut()> {
    Box::new(move || f(()))
}

/// An event callback that runs only while the session is alive.
pub(super) fn with(
    weak: &Weak<Inner>,
    f: impl Fn(&Rc<Inner>, web_sys::Event) + 'static,
) -> impl FnMut(web_sys::Event) + 'static {
    let weak = weak.clone();
    move |event| {
        if let Some(inner) = weak.upgrade() {
            f(&inner, event);
        }
    }
}

impl Inner {
    /// Loads what this device kept of the document; if it kept anything, the
    /// editor opens on it at once (offline, this is all there is).
    async fn restore(self: &Rc<Self>, copy: LocalCopy) {
        let stored = match copy.load().await {
            Ok(stored) => stored,
            Err(error) => {
                web_sys::console::warn_2(&"Quire: could not read this device's copy".into(), &error);
                return;
            }
        };
        {
            let mut txn = self.doc.transact_mut_with(DEVICE);
            for update in &stored.updates {
                if let Ok(update) = Update::decode_v1(update) {
                    let _ = txn.apply_update(update);
                }
            }
        }
        *self.saves.borrow_mut() = SaveTracker::restored(stored.unsaved);
        self.stored_unsaved.set(stored.unsaved);
        *self.device.borrow_mut() = Some(Rc::new(copy));
        if !stored.updates.is_empty() {
            self.bind();
        }
        self.report_status();
    }

    fn connect(self: &Rc<Self>) {
        self.retry.borrow_mut().take();
        self.last_heard.set(js_sys::Date::now());
        // The browser knows it has no network: wait for its "online" event
        // (and the backoff) instead of failing a connection attempt.
        if web_sys::window().is_some_and(|w| !w.navigator().on_line()) {
            self.schedule_reconnect(Link::Offline);
            return;
        }
        let weak = Rc::downgrade(self);
        let on_event = Rc::new(move |event| {
            if let Some(inner) = weak.upgrade() {
                inner.on_socket(event);
            }
        });
        match Socket::connect(&self.url, on_event) {
            Ok(socket) => *self.socket.borrow_mut() = Some(socket),
            Err(_) => self.schedule_reconnect(Link::Offline),
        }
    }

    fn schedule_reconnect(self: &Rc<Self>, link: Link) {
        self.socket.borrow_mut().take();
        self.synced_now.set(false);
        self.disconnected_presence();
        let delay = self.backoff.borrow_mut().next_delay_ms();
        self.link.set(link);
        self.report_status();
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(delay, move || {
            if let Some(inner) = weak.upgrade() {
                inner.connect();
            }
        });
        *self.retry.borrow_mut() = timer;
    }

    /// Sends a frame if the socket is open; false if it could not.
    pub(super) fn send(&self, frame: &[u8]) -> bool {
        self.socket.borrow().as_ref().is_some_and(|socket| socket.send(frame))
    }

    /// Sends a write (update or step 2), which the server will acknowledge.
    fn send_write(&self, frame: &[u8]) {
        if self.send(frame) {
            self.saves.borrow_mut().sent_write();
        }
    }

    /// Every few seconds: a heartbeat on an open socket, and the end of a
    /// socket that has been silent (or connecting) for too long.
    fn beat(self: &Rc<Self>) {
        if self.socket.borrow().is_none() {
            return;
        }
        if js_sys::Date::now() - self.last_heard.get() > DEAD_AFTER_MS {
            web_sys::console::info_1(&"Quire: the connection stopped answering; reconnecting".into());
            self.schedule_reconnect(Link::Offline);
        } else {
            self.send(&protocol::heartbeat());
        }
    }

    /// Puts the status pill (and the device's unsaved count) in line with
    /// the connection and the acknowledgements.
    fn report_status(&self) {
        let unsaved = self.saves.borrow().unsaved();
        if unsaved != self.stored_unsaved.get() {
            if let Some(copy) = self.device.borrow().as_ref() {
                copy.set_unsaved(unsaved);
                self.stored_unsaved.set(unsaved);
            }
        }
        if unsaved == 0 && self.link.get() == Link::Synced {
            self.refusal.set(None);
        }
        let status = match (self.link.get(), self.refusal.get()) {
            (Link::Ended(status), _) => status,
            (_, Some(refusal)) => ConnStatus::Refused(refusal),
            (link, None) => Self::plain_status(link, unsaved),
        };
        self.outputs.set_status.set(status);
    }

    fn plain_status(link: Link, unsaved: u64) -> ConnStatus {
        match link {
            Link::Connecting => ConnStatus::Connecting,
            Link::Synced if unsaved == 0 => ConnStatus::Saved,
            Link::Synced => ConnStatus::Saving,
            Link::Offline => ConnStatus::Offline(unsaved),
            Link::RoomFull => ConnStatus::RoomFull,
            Link::Ended(status) => status,
        }
    }

    /// Forgets this device's copy, then runs `then` (the copy may hold what
    /// its owner may no longer see, or changes the server will never take).
    fn forget_device_copy(&self, then: impl FnOnce() + 'static) {
        let copy = self.device.borrow_mut().take();
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(copy) = copy {
                copy.clear().await;
            }
            then();
        });
    }

    fn on_socket(self: &Rc<Self>, event: SocketEvent) {
        match event {
            SocketEvent::Open => {
                self.last_heard.set(js_sys::Date::now());
                self.saves.borrow_mut().new_socket();
                // Ask for save acknowledgements, then step 1 both ways: the
                // server sends its own, and answers ours with exactly what we lack.
                self.send(&protocol::hello());
                let sv = self.doc.transact().state_vector();
                self.send(&protocol::sync_step1(sv));
            }
            SocketEvent::Frame(frame) => {
                self.last_heard.set(js_sys::Date::now());
                self.on_frame(&frame);
            }
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
                    self.link.set(Link::Ended(status));
                    self.report_status();
                    self.forget_device_copy(|| {});
                    return;
                }
                if let Some(refusal) = Refusal::from_close_code(code) {
                    self.refusal.set(Some(refusal));
                }
                let link = if code == protocol::close::ROOM_FULL { Link::RoomFull } else { Link::Offline };
                self.schedule_reconnect(link);
            }
        }
    }

    fn on_frame(self: &Rc<Self>, frame: &[u8]) {
        let Ok(messages) = protocol::decode(frame) else { return };
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let missing = self.doc.transact().encode_state_as_update_v1(&sv);
                    self.send_write(&protocol::sync_step2(missing));
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
                Message::Custom(protocol::MSG_TITLE, payload) => {
                    if let Some(title) = protocol::read_title(&payload) {
                        self.outputs.set_title.set(title);
                    }
                }
                Message::Custom(protocol::MSG_SAVED, payload) => {
                    if let Some(writes) = protocol::read_saved(&payload) {
                        self.saves.borrow_mut().acknowledged(writes);
                        self.report_status();
                    }
                }
                Message::Auth(Some(reason)) => {
                    // A write was refused (access was reduced while we typed):
                    // this copy now holds text the server will never take, so
                    // start over from the server's.
                    web_sys::console::warn_1(&format!("Quire: {reason}").into());
                    self.forget_device_copy(|| {
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().reload();
                        }
                    });
                }
                _ => {}
            }
        }
    }

    fn synced(self: &Rc<Self>) {
        self.backoff.borrow_mut().reset();
        self.bind();
        self.synced_now.set(true);
        self.link.set(Link::Synced);
        self.report_status();
        self.connected_presence();
    }

    /// Shows the Doc in the editor and makes it editable (once: after that,
    /// changes are patched in).
    fn bind(self: &Rc<Self>) {
        if self.bound.get() {
            return;
        }
        let text = qdoc::markdown(&self.text, &self.doc.transact());
        self.editor.reset(&text);
        self.patches.borrow_mut().clear();
        self.bound.set(true);
        self.outputs.set_ready.set(true);
        self.schedule_preview();
    }

    fn receive_update(self: &Rc<Self>, update: Vec<u8>) {
        if self.composing.get() || self.editor.holding() {
            self.held.borrow_mut().push(update);
        } else {
            self.apply_remote(&update);
        }
    }

    /// An IME composition started, or ended (and what it wrote was reported):
    /// remote updates that arrived meanwhile are shown now.
    fn set_composing(self: &Rc<Self>, composing: bool) {
        self.composing.set(composing);
        if !composing {
            let held: Vec<Vec<u8>> = self.held.borrow_mut().drain(..).collect();
            for update in held {
                self.apply_remote(&update);
            }
            self.schedule_cursors();
        }
    }

    /// Applies a remote update and shows what it changed.
    fn apply_remote(self: &Rc<Self>, bytes: &[u8]) {
        let Ok(update) = Update::decode_v1(bytes) else { return };
        if self.doc.transact_mut_with(REMOTE).apply_update(update).is_err() {
            return;
        }
        self.compact_device_copy();
        if self.show_changes() {
            self.schedule_cursors();
        }
    }

    /// Shows in the editor what the Y.Text observer collected (changes that
    /// were not typed here); false if there was nothing to show.
    fn show_changes(self: &Rc<Self>) -> bool {
        let collected: Vec<Vec<Change>> = self.patches.borrow_mut().drain(..).collect();
        if !self.bound.get() || collected.iter().all(Vec::is_empty) {
            return false;
        }
        for changes in &collected {
            self.editor.show(changes);
        }
        self.schedule_preview();
        true
    }

    /// Turns what the person just typed (the editor's changes, last first)
    /// into Y.Text edits, in one transaction, and sends them.
    fn local_input(self: &Rc<Self>, changes: &[(u32, u32, String)]) {
        if !self.bound.get() {
            return;
        }
        if self.editor.read_only() {
            // Nothing typed here may reach the document (the editor filters
            // such changes; this is the second lock): show the document again.
            let text = qdoc::markdown(&self.text, &self.doc.transact());
            self.editor.reset(&text);
            return;
        }
        let edits = {
            let txn = self.doc.transact();
            local_edits(changes, self.text.len(&txn))
        };
        let Ok(edits) = edits else {
            // The view and the document disagree (never expected): show the
            // document again rather than write a guess into it.
            web_sys::console::error_1(&"Quire: the editor's change did not fit the document; reloading it".into());
            let text = qdoc::markdown(&self.text, &self.doc.transact());
            self.editor.reset(&text);
            return;
        };
        if edits.is_empty() {
            return;
        }
        {
            let mut history = self.history.borrow_mut();
            for edit in &edits {
                history.before_edit(edit);
            }
        }
        {
            let mut txn = self.doc.transact_mut_with(LOCAL);
            for edit in &edits {
                if edit.delete > 0 {
                    self.text.remove_range(&mut txn, edit.start, edit.delete);
                }
                if !edit.insert.is_empty() {
                    self.text.insert(&mut txn, edit.start, &edit.insert);
                }
            }
        }
        self.send_outgoing();
        self.publish_history();
        self.schedule_preview();
        self.note_typing();
    }

    /// Undoes (or redoes) the person's own last step, puts the caret where it
    /// happened, and sends the change.
    fn step_history(self: &Rc<Self>, redo: bool) {
        // Read-only (a viewer, or access ended): nothing of ours may change.
        if !self.bound.get() || self.composing.get() || self.editor.read_only() {
            return;
        }
        let changed = {
            let mut history = self.history.borrow_mut();
            if redo {
                history.redo()
            } else {
                history.undo()
            }
        };
        // Where the step's last change ends, in the text after it.
        let caret = self.patches.borrow().last().and_then(|changes| end_of_last(changes));
        if changed && self.show_changes() {
            if let Some(caret) = caret {
                self.editor.select(caret, caret);
            }
            self.send_outgoing();
            self.update_local_cursor();
            self.schedule_cursors();
        }
        self.publish_history();
        self.editor.focus();
    }

    /// Sends every change of ours the update observer collected (offline,
    /// they wait in the Doc and on the device for the next sync exchange).
    fn send_outgoing(&self) {
        let updates: Vec<Vec<u8>> = self.outgoing.borrow_mut().drain(..).collect();
        for update in updates {
            self.saves.borrow_mut().local_change();
            self.send_write(&protocol::update(update));
        }
        self.compact_device_copy();
        self.report_status();
    }

    /// Merges the device's records once enough have piled up.
    fn compact_device_copy(&self) {
        if let Some(copy) = self.device.borrow().as_ref() {
            if copy.wants_compaction() {
                copy.compact(self.doc.transact().encode_state_as_update_v1(&yrs::StateVector::default()));
            }
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
        let len = self.editor.len_utf16();
        let delay = (60 + len / 2_000).min(800);
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(delay, move || {
            if let Some(inner) = weak.upgrade() {
                let text = inner.editor.text();
                let mut preview = inner.preview.borrow_mut();
                preview.show(&text);
                inner.editor.set_block_lines(preview.lines());
            }
        });
        *self.preview_timer.borrow_mut() = timer;
    }
}
