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

#[component]
pub fn StatusPill(status: ReadSignal<ConnStatus>) -> impl IntoView {
    view! {
        <span class=move || class(status.get()) role="status" aria-live="polite" data-testid="status">
            <span class="dot" aria-hidden="true"></span>
            {move || label(status.get())}
        </span>
    }
}
