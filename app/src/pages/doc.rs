//! `/d/{id}`: one document, its title, who is here, connection status, editor and preview.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::load_document;
use crate::components::brand::Brand;
use crate::components::editor::Editor;
use crate::components::presence_bar::PresenceBar;
use crate::components::status::{ConnStatus, StatusPill};
use crate::pages::not_found::NotFound;

#[component]
pub fn DocPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let document = Resource::new(id, load_document);
    let (status, set_status) = signal(ConnStatus::Connecting);
    let (peers, set_peers) = signal(Vec::new());
    view! {
        <Suspense fallback=|| view! { <p class="muted page">"Loading…"</p> }>
            {move || document.get().map(|result| match result {
                Ok(Some(doc)) => view! {
                    <Title text=doc.title.clone()/>
                    <header class="topbar">
                        <Brand/>
                        <span class="crumb" aria-hidden="true">"/"</span>
                        <h1 class="doc-heading" data-testid="doc-title">{doc.title.clone()}</h1>
                        <span class="spacer"></span>
                        <PresenceBar me=doc.me.clone() peers/>
                        <StatusPill status/>
                    </header>
                    <p class="banner js-off">"JavaScript is off: you are reading a snapshot. Turn it on to edit live."</p>
                    <main class="doc-main">
                        <Editor doc set_status set_peers/>
                    </main>
                }.into_any(),
                Ok(None) => view! { <NotFound/> }.into_any(),
                Err(_) => view! {
                    <main class="page narrow">
                        <p class="error" role="alert">"This document could not be loaded. Please reload."</p>
                    </main>
                }.into_any(),
            })}
        </Suspense>
    }
}
