//! Server functions about the caller's account: signing up, in and out,
//! their password and sessions, and personal API tokens.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::types::*;

/// One of the caller's signed-in sessions, as "Your sessions" lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Names the session (derived from its secret id, which it does not reveal).
    pub id: String,
    /// "Firefox on Linux", from the browser's User-Agent when it signed in.
    pub device: String,
    /// The address it signed in from.
    pub address: Option<String>,
    pub signed_in_at: Option<i64>,
    pub last_active_at: Option<i64>,
    /// The session this page is open in.
    pub current: bool,
}

/// The caller's sessions, the current one first, then the most recently active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
    pub now: i64,
}

#[server(prefix = "/rpc")]
pub async fn list_sessions() -> Result<SessionList, ServerFnError> {
    Ok(super::ssr::backend()?.sessions().await?)
}

/// Signs one session out (its open pages lose access at once).
#[server(prefix = "/rpc")]
pub async fn end_session(session_id: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.end_session(session_id).await?)
}

/// Signs out every session but this one.
#[server(prefix = "/rpc")]
pub async fn end_other_sessions() -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.end_other_sessions().await?)
}

/// A new password (the current one is needed); every other session is
/// signed out, this one stays. `revoke_tokens`: a checkbox, present when
/// ticked: the API tokens are revoked too.
#[server(prefix = "/rpc")]
pub async fn change_password(
    current: String,
    new_password: String,
    revoke_tokens: Option<String>,
) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.change_password(current, new_password, revoke_tokens.is_some()).await?)
}

#[server(prefix = "/rpc")]
pub async fn whoami() -> Result<Me, ServerFnError> {
    Ok(super::ssr::backend()?.me().await?)
}

/// Creates an account (through an invitation, where sign-up needs one), signs
/// in, and goes home (works without JavaScript).
#[server(prefix = "/rpc")]
pub async fn sign_up(username: String, password: String, invite: Option<String>) -> Result<(), ServerFnError> {
    let invite = invite.filter(|invite| !invite.is_empty());
    super::ssr::backend()?.sign_up(username, password, invite).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs in and goes to `next` (a local path) or home.
#[server(prefix = "/rpc")]
pub async fn sign_in(username: String, password: String, next: Option<String>) -> Result<(), ServerFnError> {
    super::ssr::backend()?.sign_in(username, password).await?;
    leptos_axum::redirect(&local_path(next.as_deref()));
    Ok(())
}

#[server(prefix = "/rpc")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    super::ssr::backend()?.sign_out().await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The caller's tokens that still work, and the server's clock to read their expiry by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<ApiToken>,
    pub now: i64,
}

#[server(prefix = "/rpc")]
pub async fn list_api_tokens() -> Result<TokenList, ServerFnError> {
    let tokens = super::ssr::backend()?.api_tokens().await?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    Ok(TokenList { tokens, now })
}

/// `expires_in_days` 0: until revoked; `access`: "read" for a read-only token.
#[server(prefix = "/rpc")]
pub async fn create_api_token(
    name: String,
    expires_in_days: u32,
    access: String,
) -> Result<NewApiToken, ServerFnError> {
    Ok(super::ssr::backend()?.create_api_token(name, expires_in_days, access == "read").await?)
}

#[server(prefix = "/rpc")]
pub async fn revoke_api_token(token_id: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.revoke_api_token(token_id).await?)
}

/// A redirect target that stays on this site: a path, never `//host` or a URL.
/// Only printable ASCII without spaces or backslashes passes: browsers drop
/// tabs and newlines from a `Location` and read `\\` as `/`, so `/\t/evil.example`
/// would take the visitor off-site, and a header cannot hold the rest.
pub fn local_path(next: Option<&str>) -> String {
    let stays_here = |path: &str| {
        path.starts_with('/') && !path.starts_with("//") && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    };
    match next {
        Some(path) if stays_here(path) => path.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn sign_in_only_redirects_within_the_site() {
        assert_eq!(local_path(Some("/d/abc")), "/d/abc");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(None), "/");
        for sneaky in ["/\t/evil.example", "/\n/evil.example", "/\r\n/x", "/\\evil.example", "/ /x", "/d/é"] {
            assert_eq!(local_path(Some(sneaky)), "/", "{sneaky:?}");
        }
        assert_eq!(local_path(Some("/d/abc?x=1#y")), "/d/abc?x=1#y");
    }
}
