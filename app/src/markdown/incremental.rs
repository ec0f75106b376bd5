//! Re-rendering a document after an edit from the blocks around the edit
//! only, with exactly the result of rendering it whole.
//!
//! Rendering 1 MiB of Markdown in the browser is a long task (about 100 ms
//! here), and the preview used to pay it after every pause in typing, even
//! for a keystroke of somebody else's. Block structure in CommonMark is
//! decided line by line, looking at most one line ahead, from the state the
//! previous lines left. So the blocks before an edit (but the last two, whose
//! ends may look at the edited lines) stay as they are; the edited stretch is
//! parsed again from the start of a block, which is a clean state; and the
//! blocks after it stay as they are as long as the new parse, run on into the
//! first line of the next kept block, starts a block right there and leaves
//! nothing open across it (an unclosed fence, a list that takes the line in).
//! Where that check fails the stretch grows, and in the end the whole text is
//! parsed. Link reference definitions reach links anywhere in the document,
//! so while the document has any, every render is whole.

use super::{blocks_of, Block};

/// Blocks kept as margin on each side of an edit.
const MARGIN: usize = 2;

/// The rendered blocks of one text, ready to follow its edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    blocks: Vec<Block>,
    references: bool,
}

/// What an update changed: `removed` were the blocks from index `at`, and
/// `inserted` blocks stand there now.
#[derive(Debug)]
pub struct Splice {
    pub at: usize,
    pub removed: Vec<Block>,
    pub inserted: usize,
}

impl Rendered {
    /// Renders `markdown` whole.
    pub fn new(markdown: &str) -> Self {
        let parsed = blocks_of(markdown, 0, 1);
        Rendered { blocks: parsed.blocks, references: parsed.references }
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Whether the next update renders the whole text again (it defines
    /// link references), so costs time in proportion to its length.
    pub fn renders_whole(&self) -> bool {
        self.references
    }

    /// Follows the text from `old` (what these blocks were rendered from) to
    /// `new`.
    pub fn update(&mut self, old: &str, new: &str) -> Splice {
        if let Some(splice) = self.update_around_edit(old, new) {
            return splice;
        }
        let removed = std::mem::replace(self, Rendered::new(new)).blocks;
        Splice { at: 0, removed, inserted: self.blocks.len() }
    }

    fn update_around_edit(&mut self, old: &str, new: &str) -> Option<Splice> {
        if self.references || self.blocks.is_empty() {
            return None;
        }
        let (prefix, suffix) = changed_span(old, new);
        let old_edit_end = old.len() - suffix;
        // The first block the edit touches (or the first after it)…
        let touched = self.blocks.iter().position(|b| b.end >= prefix).unwrap_or(self.blocks.len());
        let from = touched.saturating_sub(MARGIN);
        // …and where the stretch parsed again starts: a line start before it.
        let (start, first_line) =
            if from == 0 { (0, 1) } else { (line_start(old, self.blocks[from].start), self.blocks[from].line) };
        let after = self.blocks.iter().position(|b| b.start > old_edit_end).unwrap_or(self.blocks.len());
        for extra in [MARGIN - 1, 16, 256] {
            let to = after.saturating_add(extra);
            if to >= self.blocks.len() {
                // The stretch runs to the end of the text: nothing after it to keep.
                let parsed = blocks_of(&new[start..], start, first_line);
                if parsed.references {
                    return None;
                }
                return Some(self.splice(from, self.blocks.len(), parsed.blocks, 0, 0));
            }
            let old_boundary = line_start(old, self.blocks[to].start);
            if old_boundary < old_edit_end {
                continue;
            }
            let boundary = old_boundary + new.len() - old.len();
            let boundary_line_end = new[boundary..].find(LINE_ENDS).map_or(new.len(), |i| boundary + i + 1);
            let mut parsed = blocks_of(&new[start..boundary_line_end], start, first_line);
            if parsed.references {
                return None;
            }
            let clean = match parsed.blocks.split_last() {
                Some((last, before)) => last.start >= boundary && before.last().is_none_or(|b| b.end <= boundary),
                None => false,
            };
            if !clean {
                continue;
            }
            parsed.blocks.pop();
            let line_shift = newlines(&new[start..boundary]) as i64 - newlines(&old[start..old_boundary]) as i64;
            let byte_shift = new.len() as i64 - old.len() as i64;
            return Some(self.splice(from, to, parsed.blocks, byte_shift, line_shift));
        }
        None
    }

    /// Puts `blocks` in place of `from..to` and moves what follows them by
    /// the bytes and lines the edit added (or removed).
    fn splice(&mut self, from: usize, to: usize, blocks: Vec<Block>, bytes: i64, lines: i64) -> Splice {
        let inserted = blocks.len();
        let removed: Vec<Block> = self.blocks.splice(from..to, blocks).collect();
        for block in &mut self.blocks[from + inserted..] {
            block.start = (block.start as i64 + bytes) as usize;
            block.end = (block.end as i64 + bytes) as usize;
            block.line = (block.line as i64 + lines) as u32;
        }
        Splice { at: from, removed, inserted }
    }
}

/// How many bytes `old` and `new` share at the start and (not overlapping
/// those) at the end, both on character boundaries.
fn changed_span(old: &str, new: &str) -> (usize, usize) {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    // Whole chunks first: slice comparison is a memcmp, byte loops are not.
    const CHUNK: usize = 256;
    let mut prefix = a.chunks(CHUNK).zip(b.chunks(CHUNK)).take_while(|(x, y)| x == y).count() * CHUNK;
    prefix = prefix.min(a.len()).min(b.len());
    prefix += a[prefix..].iter().zip(&b[prefix..]).take_while(|(x, y)| x == y).count();
    while !old.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let limit = a.len().min(b.len()) - prefix;
    let mut suffix = a.rchunks(CHUNK).zip(b.rchunks(CHUNK)).take_while(|(x, y)| x == y).count() * CHUNK;
    suffix = suffix.min(limit);
    suffix +=
        a[..a.len() - suffix].iter().rev().zip(b[..b.len() - suffix].iter().rev()).take_while(|(x, y)| x == y).count();
    suffix = suffix.min(limit);
    while !old.is_char_boundary(old.len() - suffix) {
        suffix -= 1;
    }
    (prefix, suffix)
}

/// What ends a line in CommonMark: "\n", "\r\n", or a lone "\r".
const LINE_ENDS: [char; 2] = ['\n', '\r'];

/// The start of the line `offset` is on.
fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind(LINE_ENDS).map_or(0, |i| i + 1)
}

fn newlines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces that end, open or join blocks in every way CommonMark knows.
    const PIECES: &[&str] = &[
        "# Heading\n",
        "Setext\n===\n",
        "para line\n",
        "lazy > line\n",
        "\n",
        "\n\n",
        "- item\n",
        "  - nested\n",
        "1. one\n",
        "2) two\n",
        "> quote\n",
        ">\n",
        "```\n",
        "```rust\nfn f() {}\n",
        "~~~\n",
        "    indented\n",
        "| a | b |\n",
        "|---|:-:|\n",
        "| 1 | 2 |\n",
        "---\n",
        "***\n",
        "<pre>\n",
        "</pre>\n",
        "<div>\n",
        "<!--\n",
        "-->\n",
        "- [ ] task\n",
        "- [x] done\n",
        "*em* **strong** `code` ~~del~~\n",
        "[link](https://e.x)\n",
        "text\\\n",
        "  \n",
        "\t- tab\n",
        "+ plus\n",
        "😀 ü 中\n",
        "    \n",
        "[ref]\n",
        "```\r",
        "cr line\r",
        "\r\n",
        "# crlf\r\n",
        "\r",
        "> q\r",
    ];

    /// A small deterministic generator (xorshift), so a failure reproduces.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn document(rng: &mut Rng, pieces: usize) -> String {
        (0..pieces).map(|_| PIECES[rng.below(PIECES.len())]).collect()
    }

    fn boundary(text: &str, mut at: usize) -> usize {
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    fn edit(rng: &mut Rng, text: &str) -> String {
        let at = boundary(text, rng.below(text.len() + 1));
        let end = boundary(text, (at + rng.below(12)).min(text.len())).max(at);
        let inserted = match rng.below(3) {
            0 => PIECES[rng.below(PIECES.len())].to_string(),
            1 => ["x", "\n", "`", "#", "-", ">", " ", "|", "*", "<", "=", "[", "]", "(", ":", "\r", "\t"]
                [rng.below(17)]
            .to_string(),
            _ => String::new(),
        };
        format!("{}{}{}", &text[..at], inserted, &text[end..])
    }

    #[test]
    fn following_edits_renders_what_rendering_whole_does() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut around_edits = 0;
        for _ in 0..400 {
            let pieces = 6 + rng.below(40);
            let mut text = document(&mut rng, pieces);
            let mut rendered = Rendered::new(&text);
            for _ in 0..40 {
                let next = edit(&mut rng, &text);
                if rendered.clone().update_around_edit(&text, &next).is_some() {
                    around_edits += 1;
                }
                let before = rendered.blocks.len();
                let splice = rendered.update(&text, &next);
                assert_eq!(before - splice.removed.len() + splice.inserted, rendered.blocks.len());
                let whole = Rendered::new(&next);
                assert_eq!(rendered.blocks, whole.blocks, "after editing\n{text:?}\ninto\n{next:?}");
                text = next;
            }
        }
        // Most edits must take the short way, or the point is lost.
        assert!(around_edits > 400 * 40 / 2, "only {around_edits} edits rendered around the edit");
    }

    #[test]
    fn an_edit_in_a_long_document_replaces_only_blocks_near_it() {
        let section = "## Section\n\nA paragraph with *emphasis* and `code`.\n\n- one\n- two\n\n";
        let old = section.repeat(2_000);
        let at = old.len() / 2;
        let new = format!("{}typed {}", &old[..at], &old[at..]);
        let mut rendered = Rendered::new(&old);
        let splice = rendered.update(&old, &new);
        assert!(splice.removed.len() <= 2 * MARGIN + 2, "{} blocks replaced", splice.removed.len());
        assert_eq!(rendered, Rendered::new(&new));
    }

    #[test]
    fn an_opened_fence_swallows_the_rest_as_when_rendering_whole() {
        let old = "# A\n\npara\n\n".repeat(400);
        let new = format!("```\n{old}");
        let mut rendered = Rendered::new(&old);
        rendered.update(&old, &new);
        assert_eq!(rendered, Rendered::new(&new));
        assert_eq!(rendered.blocks().len(), 1);
    }

    #[test]
    fn a_reference_definition_renders_whole() {
        let old = "[x][r]\n\n".to_string() + &"# A\n\npara\n\n".repeat(50);
        let new = old.clone() + "[r]: https://e.x\n";
        let mut rendered = Rendered::new(&old);
        rendered.update(&old, &new);
        assert!(rendered.blocks()[0].html.contains("href=\"https://e.x\""));
        assert_eq!(rendered, Rendered::new(&new));
    }

    #[test]
    fn the_changed_span_stays_on_character_boundaries() {
        assert_eq!(changed_span("aé", "aè"), (1, 0));
        assert_eq!(changed_span("éa", "èa"), (0, 1));
        assert_eq!(changed_span("aaa", "aa"), (2, 0));
        let long = "x".repeat(1000);
        assert_eq!(changed_span(&long, &(long.clone() + "y")), (1000, 0));
        assert_eq!(changed_span(&long, &format!("y{long}")), (0, 1000));
    }
}
