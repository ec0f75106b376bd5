//! The server's side of the pages' data: the [`Backend`] the server binary
//! implements. The server builds one per request, already bound to the caller
//! (their session, account and share links), and puts it in the request's
//! extensions, so every server function acts as exactly that caller.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;

use super::admin::{AdminView, AuditView, NewInvite, Registration, ResetLink};
use super::groups::{GroupChoice, GroupsView};
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
    /// Only an admin of the instance may do this.
    AdminOnly,
    /// Not allowed, for the reason given (sign-up closed, a dead invitation).
    Denied(String),
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
            Refusal::AdminOnly => "Only an admin of this server can do that.".into(),
            Refusal::Invalid(message) | Refusal::Throttled(message) | Refusal::Denied(message) => message.clone(),
            Refusal::Internal => "Something went wrong on the server. Please try again.".into(),
        }
    }
}

impl Refusal {
    /// The HTTP status that says what kind of refusal it is: ordinary
    /// mistakes are 4xx (a wrong password must not page anyone), only
    /// internal failures 500.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Refusal::SignedOut => StatusCode::UNAUTHORIZED,
            Refusal::NotFound => StatusCode::NOT_FOUND,
            Refusal::Forbidden | Refusal::AdminOnly | Refusal::Denied(_) => StatusCode::FORBIDDEN,
            Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
            Refusal::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<Refusal> for ServerFnError {
    /// Also sets the response's status, except for a plain form post from a
    /// page without JavaScript: that one is answered with a redirect back to
    /// the form (which shows the message), and a 4xx would stop the browser
    /// from following it.
    fn from(refusal: Refusal) -> Self {
        let plain_form_post = use_context::<http::request::Parts>().is_some_and(|parts| {
            let accepts_html = parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"));
            accepts_html && parts.headers.contains_key(http::header::REFERER)
        });
        if !plain_form_post {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(refusal.status());
            }
        }
        ServerFnError::ServerError(refusal.message())
    }
}

/// A server function's input was wrong: 400 with the reason.
pub fn invalid(message: &str) -> ServerFnError {
    Refusal::Invalid(message.to_string()).into()
}

/// Everything the pages can ask, as the caller of the current request.
pub trait Backend: Send + Sync + 'static {
    fn me(&self) -> Outcome<'_, Me>;

    /// `invite`: the secret of an invitation link, which sign-up may need.
    fn sign_up(&self, username: String, password: String, invite: Option<String>) -> Outcome<'_, ()>;
    fn sign_in(&self, username: String, password: String) -> Outcome<'_, ()>;
    fn sign_out(&self) -> Outcome<'_, ()>;
    /// The ways in this server offers (anyone may ask).
    fn sign_in_methods(&self) -> Outcome<'_, super::sso::SignInMethods>;
    fn sso_status(&self) -> Outcome<'_, super::sso::SsoStatus>;
    fn unlink_sso(&self) -> Outcome<'_, ()>;
    /// The caller's password, confirmed before connecting an identity.
    fn confirm_sso_link(&self, password: String) -> Outcome<'_, ()>;

    fn list(&self) -> Outcome<'_, DocList>;
    /// Creates a document (the title is validated here); returns its id.
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

    fn history(&self, id: String) -> Outcome<'_, HistoryList>;
    fn open_version(&self, id: String, version: i64) -> Outcome<'_, VersionView>;
    fn name_version(&self, id: String, name: String) -> Outcome<'_, VersionInfo>;
    /// Keeps the current text as a version; answers `version`'s text.
    fn prepare_restore(&self, id: String, version: i64) -> Outcome<'_, String>;
    fn rename_version(&self, id: String, version: i64, name: Option<String>) -> Outcome<'_, ()>;
    fn delete_version(&self, id: String, version: i64) -> Outcome<'_, ()>;
    fn authorship(&self, id: String) -> Outcome<'_, Authorship>;
    fn set_history_access(&self, id: String, viewers: bool) -> Outcome<'_, ()>;

    fn admin_view(&self) -> Outcome<'_, AdminView>;
    /// A page of the audit log (admins); see [`super::admin::load_audit`].
    fn audit(&self, category: String, actor: String, since: String, before: Option<i64>) -> Outcome<'_, AuditView>;
    fn set_registration(&self, mode: Registration) -> Outcome<'_, ()>;
    /// `group`: the id of a group whoever signs up through it joins.
    fn create_invite(&self, expires_in_days: u32, uses: u32, group: Option<String>) -> Outcome<'_, NewInvite>;
    fn revoke_invite(&self, invite_id: String) -> Outcome<'_, ()>;
    fn set_admin(&self, username: String, admin: bool) -> Outcome<'_, ()>;
    /// Disabling ends the person's sessions, tokens and sockets at once.
    fn set_disabled(&self, username: String, disabled: bool) -> Outcome<'_, ()>;
    fn reset_link(&self, username: String) -> Outcome<'_, ResetLink>;
    /// Their documents go to the admin deleting them, or to that admin's trash.
    fn delete_account(&self, username: String, to_trash: bool) -> Outcome<'_, ()>;
    /// Who may sign up now (anyone may ask).
    fn registration(&self) -> Outcome<'_, Registration>;
    /// Whose password a reset link sets; None if it does not work (any more).
    fn reset_account(&self, token: String) -> Outcome<'_, Option<String>>;
    /// Uses a reset link: new password, every session signed out, this one signed in.
    fn reset_password(&self, token: String, password: String) -> Outcome<'_, ()>;

    fn groups(&self) -> Outcome<'_, GroupsView>;
    fn create_group(&self, name: String) -> Outcome<'_, GroupChoice>;
    /// Documents shared with it lose those grants at once, open ones included.
    fn delete_group(&self, group_id: String) -> Outcome<'_, ()>;
    fn add_group_member(&self, group_id: String, username: String) -> Outcome<'_, ()>;
    /// Their open documents shared through the group re-check at once.
    fn remove_group_member(&self, group_id: String, username: String) -> Outcome<'_, ()>;
    fn share_group(&self, id: String, group_id: String, role: Role) -> Outcome<'_, ()>;
    fn unshare_group(&self, id: String, group_id: String) -> Outcome<'_, ()>;
    fn set_group_creation(&self, anyone: bool) -> Outcome<'_, ()>;

    fn sessions(&self) -> Outcome<'_, super::account::SessionList>;
    fn end_session(&self, session_id: String) -> Outcome<'_, ()>;
    fn end_other_sessions(&self) -> Outcome<'_, ()>;
    fn change_password(&self, current: String, new_password: String, revoke_tokens: bool) -> Outcome<'_, ()>;

    fn api_tokens(&self) -> Outcome<'_, Vec<ApiToken>>;
    /// `expires_in_days` 0: until revoked.
    fn create_api_token(&self, name: String, expires_in_days: u32, read_only: bool) -> Outcome<'_, NewApiToken>;
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
