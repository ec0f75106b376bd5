//! Markdown to HTML, the same on the server (first paint) and in the browser
//! (live preview). Raw HTML in a document is shown as text, never executed, and
//! links or images with script-capable URLs are neutralised: a document is
//! written by other people and must not run code in your browser.
//!
//! The HTML comes as one string per top-level block (heading, paragraph, list,
//! table...), each wrapped in `<div class="md-block">`, so the live preview can
//! replace only the blocks an edit changed instead of the whole page. The whole
//! document is still parsed as one, so lists, reference links and code fences
//! mean exactly what they would in a single pass.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

/// Renders Markdown (CommonMark plus tables, strikethrough and task lists) to
/// safe HTML: every top-level block in its own `<div class="md-block">`.
pub fn render(markdown: &str) -> String {
    let blocks = render_blocks(markdown);
    let mut out = String::with_capacity(blocks.iter().map(|b| b.len() + 32).sum());
    for block in &blocks {
        out.push_str(BLOCK_OPEN);
        out.push_str(block);
        out.push_str(BLOCK_CLOSE);
    }
    out
}

/// The wrapper of one top-level block (the live preview creates the same).
pub const BLOCK_OPEN: &str = "<div class=\"md-block\">";
pub const BLOCK_CLOSE: &str = "</div>";

/// Safe HTML of each top-level block, in document order.
pub fn render_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Vec<Event<'_>> = Vec::new();
    let mut depth = 0usize;
    for event in safe_events(markdown) {
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        current.push(event);
        if depth == 0 {
            let mut html_out = String::new();
            html::push_html(&mut html_out, current.drain(..));
            blocks.push(html_out);
        }
    }
    if !current.is_empty() {
        let mut html_out = String::new();
        html::push_html(&mut html_out, current.drain(..));
        blocks.push(html_out);
    }
    blocks
}

/// The parser's events with raw HTML turned into text and unsafe URLs removed.
fn safe_events(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Image { link_type, dest_url: safe_url(dest_url), title, id })
        }
        other => other,
    })
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
    use super::render;

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
        assert!(blocks[0].starts_with("<h1>"));
        assert!(blocks[1].contains("href=\"https://e.x\""), "reference links resolve across blocks");
        assert_eq!(blocks[2].matches("<li>").count(), 2, "a loose list stays one list");
        assert!(blocks[3].contains("still code"), "a fence with blank lines stays one block");
        assert!(blocks[4].starts_with("<hr"));
        assert_eq!(render("# A").matches("md-block").count(), 1);
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
