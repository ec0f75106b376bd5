//! The page for addresses and documents that do not exist, or that the visitor
//! may not see (the two look alike, so nobody can probe for ids). It offers to
//! sign in and come back, since "not shared with you" is the common case.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let path = use_location().pathname.get_untracked();
    let sign_in = format!("/signin?next={}", encode_path(&path));
    view! {
        <Title text="Not found"/>
        <main class="page narrow">
            <h1>"Nothing here"</h1>
            <p class="muted">"This document does not exist, is not shared with you, or the link is mistyped."</p>
            <p class="actions-left">
                <a class="button" href="/">"Back to your documents"</a>
                <a class="button subtle" href=sign_in>"Sign in"</a>
            </p>
        </main>
    }
}

/// Percent-encodes what a path may hold that a query value may not.
fn encode_path(path: &str) -> String {
    path.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' | '/' => c.to_string(),
            other => other.to_string().bytes().map(|b| format!("%{b:02X}")).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_survive_a_query_string() {
        assert_eq!(super::encode_path("/d/abc-1"), "/d/abc-1");
        assert_eq!(super::encode_path("/a b&c"), "/a%20b%26c");
    }
}
