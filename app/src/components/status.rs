//! The connection status pill: tells the user whether their typing is reaching
//! the others right now.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    /// First connection in progress (and the state rendered on the server).
    Connecting,
    /// Connected and in sync.
    Connected,
    /// Lost the connection; retrying with backoff. Edits keep working and
    /// are merged when the connection is back.
    Reconnecting,
    /// The document has as many people as it accepts; retrying with backoff.
    RoomFull,
}

impl ConnStatus {
    fn label(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "Connecting…",
            ConnStatus::Connected => "Connected",
            ConnStatus::Reconnecting => "Reconnecting…",
            ConnStatus::RoomFull => "Document full — waiting for a seat…",
        }
    }

    fn class(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "status connecting",
            ConnStatus::Connected => "status connected",
            ConnStatus::Reconnecting | ConnStatus::RoomFull => "status reconnecting",
        }
    }
}

#[component]
pub fn StatusPill(status: ReadSignal<ConnStatus>) -> impl IntoView {
    view! {
        <span class=move || status.get().class() role="status" aria-live="polite" data-testid="status">
            <span class="dot" aria-hidden="true"></span>
            {move || status.get().label()}
        </span>
    }
}
