//! The connection status pill: tells the user whether their typing is reaching
//! the others right now, and whether it is safely stored ("Saved" means
//! committed on the server, never merely sent).

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    /// First connection in progress (and the state rendered on the server).
    Connecting,
    /// Connected, in sync, and every change of the user's is committed on the server.
    Saved,
    /// Connected; some of the user's changes are not yet committed.
    Saving,
    /// No connection; retrying with backoff. Editing goes on, and this many
    /// changes wait on this device until the connection is back.
    Offline(u64),
    /// The document has as many people as it accepts; retrying with backoff.
    RoomFull,
    /// The owner took this person's access away; no more retries.
    AccessRemoved,
    /// The owner deleted the document; no more retries.
    Deleted,
}

impl ConnStatus {
    fn label(self) -> String {
        match self {
            ConnStatus::Connecting => "Connecting…".into(),
            ConnStatus::Saved => "Saved".into(),
            ConnStatus::Saving => "Saving…".into(),
            ConnStatus::Offline(0) => "Offline".into(),
            ConnStatus::Offline(1) => "Offline — 1 change on this device".into(),
            ConnStatus::Offline(n) => format!("Offline — {n} changes on this device"),
            ConnStatus::RoomFull => "Document full — waiting for a seat…".into(),
            ConnStatus::AccessRemoved => "Access removed".into(),
            ConnStatus::Deleted => "Document deleted".into(),
        }
    }

    fn class(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "status connecting",
            ConnStatus::Saved => "status connected",
            ConnStatus::Saving => "status saving",
            ConnStatus::Offline(_) | ConnStatus::RoomFull => "status reconnecting",
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
