//! Comparing two texts of a document: the edits that turn the current text
//! into a version's (a restore, applied as an ordinary collaborative edit),
//! in UTF-16 units like every edit to the Y.Text; and the line diff people
//! read in the history panel, word by word within changed lines.
//!
//! A restore touches only the lines that differ, and within a changed block
//! only what lies between its common prefix and suffix: text that is the same
//! in both stays the same CRDT items, so carets, other people's concurrent
//! edits and offline copies merge with the restore instead of being replaced.

use std::time::Duration;

use serde::{Deserialize, Serialize};
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

/// Longest line compared word by word.
const MAX_WORD_DIFF_BYTES: usize = 4_000;

/// Unchanged lines shown around each change.
const CONTEXT_LINES: usize = 3;

/// What a line of a diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineKind {
    Same,
    Added,
    Removed,
}

/// A line's pieces, each marked if that word changed.
pub type Parts = Vec<(bool, String)>;

/// One line of a diff: its pieces, each marked if that word changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffLine {
    Line {
        kind: LineKind,
        parts: Vec<(bool, String)>,
    },
    /// This many unchanged lines, not shown.
    Skipped(usize),
}

/// A readable diff from `old` to `new`: changed lines with a few lines of
/// context, words marked within a changed line that has a counterpart, at
/// most `max_lines` lines (the second value counts the changed lines left out).
pub fn line_diff(old: &str, new: &str, max_lines: usize) -> (Vec<DiffLine>, usize) {
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).timeout(DIFF_TIMEOUT).diff_lines(old, new);
    let (old_lines, new_lines) = (diff.old_slices(), diff.new_slices());
    let ops = diff.ops();
    let mut out = Diff { lines: Vec::new(), max_lines, left_out: 0 };
    let same = |line: &str| DiffLine::Line { kind: LineKind::Same, parts: vec![(false, trim_end(line))] };
    for (index, op) in ops.iter().enumerate() {
        match *op {
            DiffOp::Equal { old_index, len, .. } => {
                let lines = &old_lines[old_index..old_index + len];
                let head = if index == 0 { 0 } else { CONTEXT_LINES.min(len) };
                let tail = if index + 1 == ops.len() { 0 } else { CONTEXT_LINES.min(len - head) };
                lines[..head].iter().for_each(|line| out.context(same(line)));
                if len > head + tail {
                    out.context(DiffLine::Skipped(len - head - tail));
                }
                lines[len - tail..].iter().for_each(|line| out.context(same(line)));
            }
            DiffOp::Delete { old_index, old_len, .. } => {
                old_lines[old_index..old_index + old_len]
                    .iter()
                    .for_each(|line| out.change(whole(LineKind::Removed, line)));
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                new_lines[new_index..new_index + new_len]
                    .iter()
                    .for_each(|line| out.change(whole(LineKind::Added, line)));
            }
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                let (removed, added) =
                    (&old_lines[old_index..old_index + old_len], &new_lines[new_index..new_index + new_len]);
                // Word by word only where it stays cheap: a line each, within the cap.
                let paired = if out.full() { 0 } else { removed.len().min(added.len()) };
                let mut added_out = Vec::new();
                for (old_line, new_line) in removed.iter().zip(added.iter()).take(paired) {
                    if out.full() {
                        // Past the cap only counted, never compared.
                        out.change(whole(LineKind::Removed, old_line));
                        added_out.push(whole(LineKind::Added, new_line));
                        continue;
                    }
                    match word_diff(old_line, new_line) {
                        Some((old_parts, new_parts)) => {
                            out.change(DiffLine::Line { kind: LineKind::Removed, parts: old_parts });
                            added_out.push(DiffLine::Line { kind: LineKind::Added, parts: new_parts });
                        }
                        None => {
                            out.change(whole(LineKind::Removed, old_line));
                            added_out.push(whole(LineKind::Added, new_line));
                        }
                    }
                }
                removed[paired..].iter().for_each(|line| out.change(whole(LineKind::Removed, line)));
                added_out.into_iter().for_each(|line| out.change(line));
                added[paired..].iter().for_each(|line| out.change(whole(LineKind::Added, line)));
            }
        }
    }
    (out.lines, out.left_out)
}

/// A diff being written, up to a number of lines.
struct Diff {
    lines: Vec<DiffLine>,
    max_lines: usize,
    /// Changed lines past the cap.
    left_out: usize,
}

impl Diff {
    fn full(&self) -> bool {
        self.lines.len() >= self.max_lines
    }

    fn context(&mut self, line: DiffLine) {
        if !self.full() {
            self.lines.push(line);
        }
    }

    fn change(&mut self, line: DiffLine) {
        if self.full() {
            self.left_out += 1;
        } else {
            self.lines.push(line);
        }
    }
}

fn whole(kind: LineKind, line: &str) -> DiffLine {
    DiffLine::Line { kind, parts: vec![(true, trim_end(line))] }
}

fn trim_end(line: &str) -> String {
    line.strip_suffix('\n').unwrap_or(line).to_string()
}

/// The words of two versions of a line, each marked if it is not in the
/// other. A word is a run of letters and digits; spaces and each punctuation
/// mark stand alone, so "Monday." to "Friday." marks only the day. None when
/// the lines have less than half in common: marking words of two different
/// lines says nothing.
fn word_diff(old: &str, new: &str) -> Option<(Parts, Parts)> {
    let (old, new) = (old.strip_suffix('\n').unwrap_or(old), new.strip_suffix('\n').unwrap_or(new));
    // A line this long (minified data, a pasted blob) is shown whole.
    if old.len().max(new.len()) > MAX_WORD_DIFF_BYTES {
        return None;
    }
    let (old_words, new_words) = (words(old), words(new));
    // The browser's clock in the browser (similar's wasm32_web_time), the system's elsewhere.
    #[cfg(feature = "hydrate")]
    let deadline = similar::Instant::now().checked_add(DIFF_TIMEOUT);
    #[cfg(not(feature = "hydrate"))]
    let deadline = std::time::Instant::now().checked_add(DIFF_TIMEOUT);
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &old_words, &new_words, deadline);
    if similar::get_diff_ratio(&ops, old_words.len(), new_words.len()) < 0.5 {
        return None;
    }
    let (mut old_parts, mut new_parts): (Parts, Parts) = (Vec::new(), Vec::new());
    let push = |parts: &mut Vec<(bool, String)>, changed: bool, text: &[&str]| {
        let text = text.concat();
        match parts.last_mut() {
            Some((was, last)) if *was == changed => last.push_str(&text),
            _ if text.is_empty() => {}
            _ => parts.push((changed, text)),
        }
    };
    for op in ops {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        let changed = !matches!(op, DiffOp::Equal { .. });
        push(&mut old_parts, changed, &old_words[old_range]);
        push(&mut new_parts, changed, &new_words[new_range]);
    }
    Some((old_parts, new_parts))
}

/// `text` cut into words, spaces and single other characters.
fn words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut kind = None;
    for (at, c) in text.char_indices() {
        let this = if c.is_alphanumeric() {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        };
        if at > start && (kind != Some(this) || this == 2) {
            words.push(&text[start..at]);
            start = at;
        }
        kind = Some(this);
    }
    if start < text.len() {
        words.push(&text[start..]);
    }
    words
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
    fn the_diff_marks_changed_words_and_folds_unchanged_lines() {
        let old: String = (0..20).map(|n| format!("line {n}\n")).collect();
        let new = old.replace("line 10\n", "line ten\n").replace("line 19\n", "");
        let (lines, left_out) = line_diff(&old, &new, 1000);
        let (_, punctuated) = word_diff("We ship on Monday.", "We ship on Friday!").unwrap();
        assert_eq!(punctuated, vec![(false, "We ship on ".into()), (true, "Friday!".into())]);
        assert_eq!(word_diff("- [ ] Tell the support team", "Something else entirely"), None);
        assert_eq!(left_out, 0);
        assert_eq!(lines[0], DiffLine::Skipped(7), "lines 0-6 folded");
        let changed: Vec<&DiffLine> = lines
            .iter()
            .filter(|line| matches!(line, DiffLine::Line { kind, .. } if *kind != LineKind::Same))
            .collect();
        assert_eq!(
            changed,
            vec![
                &DiffLine::Line { kind: LineKind::Removed, parts: vec![(false, "line ".into()), (true, "10".into())] },
                &DiffLine::Line { kind: LineKind::Added, parts: vec![(false, "line ".into()), (true, "ten".into())] },
                &DiffLine::Line { kind: LineKind::Removed, parts: vec![(true, "line 19".into())] },
            ]
        );
        // A cap on what is shown says how much it left out.
        let (lines, left_out) = line_diff("a\nb\nc\n", "x\ny\nz\n", 2);
        assert_eq!(lines.len(), 2);
        assert_eq!(left_out, 4);
        let many_old: String = (0..100).map(|n| format!("{n}\nsame\nsame\nsame\nsame\nsame\nsame\nsame\n")).collect();
        let many_new = many_old.replace('\n', " changed\n");
        let (shown, left_out) = line_diff(&many_old, &many_new, 50);
        assert!(shown.len() < 100 && left_out > 0);
    }

    #[test]
    fn edits_come_last_first() {
        let edits = restore_edits("a\nb\nc\nd\n", "A\nb\nc\nD\n");
        assert_eq!(edits.len(), 2);
        assert!(edits[0].start > edits[1].start);
    }
}
