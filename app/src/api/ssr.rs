//! The server's side of the pages' data: the [`Backend`] the server binary
//! implements. The server builds one per request, already bound to the caller
//! (their session, account and share links), and puts it in the request's
//! extensions, so every server function acts as exactly that caller.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;

use super::types::*;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
pub type Outcome<'a, T> = BoxFuture<'a, Result<T, Refusal>>;

/// Why the server did not do what was asked. Each has a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed in, and this needs an account.
    SignedOut,
    /// No such document, or not one the caller may see (the two look alike, so
    /// nobody can probe for ids).
    NotFound,
    /// The caller may see it but not do this.
    Forbidden,
    /// The input is wrong; the message says how.
    Invalid(String),
    /// Too many attempts; the message says when to try again.
    Throttled(String),
    /// An internal failure, already logged.
    Internal,
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::SignedOut => "Please sign in first.".into(),
            Refusal::NotFound => "That document does not exist or is not shared with you.".into(),
            Refusal::Forbidden => "Only the document's owner can do that.".into(),
            Refusal::Invalid(message) | Refusal::Throttled(message) => message.clone(),
            Refusal::Internal => "Something went wrong on the server. Please try again.".into(),
        }
    }
}

impl From<Refusal> for ServerFnError {
    fn from(refusal: Refusal) -> Self {
        ServerFnError::ServerError(refusal.message())
    }
}

/// Everything the pages can ask, as the caller of the current request.
pub trait Backend: Send + Sync + 'static {
    fn me(&self) -> Me;

    fn sign_up(&self, username: String, password: String) -> Outcome<'_, ()>;
    fn sign_in(&self, username: String, password: String) -> Outcome<'_, ()>;
    fn sign_out(&self) -> Outcome<'_, ()>;

    fn list(&self) -> Outcome<'_, DocList>;
    /// Creates a document with an already validated title; returns its id.
    fn create(&self, title: String) -> Outcome<'_, String>;
    /// The document as the caller sees it; NotFound when they may not.
    fn open(&self, id: String) -> Outcome<'_, DocView>;
    fn rename(&self, id: String, title: String) -> Outcome<'_, ()>;
    fn delete(&self, id: String) -> Outcome<'_, ()>;
    fn restore(&self, id: String) -> Outcome<'_, ()>;
    fn trash(&self) -> Outcome<'_, TrashList>;

    fn sharing(&self, id: String) -> Outcome<'_, Sharing>;
    fn share(&self, id: String, username: String, role: Role) -> Outcome<'_, ()>;
    fn unshare(&self, id: String, username: String) -> Outcome<'_, ()>;
    fn create_link(&self, id: String, role: Role, expires_in_days: u32) -> Outcome<'_, NewShareLink>;
    fn revoke_link(&self, id: String, link_id: String) -> Outcome<'_, ()>;

    fn api_tokens(&self) -> Outcome<'_, Vec<ApiToken>>;
    fn create_api_token(&self, name: String) -> Outcome<'_, NewApiToken>;
    fn revoke_api_token(&self, token_id: String) -> Outcome<'_, ()>;
}

pub type BackendHandle = Arc<dyn Backend>;

/// The current request's backend, which the server attaches to every page and
/// server-function request.
pub fn backend() -> Result<BackendHandle, ServerFnError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<BackendHandle>().cloned())
        .ok_or_else(|| ServerFnError::new("backend missing"))
}
