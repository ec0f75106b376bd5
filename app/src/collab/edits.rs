//! Edits between the editor (CodeMirror) and the document's Y.Text, in UTF-16
//! code units — the unit of both.
//!
//! The editor reports what the person typed as changes against the text
//! before the transaction, last change first, so each can be applied in turn
//! without shifting the next ([`local_edits`] checks them). Changes from others
//! arrive as a Y.Text delta (retain / delete / insert, in order), and become
//! editor changes against the text before them ([`editor_changes`]).

use yrs::types::Delta;
use yrs::{Any, Out};

/// One contiguous replacement: delete `delete` units at `start`, then insert `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: u32,
    pub delete: u32,
    pub insert: String,
}

/// One change for the editor: replace `from..to` (offsets before the change) with `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: u32,
    pub to: u32,
    pub insert: String,
}

/// Why the editor's report was not taken (it never should be refused: this
/// guards the document against a confused view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfOrder;

/// The editor's changes (`from, to, insert`, last first, offsets in a text of
/// `len` units) as edits to apply in that order. Refused whole if any change
/// is reversed, out of range or overlaps the one after it.
pub fn local_edits(changes: &[(u32, u32, String)], len: u32) -> Result<Vec<Edit>, OutOfOrder> {
    let mut limit = len;
    let mut edits = Vec::with_capacity(changes.len());
    for (from, to, insert) in changes {
        if from > to || *to > limit {
            return Err(OutOfOrder);
        }
        limit = *from;
        if from == to && insert.is_empty() {
            continue;
        }
        edits.push(Edit { start: *from, delete: to - from, insert: insert.clone() });
    }
    Ok(edits)
}

/// A Y.Text delta as editor changes, in ascending order, offsets in the text
/// before the delta.
pub fn editor_changes(delta: &[Delta]) -> Vec<Change> {
    let mut changes: Vec<Change> = Vec::new();
    let mut at = 0u32;
    for step in delta {
        match step {
            Delta::Retain(len, _) => at += len,
            Delta::Deleted(len) => {
                push(&mut changes, Change { from: at, to: at + len, insert: String::new() });
                at += len;
            }
            Delta::Inserted(value, _) => {
                let text = match value {
                    Out::Any(Any::String(s)) => s.to_string(),
                    // An embed (the schema keeps them out of Quire documents)
                    // would be one unit long: the object replacement
                    // character keeps offsets matching.
                    _ => "\u{FFFC}".to_string(),
                };
                push(&mut changes, Change { from: at, to: at, insert: text });
            }
        }
    }
    changes
}

/// Where the last of `changes` (ascending, offsets before them) ends in the
/// text after all of them: where the caret goes after an undo.
pub fn end_of_last(changes: &[Change]) -> Option<u32> {
    let last = changes.last()?;
    let mut end = i64::from(last.from);
    for change in changes {
        end += change.insert.encode_utf16().count() as i64;
        if !std::ptr::eq(change, last) {
            end -= i64::from(change.to - change.from);
        }
    }
    Some(end.max(0) as u32)
}

/// Adds a change, merging it into the previous one where they touch (a
/// delete then an insert at the same place is one replacement).
fn push(changes: &mut Vec<Change>, change: Change) {
    if let Some(last) = changes.last_mut() {
        if last.to == change.from {
            last.to = change.to;
            last.insert.push_str(&change.insert);
            return;
        }
    }
    changes.push(change);
}

/// How many leading items `old` and `new` share.
pub fn common_prefix<T: PartialEq>(old: &[T], new: &[T]) -> usize {
    old.iter().zip(new).take_while(|(a, b)| a == b).count()
}

/// How many trailing items `old` and `new` share, at most `limit` (so that a
/// suffix never overlaps a prefix already counted).
pub fn common_suffix<T: PartialEq>(old: &[T], new: &[T], limit: usize) -> usize {
    old.iter().rev().zip(new.iter().rev()).take(limit).take_while(|(a, b)| a == b).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::doc::new_doc;
    use std::sync::{Arc, Mutex};
    use yrs::{GetString, Observable, Text, Transact};

    fn local(changes: &[(u32, u32, &str)], len: u32) -> Result<Vec<Edit>, OutOfOrder> {
        let owned: Vec<(u32, u32, String)> = changes.iter().map(|(f, t, s)| (*f, *t, s.to_string())).collect();
        local_edits(&owned, len)
    }

    /// Applies editor changes (ascending, old offsets) to a string of UTF-16 units.
    fn apply_changes(text: &str, changes: &[Change]) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut out: Vec<u16> = Vec::new();
        let mut at = 0usize;
        for change in changes {
            out.extend_from_slice(&units[at..change.from as usize]);
            out.extend(change.insert.encode_utf16());
            at = change.to as usize;
        }
        out.extend_from_slice(&units[at..]);
        String::from_utf16(&out).unwrap()
    }

    #[test]
    fn a_multi_cursor_report_applies_last_first() {
        // "one two one" with both "one"s replaced by "1" (replace-all).
        let edits = local(&[(8, 11, "1"), (0, 3, "1")], 11).unwrap();
        let doc = new_doc();
        let text = crate::collab::doc::content(&doc);
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "one two one");
        for edit in &edits {
            text.remove_range(&mut txn, edit.start, edit.delete);
            text.insert(&mut txn, edit.start, &edit.insert);
        }
        assert_eq!(text.get_string(&txn), "1 two 1");
    }

    #[test]
    fn reports_out_of_range_or_order_are_refused() {
        assert_eq!(local(&[(0, 3, "x")], 2), Err(OutOfOrder), "past the end");
        assert_eq!(local(&[(2, 1, "")], 5), Err(OutOfOrder), "reversed");
        assert_eq!(local(&[(0, 1, ""), (2, 3, "")], 5), Err(OutOfOrder), "first first");
        assert_eq!(local(&[(2, 4, ""), (1, 3, "")], 5), Err(OutOfOrder), "overlapping");
        assert_eq!(local(&[(1, 1, "")], 5), Ok(vec![]), "an empty change is no edit");
    }

    /// Every remote change, turned into editor changes, takes the old text to the new one.
    #[test]
    fn deltas_become_changes_against_the_text_before() {
        type Edit = dyn Fn(&yrs::TextRef, &mut yrs::TransactionMut);
        let cases: &[(&str, &Edit)] = &[
            ("abc", &|t, txn| t.insert(txn, 1, "X")),
            ("abcdef", &|t, txn| {
                t.remove_range(txn, 1, 2);
                t.insert(txn, 4, "Y😀");
            }),
            ("😀 one two", &|t, txn| {
                t.insert(txn, 0, "zero ");
                t.remove_range(txn, 7, 4);
                t.insert(txn, 7, "ONE");
            }),
            ("x", &|t, txn| t.remove_range(txn, 0, 1)),
        ];
        for (before, change) in cases {
            let doc = new_doc();
            let text = crate::collab::doc::content(&doc);
            text.insert(&mut doc.transact_mut(), 0, before);
            let seen: Arc<Mutex<Vec<Change>>> = Arc::default();
            let collect = seen.clone();
            let _sub = text.observe(move |txn, event| collect.lock().unwrap().extend(editor_changes(event.delta(txn))));
            let after = {
                let mut txn = doc.transact_mut();
                change(&text, &mut txn);
                drop(txn);
                text.get_string(&doc.transact())
            };
            assert_eq!(apply_changes(before, &seen.lock().unwrap()), after, "from {before:?}");
        }
    }

    #[test]
    fn the_caret_after_an_undo_ends_the_last_change() {
        let change = |from, to, insert: &str| Change { from, to, insert: insert.into() };
        assert_eq!(end_of_last(&[change(3, 3, "abc")]), Some(6));
        assert_eq!(end_of_last(&[change(0, 2, ""), change(5, 5, "😀")]), Some(5), "3 + 2 units");
        assert_eq!(end_of_last(&[change(4, 9, "")]), Some(4));
        assert_eq!(end_of_last(&[]), None);
    }

    #[test]
    fn a_delete_then_insert_in_one_place_is_one_replacement() {
        let delta =
            vec![Delta::Retain(2, None), Delta::Deleted(3), Delta::Inserted(Out::Any(Any::String("new".into())), None)];
        assert_eq!(editor_changes(&delta), vec![Change { from: 2, to: 5, insert: "new".into() }]);
    }
}
