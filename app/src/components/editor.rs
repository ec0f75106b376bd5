//! The editing surface: a toolbar (undo, redo, formatting; the layout and line
//! numbers), the Markdown source and the rendered preview, shown side by side,
//! alone or stacked as the person chose (`prefs`, applied by the stylesheet).
//! Without JavaScript the source is a read-only `<textarea>` holding the whole
//! text; with it, the page shows the first screens of the text until the
//! CodeMirror editor takes their place, in the same font and line height, and
//! becomes editable once the first sync completes.

use leptos::html::{Article, Button, Div};
use leptos::prelude::*;

use crate::api::{DocView, Role};
use crate::collab::connection::ConnStatus;
use crate::collab::presence::PeerView;
use crate::components::format_toolbar::FormatToolbar;
use crate::components::view_switch::{LineNumbersToggle, ViewSwitch};

/// The no-JavaScript source: a read-only `<textarea>` with the whole text,
/// inside `<noscript>`. A browser running scripts keeps a `<noscript>`'s
/// content as one unparsed string, so a long document costs no layout there
/// (a 1 MiB textarea is a second of it, thrown away when the editor mounts);
/// a browser without scripts parses it as HTML and shows the textarea.
///
/// Leptos writes this HTML unescaped, so the text is escaped here: a
/// document holding `</textarea><script>` or `</noscript>` can close neither
/// element, and the browser decodes the entities back into exactly the text
/// (`&lt;` in the document stays `&lt;`). The leading newline is one the HTML
/// parser drops, so a document that starts with a blank line keeps it.
pub fn noscript_source(text: &str) -> String {
    // No text node at all for an empty text, as the browser builds it.
    let body = if text.is_empty() { String::new() } else { format!("\n{}", crate::html::escape_text(text)) };
    format!(r#"<textarea class="source" data-testid="source" aria-label="Markdown source" readonly>{body}</textarea>"#)
}

/// How much of the text the page shows before the editor mounts: more than
/// the tallest screen holds, a small part of a long document.
const SOURCE_HEAD_BYTES: usize = 16 * 1024;

/// The beginning of the text, up to [`SOURCE_HEAD_BYTES`], ended at a line
/// break when one is near (a single long paragraph is cut at a character).
pub fn source_head(text: &str) -> &str {
    if text.len() <= SOURCE_HEAD_BYTES {
        return text;
    }
    let mut end = SOURCE_HEAD_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    match head.rfind('\n') {
        Some(line_end) if line_end >= SOURCE_HEAD_BYTES / 2 => &head[..line_end],
        _ => head,
    }
}

/// Platform-neutral shortcut hints for the toolbar's tooltips.
const UNDO_HINT: &str = "Undo your last change (Ctrl+Z / ⌘Z)";
const REDO_HINT: &str = "Redo (Ctrl+Shift+Z / ⌘⇧Z, or Ctrl+Y)";

#[component]
pub fn Editor(
    doc: DocView,
    status: ReadSignal<ConnStatus>,
    set_status: WriteSignal<ConnStatus>,
    set_peers: WriteSignal<Vec<PeerView>>,
    role: ReadSignal<Role>,
    set_role: WriteSignal<Role>,
    set_title: WriteSignal<String>,
    /// Filled in with how a restored version's text becomes an edit.
    restore_with: StoredValue<Option<Callback<String, bool>>>,
) -> impl IntoView {
    let article = NodeRef::<Article>::new();
    let editor_host = NodeRef::<Div>::new();
    let undo = NodeRef::<Button>::new();
    let redo = NodeRef::<Button>::new();
    // The server renders the preview into the page. The browser does not need
    // that HTML (hydration keeps what the server sent): the preview takes
    // the server's blocks over after the first sync, and fills itself when
    // the page was reached without the server (a navigation inside the app).
    // At 1 MiB that is one Markdown render less while the page opens.
    #[cfg(not(feature = "hydrate"))]
    let preview_html = crate::markdown::render(&doc.markdown);
    #[cfg(feature = "hydrate")]
    let preview_html = String::new();
    // Only the server writes the no-JavaScript source; hydration keeps the
    // server's (an element's `inner_html` is not rewritten from the server).
    #[cfg(not(feature = "hydrate"))]
    let noscript_html = noscript_source(&doc.markdown);
    #[cfg(feature = "hydrate")]
    let noscript_html = String::new();
    let (ready, set_ready) = signal(false);
    // Until the editor mounts the head of the text stands in for it.
    let (mounted, set_mounted) = signal(false);
    let can_write = Signal::derive(move || ready.get() && role.get().can_edit() && !status.get().is_final());
    let read_only = Signal::derive(move || !role.get().can_edit());
    let (can_undo, can_redo, run_format, line_numbers) = {
        #[cfg(feature = "hydrate")]
        {
            use crate::client::session::{start, Elements, Outputs, Session};
            let (history, set_history) = signal(crate::client::session::HistoryState::default());
            let id = doc.id.clone();
            let markdown = doc.markdown.clone();
            // Browser only: a local value dropped on another thread (as the
            // server's renderer would) panics.
            let session = StoredValue::new_local(None::<Session>);
            let run_format = Callback::new(move |command: &'static str| {
                session.with_value(|session| {
                    if let Some(session) = session {
                        session.format(command);
                    }
                });
            });
            Effect::new(move |started: Option<bool>| {
                if started == Some(true) {
                    return true;
                }
                let (Some(host), Some(article), Some(undo), Some(redo)) =
                    (editor_host.get(), article.get(), undo.get(), redo.get())
                else {
                    return false;
                };
                let preview = crate::client::preview::Preview::adopt(article.into(), &markdown);
                let elements = Elements { editor_host: host.into(), text: markdown.clone(), undo, redo };
                let outputs = Outputs { set_status, set_ready, set_peers, set_history, set_role, set_title };
                session.set_value(Some(start(&id, elements, preview, outputs)));
                set_mounted.set(true);
                on_cleanup(move || {
                    let _ = session.try_update_value(|session| session.take());
                });
                true
            });
            restore_with.set_value(Some(Callback::new(move |text: String| {
                session.with_value(|session| session.as_ref().is_some_and(|session| session.replace_text(&text)))
            })));
            let line_numbers = Callback::new(move |on: bool| {
                session.with_value(|session| {
                    if let Some(session) = session {
                        session.set_line_numbers(on);
                    }
                });
            });
            Effect::new(move |_| {
                let read_only = !can_write.get();
                session.with_value(|session| {
                    if let Some(session) = session {
                        session.set_read_only(read_only);
                    }
                });
            });
            // Nothing of ours may change once the session has ended (access
            // removed, the document deleted): undo and redo go grey with it.
            let may_step = move || role.get().can_edit() && !status.get().is_final();
            (
                Signal::derive(move || history.get().can_undo && may_step()),
                Signal::derive(move || history.get().can_redo && may_step()),
                run_format,
                line_numbers,
            )
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (set_status, set_ready, set_peers, set_role, set_title, set_mounted, restore_with);
            (
                Signal::derive(|| false),
                Signal::derive(|| false),
                Callback::new(|_: &'static str| ()),
                Callback::new(|_: bool| ()),
            )
        }
    };

    view! {
        <div class="doc-body" data-access=move || if read_only.get() { "read" } else { "write" }>
            <div class="toolbar doc-toolbar" role="toolbar" aria-label="Editing">
                <div class="edit-tools" hidden=move || read_only.get()>
                    <button node_ref=undo type="button" class="tool" data-testid="undo" title=UNDO_HINT
                        aria-label="Undo" disabled=move || !can_undo.get()>
                        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M9 14 4 9l5-5"/><path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11"/></svg>
                        <span>"Undo"</span>
                    </button>
                    <button node_ref=redo type="button" class="tool" data-testid="redo" title=REDO_HINT
                        aria-label="Redo" disabled=move || !can_redo.get()>
                        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="m15 14 5-5-5-5"/><path d="M20 9H9.5a5.5 5.5 0 0 0 0 11H13"/></svg>
                        <span>"Redo"</span>
                    </button>
                    <span class="tool-separator" aria-hidden="true"></span>
                    <FormatToolbar run=run_format enabled=can_write/>
                </div>
                <div class="view-tools">
                    <LineNumbersToggle changed=line_numbers/>
                    <ViewSwitch read_only/>
                </div>
            </div>
            <div class="editor-layout">
                <section class="pane editor-pane" aria-label="Markdown source">
                    <div class="source-wrap">
                        <noscript inner_html=noscript_html></noscript>
                        // A picture of the text while the editor loads; the
                        // editor, once mounted, is what people read and use.
                        // Written as HTML, not as a text node to hydrate: the
                        // browser drops some characters (NUL) from the page,
                        // and a text of only those would leave hydration no
                        // node to find, and the page dead for everyone.
                        <div class="source source-head" aria-hidden="true" hidden=move || mounted.get()
                            inner_html=crate::html::escape_text(source_head(&doc.markdown))></div>
                        <div node_ref=editor_host class="editor-host" hidden=move || !mounted.get()></div>
                    </div>
                </section>
                <section class="pane preview-pane" aria-label="Preview">
                    <article node_ref=article class="preview" data-testid="preview" inner_html=preview_html></article>
                </section>
            </div>
        </div>
    }
    // Erased: the page's whole view type is otherwise too deep for the compiler.
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::{noscript_source, source_head, SOURCE_HEAD_BYTES};

    #[test]
    fn the_noscript_source_cannot_close_its_elements() {
        let html = noscript_source("a</textarea></noscript><script>x</script>");
        assert!(html.ends_with(">\na&lt;/textarea&gt;&lt;/noscript&gt;&lt;script&gt;x&lt;/script&gt;</textarea>"));
        assert!(noscript_source("&lt; stays").contains(">\n&amp;lt; stays<"));
        assert!(noscript_source("").contains("readonly></textarea>"));
    }

    #[test]
    fn the_head_is_the_whole_of_a_short_text_and_ends_at_a_line_in_a_long_one() {
        assert_eq!(source_head("# Short\n\ntext"), "# Short\n\ntext");
        let long = "A line of text.\n".repeat(2_000);
        let head = source_head(&long);
        assert!(head.len() <= SOURCE_HEAD_BYTES && head.len() > SOURCE_HEAD_BYTES - 20);
        assert!(long.starts_with(head) && head.ends_with("text."));
        // One long paragraph of multi-byte characters: cut inside it, at a
        // character boundary.
        let paragraph = "é".repeat(20_000);
        assert_eq!(source_head(&paragraph).len(), SOURCE_HEAD_BYTES);
    }
}
