//! Markdown to HTML, the same on the server (first paint) and in the browser
//! (live preview). Raw HTML in a document is shown as text, never executed, and
//! links or images with script-capable URLs are neutralised: a document is
//! written by other people and must not run code in your browser.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

/// Renders Markdown (CommonMark plus tables, strikethrough and task lists) to safe HTML.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
    html::push_html(&mut out, events);
    out
}

/// Keeps ordinary URLs, replaces ones that could run script with "#".
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let scheme: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase();
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
    fn raw_html_is_shown_as_text() {
        let html = render("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(2)>");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    }

    #[test]
    fn script_urls_are_neutralised() {
        let html = render("[a](javascript:alert(1)) [b]( JaVaScRiPt:alert(1)) ![c](data:text/html,x) [ok](https://quire.dev)");
        assert!(!html.to_ascii_lowercase().contains("javascript:"));
        assert!(!html.contains("data:text"));
        assert!(html.contains("href=\"https://quire.dev\""));
    }
}
