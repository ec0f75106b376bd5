//! What the pages ask the server for: the shared types ([`types`]), the Leptos
//! server functions ([`docs`], [`account`], [`admin`], [`groups`], [`history`], [`sso`]) and, on the server, the
//! [`ssr::Backend`] the server binary implements for each request.

pub mod account;
pub mod admin;
pub mod docs;
pub mod groups;
pub mod history;
pub mod sso;
pub mod types;

#[cfg(feature = "ssr")]
pub mod ssr;

pub use account::*;
pub use admin::*;
pub use docs::*;
pub use groups::*;
pub use history::*;
pub use sso::*;
pub use types::*;

/// The message of a server function error, without the framework's prefix.
pub fn error_text(error: &leptos::prelude::ServerFnError) -> String {
    match error {
        leptos::prelude::ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}
