//! A secret shown once (a new share link, invitation, reset link or token):
//! in a read-only field that selects itself on focus, with a Copy button for
//! links, which are completed with the page's origin so they paste whole.

use leptos::prelude::*;

/// `path` (`/s/…`, `/signup?invite=…`) as a whole URL with a Copy button.
#[component]
pub fn CopyLink(
    path: String,
    /// The field's accessible name.
    label: &'static str,
    testid: &'static str,
    #[prop(default = "copy-link")] copy_testid: &'static str,
) -> impl IntoView {
    let url = web_origin() + &path;
    let copied = RwSignal::new(false);
    let to_copy = url.clone();
    view! {
        <div class="copy-row">
            <input class="secret" readonly value=url data-testid=testid aria-label=label on:focus=|ev| select_all(&ev)/>
            <button type="button" class="button" data-testid=copy_testid
                on:click=move |_| copy_to_clipboard(&to_copy, copied)>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
    }
}

/// Selects an input's whole content, so a secret is one keystroke from copied.
pub fn select_all(_event: &leptos::ev::FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = _event.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            input.select();
        }
    }
}

/// Puts `text` on the clipboard; `copied` says so for a moment.
fn copy_to_clipboard(text: &str, copied: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else { return };
        let written = wasm_bindgen_futures::JsFuture::from(window.navigator().clipboard().write_text(text));
        wasm_bindgen_futures::spawn_local(async move {
            if written.await.is_ok() {
                copied.set(true);
                set_timeout(move || copied.set(false), std::time::Duration::from_secs(2));
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, copied);
}

/// `https://host` of the page, so a new link can be copied whole.
fn web_origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
