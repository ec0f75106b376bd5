//! Undo and redo of *your own* edits: a yrs `UndoManager` that tracks only
//! transactions with the local origin, so a collaborator's text is never
//! reverted, plus the grouping rules that decide what one Ctrl+Z takes back.
//!
//! Consecutive typing is one step, as in a word processor. A new step starts
//! after a pause of [`PAUSE_MS`], when Enter is pressed, when typing switches
//! to deleting (or back), when the caret jumps elsewhere, and around a paste
//! or a replaced selection.

use std::sync::Arc;

use yrs::sync::time::Clock;
use yrs::undo::Options;
use yrs::{Doc, Origin, TextRef, UndoManager};

use super::edits::Edit;

/// Typing pauses longer than this start a new undo step.
pub const PAUSE_MS: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Insert,
    Delete,
    Replace,
}

#[derive(Debug, Clone, Copy)]
struct LastEdit {
    kind: Kind,
    start: u32,
    /// Where the caret ended up after it.
    end: u32,
}

pub struct History {
    manager: UndoManager,
    last: Option<LastEdit>,
}

impl History {
    /// Tracks edits to `text` made in transactions with origin `local`.
    /// `clock` gives milliseconds (the browser has no std clock).
    pub fn new(doc: &Doc, text: &TextRef, local: Origin, clock: Arc<dyn Clock>) -> Self {
        let mut options = Options {
            capture_timeout_millis: PAUSE_MS,
            tracked_origins: Default::default(),
            capture_transaction: None,
            timestamp: clock,
            init_undo_stack: Vec::new(),
            init_redo_stack: Vec::new(),
        };
        options.tracked_origins.insert(local);
        let mut manager = UndoManager::with_options(options);
        manager.expand_scope(doc, text);
        History { manager, last: None }
    }

    /// Call just before a local edit is applied: starts a new undo step unless
    /// the edit continues the previous one.
    pub fn before_edit(&mut self, edit: &Edit) {
        let inserted = edit.insert.encode_utf16().count() as u32;
        let kind = match (edit.delete, inserted) {
            (0, _) => Kind::Insert,
            (_, 0) => Kind::Delete,
            _ => Kind::Replace,
        };
        let continues = match (self.last, kind) {
            (Some(last), Kind::Insert) if last.kind == Kind::Insert => {
                edit.start == last.end && !edit.insert.contains('\n')
            }
            // Backspace eats leftwards from where the last one stopped; Delete
            // eats rightwards from the same spot.
            (Some(last), Kind::Delete) if last.kind == Kind::Delete => {
                edit.start + edit.delete == last.start || edit.start == last.start
            }
            _ => false,
        };
        if !continues {
            self.manager.reset();
        }
        self.last = Some(LastEdit { kind, start: edit.start, end: edit.start + inserted });
    }

    /// Ends the current undo step: what comes next (a restore, say) is a
    /// step of its own.
    pub fn separate(&mut self) {
        self.manager.reset();
        self.last = None;
    }

    /// Reverts your last step; false if there was none.
    pub fn undo(&mut self) -> bool {
        self.last = None;
        self.manager.undo_blocking()
    }

    /// Re-applies the last undone step; false if there was none.
    pub fn redo(&mut self) -> bool {
        self.last = None;
        self.manager.redo_blocking()
    }

    pub fn can_undo(&self) -> bool {
        self.manager.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.manager.can_redo()
    }

    /// The origin of undo/redo transactions (they are local changes too).
    pub fn origin(&self) -> Origin {
        self.manager.as_origin()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use yrs::updates::decoder::Decode;
    use yrs::{GetString, ReadTxn, Text, Transact, Update};

    use super::*;
    use crate::collab::doc::{content, new_doc};

    const LOCAL: &str = "local";

    struct Editor {
        doc: Doc,
        text: TextRef,
        history: History,
        now: Arc<AtomicU64>,
    }

    impl Editor {
        fn new() -> Self {
            let doc = new_doc();
            let text = content(&doc);
            let now = Arc::new(AtomicU64::new(1_000_000));
            let clock = now.clone();
            let history =
                History::new(&doc, &text, Origin::from(LOCAL), Arc::new(move || clock.load(Ordering::SeqCst)));
            Editor { doc, text, history, now }
        }

        fn wait(&self, ms: u64) {
            self.now.fetch_add(ms, Ordering::SeqCst);
        }

        fn edit(&mut self, start: u32, delete: u32, insert: &str) {
            let edit = Edit { start, delete, insert: insert.into() };
            self.history.before_edit(&edit);
            let mut txn = self.doc.transact_mut_with(LOCAL);
            if delete > 0 {
                self.text.remove_range(&mut txn, start, delete);
            }
            if !insert.is_empty() {
                self.text.insert(&mut txn, start, insert);
            }
        }

        /// Types `s` one keystroke at a time at `at`, 50 ms apart.
        fn type_at(&mut self, mut at: u32, s: &str) {
            for c in s.chars() {
                self.edit(at, 0, &c.to_string());
                at += c.len_utf16() as u32;
                self.wait(50);
            }
        }

        fn remote(&mut self, f: impl FnOnce(&TextRef, &mut yrs::TransactionMut)) {
            // A collaborator's edit arrives as an update with the remote origin.
            let other = new_doc();
            let other_text = content(&other);
            let state = self.doc.transact().encode_state_as_update_v1(&Default::default());
            other.transact_mut().apply_update(Update::decode_v1(&state).unwrap()).unwrap();
            let before = other.transact().state_vector();
            f(&other_text, &mut other.transact_mut());
            let update = other.transact().encode_state_as_update_v1(&before);
            self.doc.transact_mut_with("remote").apply_update(Update::decode_v1(&update).unwrap()).unwrap();
        }

        fn text(&self) -> String {
            self.text.get_string(&self.doc.transact())
        }
    }

    #[test]
    fn a_burst_of_typing_is_one_step_and_a_pause_starts_another() {
        let mut ed = Editor::new();
        ed.type_at(0, "Hello");
        ed.wait(1_500);
        ed.type_at(5, " world");
        assert!(ed.history.undo());
        assert_eq!(ed.text(), "Hello");
        assert!(ed.history.undo());
        assert_eq!(ed.text(), "");
        assert!(!ed.history.undo());
        assert!(ed.history.redo());
        assert_eq!(ed.text(), "Hello");
    }

    #[test]
    fn enter_a_caret_jump_and_switching_to_deleting_start_new_steps() {
        let mut ed = Editor::new();
        ed.type_at(0, "ab");
        ed.type_at(2, "\ncd");
        ed.type_at(0, "X"); // caret moved to the start
        ed.edit(5, 1, ""); // backspace at the end
        ed.edit(4, 1, "");
        assert_eq!(ed.text(), "Xab\n");
        let mut steps = Vec::new();
        while ed.history.undo() {
            steps.push(ed.text());
        }
        assert_eq!(steps, vec!["Xab\ncd", "ab\ncd", "ab", ""]);
    }

    #[test]
    fn undo_takes_back_only_my_text_never_a_collaborators() {
        let mut ed = Editor::new();
        ed.type_at(0, "mine ");
        ed.remote(|text, txn| text.insert(txn, 5, "theirs"));
        ed.wait(1_500);
        ed.type_at(11, "!");
        assert_eq!(ed.text(), "mine theirs!");
        assert!(ed.history.undo());
        assert_eq!(ed.text(), "mine theirs");
        assert!(ed.history.undo());
        assert_eq!(ed.text(), "theirs");
        assert!(!ed.history.undo(), "nothing of mine is left to undo");
        // Redo restores my text around theirs.
        assert!(ed.history.redo());
        assert_eq!(ed.text(), "mine theirs");
    }

    #[test]
    fn undoing_a_deletion_brings_back_text_a_collaborator_typed_next_to() {
        let mut ed = Editor::new();
        ed.type_at(0, "one two");
        ed.wait(1_500);
        ed.edit(3, 4, ""); // delete " two"
        ed.remote(|text, txn| text.insert(txn, 3, " three"));
        assert!(ed.history.undo());
        // Where the restored words land relative to theirs is the CRDT's call;
        // what matters is that both are there, whole.
        let text = ed.text();
        assert!(text.starts_with("one") && text.contains(" two") && text.contains(" three"), "{text}");
        assert_eq!(text.len(), "one two three".len());
    }
}
