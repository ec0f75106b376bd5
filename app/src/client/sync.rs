//! The document's side of a session: the y-sync conversation (steps 1 and 2,
//! updates, acknowledgements, access and title messages), remote changes
//! shown in the editor (held back during an IME composition), typed changes
//! turned into Y.Text edits, undo and redo, this device's copy, and the
//! preview.

use std::rc::Rc;

use leptos::prelude::Set;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{GetString, ReadTxn, Text, Transact, Update};

use super::dom::Timeout;
use super::offline::LocalCopy;
use super::session::{HistoryState, Inner, DEVICE, LOCAL, REMOTE};
use crate::collab::connection::Connection;
use crate::collab::edits::{end_of_last, local_edits, Change};
use crate::collab::saves::SaveTracker;
use crate::collab::{doc as qdoc, protocol};

impl Inner {
    /// Loads what this device kept of the document; if it kept anything, the
    /// editor opens on it at once (offline, this is all there is).
    pub(super) async fn restore(self: &Rc<Self>, copy: LocalCopy) {
        let stored = match copy.load().await {
            Ok(stored) => stored,
            Err(error) => {
                web_sys::console::warn_2(&"Quire: could not read this device's copy".into(), &error);
                return;
            }
        };
        self.presence.forget_typed();
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

    pub(super) fn on_frame(self: &Rc<Self>, frame: &[u8]) {
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
                Message::Awareness(update) => self.presence.receive(&update),
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

    pub(super) fn synced(self: &Rc<Self>) {
        self.backoff.borrow_mut().reset();
        self.bind();
        self.synced_now.set(true);
        self.update_connection(Connection::synced);
        self.report_status();
        self.presence.connected();
    }

    /// Shows the Doc in the editor and makes it editable (once: after that,
    /// changes are patched in).
    pub(super) fn bind(self: &Rc<Self>) {
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

    pub(super) fn receive_update(self: &Rc<Self>, update: Vec<u8>) {
        if self.composing.get() || self.editor.holding() {
            self.held.borrow_mut().push(update);
        } else {
            self.apply_remote(&update);
        }
    }

    /// An IME composition started, or ended (and what it wrote was reported):
    /// remote updates that arrived meanwhile are shown now.
    pub(super) fn set_composing(self: &Rc<Self>, composing: bool) {
        self.composing.set(composing);
        if !composing {
            let held: Vec<Vec<u8>> = self.held.borrow_mut().drain(..).collect();
            for update in held {
                self.apply_remote(&update);
            }
            self.presence.schedule_cursors();
        }
    }

    /// Applies a remote update and shows what it changed.
    pub(super) fn apply_remote(self: &Rc<Self>, bytes: &[u8]) {
        let Ok(update) = Update::decode_v1(bytes) else { return };
        self.presence.forget_typed();
        if self.doc.transact_mut_with(REMOTE).apply_update(update).is_err() {
            return;
        }
        self.compact_device_copy();
        if self.show_changes() {
            self.presence.schedule_cursors();
        }
    }

    /// Shows in the editor what the Y.Text observer collected (changes that
    /// were not typed here); false if there was nothing to show.
    pub(super) fn show_changes(self: &Rc<Self>) -> bool {
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

    /// See [`super::session::Session::replace_text`].
    pub(super) fn replace_text(self: &Rc<Self>, target: &str) -> bool {
        // Synced (the Doc holds what the server has), not mid-composition,
        // and writable: otherwise the edit would be made against a stale text.
        if !self.bound.get() || !self.synced_now.get() || self.editor.holding() || self.editor.read_only() {
            return false;
        }
        let current = self.text.get_string(&self.doc.transact());
        let edits = crate::collab::compare::restore_edits(&current, target);
        if edits.is_empty() {
            return true;
        }
        self.history.borrow_mut().separate();
        crate::collab::compare::apply_edits(&self.text, &mut self.doc.transact_mut_with(LOCAL), &edits);
        self.history.borrow_mut().separate();
        // Typed changes are not patched into the editor by the observer: show
        // these here (ascending, against the text before them, as the edits are).
        let changes: Vec<Change> = edits
            .iter()
            .rev()
            .map(|edit| Change { from: edit.start, to: edit.start + edit.delete, insert: edit.insert.clone() })
            .collect();
        self.editor.show(&changes);
        self.presence.forget_typed();
        self.send_outgoing();
        self.publish_history();
        self.schedule_preview();
        // Where Ctrl+Z takes the restore back.
        self.editor.focus();
        true
    }

    /// Turns what the person just typed (the editor's changes, last first)
    /// into Y.Text edits, in one transaction, and sends them.
    pub(super) fn local_input(self: &Rc<Self>, changes: &[(u32, u32, String)]) {
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
        self.note_typed(&edits);
        self.send_outgoing();
        self.publish_history();
        self.schedule_preview();
        self.presence.note_typing();
    }

    /// Tells presence where one typed insertion left the caret, and which
    /// character it follows (ours, the newest of this client: the clock
    /// before the next one). Anything else makes it forget.
    fn note_typed(&self, edits: &[crate::collab::edits::Edit]) {
        match edits {
            [edit] if !edit.insert.is_empty() => {
                let client = self.doc.client_id();
                let next = self.doc.transact().state_vector().get(&client);
                let units = edit.insert.encode_utf16().count() as u32;
                if next > 0 {
                    self.presence.typed(edit.start + units, yrs::ID::new(client, next - 1));
                } else {
                    self.presence.forget_typed();
                }
            }
            _ => self.presence.forget_typed(),
        }
    }

    /// Undoes (or redoes) the person's own last step, puts the caret where it
    /// happened, and sends the change.
    pub(super) fn step_history(self: &Rc<Self>, redo: bool) {
        // Read-only (a viewer, or access ended): nothing of ours may change.
        if !self.bound.get() || self.composing.get() || self.editor.read_only() {
            return;
        }
        self.presence.forget_typed();
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
            self.presence.update_local_cursor();
            self.presence.schedule_cursors();
        }
        self.publish_history();
        self.editor.focus();
    }

    /// Sends every change of ours the update observer collected (offline,
    /// they wait in the Doc and on the device for the next sync exchange).
    pub(super) fn send_outgoing(&self) {
        let updates: Vec<Vec<u8>> = self.outgoing.borrow_mut().drain(..).collect();
        for update in updates {
            self.saves.borrow_mut().local_change();
            self.send_write(&protocol::update(update));
        }
        self.compact_device_copy();
        self.report_status();
    }

    /// Merges the device's records once enough have piled up.
    pub(super) fn compact_device_copy(&self) {
        if let Some(copy) = self.device.borrow().as_ref() {
            if copy.wants_compaction() {
                copy.compact(self.doc.transact().encode_state_as_update_v1(&yrs::StateVector::default()));
            }
        }
    }

    pub(super) fn publish_history(&self) {
        let history = self.history.borrow();
        self.outputs.set_history.set(HistoryState { can_undo: history.can_undo(), can_redo: history.can_redo() });
    }

    /// Re-renders the preview once typing pauses. Where the document makes
    /// every render whole (it defines link references, or the server's
    /// preview is yet to be taken over), bigger documents wait longer, so
    /// that linear parse never competes with keystrokes; otherwise it is
    /// cheap, but in a long document it still waits out a brisk typist's gap
    /// between keys (about 120 ms), so as not to land on a keystroke.
    pub(super) fn schedule_preview(self: &Rc<Self>) {
        let len = self.editor.len_utf16();
        let delay = if self.preview.borrow().renders_whole() {
            (60 + len / 2_000).min(800)
        } else {
            (60 + len / 5_000).min(300)
        };
        let weak = Rc::downgrade(self);
        let timer = Timeout::new(delay, move || {
            if let Some(inner) = weak.upgrade() {
                // The Doc's text once bound (the editor's would cross into
                // JavaScript and back as a 1 MiB string per render).
                let text =
                    if inner.bound.get() { inner.text.get_string(&inner.doc.transact()) } else { inner.editor.text() };
                let mut preview = inner.preview.borrow_mut();
                if preview.show(&text) {
                    inner.editor.set_block_lines(&preview.lines());
                }
            }
        });
        *self.preview_timer.borrow_mut() = timer;
    }
}
