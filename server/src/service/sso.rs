//! Single sign-on, as the caller: leaving for the OpenID provider, and coming
//! back signed in. An identity (issuer and `sub`) signs in the account it is
//! linked to; an identity nobody has gets a new account where registration
//! lets one in (the instance's first is its admin; under `invite`, the
//! invitation the sign-up page was opened with is spent), named after what
//! the provider calls the person. Nobody is ever linked to an existing
//! account by a matching name or e-mail (a provider that lets people choose
//! those would hand the account over): linking is done from the account's
//! own settings, signed in.
//!
//! Failures end on the sign-in page (or the settings page, when linking) with
//! a short code naming the problem; the audit log gets the details.

use std::time::Instant;

use app::api::ssr::Refusal;
use app::api::*;

use super::audit::Audit;
use super::{internal, Service};
use crate::auth::oidc::{self, Pending, Purpose, SignedIn, Sso, SsoError};
use crate::auth::{self, SessionUser};
use crate::store::{now_ms, Created, Linked, NewAccount, SsoIdentity, UserRow};

/// Session key of the sign-in waiting for the provider's answer.
pub(super) const PENDING_KEY: &str = "sso_pending";
/// Session key of when the caller last confirmed their password to connect
/// an identity (a session alone, perhaps someone else's, never links one).
const LINK_CONFIRMED_KEY: &str = "sso_link_confirmed_at";
/// How long that confirmation lets a link start.
const LINK_CONFIRMATION_MS: i64 = 5 * 60 * 1000;
/// Usernames tried for a new account (`ada`, `ada-2`, …) before a random one.
const NAME_TRIES: u32 = 20;

/// What the provider's redirect back carried.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// Set instead of `code` when the provider did not sign the person in.
    pub error: Option<String>,
}

/// Why coming back did not sign anyone in: the code the page shows a sentence
/// for (see `app::api::sso_problem`), and what the audit log keeps.
struct Failed {
    code: &'static str,
    detail: String,
}

impl From<SsoError> for Failed {
    fn from(error: SsoError) -> Failed {
        Failed { code: error.code(), detail: error.to_string() }
    }
}

fn failed(code: &'static str, detail: impl Into<String>) -> Failed {
    Failed { code, detail: detail.into() }
}

impl Service {
    fn sso(&self) -> Result<&Sso, Refusal> {
        self.state.sso.as_deref().ok_or_else(|| Refusal::Denied("Single sign-on is not set up on this server.".into()))
    }

    /// Starts a sign-in at the provider: keeps what checks its answer in
    /// this browser's session (replacing any earlier one) and answers where
    /// to send the browser, or the problem code to show instead. `link`: for
    /// connecting the identity to the signed-in caller's account (their
    /// password confirmed just before, in this session), not for signing in.
    pub async fn begin_sso(
        &self,
        redirect_uri: &str,
        next: &str,
        invite: Option<String>,
        link: bool,
    ) -> Result<String, &'static str> {
        let sso = self.sso().map_err(|_| "off")?;
        let session = self.caller.session.as_ref().ok_or("internal")?;
        let purpose = if link {
            let user = self.user().map_err(|_| "state")?;
            self.require_browser().map_err(|_| "state")?;
            // One use: the password confirmed just now, in this session.
            let confirmed = session.remove::<i64>(LINK_CONFIRMED_KEY).await.ok().flatten();
            if confirmed.is_none_or(|at| now_ms().saturating_sub(at) > LINK_CONFIRMATION_MS) {
                return Err("confirm");
            }
            Purpose::Link { user_id: user.id.clone() }
        } else {
            Purpose::SignIn { next: next.to_string(), invite: invite.filter(|invite| !invite.trim().is_empty()) }
        };
        let (url, pending) = sso.begin(redirect_uri, purpose, now_ms()).await.map_err(|error| {
            tracing::warn!(%error, "could not start a single sign-on");
            "unavailable"
        })?;
        if let Err(error) = session.insert(PENDING_KEY, pending).await {
            tracing::error!(%error, "could not keep a waiting sign-in in the session");
            return Err("internal");
        }
        Ok(url)
    }

    /// Finishes a sign-in the provider sent the browser back from, and
    /// answers where the browser goes next: where it was going, or back to
    /// the sign-in (or settings) page saying what went wrong.
    pub async fn finish_sso(&self, callback: Callback) -> String {
        let Some(session) = self.caller.session.as_ref() else { return "/signin?sso=state".into() };
        // One use: whatever comes back, the waiting sign-in is spent.
        let pending = match session.remove::<Pending>(PENDING_KEY).await {
            Ok(pending) => pending,
            Err(error) => {
                tracing::warn!(%error, "could not read a waiting sign-in from the session");
                None
            }
        };
        // Nothing was waiting (no session, or a second visit): nothing to
        // audit either, so anyone hitting this address writes nothing.
        let Some(pending) = pending else {
            tracing::debug!("a single sign-on came back with nothing waiting for it");
            return "/signin?sso=state".into();
        };
        let linking = matches!(pending.purpose, Purpose::Link { .. });
        match self.complete(pending, callback).await {
            Ok(to) => to,
            Err(Failed { code, detail }) => {
                tracing::info!(code, %detail, "single sign-on did not sign anyone in");
                let action = if linking { "account.sso_link_failed" } else { "sign_in.failed" };
                self.record(Audit::new(action).detail(format!("single sign-on: {detail}"))).await;
                let page = if linking { "/settings" } else { "/signin" };
                format!("{page}?sso={code}")
            }
        }
    }

    async fn complete(&self, pending: Pending, callback: Callback) -> Result<String, Failed> {
        let sso = self.sso().map_err(|_| failed("off", "single sign-on is not configured"))?;
        if !Sso::state_matches(&pending, callback.state.as_deref().unwrap_or_default()) {
            return Err(SsoError::WrongState.into());
        }
        if let Some(error) = callback.error {
            // The provider's error code, kept short and printable: it came through the address bar.
            let error: String = error.chars().filter(|c| c.is_ascii_graphic()).take(64).collect();
            return Err(SsoError::Refused(error).into());
        }
        let code = callback.code.filter(|code| !code.is_empty()).ok_or_else(|| failed("invalid", "no code"))?;
        let purpose = pending.purpose.clone();
        let signed_in = sso.finish(pending, &code, now_ms()).await?;
        let identity = SsoIdentity {
            issuer: sso.issuer().to_string(),
            subject: signed_in.subject.clone(),
            label: Some(signed_in.label()),
        };
        match purpose {
            Purpose::Link { user_id } => self.link(&user_id, &identity).await,
            Purpose::SignIn { next, invite } => {
                let user = match self.state.store.sso_user(&identity.issuer, &identity.subject).await {
                    Ok(Some(user)) => user,
                    Ok(None) => self.create_for(&signed_in, identity, invite.as_deref()).await?,
                    Err(error) => return Err(failed("internal", internal_detail(error))),
                };
                self.sign_in_as(user).await?;
                Ok(app::api::local_path(Some(&next)))
            }
        }
    }

    /// Connects the identity to the caller's account, if the caller is still
    /// who started it.
    async fn link(&self, user_id: &str, identity: &SsoIdentity) -> Result<String, Failed> {
        if self.caller.user.as_ref().is_none_or(|user| user.id != user_id) {
            return Err(failed("state", "the browser is no longer signed in as who started linking"));
        }
        let linked = self.state.store.link_identity(user_id, identity).await;
        match linked.map_err(|error| failed("internal", internal_detail(error)))? {
            Linked::Done => {
                let audit = Audit::new("account.sso_linked").target(
                    "account",
                    user_id,
                    self.caller.user.as_ref().map(|u| u.username.clone()),
                );
                self.record(audit.detail(identity.label.clone().unwrap_or_default())).await;
                Ok("/settings?sso=linked".into())
            }
            Linked::Already => Ok("/settings?sso=linked".into()),
            Linked::ToSomeoneElse => Err(failed("elsewhere", "the identity signs in another account")),
            Linked::AccountHasAnother => Err(failed("another", "the account is linked to another identity")),
        }
    }

    /// A new account for an identity nobody has, where registration lets one in.
    async fn create_for(
        &self,
        signed_in: &SignedIn,
        identity: SsoIdentity,
        invite: Option<&str>,
    ) -> Result<UserRow, Failed> {
        // Refused by the rules before it counts against the address's sign-ups.
        let has_users =
            self.state.store.has_users().await.map_err(|error| failed("internal", internal_detail(error)))?;
        if has_users {
            if let Err(refusal) = self.admission(invite).await {
                return Err(failed(self.admission_problem(invite).await, refusal.message()));
            }
        }
        let address = auth::throttle::address_key(self.ip);
        if !self.state.throttle.sign_up(&address, self.state.config.signups_per_hour, Instant::now()) {
            return Err(failed("throttled", "too many accounts created from this address"));
        }
        let base = oidc::username_from(signed_in);
        let mut account = NewAccount {
            id: uuid::Uuid::new_v4().to_string(),
            username: base.clone(),
            password_hash: String::new(),
            sso: Some(identity),
        };
        for attempt in 1..=NAME_TRIES + 1 {
            account.username = match attempt {
                1 => base.clone(),
                n if n <= NAME_TRIES => oidc::username_variant(&base, n),
                _ => oidc::username_variant(&base, fastrand::u32(1000..1_000_000)),
            };
            match self.insert_account(&account, invite).await {
                Ok(Created::Done) => {
                    return Ok(UserRow {
                        id: account.id,
                        username: account.username,
                        password_hash: String::new(),
                        is_admin: false,
                        disabled: false,
                        session_epoch: 0,
                    })
                }
                Ok(Created::NameTaken) => continue,
                // Signed in twice at once: the other one made the account.
                Ok(Created::IdentityTaken) => {
                    let identity = account.sso.as_ref().ok_or_else(|| failed("internal", "no identity"))?;
                    let found = self.state.store.sso_user(&identity.issuer, &identity.subject).await;
                    return found
                        .map_err(|error| failed("internal", internal_detail(error)))?
                        .ok_or_else(|| failed("internal", "the identity's account vanished"));
                }
                Err(Refusal::Denied(reason)) => return Err(failed(self.admission_problem(invite).await, reason)),
                Err(refusal) => return Err(failed("internal", refusal.message())),
            }
        }
        Err(failed("internal", "no free username"))
    }

    /// Which of the registration rules turned a new account away.
    async fn admission_problem(&self, invite: Option<&str>) -> &'static str {
        match (self.registration_mode().await, invite) {
            (Ok(Registration::Closed), _) => "closed",
            (Ok(Registration::Invite), None) => "invite",
            _ => "dead-invite",
        }
    }

    /// Signs this browser in to `user` (audited), unless it is disabled.
    async fn sign_in_as(&self, user: UserRow) -> Result<(), Failed> {
        if user.disabled {
            return Err(failed("disabled", format!("the account {} is disabled", user.username)));
        }
        if let Err(error) = self.state.store.touch_last_seen(&user.id).await {
            tracing::warn!(%error, "could not note a sign-in as seen");
        }
        self.record(Audit::new("sign_in.succeeded").by(&user.id, &user.username).detail("single sign-on")).await;
        let session_user = SessionUser { id: user.id, username: user.username, epoch: user.session_epoch };
        self.sign_in_session(session_user).await.map_err(|refusal| failed("internal", refusal.message()))
    }

    /// The caller confirms their password before connecting an identity:
    /// whoever links one can sign in with it from then on, so a session
    /// alone (a borrowed laptop, a stolen cookie) must not be enough.
    pub async fn confirm_sso_link(&self, password: String) -> Result<(), Refusal> {
        self.require_browser()?;
        self.sso()?;
        let user = self.user()?.clone();
        self.check_current_password(&user, password, "wrong password when connecting single sign-on").await?;
        let session = self.caller.session.as_ref().ok_or(Refusal::Internal)?;
        session.insert(LINK_CONFIRMED_KEY, now_ms()).await.map_err(|e| internal(e.into()))?;
        Ok(())
    }

    /// How the caller's account stands with single sign-on (their settings page).
    pub async fn sso_status(&self) -> Result<SsoStatus, Refusal> {
        let user = self.user()?;
        let store = &self.state.store;
        let row = store.user_by_id(&user.id).await.map_err(internal)?.ok_or(Refusal::SignedOut)?;
        let linked = match &self.state.sso {
            Some(sso) => store.linked_identity(&user.id, sso.issuer()).await.map_err(internal)?,
            None => None,
        };
        Ok(SsoStatus {
            provider: self.state.sso.as_ref().map(|sso| sso.name().to_string()),
            linked,
            has_password: !row.password_hash.is_empty(),
            password_sign_in: self.state.config.password_sign_in,
        })
    }

    /// Disconnects the caller's account from the provider, if it can still
    /// be signed in to without it (it has a password, and passwords work).
    pub async fn unlink_sso(&self) -> Result<(), Refusal> {
        self.require_browser()?;
        let status = self.sso_status().await?;
        if !(status.has_password && status.password_sign_in) {
            return Err(Refusal::Denied(
                "This account signs in only through single sign-on: disconnecting it would lock you out.".into(),
            ));
        }
        let user = self.user()?;
        let sso = self.sso()?;
        if self.state.store.unlink_identity(&user.id, sso.issuer()).await.map_err(internal)? {
            self.record(Audit::new("account.sso_unlinked").target("account", &user.id, Some(user.username.clone())))
                .await;
        }
        Ok(())
    }
}

fn internal_detail(error: crate::error::Error) -> String {
    tracing::error!(%error, "single sign-on failed on the server");
    "a server error".into()
}
