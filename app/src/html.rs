//! Escaping text for the few places where Leptos writes it into HTML raw: the
//! document `<title>` is raw text to its renderer, and the editor's
//! `inner_html` (the `<noscript>` source, the head of the text) is written as
//! given, so text there could close the element and open a `<script>`.

/// `text` with `&`, `<` and `>` as entities: the browser reads it back as
/// exactly `text` inside an element's content.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The page title for a document title, as it goes into `<title>`: escaped
/// when the server writes the HTML, raw in the browser (which sets
/// `document.title`, where entities would show as typed).
pub fn page_title(title: String) -> String {
    let title = if title.is_empty() { "Quire".to_string() } else { format!("{title} · Quire") };
    if cfg!(feature = "ssr") {
        escape_text(&title)
    } else {
        title
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_text() {
        assert_eq!(
            escape_text("</title><script>x</script> & &lt;"),
            "&lt;/title&gt;&lt;script&gt;x&lt;/script&gt; &amp; &amp;lt;"
        );
        assert_eq!(escape_text("plain — text"), "plain — text");
    }
}
