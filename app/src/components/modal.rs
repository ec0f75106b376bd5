//! What the panels shown as a modal `<dialog>` share (Share, History): shown
//! with `showModal` once the element is in the page (never on the server: a
//! panel opens on a click), so the browser keeps the focus inside and Escape
//! closes it; closed through the element rather than by unmounting it, so the
//! browser gives the focus back to the button that opened it.

use leptos::html::Dialog;
use leptos::prelude::*;

/// Shows `dialog` as a modal when it mounts; returns what closes it (and,
/// when it never opened, just sets `open` to false).
pub fn modal(dialog: NodeRef<Dialog>, open: RwSignal<bool>) -> impl Fn() + Copy + 'static {
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        }
    });
    move || match dialog.get_untracked() {
        Some(dialog) if dialog.open() => dialog.close(),
        _ => open.set(false),
    }
}

/// A click on the backdrop: it lands on the dialog element itself, outside
/// the box the dialog draws (a click in its padding, or a text selection
/// ending between two of its columns, lands on the element too, inside).
pub fn clicked_backdrop(event: &leptos::ev::MouseEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if event.target() != event.current_target() {
            return false;
        }
        let Some(dialog) = event.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
            return false;
        };
        let rect = dialog.get_bounding_client_rect();
        let (x, y) = (f64::from(event.client_x()), f64::from(event.client_y()));
        x < rect.left() || x > rect.right() || y < rect.top() || y > rect.bottom()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = event;
        false
    }
}
