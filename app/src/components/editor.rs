//! The editing surface: a Markdown `<textarea>` beside its rendered preview.
//! Rendered on the server with the current content (readable without
//! JavaScript); in the browser it becomes live once the first sync completes.

use leptos::html::{Article, Textarea};
use leptos::prelude::*;

use crate::api::DocView;
use crate::components::status::ConnStatus;

#[component]
pub fn Editor(doc: DocView, set_status: WriteSignal<ConnStatus>) -> impl IntoView {
    let textarea = NodeRef::<Textarea>::new();
    let article = NodeRef::<Article>::new();
    let preview_html = crate::markdown::render(&doc.markdown);
    let (ready, set_ready) = signal(false);

    #[cfg(feature = "hydrate")]
    {
        let id = doc.id.clone();
        let markdown = doc.markdown.clone();
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            let (Some(element), Some(article)) = (textarea.get(), article.get()) else { return false };
            let preview = crate::client::preview::Preview::adopt(article.into(), &markdown);
            let session = crate::client::session::start(
                &id,
                element,
                preview,
                crate::client::session::Outputs { set_status, set_ready },
            );
            let session = send_wrapper::SendWrapper::new(session);
            on_cleanup(move || drop(session.take()));
            true
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_status, set_ready);

    view! {
        <div class="editor-layout">
            <section class="pane editor-pane" aria-label="Markdown source">
                <textarea
                    node_ref=textarea
                    class="source"
                    data-testid="editor"
                    aria-label="Markdown source"
                    spellcheck="true"
                    readonly=move || !ready.get()
                >{doc.markdown}</textarea>
            </section>
            <section class="pane preview-pane" aria-label="Preview">
                <article node_ref=article class="preview" data-testid="preview" inner_html=preview_html></article>
            </section>
        </div>
    }
}
