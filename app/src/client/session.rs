//! A live editing session for one document: a yrs Doc, the CodeMirror view of
//! it (`binding.rs`), undo history, and the y-sync conversation with the
//! server over a reconnecting socket. This file holds the session's state and
//! wires it up; its halves are `link.rs` (the socket: connect, heartbeat,
//! backoff, close codes, the status pill) and `sync.rs` (the document: sync
//! messages, remote and typed changes, undo, the device copy, the preview).
//! Presence (who is here, carets) is `presence.rs`, which sees the session
//! only through its `Host` trait.
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
//! (`offline.rs`), which is loaded before the first sync (the socket opens
//! meanwhile, its events held until the copy is in), so a reload
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
use yrs::{Doc, Observable, Origin, Subscription, TextRef};

use super::binding::{Editor, Hooks};
use super::dom::{Interval, Listener, Timeout};
use super::offline::LocalCopy;
use super::presence::{Host, Presence};
use super::preview::Preview;
use super::provider::{doc_url, Backoff, Socket};
use crate::collab::connection::{ConnStatus, Connection};
use crate::collab::edits::{editor_changes, Change};
use crate::collab::history::History;
use crate::collab::presence::PeerView;
use crate::collab::saves::SaveTracker;
use crate::collab::{doc as qdoc, protocol};

pub(super) const LOCAL: &str = "quire-local";
pub(super) const REMOTE: &str = "quire-remote";
/// Updates loaded from this device's copy: neither sent nor stored again.
pub(super) const DEVICE: &str = "quire-device";
/// How often the client sends a heartbeat, and how long a socket may stay
/// silent (or stuck connecting) before it counts as dead.
pub(super) const HEARTBEAT_MS: u32 = 10_000;
pub(super) const DEAD_AFTER_MS: f64 = 30_000.0;

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

    /// Makes the text `target` as an edit of the person's own (restoring a
    /// version): sent like typing, one step that Undo takes back. False
    /// where they cannot write now.
    pub fn replace_text(&self, target: &str) -> bool {
        self.inner.replace_text(target)
    }
}

pub(super) struct Inner {
    pub(super) doc: Doc,
    pub(super) text: TextRef,
    pub(super) url: String,
    pub(super) outputs: Outputs,
    pub(super) editor: Editor,
    pub(super) socket: RefCell<Option<Socket>>,
    /// The first sync on the current socket has completed.
    pub(super) synced_now: Cell<bool>,
    /// Where the connection stands (`collab::connection`).
    pub(super) connection: Cell<Connection>,
    /// The document's copy on this device, once opened (shared with the
    /// update observer, which stores every update in it).
    pub(super) device: Rc<RefCell<Option<Rc<LocalCopy>>>>,
    pub(super) saves: RefCell<SaveTracker>,
    /// The unsaved count last written to the device.
    pub(super) stored_unsaved: Cell<u64>,
    /// When the current socket last showed signs of life (ms since epoch).
    pub(super) last_heard: Cell<f64>,
    pub(super) heartbeat: RefCell<Option<Interval>>,
    pub(super) backoff: RefCell<Backoff>,
    pub(super) retry: RefCell<Option<Timeout>>,
    pub(super) preview: RefCell<Preview>,
    pub(super) preview_timer: RefCell<Option<Timeout>>,
    pub(super) history: RefCell<History>,
    pub(super) presence: Rc<Presence>,
    /// The element shows the Doc (set at the first completed sync).
    pub(super) bound: Cell<bool>,
    pub(super) composing: Cell<bool>,
    /// Remote updates received during an IME composition.
    pub(super) held: RefCell<Vec<Vec<u8>>>,
    /// Editor changes collected by the Y.Text observer for non-typed
    /// changes, one list per Y.Text event (each against the text before it).
    pub(super) patches: Rc<RefCell<Vec<Vec<Change>>>>,
    /// Updates of our own (typed, undo, redo) waiting to be sent.
    pub(super) outgoing: Rc<RefCell<Vec<Vec<u8>>>>,
    pub(super) listeners: RefCell<Vec<Listener>>,
    /// Socket events that arrived while the device copy was still loading
    /// (`None` once it has): the socket is opened at the same time as the
    /// copy, but the conversation starts only once the Doc holds the copy,
    /// so the server learns of every change it kept.
    pub(super) early_events: RefCell<Option<Vec<super::provider::SocketEvent>>>,
    pub(super) _observers: Vec<Subscription>,
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
            let remote = origin.is_some_and(|origin| *origin == Origin::from(REMOTE));
            if let Some(copy) = keep.borrow().as_ref() {
                if remote {
                    copy.append_received(&event.update);
                } else {
                    copy.append(&event.update);
                }
            }
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
            selection: unit(on(weak, |inner, ()| inner.presence.update_local_cursor())),
            undo: unit(on(weak, |inner, ()| inner.step_history(false))),
            redo: unit(on(weak, |inner, ()| inner.step_history(true))),
            composing: Box::new(on(weak, |inner, composing: bool| inner.set_composing(composing))),
        };
        Inner {
            doc,
            text,
            url: doc_url(doc_id).unwrap_or_default(),
            outputs,
            editor: Editor::mount(
                &editor_host,
                &served,
                hooks,
                crate::prefs::line_numbers(),
                &format!("/api/docs/{doc_id}/files"),
            ),
            socket: RefCell::new(None),
            synced_now: Cell::new(false),
            connection: Cell::new(Connection::default()),
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
            presence: Presence::new(weak.clone() as Weak<dyn Host>),
            bound: Cell::new(false),
            composing: Cell::new(false),
            held: RefCell::new(Vec::new()),
            patches,
            outgoing,
            listeners: RefCell::new(Vec::new()),
            early_events: RefCell::new(Some(Vec::new())),
            _observers: vec![text_observer, update_observer],
        }
    });
    // The blocks' lines follow when the preview is first shown (after the
    // first sync), not while the page opens.
    inner.editor.follow_with(inner.preview.borrow().article());
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
                if inner.socket.borrow().is_none() && !inner.connection.get().ended() {
                    inner.connect();
                }
            }),
        ));
        listeners.push(Listener::new(
            window.unchecked_ref(),
            "offline",
            with(&weak, |inner, _| {
                if inner.socket.borrow().is_some() {
                    inner.lost();
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
    // Both at once: the socket's handshake and the device copy's database
    // (opening it takes tens of milliseconds, more the first time).
    inner.connect();
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
        inner.copy_loaded();
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

impl Host for Inner {
    fn doc(&self) -> &Doc {
        &self.doc
    }

    fn text(&self) -> &TextRef {
        &self.text
    }

    fn editor(&self) -> &Editor {
        &self.editor
    }

    fn bound(&self) -> bool {
        self.bound.get()
    }

    fn synced(&self) -> bool {
        self.synced_now.get()
    }

    fn send(&self, frame: &[u8]) -> bool {
        Inner::send(self, frame)
    }

    fn show_peers(&self, peers: Vec<PeerView>) {
        self.outputs.set_peers.set(peers);
    }
}
