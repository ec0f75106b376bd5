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
}

impl ConnStatus {
    fn label(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "Connecting…",
            ConnStatus::Connected => "Connected",
            ConnStatus::Reconnecting => "Reconnecting…",
        }
    }

    fn class(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "status connecting",
            ConnStatus::Connected => "status connected",
            ConnStatus::Reconnecting => "status reconnecting",
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
