//! Keeps a `<textarea>` and the document's Y.Text equal.
//!
//! Local input becomes the smallest edit (common prefix/suffix, in UTF-16 units,
//! the caret breaking ties); remote changes arrive as patches that are spliced
//! into the element with `setRangeText`, so the browser only re-lays-out what
//! changed. `shadow` is the text the element held after the last sync point, in
//! UTF-16 units, which is what makes the diff and the patch offsets cheap.

use web_sys::HtmlTextAreaElement;
use yrs::types::text::TextEvent;
use yrs::types::Delta;
use yrs::{Any, Out, TransactionMut};

use crate::collab::textdiff::{diff_utf16, Edit};

/// One remote change to splice into the element, in UTF-16 offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patch {
    Insert { at: u32, text: String },
    Delete { at: u32, len: u32 },
}

/// Turns a Y.Text event into element patches.
pub fn patches_from_event(event: &TextEvent, txn: &TransactionMut) -> Vec<Patch> {
    let mut patches = Vec::new();
    let mut at = 0u32;
    for delta in event.delta(txn) {
        match delta {
            Delta::Retain(len, _) => at += len,
            Delta::Deleted(len) => patches.push(Patch::Delete { at, len: *len }),
            Delta::Inserted(value, _) => {
                let text = match value {
                    Out::Any(Any::String(s)) => s.to_string(),
                    // An embed (possible from other Yjs clients) is one unit
                    // long; show it as the object replacement character so
                    // offsets keep matching.
                    _ => "\u{FFFC}".to_string(),
                };
                let len = text.encode_utf16().count() as u32;
                patches.push(Patch::Insert { at, text });
                at += len;
            }
        }
    }
    patches
}

/// A selection in UTF-16 offsets, with its direction.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    pub start: u32,
    pub end: u32,
    pub backward: bool,
}

pub struct Binding {
    element: HtmlTextAreaElement,
    shadow: Vec<u16>,
}

impl Binding {
    pub fn new(element: HtmlTextAreaElement) -> Self {
        Binding { element, shadow: Vec::new() }
    }

    pub fn element(&self) -> &HtmlTextAreaElement {
        &self.element
    }

    /// Replaces the element's whole text (first sync only), keeping the caret
    /// where it was as far as the new text allows.
    pub fn reset(&mut self, text: &str) {
        let selection = self.selection();
        self.shadow = text.encode_utf16().collect();
        if self.element.value() != text {
            self.element.set_value(text);
        }
        self.set_selection(selection);
    }

    /// The edit the user just made, if any, and the shadow moves on with it.
    pub fn take_local_edit(&mut self) -> Option<Edit> {
        let now: Vec<u16> = self.element.value().encode_utf16().collect();
        let caret = self.element.selection_end().ok().flatten().map(|c| c as usize);
        let edit = diff_utf16(&self.shadow, &now, caret)?;
        self.shadow = now;
        Some(edit)
    }

    /// Splices remote patches into the element (and the shadow).
    pub fn apply(&mut self, patches: &[Patch]) {
        for patch in patches {
            match patch {
                Patch::Insert { at, text } => {
                    let at = (*at as usize).min(self.shadow.len());
                    let _ = self.element.set_range_text_with_start_and_end(text, at as u32, at as u32);
                    self.shadow.splice(at..at, text.encode_utf16());
                }
                Patch::Delete { at, len } => {
                    let start = (*at as usize).min(self.shadow.len());
                    let end = (start + *len as usize).min(self.shadow.len());
                    let _ = self.element.set_range_text_with_start_and_end("", start as u32, end as u32);
                    self.shadow.drain(start..end);
                }
            }
        }
    }

    pub fn selection(&self) -> Selection {
        let start = self.element.selection_start().ok().flatten().unwrap_or(0);
        let end = self.element.selection_end().ok().flatten().unwrap_or(start);
        let backward = self.element.selection_direction().ok().flatten().as_deref() == Some("backward");
        Selection { start, end, backward }
    }

    pub fn set_selection(&self, selection: Selection) {
        let len = self.shadow.len() as u32;
        let direction = if selection.backward { "backward" } else { "forward" };
        let _ = self.element.set_selection_range_with_direction(
            selection.start.min(len),
            selection.end.min(len),
            direction,
        );
    }

    /// The text as the element shows it.
    pub fn text(&self) -> String {
        String::from_utf16_lossy(&self.shadow)
    }

    pub fn len_utf16(&self) -> usize {
        self.shadow.len()
    }
}
