//! Single sign-on with OpenID Connect: the authorization-code flow with PKCE,
//! spoken by the `openidconnect` crate (discovery, the token request, the ID
//! token's signature, issuer, audience, expiry and nonce). This module only
//! speaks the protocol: which account an identity signs in is the service's
//! business (`service/sso.rs`).
//!
//! [`Sso::begin`] makes the provider's authorization URL and the [`Pending`]
//! sign-in the browser's session keeps (its `state`, nonce and PKCE
//! verifier, each used once); [`Sso::finish`] checks what the provider sent
//! back against it and answers who signed in. The provider's discovery
//! document (and its signing keys) is fetched on first use and again every
//! few minutes, so a provider that is down when Quire starts, or rotates its
//! keys, costs a failed sign-in, not a restart.

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    reqwest, url, AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

use super::secret;

/// How long a sign-in may take between leaving for the provider and coming back.
pub const PENDING_MS: i64 = 10 * 60 * 1000;
/// How long the provider's discovery document (and keys) is trusted before it is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(5 * 60);
/// Longest any request to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// After the provider could not be reached, how long sign-ins fail at once
/// instead of each waiting for another attempt.
const DOWN_FOR: Duration = Duration::from_secs(10);
/// Most characters kept of a name or e-mail the provider sends.
const MAX_CLAIM_CHARS: usize = 256;

/// The provider Quire signs people in with (from the configuration).
#[derive(Clone)]
pub struct SsoSettings {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    /// What the sign-in button calls it.
    pub name: String,
}

impl std::fmt::Debug for SsoSettings {
    // Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoSettings").field("issuer", &self.issuer.as_str()).field("name", &self.name).finish()
    }
}

impl SsoSettings {
    pub fn new(issuer: &str, client_id: String, client_secret: String, name: &str) -> Result<SsoSettings, String> {
        let issuer = IssuerUrl::new(issuer.to_string()).map_err(|e| format!("QUIRE_OIDC_ISSUER {issuer:?}: {e}"))?;
        // Plain http only to this machine: anyone on the path of an http
        // provider could forge every identity (the first becomes admin).
        let loopback = match issuer.url().host() {
            Some(url::Host::Domain(name)) => name == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match issuer.url().scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err("QUIRE_OIDC_ISSUER must be an https URL (http only on localhost)".into()),
        }
        Ok(SsoSettings {
            issuer,
            client_id: ClientId::new(client_id),
            client_secret: ClientSecret::new(client_secret),
            name: name.chars().filter(|c| !c.is_control()).take(40).collect(),
        })
    }
}

/// Why a sign-in through the provider did not work. Each has a short code
/// the sign-in page turns back into a sentence (so no text from the provider
/// or the address bar is ever shown).
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("the provider could not be reached or answered nonsense: {0}")]
    Unavailable(String),
    #[error("no sign-in of this browser's is waiting for this answer (wrong or reused state)")]
    WrongState,
    #[error("the sign-in took too long, or the provider's ID token had expired")]
    Expired,
    #[error("the provider did not sign the person in: {0}")]
    Refused(String),
    #[error("the provider refused the authorization code (used already, or not for us)")]
    CodeRejected,
    #[error("the provider's answer did not check out: {0}")]
    Invalid(String),
}

impl SsoError {
    /// The code the sign-in page knows it by.
    pub fn code(&self) -> &'static str {
        match self {
            SsoError::Unavailable(_) => "unavailable",
            SsoError::WrongState => "state",
            SsoError::Expired => "expired",
            SsoError::Refused(_) => "refused",
            SsoError::CodeRejected => "code",
            SsoError::Invalid(_) => "invalid",
        }
    }
}

/// A sign-in that left for the provider, kept in the browser's session until
/// it comes back (or the next one replaces it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    pkce_verifier: String,
    redirect_uri: String,
    pub started_at: i64,
    pub purpose: Purpose,
}

/// What the sign-in is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// Signing in (or up, where registration allows), then going to `next`;
    /// `invite`: the invitation the sign-up page was opened with.
    SignIn { next: String, invite: Option<String> },
    /// Linking the identity to this signed-in account (from its settings).
    Link { user_id: String },
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub subject: String,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

impl SignedIn {
    /// How the identity is shown to its person: e-mail, else username, else name.
    pub fn label(&self) -> String {
        self.email
            .clone()
            .or_else(|| self.preferred_username.clone())
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| self.subject.chars().take(MAX_CLAIM_CHARS).collect())
    }
}

/// The client as built from the provider's metadata: an authorization
/// endpoint for certain, token and userinfo endpoints if it lists them.
type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

pub struct Sso {
    settings: SsoSettings,
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Discovery>,
}

/// What is known of the provider's discovery document.
#[derive(Default)]
struct Discovery {
    fetched: Option<(Instant, CoreProviderMetadata)>,
    /// When fetching it last failed.
    failed_at: Option<Instant>,
}

impl Sso {
    pub fn new(settings: SsoSettings) -> Result<Sso, String> {
        // No redirects: a provider's endpoint that redirects could otherwise
        // point Quire's requests anywhere (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("single sign-on HTTP client: {e}"))?;
        Ok(Sso { settings, http, metadata: tokio::sync::Mutex::default() })
    }

    /// What the sign-in button calls the provider.
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    /// The issuer, as identities are stored under it.
    pub fn issuer(&self) -> &str {
        self.settings.issuer.as_str()
    }

    /// The provider's discovery document, fetched at most every few minutes
    /// (one fetch at a time: sign-ins arriving meanwhile wait for it).
    async fn metadata(&self) -> Result<CoreProviderMetadata, SsoError> {
        let mut known = self.metadata.lock().await;
        if let Some((fetched, metadata)) = known.fetched.as_ref() {
            if fetched.elapsed() < METADATA_TTL {
                return Ok(metadata.clone());
            }
        }
        if known.failed_at.is_some_and(|at| at.elapsed() < DOWN_FOR) {
            return Err(SsoError::Unavailable("the provider could not be reached moments ago".into()));
        }
        match CoreProviderMetadata::discover_async(self.settings.issuer.clone(), &self.http).await {
            Ok(metadata) => {
                *known = Discovery { fetched: Some((Instant::now(), metadata.clone())), failed_at: None };
                Ok(metadata)
            }
            Err(error) => {
                known.failed_at = Some(Instant::now());
                Err(SsoError::Unavailable(error_chain(&error)))
            }
        }
    }

    /// Forgets the discovery document, so the next sign-in fetches it (and
    /// the provider's current keys) again.
    async fn forget_metadata(&self) {
        self.metadata.lock().await.fetched = None;
    }

    fn client(&self, metadata: CoreProviderMetadata, redirect_uri: &str) -> Result<Client, SsoError> {
        let redirect = RedirectUrl::new(redirect_uri.to_string()).map_err(|e| SsoError::Invalid(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            self.settings.client_id.clone(),
            Some(self.settings.client_secret.clone()),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the browser, and what its session keeps meanwhile.
    /// `redirect_uri`: this site's `/auth/oidc/callback`, as the provider has it registered.
    pub async fn begin(
        &self,
        redirect_uri: &str,
        purpose: Purpose,
        now_ms: i64,
    ) -> Result<(String, Pending), SsoError> {
        let client = self.client(self.metadata().await?, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            redirect_uri: redirect_uri.to_string(),
            started_at: now_ms,
            purpose,
        };
        Ok((url.to_string(), pending))
    }

    /// Whether `state` (from the address the provider sent the browser to)
    /// is the one this sign-in started with. Compared as digests, so the
    /// time it takes says nothing about the secret.
    pub fn state_matches(pending: &Pending, state: &str) -> bool {
        secret::digest(&pending.state) == secret::digest(state)
    }

    /// Exchanges the code (with the PKCE verifier) for tokens, checks the ID
    /// token, and answers who signed in. The caller has checked the state
    /// ([`Self::state_matches`]) and removed `pending` from the session.
    pub async fn finish(&self, pending: Pending, code: &str, now_ms: i64) -> Result<SignedIn, SsoError> {
        if now_ms.saturating_sub(pending.started_at) > PENDING_MS {
            return Err(SsoError::Expired);
        }
        let client = self.client(self.metadata().await?, &pending.redirect_uri)?;
        let request = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| SsoError::Unavailable(format!("the provider lists no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier));
        let tokens = request.request_async(&self.http).await.map_err(|error| match &error {
            RequestTokenError::ServerResponse(response) if *response.error() == CoreErrorResponseType::InvalidGrant => {
                SsoError::CodeRejected
            }
            RequestTokenError::ServerResponse(response) => SsoError::Refused(response.error().to_string()),
            _ => SsoError::Unavailable(error_chain(&error)),
        })?;
        let id_token = tokens.id_token().ok_or_else(|| SsoError::Invalid("no ID token in the answer".into()))?;
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &Nonce::new(pending.nonce)) {
            Ok(claims) => claims,
            Err(ClaimsVerificationError::Expired(_)) => return Err(SsoError::Expired),
            Err(error) => {
                // Perhaps the provider rotated its keys: the next sign-in fetches them anew.
                if matches!(error, ClaimsVerificationError::SignatureVerification(_)) {
                    self.forget_metadata().await;
                }
                return Err(SsoError::Invalid(error_chain(&error)));
            }
        };
        // The ID token vouches for the access token it came with, where it says so.
        if let Some(expected) = claims.access_token_hash() {
            let signing = id_token
                .signing_alg()
                .and_then(|alg| id_token.signing_key(&verifier).map(|key| (alg, key)))
                .map_err(|e| SsoError::Invalid(error_chain(&e)))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), signing.0, signing.1)
                .map_err(|e| SsoError::Invalid(error_chain(&e)))?;
            if actual != *expected {
                return Err(SsoError::Invalid("the access token does not match the ID token".into()));
            }
        }
        let mut signed_in = SignedIn {
            subject: claims.subject().to_string(),
            preferred_username: claims.preferred_username().map(|name| clean(name.as_str())),
            email: claims.email().map(|email| clean(email.as_str())),
            name: claims.name().and_then(|name| name.get(None)).map(|name| clean(name.as_str())),
        };
        // Many providers put names only behind the userinfo endpoint.
        if signed_in.preferred_username.is_none() && signed_in.email.is_none() {
            if let Some(info) = self.user_info(&client, &tokens, claims.subject()).await {
                signed_in.preferred_username = info.preferred_username().map(|name| clean(name.as_str()));
                signed_in.email = info.email().map(|email| clean(email.as_str()));
                signed_in.name =
                    signed_in.name.or_else(|| info.name().and_then(|n| n.get(None)).map(|n| clean(n.as_str())));
            }
        }
        Ok(signed_in)
    }

    /// The userinfo endpoint's claims for the same subject, if it has any to give.
    async fn user_info(
        &self,
        client: &Client,
        tokens: &openidconnect::core::CoreTokenResponse,
        subject: &openidconnect::SubjectIdentifier,
    ) -> Option<CoreUserInfoClaims> {
        let request = client.user_info(tokens.access_token().clone(), Some(subject.clone())).ok()?;
        match request.request_async(&self.http).await {
            Ok(info) => Some(info),
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "the provider's userinfo endpoint did not answer");
                None
            }
        }
    }
}

/// A claim as kept and shown: printable, not too long, and without the
/// invisible marks that reorder text (which could make "Connected as …" or
/// an audit entry read as something else).
fn clean(raw: &str) -> String {
    let reorders =
        |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    raw.chars().filter(|&c| !c.is_control() && !reorders(c)).take(MAX_CLAIM_CHARS).collect()
}

/// An error and its causes, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// A username made from what the provider says, by the rules every username
/// follows (3–32 of a-z, 0-9, `_`, `-`, `.`): the preferred username, else
/// the e-mail's local part, else the name; "user" when nothing is left.
pub fn username_from(signed_in: &SignedIn) -> String {
    let source = signed_in
        .preferred_username
        .clone()
        .or_else(|| signed_in.email.as_deref().and_then(|email| email.split('@').next()).map(str::to_string))
        .or_else(|| signed_in.name.clone())
        .unwrap_or_default();
    let mut name = String::new();
    for c in source.to_lowercase().chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.') { c } else { '-' };
        // No runs of dashes from a name full of spaces or accents.
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let name = name.trim_matches(|c| c == '-' || c == '.');
    let mut name: String = name.chars().take(28).collect();
    if name.len() < 3 {
        name = if name.is_empty() { "user".into() } else { format!("{name}-user") };
    }
    name
}

/// The `n`th username to try when `base` is taken: base-2, base-3, …
/// (shortened to fit the 32 characters a username may have).
pub fn username_variant(base: &str, n: u32) -> String {
    let suffix = format!("-{n}");
    let kept: String = base.chars().take(32 - suffix.len()).collect();
    format!("{}{suffix}", kept.trim_end_matches(['-', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_in(preferred: Option<&str>, email: Option<&str>, name: Option<&str>) -> SignedIn {
        SignedIn {
            subject: "abc".into(),
            preferred_username: preferred.map(str::to_string),
            email: email.map(str::to_string),
            name: name.map(str::to_string),
        }
    }

    #[test]
    fn usernames_follow_the_rules_whatever_the_provider_sends() {
        assert_eq!(username_from(&signed_in(Some("Ada.Lovelace"), None, None)), "ada.lovelace");
        assert_eq!(username_from(&signed_in(None, Some("grace@example.com"), None)), "grace");
        assert_eq!(username_from(&signed_in(None, None, Some("Zoë  Müller"))), "zo-m-ller");
        assert_eq!(username_from(&signed_in(Some("<script>alert(1)</script>"), None, None)), "script-alert-1-script");
        assert_eq!(username_from(&signed_in(Some("a"), None, None)), "a-user");
        assert_eq!(username_from(&signed_in(Some("--"), None, None)), "user");
        assert_eq!(username_from(&signed_in(None, None, None)), "user");
        let long = "x".repeat(500);
        let made = username_from(&signed_in(Some(&long), None, None));
        assert_eq!(made.len(), 28);
        assert_eq!(username_variant(&"y".repeat(28), 999_999), format!("{}-999999", "y".repeat(25)));
        for name in [made, username_variant("ada", 12), username_from(&signed_in(Some("日本語"), None, None))] {
            assert!(app::api::validate_username(&name).is_ok(), "{name}");
        }
    }

    #[test]
    fn claims_lose_what_would_reorder_or_break_the_text_they_are_shown_in() {
        assert_eq!(clean("ada\u{202E}moc.live@\n"), "adamoc.live@");
        assert_eq!(clean(&"z".repeat(1000)).len(), MAX_CLAIM_CHARS);
    }

    #[test]
    fn the_state_must_be_the_one_the_sign_in_started_with() {
        let pending = Pending {
            state: "s3cret".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            redirect_uri: "http://127.0.0.1/auth/oidc/callback".into(),
            started_at: 0,
            purpose: Purpose::Link { user_id: "u".into() },
        };
        assert!(Sso::state_matches(&pending, "s3cret"));
        assert!(!Sso::state_matches(&pending, "s3cre"));
        assert!(!Sso::state_matches(&pending, ""));
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        let settings = SsoSettings::new("https://id.example.com", "quire".into(), "hunter2".into(), "Example").unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
        assert!(SsoSettings::new("ftp://id.example.com", "q".into(), "s".into(), "x").is_err());
        assert!(SsoSettings::new("not a url", "q".into(), "s".into(), "x").is_err());
        assert!(
            SsoSettings::new("http://id.example.com", "q".into(), "s".into(), "x").is_err(),
            "http off this machine"
        );
        assert!(SsoSettings::new("http://127.0.0.1:9000", "q".into(), "s".into(), "x").is_ok());
        assert!(SsoSettings::new("http://localhost:9000/realms/x", "q".into(), "s".into(), "x").is_ok());
    }
}
