//! Browser-only code (feature `hydrate`): the live editing session.
//!
//! `session` holds a document's live state and wires the pieces together,
//! with its socket half in `link` and its document half in `sync`;
//! `presence` is its awareness half (behind a trait, with its own timers);
//! `provider` owns the WebSocket; `offline` keeps the document on this device
//! (IndexedDB); `binding` is the CodeMirror editor, the view of the Y.Text
//! (other people's carets included); `preview` patches the rendered Markdown; `dom` holds small helpers for listeners,
//! timers and animation frames that clean up after themselves; `list_events`
//! keeps the home page's lists live.

pub mod binding;
pub mod dom;
pub mod link;
pub mod list_events;
pub mod offline;
pub mod presence;
pub mod preview;
pub mod provider;
pub mod session;
pub mod sync;

/// Marks the page as hydrated (`<html data-hydrated>`): from then on its
/// buttons run in the page rather than posting plain forms, and tests (and
/// styles) can tell.
pub fn mark_hydrated() {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-hydrated", "");
    }
}

/// Registers the service worker (`public/sw.js`) that keeps visited pages
/// and the app's code for offline use. Browsers offer it only on https and
/// localhost; elsewhere Quire works online as before.
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
    let navigator = window.navigator();
    let available = js_sys::Reflect::get(&navigator, &"serviceWorker".into()).is_ok_and(|sw| !sw.is_undefined());
    if !available {
        return;
    }
    let registered = wasm_bindgen_futures::JsFuture::from(navigator.service_worker().register("/sw.js"));
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = registered.await {
            web_sys::console::warn_2(&"Quire: offline support unavailable".into(), &error);
        }
    });
}
