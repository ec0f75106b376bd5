//! The editing surface: a Markdown `<textarea>` beside its rendered preview.
//! Rendered on the server with the current content (readable without
//! JavaScript); in the browser it becomes live once the first sync completes.

use leptos::html::Textarea;
use leptos::prelude::*;

use crate::api::DocView;
use crate::components::status::ConnStatus;

#[component]
pub fn Editor(doc: DocView, set_status: WriteSignal<ConnStatus>) -> impl IntoView {
    let textarea = NodeRef::<Textarea>::new();
    let (preview, set_preview) = signal(crate::markdown::render(&doc.markdown));
    let (ready, set_ready) = signal(false);

    #[cfg(feature = "hydrate")]
    {
        let id = doc.id.clone();
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            let Some(element) = textarea.get() else { return false };
            let session = crate::client::session::start(
                &id,
                element,
                crate::client::session::Outputs { set_status, set_preview, set_ready },
            );
            let session = send_wrapper::SendWrapper::new(session);
            on_cleanup(move || drop(session.take()));
            true
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_status, set_preview, set_ready);

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
                <article class="preview" data-testid="preview" inner_html=move || preview.get()></article>
            </section>
        </div>
    }
}
