//! The smallest single edit that turns one text into another, in UTF-16 code
//! units (the unit of `<textarea>` selections and of Quire's Y.Text offsets).
//!
//! A keystroke changes one contiguous range, so the common prefix and common
//! suffix are all that is needed; the caret position breaks ties in repeated
//! characters ("aa" -> "aaa") so the insertion lands where the user typed it,
//! which keeps other people's carets anchored where they expect. Boundaries never
//! split a surrogate pair, so an emoji is replaced whole or not at all.

/// One contiguous replacement: delete `delete` units at `start`, then insert `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: u32,
    pub delete: u32,
    pub insert: String,
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..=0xDBFF).contains(&unit)
}

fn is_low_surrogate(unit: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
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

/// The edit from `old` to `new`, or `None` when they are equal.
///
/// `caret` is the caret position in `new` after the change, when known: among the
/// equally small edits it picks the one that ends at the caret.
pub fn diff_utf16(old: &[u16], new: &[u16], caret: Option<usize>) -> Option<Edit> {
    if old == new {
        return None;
    }
    let max_prefix = old.len().min(new.len());
    let mut prefix = common_prefix(old, new);
    if let Some(caret) = caret {
        let inserted = new.len().saturating_sub(old.len());
        prefix = prefix.min(caret.saturating_sub(inserted));
    }
    if prefix > 0 && is_high_surrogate(old[prefix - 1]) {
        prefix -= 1;
    }
    let max_suffix = max_prefix - prefix;
    let mut suffix = common_suffix(old, new, max_suffix);
    if suffix > 0 && is_low_surrogate(old[old.len() - suffix]) {
        suffix -= 1;
    }
    let inserted = &new[prefix..new.len() - suffix];
    Some(Edit {
        start: prefix as u32,
        delete: (old.len() - suffix - prefix) as u32,
        insert: String::from_utf16_lossy(inserted),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`diff_utf16`] on Rust strings.
    fn diff(old: &str, new: &str, caret: Option<usize>) -> Option<Edit> {
        let old: Vec<u16> = old.encode_utf16().collect();
        let new: Vec<u16> = new.encode_utf16().collect();
        diff_utf16(&old, &new, caret)
    }

    fn edit(start: u32, delete: u32, insert: &str) -> Option<Edit> {
        Some(Edit { start, delete, insert: insert.into() })
    }

    fn apply(old: &str, e: &Edit) -> String {
        let mut units: Vec<u16> = old.encode_utf16().collect();
        let ins: Vec<u16> = e.insert.encode_utf16().collect();
        units.splice(e.start as usize..(e.start + e.delete) as usize, ins);
        String::from_utf16(&units).expect("edit split a surrogate pair")
    }

    #[test]
    fn equal_texts_need_no_edit() {
        assert_eq!(diff("same", "same", None), None);
        assert_eq!(diff("", "", Some(0)), None);
    }

    #[test]
    fn typing_deleting_and_replacing() {
        assert_eq!(diff("helo", "hello", Some(4)), edit(3, 0, "l"));
        assert_eq!(diff("hello", "hell", Some(4)), edit(4, 1, ""));
        assert_eq!(diff("hello world", "hello there", None), edit(6, 5, "there"));
        assert_eq!(diff("", "abc", Some(3)), edit(0, 0, "abc"));
        assert_eq!(diff("abc", "", Some(0)), edit(0, 3, ""));
    }

    #[test]
    fn the_caret_decides_where_a_repeated_character_went() {
        // Typing "a" at the very start of "aa": without the caret the diff would
        // say "appended at the end".
        assert_eq!(diff("aa", "aaa", Some(1)), edit(0, 0, "a"));
        assert_eq!(diff("aa", "aaa", None), edit(2, 0, "a"));
        assert_eq!(diff("abab", "ababab", Some(2)), edit(0, 0, "ab"));
        // Backspace in a run of spaces keeps the caret's side.
        assert_eq!(diff("a   b", "a  b", Some(1)), edit(1, 1, ""));
    }

    #[test]
    fn offsets_are_utf16_units() {
        // "😀" is 2 units, "漢" is 1: the insertion after them is at 3.
        assert_eq!(diff("😀漢", "😀漢!", Some(4)), edit(3, 0, "!"));
    }

    #[test]
    fn an_emoji_is_never_split() {
        // 😀 (D83D DE00) and 😁 (D83D DE01) share their high surrogate.
        let e = diff("a😀b", "a😁b", None).unwrap();
        assert_eq!(e, Edit { start: 1, delete: 2, insert: "😁".into() });
        assert_eq!(apply("a😀b", &e), "a😁b");
        // Shared low surrogate: 😀 (D83D DE00) vs 😀 (D821 DE00).
        let e = diff("x😀", "x\u{18600}", None).unwrap();
        assert_eq!(apply("x😀", &e), "x\u{18600}");
        assert_eq!(e.start, 1);
        assert_eq!(e.delete, 2);
    }

    #[test]
    fn every_result_turns_old_into_new() {
        let samples = ["", "a", "aa", "abc", "héllo", "😀😀", "漢字かな", "a\nb\n", "👩‍👩‍👧 family"];
        for old in samples {
            for new in samples {
                let len = new.encode_utf16().count();
                for caret in [None, Some(0), Some(len / 2), Some(len)] {
                    match diff(old, new, caret) {
                        None => assert_eq!(old, new),
                        Some(e) => assert_eq!(apply(old, &e), new, "{old:?} -> {new:?} caret {caret:?}"),
                    }
                }
            }
        }
    }
}
