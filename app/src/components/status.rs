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
    /// The server closed the connection over what this page sent; retrying
    /// with backoff, and the changes it did not take wait on this device.
    Refused(Refusal),
}

/// Why the server turned this page's connection away (its close code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A change would take the document past its size limit (1009).
    TooLarge,
    /// Too many messages or connections: a rate or connection limit (1008).
    Limited,
    /// A change the server does not accept (1007, 1003).
    Invalid,
}

impl Refusal {
    /// The refusal a close code stands for, if it is one.
    pub fn from_close_code(code: u16) -> Option<Refusal> {
        use crate::collab::protocol::close;
        match code {
            close::TOO_BIG => Some(Refusal::TooLarge),
            close::POLICY => Some(Refusal::Limited),
            close::INVALID | close::UNSUPPORTED => Some(Refusal::Invalid),
            _ => None,
        }
    }

    /// What it means for the person, in a sentence (the page's notice).
    pub fn explanation(self) -> &'static str {
        match self {
            Refusal::TooLarge => {
                "The server did not take your last change: this document is at its size limit. \
                 Your text is kept on this device; make the document smaller to save again."
            }
            Refusal::Limited => {
                "The server is limiting this connection (too many messages or connections). \
                 Quire reconnects by itself; your changes are kept on this device until then."
            }
            Refusal::Invalid => {
                "The server refused a change from this page. Your text is kept on this device; \
                 reload the page to start again from the server's copy."
            }
        }
    }
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
            ConnStatus::Refused(Refusal::TooLarge) => "Not saved — size limit".into(),
            ConnStatus::Refused(Refusal::Limited) => "Not saved — rate limited".into(),
            ConnStatus::Refused(Refusal::Invalid) => "Not saved — change refused".into(),
        }
    }

    fn class(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "status connecting",
            ConnStatus::Saved => "status connected",
            ConnStatus::Saving => "status saving",
            ConnStatus::Offline(_) | ConnStatus::RoomFull => "status reconnecting",
            ConnStatus::AccessRemoved | ConnStatus::Deleted | ConnStatus::Refused(_) => "status ended",
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
