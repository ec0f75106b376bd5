//! The caller's own account: their password, their signed-in sessions (which
//! device, from where, when last active; signing one or all others out) and
//! their personal API tokens (optionally expiring, optionally read-only).
//! Whatever ends a credential ends the sockets and event streams opened with
//! it, on every instance.

use std::net::IpAddr;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use app::api::ssr::Refusal;
use app::api::*;

use super::audit::Audit;
use super::{internal, invalid, throttle_keys, Service};
use crate::auth::{self, password, secret, Credential, SessionUser};
use crate::relay;
use crate::store::{now_ms, SessionRow, TokenLimits, TokenRow};

/// Session key of the device a session was signed in from.
pub const DEVICE_KEY: &str = "device";
/// Most characters of a `User-Agent` kept.
const MAX_AGENT_CHARS: usize = 256;

/// Where a session was signed in, as kept in it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Device {
    pub agent: Option<String>,
    pub address: Option<String>,
    pub signed_in_at: Option<i64>,
}

impl Device {
    pub fn now(agent: Option<&str>, address: Option<IpAddr>) -> Device {
        // Kept short and printable: it is shown back, and logs may carry it.
        let agent = agent.map(|agent| agent.chars().filter(|c| !c.is_control()).take(MAX_AGENT_CHARS).collect());
        Device { agent, address: address.map(|ip| ip.to_string()), signed_in_at: Some(now_ms()) }
    }
}

/// "Firefox on Linux", "Safari on iOS", "curl": what people recognise.
pub fn describe_device(agent: Option<&str>) -> String {
    let Some(agent) = agent.filter(|agent| !agent.trim().is_empty()) else { return "Unknown device".into() };
    let has = |needle: &str| agent.contains(needle);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("OPR/") {
        "Opera"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else if agent.starts_with("curl/") {
        return "curl".into();
    } else {
        "A browser"
    };
    let system = if has("Android") {
        "Android"
    } else if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Windows") {
        "Windows"
    } else if has("Macintosh") || has("Mac OS X") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") {
        "Linux"
    } else {
        return browser.into();
    };
    format!("{browser} on {system}")
}

/// The name a session goes by in lists and URLs: derived from its id, which
/// is the cookie's secret and is never shown.
fn public_id(session_id: &str) -> String {
    secret::digest(session_id)[..16].to_string()
}

impl Service {
    /// The id of the session this request came with.
    fn current_session_id(&self) -> Option<String> {
        match &self.caller.credential {
            Credential::Session(id) => Some(id.to_string()),
            _ => None,
        }
    }

    /// Sessions are seen and ended from a signed-in browser only: a script's
    /// token neither reads where its person signs in nor signs them out.
    pub(super) fn require_browser(&self) -> Result<(), Refusal> {
        self.user()?;
        match self.caller.session {
            Some(_) => Ok(()),
            None => {
                Err(Refusal::Denied("Sessions are managed from a signed-in browser, not with an API token.".into()))
            }
        }
    }

    pub async fn my_sessions(&self) -> Result<SessionList, Refusal> {
        self.require_browser()?;
        let user = self.user()?;
        let rows = self.state.store.sessions_of(&user.id).await.map_err(internal)?;
        let current = self.current_session_id();
        let mut sessions: Vec<SessionInfo> =
            rows.into_iter().map(|row| session_info(row, current.as_deref())).collect();
        sessions.sort_by_key(|session| {
            (!session.current, std::cmp::Reverse(session.last_active_at.or(session.signed_in_at)))
        });
        Ok(SessionList { sessions, now: now_ms() })
    }

    /// Signs out one of the caller's sessions, by its public id.
    pub async fn end_my_session(&self, public: &str) -> Result<(), Refusal> {
        self.require_browser()?;
        let user = self.user()?.clone();
        let store = &self.state.store;
        let rows = store.sessions_of(&user.id).await.map_err(internal)?;
        let Some(row) = rows.into_iter().find(|row| public_id(&row.id) == public) else {
            return Err(Refusal::Invalid("There is no such session (it may have ended already).".into()));
        };
        if self.current_session_id().as_deref() == Some(row.id.as_str()) {
            return app::api::ssr::Backend::sign_out(self).await;
        }
        store.end_session(&user.id, &row.id).await.map_err(internal)?;
        self.credentials_ended(&user.id);
        let info = session_info(row, None);
        self.record(Audit::new("account.session_ended").target("session", info.id, Some(info.device))).await;
        Ok(())
    }

    /// Signs out every session of the caller's but this one.
    pub async fn end_my_other_sessions(&self) -> Result<(), Refusal> {
        self.require_browser()?;
        let user = self.user()?.clone();
        let keep = self.current_session_id();
        let epoch = self.state.store.end_other_sessions(&user.id, keep.as_deref()).await.map_err(internal)?;
        self.stay_signed_in(user, epoch).await?;
        self.credentials_ended(&self.user()?.id);
        self.record(Audit::new("account.other_sessions_ended")).await;
        Ok(())
    }

    /// This session, moved to the account's new epoch (its row already is):
    /// what it writes back must say the same.
    async fn stay_signed_in(&self, user: SessionUser, epoch: i64) -> Result<(), Refusal> {
        if let Some(session) = &self.caller.session {
            session.insert(auth::USER_KEY, SessionUser { epoch, ..user }).await.map_err(|e| internal(e.into()))?;
        }
        Ok(())
    }

    /// A new password, the current one proven first (and throttled like
    /// signing in, so a stolen session cannot guess it); every other session
    /// is signed out, this one stays (and the API tokens are revoked, if
    /// asked: a thief who had the session may have made one). Only from a
    /// signed-in browser.
    pub async fn new_password(
        &self,
        current: String,
        new_password: String,
        revoke_tokens: bool,
    ) -> Result<(), Refusal> {
        let user = self.user()?.clone();
        if self.caller.session.is_none() {
            return Err(Refusal::Denied(
                "Change your password from a signed-in browser, not with an API token.".into(),
            ));
        }
        self.passwords_sign_in()?;
        validate_password(&new_password).map_err(invalid)?;
        self.check_current_password(&user, current, "wrong current password when changing it").await?;
        let store = &self.state.store;
        let hash = password::hash(new_password).await.map_err(internal)?;
        let keep = self.current_session_id();
        let epoch = store.change_password(&user.id, &hash, keep.as_deref(), revoke_tokens).await.map_err(internal)?;
        let id = user.id.clone();
        self.stay_signed_in(user, epoch).await?;
        self.credentials_ended(&id);
        tracing::info!(account = %id, "password changed");
        let changed = Audit::new("account.password_changed");
        let changed = if revoke_tokens { changed.detail("API tokens revoked too") } else { changed };
        self.record(changed).await;
        Ok(())
    }

    /// Whether `current` is the caller's password, throttled like signing
    /// in (so a stolen session cannot guess it), a wrong one audited with
    /// `what` and counted on every instance.
    pub(super) async fn check_current_password(
        &self,
        user: &SessionUser,
        current: String,
        what: &'static str,
    ) -> Result<(), Refusal> {
        let keys = throttle_keys(self.ip, &user.username);
        if let Err(wait) = self.state.throttle.attempt(&keys, Instant::now()) {
            return Err(Refusal::Throttled(format!(
                "Too many wrong passwords. Please wait {} seconds and try again.",
                wait.as_secs().max(1)
            )));
        }
        let stored = self.state.store.user_by_id(&user.id).await.map_err(internal)?.map(|row| row.password_hash);
        if stored.as_deref() == Some("") {
            return Err(Refusal::Denied("This account signs in through single sign-on: it has no password.".into()));
        }
        if !password::verify(current, stored).await {
            self.state.hub.relay().publish(&relay::Message::SignInFailed(keys.to_vec()));
            let failed = Audit::new("sign_in.failed").target("account", &user.id, Some(user.username.clone()));
            self.record(failed.detail(what)).await;
            return Err(Refusal::Invalid("Your current password is not right.".into()));
        }
        self.state.throttle.succeeded(&keys);
        Ok(())
    }

    pub async fn my_tokens(&self) -> Result<Vec<ApiToken>, Refusal> {
        let user = self.user()?;
        let rows = self.state.store.tokens(&user.id).await.map_err(internal)?;
        Ok(rows.into_iter().map(api_token).collect())
    }

    /// A personal API token, shown once. Only a signed-in browser makes
    /// tokens: a token cannot mint more.
    pub async fn make_token(&self, name: &str, expires_in_days: u32, read_only: bool) -> Result<NewApiToken, Refusal> {
        let user = self.user()?;
        if self.caller.session.is_none() {
            return Err(Refusal::Forbidden);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(Refusal::Invalid("Give the token a name of 1 to 60 characters.".into()));
        }
        if expires_in_days > MAX_TOKEN_DAYS {
            return Err(Refusal::Invalid(format!("A token can last at most {MAX_TOKEN_DAYS} days.")));
        }
        let expires_at = (expires_in_days > 0).then(|| now_ms() + i64::from(expires_in_days) * 86_400_000);
        let secret = secret::generate(auth::API_TOKEN_PREFIX);
        let id = uuid::Uuid::new_v4().to_string();
        let limits = TokenLimits { expires_at, read_only };
        let row = self
            .state
            .store
            .create_token(&id, &user.id, name, &secret::digest(&secret), limits)
            .await
            .map_err(internal)?;
        let access = if read_only { "read-only" } else { "read and write" };
        let expiry = if expires_in_days == 0 { "no expiry".to_string() } else { format!("{expires_in_days} days") };
        let made = Audit::new("token.created").target("token", &row.id, Some(row.name.clone()));
        self.record(made.detail(format!("{access}, {expiry}"))).await;
        Ok(NewApiToken { token: api_token(row), secret })
    }

    pub async fn end_token(&self, token_id: &str) -> Result<(), Refusal> {
        let user = self.user()?;
        // Only a token that was live can have sockets to end.
        if self.state.store.revoke_token(&user.id, token_id).await.map_err(internal)? {
            self.credentials_ended(&user.id);
            self.record(Audit::new("token.revoked").target("token", token_id, None)).await;
        }
        Ok(())
    }
}

fn session_info(row: SessionRow, current: Option<&str>) -> SessionInfo {
    let device = serde_json::from_str::<serde_json::Value>(&row.data)
        .ok()
        .and_then(|data| data.get(DEVICE_KEY).cloned())
        .and_then(|device| serde_json::from_value::<Device>(device).ok())
        .unwrap_or_default();
    SessionInfo {
        id: public_id(&row.id),
        device: describe_device(device.agent.as_deref()),
        address: device.address,
        signed_in_at: device.signed_in_at,
        last_active_at: row.last_active_at,
        current: current == Some(row.id.as_str()),
    }
}

fn api_token(row: TokenRow) -> ApiToken {
    ApiToken {
        id: row.id,
        name: row.name,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.limits.expires_at,
        read_only: row.limits.read_only,
    }
}

#[cfg(test)]
mod tests {
    use super::describe_device;

    #[test]
    fn devices_read_as_people_name_them() {
        let chrome_linux =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(describe_device(Some(chrome_linux)), "Chrome on Linux");
        let safari_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_device(Some(safari_iphone)), "Safari on iOS");
        let firefox_windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(describe_device(Some(firefox_windows)), "Firefox on Windows");
        let edge_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(describe_device(Some(edge_mac)), "Edge on macOS");
        assert_eq!(describe_device(Some("curl/8.5.0")), "curl");
        assert_eq!(describe_device(Some("<script>alert(1)</script>")), "A browser");
        assert_eq!(describe_device(None), "Unknown device");
    }
}
