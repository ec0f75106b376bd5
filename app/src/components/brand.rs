//! The Quire wordmark, linking home.

use leptos::prelude::*;

#[component]
pub fn Brand() -> impl IntoView {
    view! {
        <a class="brand" href="/" aria-label="Quire, all documents">
            <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M5 3h10l4 4v14H5z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/>
                <path d="M8.5 10h7M8.5 13.5h7M8.5 17h4" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>
            </svg>
            <span>"Quire"</span>
        </a>
    }
}
