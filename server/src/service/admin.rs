//! Running the instance, as the caller: who may join, signing up (through an
//! invitation where needed), the admin's people list and what an admin does to
//! an account (promote, disable, hand over a reset link), and resetting a
//! password through such a link.

use std::time::Instant;

use app::api::ssr::Refusal;
use app::api::*;

use super::audit::Audit;
use super::{internal, invalid, Service};
use crate::auth::{self, password, secret, SessionUser};
use crate::doc_id::DocId;
use crate::store::{now_ms, AccountChange, AccountRow, Bequest, Created, InviteRow, NewAccount};

/// Prefix of invitation secrets.
pub const INVITE_TOKEN_PREFIX: &str = "qi_";
/// Prefix of password-reset secrets.
pub const RESET_TOKEN_PREFIX: &str = "qr_";
/// How long a password-reset link works.
const RESET_MS: i64 = 24 * 3600 * 1000;
/// The settings key of the registration mode the admin page chose.
const REGISTRATION_KEY: &str = "registration";

impl Service {
    /// The caller, if they administer this instance (checked against the
    /// database, so a demotion counts at once).
    pub(super) async fn admin(&self) -> Result<SessionUser, Refusal> {
        let user = self.user()?.clone();
        let row = self.state.store.user_by_id(&user.id).await.map_err(internal)?;
        match row {
            Some(row) if row.is_admin && !row.disabled => Ok(user),
            _ => Err(Refusal::AdminOnly),
        }
    }

    pub async fn is_admin(&self) -> bool {
        self.admin().await.is_ok()
    }

    /// Who may sign up: the configuration's mode if it sets one, else the
    /// admin page's, else invitations only.
    pub async fn registration_mode(&self) -> Result<Registration, Refusal> {
        if let Some(fixed) = self.state.config.registration {
            return Ok(fixed);
        }
        let chosen = self.state.store.setting(REGISTRATION_KEY).await.map_err(internal)?;
        Ok(chosen.as_deref().and_then(Registration::parse).unwrap_or(Registration::Invite))
    }

    /// Creates an account and signs this session in to it. The first account
    /// of an instance can always be made (it becomes the admin); after that
    /// the registration mode decides, and an invitation is spent.
    pub async fn create_account(
        &self,
        username: String,
        password: String,
        invite: Option<String>,
    ) -> Result<(), Refusal> {
        self.passwords_sign_in()?;
        let username = validate_username(&username).map_err(invalid)?;
        validate_password(&password).map_err(invalid)?;
        // Refused before any slow hashing when it could not succeed.
        if self.state.store.has_users().await.map_err(internal)? {
            self.admission(invite.as_deref()).await?;
        }
        let address = auth::throttle::address_key(self.ip);
        if !self.state.throttle.sign_up(&address, self.state.config.signups_per_hour, Instant::now()) {
            return Err(Refusal::Throttled(
                "Too many accounts were created from your address in the last hour. Please try again later.".into(),
            ));
        }
        let hash = password::hash(password).await.map_err(internal)?;
        let account = NewAccount { id: uuid::Uuid::new_v4().to_string(), username, password_hash: hash, sso: None };
        match self.insert_account(&account, invite.as_deref()).await? {
            Created::Done => {}
            Created::NameTaken | Created::IdentityTaken => {
                return Err(Refusal::Invalid(format!(
                    "The username “{}” is taken. Please choose another.",
                    account.username
                )))
            }
        }
        let NewAccount { id, username, .. } = account;
        self.sign_in_session(SessionUser { id, username, epoch: 0 }).await
    }

    /// Creates an account by the rules: the instance's first one is its
    /// admin; anyone else needs the registration mode to let them in (and
    /// then spends `invite`, where it takes one). Audited; signs nobody in.
    pub(super) async fn insert_account(&self, account: &NewAccount, invite: Option<&str>) -> Result<Created, Refusal> {
        let store = &self.state.store;
        let (id, username) = (&account.id, &account.username);
        if !store.has_users().await.map_err(internal)? {
            // None: someone else was first meanwhile, and the rules for
            // everyone else apply.
            if let Some(created) = store.create_first_user(account).await.map_err(internal)? {
                if created == Created::Done {
                    tracing::info!(%username, "first account created: the instance's admin");
                    let audit =
                        Audit::new("account.created").by(id, username).target("account", id, Some(username.clone()));
                    self.record(audit.detail(creation_detail("the first account: the admin", account))).await;
                }
                return Ok(created);
            }
        }
        let admission = self.admission(invite).await?;
        let created = match &admission {
            Some(invite) => store.create_invited_user(account, invite).await.map_err(internal)?,
            None => Some(store.create_user(account).await.map_err(internal)?),
        };
        let created = created.ok_or_else(dead_invite)?;
        if created == Created::Done {
            tracing::info!(%username, invited = admission.is_some(), "account created");
            let audit = Audit::new("account.created").by(id, username).target("account", id, Some(username.clone()));
            let how = if admission.is_some() { "through an invitation" } else { "open sign-up" };
            self.record(audit.detail(creation_detail(how, account))).await;
        }
        Ok(created)
    }

    /// Whether someone may sign up now (not the first account): Ok with the
    /// digest of the invitation to spend, or None where none is needed.
    pub(super) async fn admission(&self, invite: Option<&str>) -> Result<Option<String>, Refusal> {
        match (self.registration_mode().await?, invite.map(str::trim).filter(|invite| !invite.is_empty())) {
            (Registration::Closed, _) => {
                Err(Refusal::Denied("Sign-up is closed on this server. Ask its admin for an account.".into()))
            }
            (Registration::Invite, None) => Err(Refusal::Denied(
                "Sign-up on this server is by invitation: ask its admin for an invitation link.".into(),
            )),
            (_, Some(invite)) if !secret::looks_valid(INVITE_TOKEN_PREFIX, invite) => Err(dead_invite()),
            (_, Some(invite)) => Ok(Some(secret::digest(invite))),
            (Registration::Open, None) => Ok(None),
        }
    }

    pub async fn admin_page(&self) -> Result<AdminView, Refusal> {
        let me = self.admin().await?;
        let store = &self.state.store;
        let accounts = store.accounts().await.map_err(internal)?;
        let invites = store.invites().await.map_err(internal)?;
        Ok(AdminView {
            accounts: accounts.into_iter().map(account).collect(),
            registration: self.registration_mode().await?,
            registration_fixed: self.state.config.registration.is_some(),
            invites: invites.into_iter().map(invite).collect(),
            groups: self.group_choices().await?,
            anyone_creates_groups: self.anyone_creates_groups().await?,
            me: me.username,
            now: now_ms(),
        })
    }

    /// The registration mode, and whether the configuration fixes it (admins).
    pub async fn registration_setting(&self) -> Result<(Registration, bool), Refusal> {
        self.admin().await?;
        Ok((self.registration_mode().await?, self.state.config.registration.is_some()))
    }

    /// The invitations that still work (admins).
    pub async fn open_invites(&self) -> Result<Vec<Invite>, Refusal> {
        self.admin().await?;
        Ok(self.state.store.invites().await.map_err(internal)?.into_iter().map(invite).collect())
    }

    pub async fn choose_registration(&self, mode: Registration) -> Result<(), Refusal> {
        self.admin().await?;
        if self.state.config.registration.is_some() {
            return Err(Refusal::Invalid(
                "The server's configuration (QUIRE_REGISTRATION) sets who may sign up; change it there.".into(),
            ));
        }
        self.state.store.set_setting(REGISTRATION_KEY, mode.as_str()).await.map_err(internal)?;
        tracing::info!(mode = mode.as_str(), "registration changed");
        self.record(Audit::new("admin.registration_changed").detail(mode.as_str())).await;
        Ok(())
    }

    /// An invitation link for `uses` sign-ups, lasting `expires_in_days` (0:
    /// no end); whoever signs up through it joins `group` (an id), if given.
    pub async fn invite(&self, expires_in_days: u32, uses: u32, group: Option<&str>) -> Result<NewInvite, Refusal> {
        let me = self.admin().await?;
        if expires_in_days > MAX_INVITE_DAYS {
            return Err(Refusal::Invalid(format!("An invitation can last at most {MAX_INVITE_DAYS} days.")));
        }
        if !(1..=MAX_INVITE_USES).contains(&uses) {
            return Err(Refusal::Invalid(format!("An invitation is for 1 to {MAX_INVITE_USES} people.")));
        }
        let store = &self.state.store;
        let group = match group {
            Some(group) => {
                let row = store.group(group).await.map_err(internal)?;
                Some(
                    row.map(|row| (row.id, row.name))
                        .ok_or_else(|| Refusal::Invalid("There is no such group.".into()))?,
                )
            }
            None => None,
        };
        let expires_at = (expires_in_days > 0).then(|| now_ms() + i64::from(expires_in_days) * 86_400_000);
        let token = secret::generate(INVITE_TOKEN_PREFIX);
        let id = uuid::Uuid::new_v4().to_string();
        let row = store
            .create_invite(&id, &secret::digest(&token), &me.id, expires_at, i64::from(uses), group)
            .await
            .map_err(internal)?;
        let uses = format!("{uses} {}", if uses == 1 { "use" } else { "uses" });
        let joins = row.group.as_ref().map(|(_, name)| format!(", joins {name}")).unwrap_or_default();
        self.record(
            Audit::new("admin.invite_created").target("invite", &row.id, None).detail(format!("{uses}{joins}")),
        )
        .await;
        Ok(NewInvite { invite: invite(row), path: format!("/signup?invite={token}") })
    }

    pub async fn uninvite(&self, invite_id: &str) -> Result<(), Refusal> {
        self.admin().await?;
        if !self.state.store.revoke_invite(invite_id).await.map_err(internal)? {
            return Err(Refusal::Invalid("No such invitation.".into()));
        }
        self.record(Audit::new("admin.invite_revoked").target("invite", invite_id, None)).await;
        Ok(())
    }

    pub async fn make_admin(&self, username: &str, admin: bool) -> Result<(), Refusal> {
        self.admin().await?;
        let username = normalize_username(username);
        account_change(self.state.store.set_admin(&username, admin).await.map_err(internal)?)?;
        tracing::info!(%username, admin, "admin changed");
        let action = if admin { "admin.promoted" } else { "admin.demoted" };
        let id = self.state.store.user_by_name(&username).await.map_err(internal)?.map(|user| user.id);
        self.record(Audit::new(action).target("account", id.unwrap_or_default(), Some(username.clone()))).await;
        Ok(())
    }

    /// Disables (or enables) an account; a disabled one's sessions, tokens
    /// and open connections end at once, on every instance.
    pub async fn disable(&self, username: &str, disabled: bool) -> Result<(), Refusal> {
        let me = self.admin().await?;
        let username = normalize_username(username);
        if disabled && username == me.username {
            return Err(Refusal::Invalid("You cannot disable your own account.".into()));
        }
        let (change, id) = self.state.store.set_disabled(&username, disabled).await.map_err(internal)?;
        account_change(change)?;
        if let (true, Some(id)) = (disabled, &id) {
            self.credentials_ended(id);
        }
        let action = if disabled { "admin.disabled" } else { "admin.enabled" };
        self.record(Audit::new(action).target("account", id.unwrap_or_default(), Some(username.clone()))).await;
        tracing::info!(%username, disabled, "account disabled or enabled");
        Ok(())
    }

    /// Deletes someone's account: their documents become the admin's (or go
    /// to the admin's trash), their sessions, tokens and sockets end at once
    /// on every instance, and they are gone from every share and group.
    pub async fn delete_account(&self, username: &str, bequest: Bequest) -> Result<(), Refusal> {
        let me = self.admin().await?;
        // Irreversible: from a signed-in browser, like reset links, not with a token.
        if self.caller.session.is_none() {
            return Err(Refusal::Denied(
                "Accounts are deleted from a signed-in browser, not with an API token.".into(),
            ));
        }
        let username = normalize_username(username);
        if username == me.username {
            return Err(Refusal::Invalid("You cannot delete your own account.".into()));
        }
        let store = &self.state.store;
        let (change, id, moved) = store.delete_account(&username, &me.id, bequest).await.map_err(internal)?;
        account_change(change)?;
        let id = id.unwrap_or_default();
        // Done and committed: noted first, whatever happens while telling others.
        let whereto = match bequest {
            Bequest::Admin => format!("{} documents given to {}", moved.len(), me.username),
            Bequest::Trash => format!("{} documents moved to {}'s trash", moved.len(), me.username),
        };
        tracing::info!(%username, documents = moved.len(), "account deleted");
        self.record(Audit::new("admin.deleted").target("account", &id, Some(username)).detail(whereto)).await;
        self.credentials_ended(&id);
        for doc in moved.iter().filter_map(|doc| DocId::parse(doc)) {
            match self.state.store.audience(&doc).await {
                Ok(mut audience) => {
                    audience.push(id.clone());
                    self.access_changed(&doc, &audience);
                }
                Err(error) => {
                    tracing::warn!(%error, doc = %doc, "could not tell a moved document's audience");
                    self.state.hub.access_changed(&doc);
                }
            }
        }
        Ok(())
    }

    /// A one-time link with which the person sets a new password. Made from a
    /// signed-in browser only, and never for oneself: with an API token it
    /// would turn a token into a session (which tokens cannot mint).
    pub async fn password_reset_link(&self, username: &str) -> Result<ResetLink, Refusal> {
        let me = self.admin().await?;
        self.passwords_sign_in()?;
        if self.caller.session.is_none() {
            return Err(Refusal::Denied(
                "Reset links are made from a signed-in browser, not with an API token.".into(),
            ));
        }
        let username = normalize_username(username);
        if username == me.username {
            return Err(Refusal::Invalid("Reset links are for other people's accounts, not your own.".into()));
        }
        let store = &self.state.store;
        let user = store.user_by_name(&username).await.map_err(internal)?.ok_or_else(no_such_account)?;
        if user.disabled {
            return Err(Refusal::Invalid("The account is disabled: enable it first.".into()));
        }
        let token = secret::generate(RESET_TOKEN_PREFIX);
        let expires_at = now_ms() + RESET_MS;
        store.create_password_reset(&user.id, &secret::digest(&token), expires_at).await.map_err(internal)?;
        tracing::info!(%username, "password reset link made");
        self.record(Audit::new("admin.reset_link_created").target("account", &user.id, Some(username.clone()))).await;
        Ok(ResetLink { username, path: format!("/reset?token={token}"), expires_at })
    }

    /// The username a reset link is for, if it still works.
    pub async fn reset_link_account(&self, token: &str) -> Result<Option<String>, Refusal> {
        let token = token.trim();
        if !secret::looks_valid(RESET_TOKEN_PREFIX, token) {
            return Ok(None);
        }
        let account = self.state.store.password_reset_user(&secret::digest(token)).await.map_err(internal)?;
        Ok(account.map(|(_, username)| username))
    }

    /// Uses a reset link: the new password, every session of the account
    /// signed out (and its sockets closed), this one signed in.
    pub async fn reset_password_with(&self, token: &str, new_password: String) -> Result<(), Refusal> {
        self.passwords_sign_in()?;
        validate_password(&new_password).map_err(invalid)?;
        let token = token.trim();
        if !secret::looks_valid(RESET_TOKEN_PREFIX, token) {
            return Err(dead_reset());
        }
        let store = &self.state.store;
        // Hashing is slow and shared by every sign-in: only for a live link.
        if store.password_reset_user(&secret::digest(token)).await.map_err(internal)?.is_none() {
            return Err(dead_reset());
        }
        let hash = password::hash(new_password).await.map_err(internal)?;
        let (id, username) =
            store.use_password_reset(&secret::digest(token), &hash).await.map_err(internal)?.ok_or_else(dead_reset)?;
        self.credentials_ended(&id);
        let epoch = store.user_by_id(&id).await.map_err(internal)?.map_or(0, |user| user.session_epoch);
        tracing::info!(%username, "password reset");
        self.record(Audit::new("account.password_reset").by(&id, &username).target(
            "account",
            &id,
            Some(username.clone()),
        ))
        .await;
        self.sign_in_session(SessionUser { id, username, epoch }).await
    }
}

fn account(row: AccountRow) -> Account {
    Account {
        username: row.username,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
        documents: row.documents,
        storage_bytes: row.storage_bytes,
        admin: row.is_admin,
        disabled: row.disabled,
        sso: row.sso,
    }
}

fn invite(row: InviteRow) -> Invite {
    Invite {
        id: row.id,
        created_at: row.created_at,
        expires_at: row.expires_at,
        uses: row.max_uses,
        used: row.used,
        group: row.group.map(|(_, name)| name),
    }
}

fn account_change(change: AccountChange) -> Result<(), Refusal> {
    match change {
        AccountChange::Done => Ok(()),
        AccountChange::NoSuchAccount => Err(no_such_account()),
        AccountChange::LastAdmin => {
            Err(Refusal::Invalid("This server needs at least one enabled admin: make someone else one first.".into()))
        }
    }
}

fn no_such_account() -> Refusal {
    Refusal::Invalid("There is no account with that username.".into())
}

fn dead_invite() -> Refusal {
    Refusal::Denied("This invitation link does not work: it expired, was used up or was withdrawn.".into())
}

fn dead_reset() -> Refusal {
    Refusal::Denied("This password-reset link does not work: it expired or was used already.".into())
}

/// How an account came to be, for the audit log: `how`, and whether it signs
/// in through single sign-on.
fn creation_detail(how: &str, account: &NewAccount) -> String {
    match account.sso {
        Some(_) => format!("{how}, by single sign-on"),
        None => how.to_string(),
    }
}
