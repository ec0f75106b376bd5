//! A live editing session for one document: a yrs Doc, the textarea binding,
//! and the y-sync conversation with the server over a reconnecting socket.
//!
//! Local edits go into the Doc with the `LOCAL` origin and out as `Update`
//! frames. Remote updates are applied with the `REMOTE` origin; the Y.Text
//! observer turns them into patches for the element, and the caret and
//! selection are carried across with sticky indices. While an IME composition
//! is open nothing is sent and remote updates wait, so the composition is never
//! disturbed; both flow as soon as it ends.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use leptos::prelude::{Set, WriteSignal};
use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{Assoc, Doc, IndexedSequence, Observable, Origin, ReadTxn, Subscription, Text, TextRef, Transact, Update};

use super::binding::{patches_from_event, Binding, Patch, Selection};
use super::dom::{Listener, Timeout};
use super::preview::Preview;
use super::provider::{doc_url, Backoff, Socket, SocketEvent};
use crate::collab::{doc as qdoc, protocol};
use crate::components::status::ConnStatus;

const LOCAL: &str = "quire-local";
const REMOTE: &str = "quire-remote";

/// Where the session reports to the page.
pub struct Outputs {
    pub set_status: WriteSignal<ConnStatus>,
    pub set_ready: WriteSignal<bool>,
}

/// Ends the session (closes the socket, detaches listeners) when dropped.
pub struct Session {
    _inner: Rc<Inner>,
}

struct Inner {
    doc: Doc,
    text: TextRef,
    url: String,
    outputs: Outputs,
    binding: RefCell<Binding>,
    socket: RefCell<Option<Socket>>,
    backoff: RefCell<Backoff>,
    retry: RefCell<Option<Timeout>>,
    preview: RefCell<Preview>,
    preview_timer: RefCell<Option<Timeout>>,
    /// The element shows the Doc (set at the first completed sync).
    bound: Cell<bool>,
    composing: Cell<bool>,
    /// Remote updates received during an IME composition.
    held: RefCell<Vec<Vec<u8>>>,
    /// Patches collected by the Y.Text observer during a remote transaction.
    patches: Rc<RefCell<Vec<Patch>>>,
    listeners: RefCell<Vec<Listener>>,
    _observer: RefCell<Option<Subscription>>,
}

/// Starts editing `doc_id` in `element`, with `preview` showing the rendered
/// `markdown` the page was served with.
pub fn start(doc_id: &str, element: HtmlTextAreaElement, preview: Preview, outputs: Outputs) -> Session {
    let doc = qdoc::new_doc();
    let text = qdoc::content(&doc);
    let patches = Rc::new(RefCell::new(Vec::new()));
    let collected = patches.clone();
    let observer = text.observe(move |txn, event| {
        let remote = txn.origin().is_some_and(|origin| *origin == Origin::from(REMOTE));
        if remote {
            collected.borrow_mut().extend(patches_from_event(event, txn));
        }
    });
    let inner = Rc::new(Inner {
        doc,
        text,
        url: doc_url(doc_id).unwrap_or_default(),
        outputs,
        binding: RefCell::new(Binding::new(element.clone())),
        socket: RefCell::new(None),
        backoff: RefCell::new(Backoff::default()),
        retry: RefCell::new(None),
        preview: RefCell::new(preview),
        preview_timer: RefCell::new(None),
        bound: Cell::new(false),
        composing: Cell::new(false),
        held: RefCell::new(Vec::new()),
        patches,
        listeners: RefCell::new(Vec::new()),
        _observer: RefCell::new(Some(observer)),
    });
    let target: &web_sys::EventTarget = element.unchecked_ref();
    let weak = Rc::downgrade(&inner);
    let mut listeners = vec![
        Listener::new(target, "beforeinput", with(&weak, |inner, _| inner.binding.borrow_mut().note_before_input())),
        Listener::new(target, "input", with(&weak, |inner, event| {
            let composing = event.dyn_ref::<web_sys::InputEvent>().is_some_and(|e| e.is_composing());
            if !composing && !inner.composing.get() {
                inner.local_input();
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
    inner.connect();
    Session { _inner: inner }
}

/// An event callback that runs only while the session is alive.
fn with(weak: &Weak<Inner>, f: impl Fn(&Rc<Inner>, web_sys::Event) + 'static) -> impl FnMut(web_sys::Event) + 'static {
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
            Err(_) => self.schedule_reconnect(),
        }
    }

    fn schedule_reconnect(self: &Rc<Self>) {
        self.socket.borrow_mut().take();
        let delay = self.backoff.borrow_mut().next_delay_ms();
        self.outputs.set_status.set(ConnStatus::Reconnecting);
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(delay, move || {
            if let Some(inner) = weak.upgrade() {
                inner.connect();
            }
        });
        *self.retry.borrow_mut() = timer;
    }

    fn send(&self, frame: &[u8]) {
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
                self.schedule_reconnect();
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
                // Presence is drawn by a later part of the editor; the server
                // relays it regardless.
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
            self.patches.borrow_mut().clear();
            self.bound.set(true);
            self.outputs.set_ready.set(true);
            self.schedule_preview();
        }
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
            let anchors = self.bound.get().then(|| {
                (
                    self.text.sticky_index(&mut txn, selection.start, Assoc::After),
                    self.text.sticky_index(&mut txn, selection.end, Assoc::After),
                )
            });
            if txn.apply_update(update).is_err() {
                return;
            }
            anchors
        };
        let patches: Vec<Patch> = self.patches.borrow_mut().drain(..).collect();
        if !self.bound.get() || patches.is_empty() {
            return;
        }
        let mut binding = self.binding.borrow_mut();
        binding.apply(&patches);
        if let Some((start, end)) = anchors {
            let txn = self.doc.transact();
            let resolve = |index: Option<yrs::StickyIndex>, fallback: u32| {
                index.and_then(|i| i.get_offset(&txn)).map(|o| o.index).unwrap_or(fallback)
            };
            binding.set_selection(Selection {
                start: resolve(start, selection.start),
                end: resolve(end, selection.end),
                backward: selection.backward,
            });
        }
        drop(binding);
        self.schedule_preview();
    }

    /// Turns what the user just typed into one Y.Text edit and sends it.
    fn local_input(self: &Rc<Self>) {
        if !self.bound.get() {
            return;
        }
        let Some(edit) = self.binding.borrow_mut().take_local_edit() else { return };
        let update = {
            let mut txn = self.doc.transact_mut_with(LOCAL);
            if edit.delete > 0 {
                self.text.remove_range(&mut txn, edit.start, edit.delete);
            }
            if !edit.insert.is_empty() {
                self.text.insert(&mut txn, edit.start, &edit.insert);
            }
            txn.encode_update_v1()
        };
        self.send(&protocol::update(update));
        self.schedule_preview();
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
