//! Comparing two texts of a document: the edits that turn the current text
//! into a version's (a restore, applied as an ordinary collaborative edit),
//! in UTF-16 units like every edit to the Y.Text.
//!
//! A restore touches only the lines that differ, and within a changed block
//! only what lies between its common prefix and suffix: text that is the same
//! in both stays the same CRDT items, so carets, other people's concurrent
//! edits and offline copies merge with the restore instead of being replaced.

use std::time::Duration;

use similar::{Algorithm, DiffOp, TextDiff};
use yrs::{Text, TextRef, TransactionMut};

use super::edits::{common_prefix, common_suffix, Edit};

/// Longest the line diff searches for the smallest set of changes; past it a
/// larger (still exact) one is used.
const DIFF_TIMEOUT: Duration = Duration::from_millis(200);

/// The edits that turn `current` into `target`, last first, so each applies
/// to the text the one before it left (offsets in UTF-16 units of `current`).
pub fn restore_edits(current: &str, target: &str) -> Vec<Edit> {
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).timeout(DIFF_TIMEOUT).diff_lines(current, target);
    let (old_lines, new_lines) = (diff.old_slices(), diff.new_slices());
    let mut edits = Vec::new();
    let mut at = 0u32;
    for op in diff.ops() {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        let old: String = old_lines[old_range].concat();
        if let DiffOp::Equal { .. } = op {
            at += utf16_len(&old);
            continue;
        }
        let new: String = new_lines[new_range].concat();
        let (old_units, new_units): (Vec<u16>, Vec<u16>) = (old.encode_utf16().collect(), new.encode_utf16().collect());
        let prefix = snap_to_char(&old_units, common_prefix(&old_units, &new_units));
        let limit = old_units.len().min(new_units.len()) - prefix;
        let suffix = common_suffix(&old_units, &new_units, limit);
        let suffix = suffix - suffix_split(&old_units, suffix);
        let delete = (old_units.len() - prefix - suffix) as u32;
        let insert = String::from_utf16_lossy(&new_units[prefix..new_units.len() - suffix]);
        if delete > 0 || !insert.is_empty() {
            edits.push(Edit { start: at + prefix as u32, delete, insert });
        }
        at += old_units.len() as u32;
    }
    edits.reverse();
    edits
}

/// Applies [`restore_edits`] (or any edits in that order) to the text.
pub fn apply_edits(text: &TextRef, txn: &mut TransactionMut, edits: &[Edit]) {
    for edit in edits {
        if edit.delete > 0 {
            text.remove_range(txn, edit.start, edit.delete);
        }
        if !edit.insert.is_empty() {
            text.insert(txn, edit.start, &edit.insert);
        }
    }
}

fn utf16_len(text: &str) -> u32 {
    text.encode_utf16().count() as u32
}

/// A prefix length that does not end between the halves of a surrogate pair.
fn snap_to_char(units: &[u16], prefix: usize) -> usize {
    if prefix > 0 && prefix < units.len() && (0xDC00..0xE000).contains(&units[prefix]) {
        prefix - 1
    } else {
        prefix
    }
}

/// How much to shorten a suffix of `units` so it does not start between the
/// halves of a surrogate pair.
fn suffix_split(units: &[u16], suffix: usize) -> usize {
    let start = units.len() - suffix;
    usize::from(suffix > 0 && start > 0 && (0xDC00..0xE000).contains(&units[start]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collab::doc::{content, markdown, new_doc};
    use yrs::Transact;

    fn restored(current: &str, target: &str) -> String {
        let doc = new_doc();
        let text = content(&doc);
        text.insert(&mut doc.transact_mut(), 0, current);
        let edits = restore_edits(current, target);
        apply_edits(&text, &mut doc.transact_mut(), &edits);
        let txn = doc.transact();
        markdown(&text, &txn)
    }

    #[test]
    fn restoring_gives_exactly_the_version() {
        for (current, target) in [
            ("", ""),
            ("", "all new\n"),
            ("all gone\n", ""),
            ("a\nb\nc\n", "a\nB\nc\n"),
            ("one\ntwo\nthree", "zero\none\nthree\nfour"),
            ("emoji 😀 here\n", "emoji 😁 here\n"),
            ("😀😀\n", "😀\n"),
            ("中文 text\nmore\n", "中文 texts\n"),
            ("no trailing newline", "no trailing newline, but longer"),
        ] {
            assert_eq!(restored(current, target), target, "{current:?} -> {target:?}");
        }
    }

    #[test]
    fn only_what_differs_is_touched() {
        let current = "# Title\n\nA long paragraph that stays.\n\nThe end.\n";
        let target = "# Title\n\nA long paragraph that stays.\n\nThe very end.\n";
        let edits = restore_edits(current, target);
        assert_eq!(edits, vec![Edit { start: 43, delete: 0, insert: "very ".into() }]);
    }

    #[test]
    fn edits_come_last_first() {
        let edits = restore_edits("a\nb\nc\nd\n", "A\nb\nc\nD\n");
        assert_eq!(edits.len(), 2);
        assert!(edits[0].start > edits[1].start);
    }
}
