//! Server functions about the caller's account: signing up, in and out, and
//! personal API tokens.

use leptos::prelude::*;

use super::types::*;

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

#[server(prefix = "/rpc")]
pub async fn list_api_tokens() -> Result<Vec<ApiToken>, ServerFnError> {
    Ok(super::ssr::backend()?.api_tokens().await?)
}

#[server(prefix = "/rpc")]
pub async fn create_api_token(name: String) -> Result<NewApiToken, ServerFnError> {
    Ok(super::ssr::backend()?.create_api_token(name).await?)
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
