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
