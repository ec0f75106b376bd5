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
    /// The owner took this person's access away; no more retries.
    AccessRemoved,
    /// The owner deleted the document; no more retries.
    Deleted,
}

impl ConnStatus {
    fn label(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "Connecting…",
            ConnStatus::Connected => "Connected",
            ConnStatus::Reconnecting => "Reconnecting…",
            ConnStatus::RoomFull => "Document full — waiting for a seat…",
            ConnStatus::AccessRemoved => "Access removed",
            ConnStatus::Deleted => "Document deleted",
        }
    }

    fn class(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "status connecting",
            ConnStatus::Connected => "status connected",
            ConnStatus::Reconnecting | ConnStatus::RoomFull => "status reconnecting",
            ConnStatus::AccessRemoved | ConnStatus::Deleted => "status ended",
        }
    }

    /// The connection ended for good: the editor is no longer available.
    pub fn is_final(self) -> bool {
        matches!(self, ConnStatus::AccessRemoved | ConnStatus::Deleted)
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
