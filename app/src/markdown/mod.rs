//! Markdown to HTML, the same on the server (first paint) and in the browser
//! (live preview). Raw HTML in a document is shown as text, never executed, and
//! links or images with script-capable URLs are neutralised: a document is
//! written by other people and must not run code in your browser.
//!
//! The HTML comes as one string per top-level block (heading, paragraph, list,
//! table...), each wrapped in `<div class="md-block">`, so the live preview can
//! replace only the blocks an edit changed instead of the whole page. The whole
//! document is still parsed as one, so lists, reference links and code fences
//! mean exactly what they would in a single pass. Each block also knows the
//! source line it starts on, which lets the preview follow the editor's
//! scroll position.
//!
//! `incremental` re-renders after an edit from the blocks around it instead of
//! the whole document, with the same result.

mod incremental;

pub use incremental::{Rendered, Splice};

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

/// Renders Markdown (CommonMark plus tables, strikethrough and task lists) to
/// safe HTML: every top-level block in its own `<div class="md-block">`, the
/// blocks in chunks (see [`chunked`]).
pub fn render(markdown: &str) -> String {
    chunked(&render_blocks(markdown))
}

/// Blocks per `<div class="md-chunk">`. The page lays out and paints only
/// the chunks near the screen (`content-visibility` in the stylesheet); per
/// block that bookkeeping would cost more than it saves in a long document
/// (20,000 blocks at 1 MiB), per chunk of 64 it is a few hundred boxes.
pub const BLOCKS_PER_CHUNK: usize = 64;

/// The blocks' HTML, each wrapped, in chunks of [`BLOCKS_PER_CHUNK`].
pub fn chunked(blocks: &[Block]) -> String {
    let mut out = String::with_capacity(blocks.iter().map(|b| b.html.len() + 32).sum());
    for chunk in blocks.chunks(BLOCKS_PER_CHUNK) {
        out.push_str(CHUNK_OPEN);
        for block in chunk {
            out.push_str(BLOCK_OPEN);
            out.push_str(&block.html);
            out.push_str(BLOCK_CLOSE);
        }
        out.push_str(CHUNK_CLOSE);
    }
    out
}

/// One top-level block: its safe HTML, the line of the source (1-based) it
/// starts on, and the bytes of the source it was rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub line: u32,
    pub html: String,
    pub start: usize,
    pub end: usize,
}

/// The wrapper of one top-level block (the live preview creates the same).
pub const BLOCK_OPEN: &str = "<div class=\"md-block\">";
pub const BLOCK_CLOSE: &str = "</div>";
/// The wrapper of a chunk of blocks.
pub const CHUNK_OPEN: &str = "<div class=\"md-chunk\">";
pub const CHUNK_CLOSE: &str = "</div>";

/// Each top-level block, in document order.
pub fn render_blocks(markdown: &str) -> Vec<Block> {
    blocks_of(markdown, 0, 1).blocks
}

/// The blocks of `text`, a part of a source that begins at byte `base` on
/// line `first_line` (the offsets and lines are the source's), and whether
/// `text` defines link references (which links anywhere may use).
struct Parsed {
    blocks: Vec<Block>,
    references: bool,
}

fn blocks_of(text: &str, base: usize, first_line: u32) -> Parsed {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let parser = Parser::new_ext(text, options).into_offset_iter();
    let references = parser.reference_definitions().iter().next().is_some();
    let mut blocks = Vec::new();
    let mut current: Vec<Event<'_>> = Vec::new();
    let mut depth = 0usize;
    // Lines are counted as the blocks go by, so the whole pass stays linear.
    let mut lines = LineCounter::new(text, first_line);
    let (mut line, mut start) = (first_line, 0);
    let mut finish = |current: &mut Vec<Event<'_>>, line, start, end| {
        let mut html = String::new();
        html::push_html(&mut html, current.drain(..));
        blocks.push(Block { line, html, start: base + start, end: base + end });
    };
    for (event, range) in parser {
        if current.is_empty() {
            start = range.start;
            line = lines.line_at(start);
        }
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        current.push(safe_event(event));
        if depth == 0 {
            finish(&mut current, line, start, range.end);
        }
    }
    if !current.is_empty() {
        finish(&mut current, line, start, text.len());
    }
    Parsed { blocks, references }
}

/// Line numbers of ascending byte offsets.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str, first_line: u32) -> Self {
        LineCounter { text, offset: 0, line: first_line }
    }

    /// The 1-based line of `offset` (which must not be below the last one asked).
    fn line_at(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset > self.offset {
            let newlines = self.text.as_bytes()[self.offset..offset].iter().filter(|&&b| b == b'\n').count();
            self.line += newlines as u32;
            self.offset = offset;
        }
        self.line
    }
}

/// A task's checkbox, labelled (the renderer's own has no name for screen readers).
const TASK_DONE: &str = "<input type=\"checkbox\" disabled checked aria-label=\"Done\"> ";
const TASK_OPEN: &str = "<input type=\"checkbox\" disabled aria-label=\"Done\"> ";

fn safe_event(event: Event<'_>) -> Event<'_> {
    match event {
        Event::TaskListMarker(done) => Event::InlineHtml(CowStr::Borrowed(if done { TASK_DONE } else { TASK_OPEN })),
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Image { link_type, dest_url: safe_url(dest_url), title, id })
        }
        other => other,
    }
}

/// Keeps ordinary URLs, replaces ones that could run script with "#".
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let scheme: String =
        url.chars().filter(|c| !c.is_whitespace() && !c.is_control()).take(12).collect::<String>().to_ascii_lowercase();
    let dangerous = ["javascript:", "vbscript:", "data:"];
    if dangerous.iter().any(|d| scheme.starts_with(d)) {
        CowStr::Borrowed("#")
    } else {
        url
    }
}

#[cfg(test)]
mod tests {
    use super::{render, BLOCKS_PER_CHUNK};

    #[test]
    fn renders_headings_lists_and_code() {
        let html = render("# Title\n\n- one\n- two\n\n`code`");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<li>one</li>"));
        assert!(html.contains("<code>code</code>"));
    }

    #[test]
    fn each_top_level_block_is_rendered_on_its_own() {
        let blocks = super::render_blocks(
            "# A\n\npara [x][r]\n\n- one\n\n- two\n\n```\ncode\n\nstill code\n```\n\n---\n\n[r]: https://e.x\n",
        );
        assert_eq!(blocks.len(), 5, "{blocks:?}");
        assert!(blocks[0].html.starts_with("<h1>"));
        assert!(blocks[1].html.contains("href=\"https://e.x\""), "reference links resolve across blocks");
        assert_eq!(blocks[2].html.matches("<li>").count(), 2, "a loose list stays one list");
        assert!(blocks[3].html.contains("still code"), "a fence with blank lines stays one block");
        assert!(blocks[4].html.starts_with("<hr"));
        assert_eq!(render("# A").matches("md-block").count(), 1);
        assert_eq!(render("# A").matches("md-chunk").count(), 1);
        let many = "para\n\n".repeat(BLOCKS_PER_CHUNK * 2 + 1);
        assert_eq!(render(&many).matches("md-chunk").count(), 3, "chunks of {BLOCKS_PER_CHUNK} blocks");
        // The source line each block starts on (1-based).
        let lines: Vec<u32> = blocks.iter().map(|b| b.line).collect();
        assert_eq!(lines, [1, 3, 5, 9, 15]);
    }

    #[test]
    fn block_lines_count_from_the_source_not_the_output() {
        let lines: Vec<u32> = super::render_blocks("\n\n> quote\n> more\n\n| a |\n|---|\n| 1 |\n\n😀 text\n")
            .iter()
            .map(|b| b.line)
            .collect();
        assert_eq!(lines, [3, 6, 10]);
    }

    #[test]
    fn task_checkboxes_are_labelled() {
        let html = render("- [x] shipped\n- [ ] next");
        assert!(html.contains("<input type=\"checkbox\" disabled checked aria-label=\"Done\"> shipped"), "{html}");
        assert!(html.contains("<input type=\"checkbox\" disabled aria-label=\"Done\"> next"), "{html}");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(2)>");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    }

    #[test]
    fn script_urls_are_neutralised() {
        let html =
            render("[a](javascript:alert(1)) [b]( JaVaScRiPt:alert(1)) ![c](data:text/html,x) [ok](https://quire.dev)");
        assert!(!html.to_ascii_lowercase().contains("javascript:"));
        assert!(!html.contains("data:text"));
        assert!(html.contains("href=\"https://quire.dev\""));
    }
}
