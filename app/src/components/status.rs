//! The connection status pill: tells the user whether their typing is reaching
//! the others right now, and whether it is safely stored ("Saved" means
//! committed on the server, never merely sent).

use leptos::prelude::*;

use crate::collab::connection::{ConnStatus, Refusal};

fn label(status: ConnStatus) -> String {
    match status {
        ConnStatus::Connecting => "Connecting…".into(),
        ConnStatus::Saved => "Saved".into(),
        ConnStatus::Saving => "Saving…".into(),
        ConnStatus::Offline(0) => "Offline".into(),
        ConnStatus::Offline(1) => "Offline — 1 change on this device".into(),
        ConnStatus::Offline(n) => format!("Offline — {n} changes on this device"),
        ConnStatus::RoomFull => "Document full — waiting for a seat…".into(),
        ConnStatus::AccessRemoved => "Access removed".into(),
        ConnStatus::Deleted => "Document deleted".into(),
        ConnStatus::Refused(Refusal::TooLarge) => "Not saved — size limit".into(),
        ConnStatus::Refused(Refusal::Limited) => "Not saved — rate limited".into(),
        ConnStatus::Refused(Refusal::Invalid) => "Not saved — change refused".into(),
    }
}

fn class(status: ConnStatus) -> &'static str {
    match status {
        ConnStatus::Connecting => "status connecting",
        ConnStatus::Saved => "status connected",
        ConnStatus::Saving => "status saving",
        ConnStatus::Offline(_) | ConnStatus::RoomFull => "status reconnecting",
        ConnStatus::AccessRemoved | ConnStatus::Deleted | ConnStatus::Refused(_) => "status ended",
    }
}

/// How long "Saving…" stays up after the last change was committed. While
/// someone types, each keystroke is committed within milliseconds, and the
/// pill would flip twice per key: a flicker, two announcements for screen
/// readers, and two page layouts per keystroke (at 1 MiB those cost more than
/// the editor's own work). Showing "Saved" a little late is always true;
/// showing it early never happens.
#[cfg(feature = "hydrate")]
const SAVED_SETTLES_MS: u64 = 600;

#[component]
pub fn StatusPill(status: ReadSignal<ConnStatus>) -> impl IntoView {
    let shown = RwSignal::new(status.get_untracked());
    #[cfg(feature = "hydrate")]
    {
        let pending = StoredValue::new_local(None::<TimeoutHandle>);
        Effect::new(move |_| {
            let next = status.get();
            if let Some(timer) = pending.try_update_value(Option::take).flatten() {
                timer.clear();
            }
            if next == ConnStatus::Saved && shown.get_untracked() == ConnStatus::Saving {
                let settle = move || {
                    shown.try_set(ConnStatus::Saved);
                };
                match set_timeout_with_handle(settle, std::time::Duration::from_millis(SAVED_SETTLES_MS)) {
                    Ok(timer) => pending.set_value(Some(timer)),
                    // No timer: the truth now rather than "Saving…" for ever.
                    Err(_) => shown.set(next),
                }
            } else {
                shown.set(next);
            }
        });
        on_cleanup(move || {
            if let Some(timer) = pending.try_update_value(Option::take).flatten() {
                timer.clear();
            }
        });
    }
    view! {
        <span class=move || class(shown.get()) role="status" aria-live="polite" data-testid="status">
            <span class="dot" aria-hidden="true"></span>
            {move || label(shown.get())}
        </span>
    }
}
