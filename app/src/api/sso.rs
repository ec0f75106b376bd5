//! Single sign-on as the pages see it: which ways in the server offers, how
//! the caller's account stands with the provider, and the sentence for each
//! problem the server can send a browser back with (`?sso=<code>`: a fixed
//! code, so no text from the address bar or the provider reaches the page).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The ways in this server offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethods {
    /// Usernames and passwords (off when single sign-on is the only way).
    pub password: bool,
    /// The provider's name ("Sign in with …"), if single sign-on is set up.
    pub sso: Option<String>,
}

/// The caller's account and single sign-on (their settings page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoStatus {
    /// The provider's name, if single sign-on is set up.
    pub provider: Option<String>,
    /// The identity the account is connected to there (an e-mail or name).
    pub linked: Option<String>,
    /// Whether the account has a password (one created by single sign-on has none).
    pub has_password: bool,
    /// Whether passwords sign in on this server at all.
    pub password_sign_in: bool,
}

#[server(prefix = "/rpc")]
pub async fn load_sign_in_methods() -> Result<SignInMethods, ServerFnError> {
    Ok(super::ssr::backend()?.sign_in_methods().await?)
}

#[server(prefix = "/rpc")]
pub async fn load_sso_status() -> Result<SsoStatus, ServerFnError> {
    Ok(super::ssr::backend()?.sso_status().await?)
}

/// Disconnects the caller's account from the provider (it must have a password).
#[server(prefix = "/rpc")]
pub async fn unlink_sso() -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.unlink_sso().await?)
}

/// Confirms the caller's password, then sends the browser on to connect the
/// provider (`/settings?sso=confirmed` offers the way on, with or without
/// JavaScript: a form's redirect may not leave for the provider itself).
#[server(prefix = "/rpc")]
pub async fn confirm_sso_link(password: String) -> Result<(), ServerFnError> {
    super::ssr::backend()?.confirm_sso_link(password).await?;
    leptos_axum::redirect("/settings?sso=confirmed");
    Ok(())
}

/// Where the single sign-on button goes: the server's start of the flow,
/// carrying where to go afterwards and the invitation, if any.
pub fn sso_start_url(next: Option<&str>, invite: Option<&str>) -> String {
    let mut url = String::from("/auth/oidc/start");
    let mut sep = '?';
    for (key, value) in [("next", next), ("invite", invite)] {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            url.push(sep);
            url.push_str(key);
            url.push('=');
            url.push_str(&urlencoding(value));
            sep = '&';
        }
    }
    url
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn urlencoding(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The sentence for a problem code the server sent the browser back with.
pub fn sso_problem(code: &str) -> Option<&'static str> {
    Some(match code {
        "off" => "Single sign-on is not set up on this server.",
        "unavailable" => "The sign-in provider could not be reached. Please try again in a moment.",
        "state" => "This sign-in was not started in this browser, or was finished already. Please start again.",
        "expired" => "The sign-in took too long to come back. Please start again.",
        "refused" => "The sign-in provider did not sign you in.",
        "code" => "The sign-in provider did not accept this sign-in (it was used already). Please start again.",
        "invalid" => "The sign-in provider's answer could not be verified. Please tell an admin of this server.",
        "disabled" => "This account is disabled. Ask an admin of this server.",
        "closed" => "There is no account for you here, and sign-up is closed. Ask an admin of this server.",
        "invite" => {
            "There is no account for you here yet, and accounts are by invitation: open your invitation link, \
             then sign in with single sign-on from there."
        }
        "dead-invite" => "This invitation link does not work: it expired, was used up or was withdrawn.",
        "throttled" => "Too many accounts were created from your address in the last hour. Please try again later.",
        "elsewhere" => "That identity at the provider signs in to another account here already.",
        "another" => "Your account is connected to another identity at the provider already.",
        "confirm" => "Please confirm your password first, then connect again.",
        "internal" => "Something went wrong on the server. Please try again.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_url_carries_next_and_invite_encoded() {
        assert_eq!(sso_start_url(None, None), "/auth/oidc/start");
        assert_eq!(sso_start_url(Some("/d/abc?x=1&y"), None), "/auth/oidc/start?next=%2Fd%2Fabc%3Fx%3D1%26y");
        assert_eq!(sso_start_url(Some(""), Some("qi_ab")), "/auth/oidc/start?invite=qi_ab");
    }

    #[test]
    fn only_known_codes_have_a_sentence() {
        assert!(sso_problem("state").is_some());
        assert!(sso_problem("<script>").is_none());
    }
}
