//! Where a share link that does not work (revoked, expired, mistyped) lands.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LinkInvalid() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::GONE);
    }
    view! {
        <Title text="Link not valid"/>
        <main class="page narrow">
            <h1>"This link does not work"</h1>
            <p class="muted" data-testid="link-invalid">"It was revoked, it expired, or it is incomplete. Ask the document's owner for a new one."</p>
            <p><a class="button" href="/">"Go to Quire"</a></p>
        </main>
    }
}
