//! The socket's side of a session: connecting, the heartbeat that notices a
//! dead connection, reconnecting with backoff, what a close code means (the
//! pure rules are `collab::connection`), and the status pill.

use std::rc::Rc;

use leptos::prelude::Set;
use yrs::{ReadTxn, Transact};

use super::dom::Timeout;
use super::provider::{Socket, SocketEvent};
use super::session::{Inner, DEAD_AFTER_MS};
use crate::collab::connection::{AfterClose, Connection};
use crate::collab::protocol;

impl Inner {
    pub(super) fn connect(self: &Rc<Self>) {
        self.retry.borrow_mut().take();
        self.last_heard.set(js_sys::Date::now());
        // The browser knows it has no network: wait for its "online" event
        // (and the backoff) instead of failing a connection attempt.
        if web_sys::window().is_some_and(|w| !w.navigator().on_line()) {
            self.lost();
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
            Err(_) => self.lost(),
        }
    }

    /// Applies an event to the connection's state.
    pub(super) fn update_connection<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        let mut connection = self.connection.get();
        let result = f(&mut connection);
        self.connection.set(connection);
        result
    }

    /// The connection was lost (or could not be made): retry.
    pub(super) fn lost(self: &Rc<Self>) {
        self.update_connection(Connection::lost);
        self.schedule_reconnect();
    }

    /// Drops the socket and tries again after the backoff.
    pub(super) fn schedule_reconnect(self: &Rc<Self>) {
        self.drop_socket();
        let delay = self.backoff.borrow_mut().next_delay_ms();
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
    pub(super) fn send_write(&self, frame: &[u8]) {
        if self.send(frame) {
            self.saves.borrow_mut().sent_write();
        }
    }

    /// Every few seconds: a heartbeat on an open socket, and the end of a
    /// socket that has been silent (or connecting) for too long.
    pub(super) fn beat(self: &Rc<Self>) {
        if self.socket.borrow().is_none() {
            return;
        }
        if js_sys::Date::now() - self.last_heard.get() > DEAD_AFTER_MS {
            web_sys::console::info_1(&"Quire: the connection stopped answering; reconnecting".into());
            self.lost();
        } else {
            self.send(&protocol::heartbeat());
        }
    }

    /// Puts the status pill (and the device's unsaved count) in line with
    /// the connection and the acknowledgements.
    pub(super) fn report_status(&self) {
        let unsaved = self.saves.borrow().unsaved();
        if unsaved != self.stored_unsaved.get() {
            if let Some(copy) = self.device.borrow().as_ref() {
                copy.set_unsaved(unsaved);
                self.stored_unsaved.set(unsaved);
            }
        }
        let status = self.update_connection(|connection| connection.status(unsaved));
        self.outputs.set_status.set(status);
    }

    pub(super) fn drop_socket(self: &Rc<Self>) {
        self.socket.borrow_mut().take();
        // What that socket said while the device copy loaded goes with it.
        if let Some(early) = self.early_events.borrow_mut().as_mut() {
            early.clear();
        }
        self.synced_now.set(false);
        self.presence.disconnected();
    }

    /// Forgets this device's copy, then runs `then` (the copy may hold what
    /// its owner may no longer see, or changes the server will never take).
    pub(super) fn forget_device_copy(&self, then: impl FnOnce() + 'static) {
        let copy = self.device.borrow_mut().take();
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(copy) = copy {
                copy.clear().await;
            }
            then();
        });
    }

    /// The device copy is in the Doc (or there is none): what the socket
    /// said meanwhile is handled now, in order.
    pub(super) fn copy_loaded(self: &Rc<Self>) {
        let early = self.early_events.borrow_mut().take().unwrap_or_default();
        for event in early {
            self.on_socket(event);
        }
    }

    pub(super) fn on_socket(self: &Rc<Self>, event: SocketEvent) {
        if let Some(early) = self.early_events.borrow_mut().as_mut() {
            // Alive, even if not listened to yet (a slow copy must not make
            // the heartbeat drop a healthy socket).
            self.last_heard.set(js_sys::Date::now());
            early.push(event);
            return;
        }
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
                match self.update_connection(|connection| connection.closed(code)) {
                    AfterClose::End => {
                        self.drop_socket();
                        self.report_status();
                        self.forget_device_copy(|| {});
                    }
                    AfterClose::Retry => self.schedule_reconnect(),
                }
            }
        }
    }
}
