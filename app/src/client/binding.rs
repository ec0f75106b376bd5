//! Keeps a `<textarea>` and the document's Y.Text equal.
//!
//! Local input becomes the smallest edit (common prefix/suffix, in UTF-16 units,
//! the caret breaking ties); remote changes arrive as patches that are spliced
//! into the element with `setRangeText`, so the browser only re-lays-out what
//! changed. Per keystroke the work is bounded by the size of the edit, not of
//! the document (see [`Binding::take_local_edit`]).

use js_sys::{JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};
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
    /// The text the element held at the last sync point, as a JS string handle:
    /// comparing and slicing it happens natively in the browser, so a keystroke
    /// in a large document never copies the document into WebAssembly.
    shadow: JsString,
    /// Where the selection started just before the current input (from
    /// `beforeinput`): with the caret after it, it bounds what the input changed.
    before_input: Option<u32>,
}

impl Binding {
    pub fn new(element: HtmlTextAreaElement) -> Self {
        Binding { element, shadow: JsString::from(""), before_input: None }
    }

    fn value(&self) -> JsString {
        // `value` as a JS string handle, without decoding it into Rust.
        Reflect::get(&self.element, &JsValue::from_str("value"))
            .ok()
            .and_then(|v| v.dyn_into::<JsString>().ok())
            .unwrap_or_else(|| JsString::from(""))
    }

    /// Replaces the element's whole text (first sync only), keeping the caret
    /// where it was as far as the new text allows.
    pub fn reset(&mut self, text: &str) {
        let selection = self.selection();
        if self.element.value() != text {
            self.element.set_value(text);
        }
        self.shadow = self.value();
        self.set_selection(selection);
    }

    /// Remembers where the selection starts before the browser applies an input.
    pub fn note_before_input(&mut self) {
        self.before_input = self.element.selection_start().ok().flatten();
    }

    /// The edit the user just made, if any; the shadow moves on with it.
    pub fn take_local_edit(&mut self) -> Option<Edit> {
        let now = self.value();
        let caret = self.element.selection_end().ok().flatten();
        let edit = match (self.before_input.take(), caret) {
            (Some(before), Some(caret)) => self.edit_near(&now, before, caret),
            _ => None,
        };
        let edit = edit.or_else(|| {
            // Anything else (autocorrect elsewhere, composition, script): the
            // whole-text diff, still exact, just not as cheap.
            let old: Vec<u16> = String::from(&self.shadow).encode_utf16().collect();
            let new: Vec<u16> = String::from(&now).encode_utf16().collect();
            diff_utf16(&old, &new, caret.map(|c| c as usize))
        });
        self.shadow = now;
        edit
    }

    /// The edit when it lies between where the selection started before the
    /// input and the caret after it (typing, deleting, pasting over a
    /// selection): checked with two native string comparisons, then diffed on
    /// just that region.
    fn edit_near(&self, now: &JsString, before: u32, caret: u32) -> Option<Edit> {
        let (old_len, new_len) = (self.shadow.length(), now.length());
        let start = before.min(caret);
        let new_end = caret.max(start);
        let old_end = old_len.checked_sub(new_len.checked_sub(new_end)?)?;
        if start > old_end || new_end > new_len {
            return None;
        }
        let same_prefix = now.slice(0, start) == self.shadow.slice(0, start);
        let same_suffix = now.slice(new_end, new_len) == self.shadow.slice(old_end, old_len);
        if !(same_prefix && same_suffix) {
            return None;
        }
        let old: Vec<u16> = String::from(self.shadow.slice(start, old_end)).encode_utf16().collect();
        let new: Vec<u16> = String::from(now.slice(start, new_end)).encode_utf16().collect();
        let mut edit = diff_utf16(&old, &new, Some((caret - start) as usize))?;
        edit.start += start;
        Some(edit)
    }

    /// Splices remote patches into the element.
    pub fn apply(&mut self, patches: &[Patch]) {
        for patch in patches {
            let len = self.element.text_length();
            let _ = match patch {
                Patch::Insert { at, text } => {
                    let at = (*at).min(len);
                    self.element.set_range_text_with_start_and_end(text, at, at)
                }
                Patch::Delete { at, len: count } => {
                    let start = (*at).min(len);
                    let end = start.saturating_add(*count).min(len);
                    self.element.set_range_text_with_start_and_end("", start, end)
                }
            };
        }
        self.shadow = self.value();
    }

    pub fn selection(&self) -> Selection {
        let start = self.element.selection_start().ok().flatten().unwrap_or(0);
        let end = self.element.selection_end().ok().flatten().unwrap_or(start);
        let backward = self.element.selection_direction().ok().flatten().as_deref() == Some("backward");
        Selection { start, end, backward }
    }

    pub fn set_selection(&self, selection: Selection) {
        let len = self.shadow.length();
        let direction = if selection.backward { "backward" } else { "forward" };
        let _ = self.element.set_selection_range_with_direction(
            selection.start.min(len),
            selection.end.min(len),
            direction,
        );
    }

    /// The text as the element shows it.
    pub fn text(&self) -> String {
        String::from(&self.shadow)
    }

    pub fn len_utf16(&self) -> u32 {
        self.shadow.length()
    }
}
