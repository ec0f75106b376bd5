//! Browser entry point: cargo-leptos compiles this crate to WebAssembly with
//! feature `hydrate`, and the page's script calls [`hydrate`] to take over the
//! server-rendered HTML.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    app::client::mark_hydrated();
    app::client::register_service_worker();
}
