//! The page for addresses and documents that do not exist.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="page narrow">
            <h1>"Nothing here"</h1>
            <p class="muted">"This document does not exist, or the link is mistyped."</p>
            <p><a class="button" href="/">"Back to your documents"</a></p>
        </main>
    }
}
