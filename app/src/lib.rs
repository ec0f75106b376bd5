//! The Quire application, compiled twice: with feature `ssr` into the server
//! (renders every page), with feature `hydrate` into the browser (takes the
//! server's HTML over and makes it live).

// Leptos views are nested types; the document page's are deep enough to reach
// the compiler's default limit (128) when it lays out their hydration futures.
#![recursion_limit = "256"]

pub mod api;
pub mod collab;
pub mod components;
pub mod html;
pub mod markdown;
pub mod pages;
pub mod prefs;

#[cfg(feature = "ssr")]
pub mod preload;

pub mod csp;

#[cfg(feature = "hydrate")]
pub mod client;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use pages::admin::AdminPage;
use pages::audit::AuditPage;
use pages::auth::{ResetPasswordPage, SignInPage, SignUpPage};
use pages::groups::GroupsPage;
use pages::{doc::DocPage, home::HomePage, link_invalid::LinkInvalid, not_found::NotFound};
use pages::{settings::SettingsPage, trash::TrashPage};

/// The HTML document around the app (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::apply();
    let nonce = leptos::nonce::use_nonce();
    let policy = nonce.as_ref().map(|nonce| csp::meta_policy(nonce, csp::watching()));
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta http-equiv="Content-Security-Policy" content=policy/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="description" content="Quire: write Markdown together, in real time."/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Before first paint: marks the page as scripted (notices meant for
                // readers without JavaScript stay hidden from everyone else) and
                // applies the person's theme and layout (no flash of the wrong one).
                <script nonce=nonce>{prefs::HEAD_SCRIPT}</script>
                <AutoReload options=options.clone()/>
                {modulepreloads(&options)}
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Hints for the modules the page's script imports (see `preload`).
fn modulepreloads(options: &LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let modules = preload::snippet_modules(options);
    #[cfg(not(feature = "ssr"))]
    let modules: &[String] = {
        let _ = options;
        &[]
    };
    modules.iter().map(|href| view! { <link rel="modulepreload" href=href.clone()/> }).collect_view()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="quire" href="/pkg/quire.css"/>
        <Title formatter=html::page_title/>
        <Router>
            <Routes fallback=NotFound>
                // Async: the whole page, content included, is in the first
                // response, so it reads fully with JavaScript off.
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/d/:id") view=DocPage ssr=SsrMode::Async/>
                <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async/>
                <Route path=path!("/reset") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view=AuditPage ssr=SsrMode::Async/>
                <Route path=path!("/groups") view=GroupsPage ssr=SsrMode::Async/>
                <Route path=path!("/trash") view=TrashPage ssr=SsrMode::Async/>
                <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/link-invalid") view=LinkInvalid ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
