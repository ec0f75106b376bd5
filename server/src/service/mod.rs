//! The server's implementation of [`app::api::ssr::Backend`]: everything the
//! pages can ask, as one caller. A [`Service`] is built per request with that
//! request's [`Caller`]; the JSON API uses the same one, so every entry point
//! shares one set of rules (see `access.rs`).

mod account;
mod admin;
mod audit;
mod groups;
mod history;
mod sso;

use std::net::IpAddr;
use std::time::Instant;

use app::api::ssr::{Backend, Outcome, Refusal};
use app::api::*;

use crate::access;
use crate::auth::{self, password, secret, Caller, SessionUser};
use crate::doc_id::DocId;
use crate::relay;
use crate::state::AppState;
use crate::store::{now_ms, DocumentRow};
use audit::Audit;
pub use sso::Callback as SsoCallback;

/// Documents stay in the trash this long before they are removed for good.
pub const TRASH_MS: i64 = 30 * 24 * 3600 * 1000;
/// Longest a share link can be made to last, in days.
pub const MAX_LINK_DAYS: u32 = 365;
/// Prefix of share-link tokens.
pub const SHARE_TOKEN_PREFIX: &str = "qs_";
/// Most share links one browser session keeps.
const MAX_SESSION_LINKS: usize = 100;

pub struct Service {
    state: AppState,
    caller: Caller,
    /// The client's address, for sign-in throttling and the session list.
    ip: Option<IpAddr>,
    /// The client's `User-Agent`, kept with a session signed in through it.
    user_agent: Option<String>,
}

impl Service {
    pub fn new(state: AppState, caller: Caller, ip: Option<IpAddr>) -> Self {
        let ip = ip.or(caller.address);
        Service { state, caller, ip, user_agent: None }
    }

    pub fn with_user_agent(mut self, user_agent: Option<&str>) -> Self {
        self.user_agent = user_agent.map(str::to_string);
        self
    }

    fn user(&self) -> Result<&SessionUser, Refusal> {
        self.caller.user.as_ref().ok_or(Refusal::SignedOut)
    }

    /// The document and the caller's grant on it; NotFound when they have none.
    async fn granted(&self, id: &str) -> Result<(DocId, access::Grant, DocumentRow), Refusal> {
        let id = DocId::parse(id).ok_or(Refusal::NotFound)?;
        match access::grant(&self.state.store, &self.caller, &id).await.map_err(internal)? {
            Some((grant, doc)) => Ok((id, grant, doc)),
            None => Err(Refusal::NotFound),
        }
    }

    /// The document if the caller owns it.
    async fn owned(&self, id: &str) -> Result<DocId, Refusal> {
        Ok(self.owned_doc(id).await?.0)
    }

    /// [`Self::owned`], with the document's row.
    async fn owned_doc(&self, id: &str) -> Result<(DocId, DocumentRow), Refusal> {
        self.user()?;
        let (id, grant, doc) = self.granted(id).await?;
        if grant.role != Role::Owner {
            return Err(Refusal::Forbidden);
        }
        Ok((id, doc))
    }

    async fn audience(&self, id: &DocId) -> Result<Vec<String>, Refusal> {
        self.state.store.audience(id).await.map_err(internal)
    }

    /// After a change to who may see a document: tell every list that shows or
    /// showed it, and re-check every open socket on it.
    fn access_changed(&self, id: &DocId, audience: &[String]) {
        self.state.events.document_changed(audience, id);
        self.state.hub.access_changed(id);
    }

    /// A session or token of this account ended: sockets and event streams
    /// opened with it, on every instance, re-check and close.
    fn credentials_ended(&self, account: &str) {
        self.state.hub.account_changed(account);
        self.state.events.recheck(account);
    }

    /// Refused when single sign-on is the only way in (`QUIRE_PASSWORD_SIGNIN=false`).
    fn passwords_sign_in(&self) -> Result<(), Refusal> {
        if self.state.config.password_sign_in {
            return Ok(());
        }
        let name = self.state.sso.as_ref().map_or("single sign-on", |sso| sso.name());
        Err(Refusal::Denied(format!("Passwords do not sign in on this server: sign in with {name}.")))
    }

    async fn sign_in_session(&self, user: SessionUser) -> Result<(), Refusal> {
        let session = self.caller.session.as_ref().ok_or(Refusal::Internal)?;
        // A new id on sign-in, so an id planted in the browser beforehand
        // (session fixation) is worth nothing afterwards.
        session.cycle_id().await.map_err(|e| internal(e.into()))?;
        // A single sign-on someone else started in this session (planted with
        // its cookie) must not be waiting for this person's browser afterwards.
        session.remove_value(sso::PENDING_KEY).await.map_err(|e| internal(e.into()))?;
        session.insert(auth::USER_KEY, user).await.map_err(|e| internal(e.into()))?;
        let device = account::Device::now(self.user_agent.as_deref(), self.ip);
        session.insert(account::DEVICE_KEY, device).await.map_err(|e| internal(e.into()))?;
        Ok(())
    }

    pub async fn list_documents(&self) -> Result<DocList, Refusal> {
        let user = self.user()?;
        let store = &self.state.store;
        let mine = store.owned_documents(&user.id).await.map_err(internal)?;
        let shared = store.shared_documents(&user.id).await.map_err(internal)?;
        Ok(DocList {
            mine: mine.into_iter().map(|doc| summary(doc, Role::Owner)).collect(),
            shared: shared.into_iter().map(|shared| summary(shared.doc, shared.role)).collect(),
            now: now_ms(),
        })
    }

    pub async fn create_document(&self, title: String) -> Result<String, Refusal> {
        let user = self.user()?;
        let title = validate_title(&title).map_err(invalid)?;
        let id = DocId::random();
        self.state.store.create_document(&id, &title, &user.id).await.map_err(internal)?;
        self.state.events.document_changed([&user.id], &id);
        Ok(id.to_string())
    }

    /// The document's text if the caller may read it.
    pub async fn markdown(&self, id: &str) -> Result<String, Refusal> {
        let (id, _, _) = self.granted(id).await?;
        Ok(self.state.hub.markdown(&id).await.map_err(internal)?.unwrap_or_default())
    }
}

fn summary(doc: DocumentRow, role: Role) -> DocSummary {
    DocSummary { id: doc.id, title: doc.title, updated_at: doc.updated_at, role, owner: doc.owner }
}

/// Input that does not pass validation: 400 with the reason, wherever it came from.
fn invalid(reason: &'static str) -> Refusal {
    Refusal::Invalid(reason.to_string())
}

fn internal(error: crate::error::Error) -> Refusal {
    tracing::error!(%error, "request failed");
    Refusal::Internal
}

impl Backend for Service {
    fn me(&self) -> Outcome<'_, Me> {
        Box::pin(async move {
            let person = self.caller.person().unwrap_or_else(auth::Person::random_guest);
            let admin = self.caller.user.is_some() && self.is_admin().await;
            Ok(Me { identity: person.identity, username: self.caller.user.as_ref().map(|u| u.username.clone()), admin })
        })
    }

    fn sign_up(&self, username: String, password: String, invite: Option<String>) -> Outcome<'_, ()> {
        Box::pin(self.create_account(username, password, invite))
    }

    fn sign_in(&self, username: String, password: String) -> Outcome<'_, ()> {
        Box::pin(async move {
            self.passwords_sign_in()?;
            let username = normalize_username(&username);
            let keys = throttle_keys(self.ip, &username);
            // Counted as failed from here on, so parallel guesses cannot all
            // pass one check while their passwords are being hashed.
            if let Err(wait) = self.state.throttle.attempt(&keys, Instant::now()) {
                return Err(Refusal::Throttled(format!(
                    "Too many failed sign-ins. Please wait {} seconds and try again.",
                    wait.as_secs().max(1)
                )));
            }
            let user = self.state.store.user_by_name(&username).await.map_err(internal)?;
            let stored = user.as_ref().map(|u| u.password_hash.clone());
            if !password::verify(password, stored).await {
                // Every instance counts it (best effort: Redis may lose one).
                self.state.hub.relay().publish(&relay::Message::SignInFailed(keys.to_vec()));
                // The account only if there is one: what was typed may be a password.
                let failed = Audit::new("sign_in.failed");
                let failed = match &user {
                    Some(user) => failed.target("account", &user.id, Some(user.username.clone())),
                    None => failed.detail("no such account"),
                };
                self.record(failed).await;
                return Err(Refusal::Invalid("Wrong username or password.".into()));
            }
            let user = user.ok_or(Refusal::Internal)?;
            self.state.throttle.succeeded(&keys);
            self.state.hub.relay().publish(&relay::Message::SignInSucceeded(keys[1].clone()));
            // Said only to whoever knows the password.
            if user.disabled {
                let refused = Audit::new("sign_in.failed").target("account", &user.id, Some(user.username.clone()));
                self.record(refused.detail("the account is disabled")).await;
                return Err(Refusal::Denied("This account is disabled. Ask an admin of this server.".into()));
            }
            if let Err(error) = self.state.store.touch_last_seen(&user.id).await {
                tracing::warn!(%error, "could not note a sign-in as seen");
            }
            self.record(Audit::new("sign_in.succeeded").by(&user.id, &user.username)).await;
            self.sign_in_session(SessionUser { id: user.id, username: user.username, epoch: user.session_epoch }).await
        })
    }

    fn sign_out(&self) -> Outcome<'_, ()> {
        Box::pin(async move {
            if let Some(session) = &self.caller.session {
                session.flush().await.map_err(|e| internal(e.into()))?;
            }
            if let Some(user) = &self.caller.user {
                self.credentials_ended(&user.id);
                self.record(Audit::new("sign_in.signed_out")).await;
            }
            Ok(())
        })
    }

    fn sign_in_methods(&self) -> Outcome<'_, SignInMethods> {
        Box::pin(async move {
            Ok(SignInMethods {
                password: self.state.config.password_sign_in,
                sso: self.state.sso.as_ref().map(|sso| sso.name().to_string()),
            })
        })
    }

    fn sso_status(&self) -> Outcome<'_, SsoStatus> {
        Box::pin(self.sso_status())
    }

    fn unlink_sso(&self) -> Outcome<'_, ()> {
        Box::pin(self.unlink_sso())
    }

    fn confirm_sso_link(&self, password: String) -> Outcome<'_, ()> {
        Box::pin(self.confirm_sso_link(password))
    }

    fn list(&self) -> Outcome<'_, DocList> {
        Box::pin(self.list_documents())
    }

    fn create(&self, title: String) -> Outcome<'_, String> {
        Box::pin(self.create_document(title))
    }

    fn open(&self, id: String) -> Outcome<'_, DocView> {
        Box::pin(async move {
            let (id, grant, doc) = self.granted(&id).await?;
            let markdown = self.state.hub.markdown(&id).await.map_err(internal)?.unwrap_or_default();
            let me = self.caller.person().unwrap_or_else(auth::Person::random_guest);
            let history = self.may_see_history(&id, grant.role).await?;
            Ok(DocView {
                history,
                id: doc.id,
                title: doc.title,
                markdown,
                signed_in: self.caller.user.is_some(),
                me: me.identity,
                role: grant.role,
                owner: doc.owner,
            })
        })
    }

    fn rename(&self, id: String, title: String) -> Outcome<'_, ()> {
        Box::pin(async move {
            let title = validate_title(&title).map_err(invalid)?;
            let id = self.owned(&id).await?;
            self.state.store.rename_document(&id, &title).await.map_err(internal)?;
            let audience = self.audience(&id).await?;
            // Open pages re-check, and take the new title with them.
            self.access_changed(&id, &audience);
            Ok(())
        })
    }

    fn delete(&self, id: String) -> Outcome<'_, ()> {
        Box::pin(async move {
            let (id, doc) = self.owned_doc(&id).await?;
            let audience = self.audience(&id).await?;
            self.state.store.set_deleted(&id, Some(now_ms())).await.map_err(internal)?;
            self.access_changed(&id, &audience);
            self.record(Audit::new("document.deleted").target("document", doc.id, Some(doc.title))).await;
            Ok(())
        })
    }

    fn restore(&self, id: String) -> Outcome<'_, ()> {
        Box::pin(async move {
            let user = self.user()?;
            let id = DocId::parse(&id).ok_or(Refusal::NotFound)?;
            let doc = self.state.store.document(&id).await.map_err(internal)?.ok_or(Refusal::NotFound)?;
            if doc.owner_id.as_deref() != Some(user.id.as_str()) || doc.deleted_at.is_none() {
                return Err(Refusal::NotFound);
            }
            self.state.store.set_deleted(&id, None).await.map_err(internal)?;
            let audience = self.audience(&id).await?;
            self.access_changed(&id, &audience);
            self.record(Audit::new("document.restored").target("document", doc.id, Some(doc.title))).await;
            Ok(())
        })
    }

    fn trash(&self) -> Outcome<'_, TrashList> {
        Box::pin(async move {
            let user = self.user()?;
            let rows = self.state.store.trashed_documents(&user.id).await.map_err(internal)?;
            let documents = rows
                .into_iter()
                .filter_map(|doc| {
                    let deleted_at = doc.deleted_at?;
                    Some(Trashed { id: doc.id, title: doc.title, deleted_at, purge_at: deleted_at + TRASH_MS })
                })
                .collect();
            Ok(TrashList { documents, now: now_ms() })
        })
    }

    /// Who has access: for the owner, people and links (to manage them); for
    /// a signed-in editor, the people only (links are the owner's business,
    /// and a guest who came by a link sees nobody's account names).
    fn sharing(&self, id: String) -> Outcome<'_, Sharing> {
        Box::pin(async move {
            self.user()?;
            let (id, grant, _) = self.granted(&id).await?;
            let can_manage = grant.role == Role::Owner;
            if !grant.role.can_edit() {
                return Err(Refusal::Forbidden);
            }
            let store = &self.state.store;
            let members = store.members(&id).await.map_err(internal)?;
            let now = now_ms();
            let links = if can_manage { store.links(&id).await.map_err(internal)? } else { Vec::new() };
            let history_for_viewers = store.history_for_viewers(&id).await.map_err(internal)?;
            let (groups, group_choices) = self.document_groups(&id, can_manage).await?;
            Ok(Sharing {
                history_for_viewers,
                can_manage,
                members: members.into_iter().map(|(username, role)| Member { username, role }).collect(),
                groups,
                group_choices,
                links: links
                    .into_iter()
                    .filter(|link| link.works_at(now))
                    .map(|link| ShareLink {
                        id: link.id,
                        role: link.role,
                        created_at: link.created_at,
                        expires_at: link.expires_at,
                    })
                    .collect(),
                now,
            })
        })
    }

    fn share(&self, id: String, username: String, role: Role) -> Outcome<'_, ()> {
        Box::pin(async move {
            let username = validate_username(&username).map_err(invalid)?;
            let (id, doc) = self.owned_doc(&id).await?;
            let store = &self.state.store;
            let Some(member) = store.user_by_name(&username).await.map_err(internal)? else {
                return Err(Refusal::Invalid(format!("Nobody is called “{username}” here.")));
            };
            if Some(&member.id) == self.caller.user.as_ref().map(|u| &u.id) {
                return Err(Refusal::Invalid("You own this document already.".into()));
            }
            store.set_member(&id, &member.id, role).await.map_err(internal)?;
            let audience = self.audience(&id).await?;
            self.access_changed(&id, &audience);
            let shared = Audit::new("document.shared").target("document", doc.id, Some(doc.title));
            self.record(shared.detail(format!("with {username} as {}", role.as_str()))).await;
            Ok(())
        })
    }

    fn unshare(&self, id: String, username: String) -> Outcome<'_, ()> {
        Box::pin(async move {
            let (id, doc) = self.owned_doc(&id).await?;
            let store = &self.state.store;
            let audience = self.audience(&id).await?;
            if let Some(member) = store.user_by_name(&normalize_username(&username)).await.map_err(internal)? {
                if store.remove_member(&id, &member.id).await.map_err(internal)? {
                    let unshared = Audit::new("document.unshared").target("document", doc.id, Some(doc.title));
                    self.record(unshared.detail(format!("with {}", member.username))).await;
                }
            }
            self.access_changed(&id, &audience);
            Ok(())
        })
    }

    fn create_link(&self, id: String, role: Role, expires_in_days: u32) -> Outcome<'_, NewShareLink> {
        Box::pin(async move {
            let (id, doc) = self.owned_doc(&id).await?;
            if expires_in_days > MAX_LINK_DAYS {
                return Err(Refusal::Invalid(format!("A link can last at most {MAX_LINK_DAYS} days.")));
            }
            let expires_at = (expires_in_days > 0).then(|| now_ms() + i64::from(expires_in_days) * 86_400_000);
            let token = secret::generate(SHARE_TOKEN_PREFIX);
            let link_id = uuid::Uuid::new_v4().to_string();
            let link = self
                .state
                .store
                .create_link(&link_id, &id, &secret::digest(&token), role, expires_at)
                .await
                .map_err(internal)?;
            let days = if expires_in_days == 0 { "no expiry".to_string() } else { format!("{expires_in_days} days") };
            let made = Audit::new("link.created").target("link", &link.id, None);
            self.record(made.detail(format!("{} link to “{}”, {days}", role.as_str(), doc.title))).await;
            Ok(NewShareLink {
                link: ShareLink {
                    id: link.id,
                    role: link.role,
                    created_at: link.created_at,
                    expires_at: link.expires_at,
                },
                path: format!("/s/{token}"),
            })
        })
    }

    fn revoke_link(&self, id: String, link_id: String) -> Outcome<'_, ()> {
        Box::pin(async move {
            let (id, doc) = self.owned_doc(&id).await?;
            if self.state.store.revoke_link(&id, &link_id).await.map_err(internal)? {
                let revoked = Audit::new("link.revoked").target("link", &link_id, None);
                self.record(revoked.detail(format!("to “{}”", doc.title))).await;
            }
            self.state.hub.access_changed(&id);
            Ok(())
        })
    }

    fn history(&self, id: String) -> Outcome<'_, HistoryList> {
        Box::pin(async move { self.history_list(&id).await })
    }

    fn open_version(&self, id: String, version: i64) -> Outcome<'_, VersionView> {
        Box::pin(async move { self.version_view(&id, version).await })
    }

    fn name_version(&self, id: String, name: String) -> Outcome<'_, VersionInfo> {
        Box::pin(async move { Service::name_version(self, &id, &name).await })
    }

    fn prepare_restore(&self, id: String, version: i64) -> Outcome<'_, String> {
        Box::pin(async move { self.restore_in_browser(&id, version).await })
    }

    fn rename_version(&self, id: String, version: i64, name: Option<String>) -> Outcome<'_, ()> {
        Box::pin(async move { Service::rename_version(self, &id, version, name.as_deref()).await.map(|_| ()) })
    }

    fn delete_version(&self, id: String, version: i64) -> Outcome<'_, ()> {
        Box::pin(async move { Service::delete_version(self, &id, version).await })
    }

    fn authorship(&self, id: String) -> Outcome<'_, Authorship> {
        Box::pin(async move { Service::authorship(self, &id).await })
    }

    fn set_history_access(&self, id: String, viewers: bool) -> Outcome<'_, ()> {
        Box::pin(async move { self.set_history_for_viewers(&id, viewers).await })
    }

    fn admin_view(&self) -> Outcome<'_, AdminView> {
        Box::pin(self.admin_page())
    }

    fn audit(&self, category: String, actor: String, since: String, before: Option<i64>) -> Outcome<'_, AuditView> {
        Box::pin(async move { self.audit_page(&category, &actor, &since, before).await })
    }

    fn set_registration(&self, mode: Registration) -> Outcome<'_, ()> {
        Box::pin(self.choose_registration(mode))
    }

    fn create_invite(&self, expires_in_days: u32, uses: u32, group: Option<String>) -> Outcome<'_, NewInvite> {
        Box::pin(async move { self.invite(expires_in_days, uses, group.as_deref()).await })
    }

    fn revoke_invite(&self, invite_id: String) -> Outcome<'_, ()> {
        Box::pin(async move { self.uninvite(&invite_id).await })
    }

    fn set_admin(&self, username: String, admin: bool) -> Outcome<'_, ()> {
        Box::pin(async move { self.make_admin(&username, admin).await })
    }

    fn set_disabled(&self, username: String, disabled: bool) -> Outcome<'_, ()> {
        Box::pin(async move { self.disable(&username, disabled).await })
    }

    fn delete_account(&self, username: String, to_trash: bool) -> Outcome<'_, ()> {
        let bequest = if to_trash { crate::store::Bequest::Trash } else { crate::store::Bequest::Admin };
        Box::pin(async move { Service::delete_account(self, &username, bequest).await })
    }

    fn reset_link(&self, username: String) -> Outcome<'_, ResetLink> {
        Box::pin(async move { self.password_reset_link(&username).await })
    }

    fn registration(&self) -> Outcome<'_, Registration> {
        Box::pin(async move {
            // Before the first account (the admin) anyone may sign up.
            if !self.state.store.has_users().await.map_err(internal)? {
                return Ok(Registration::Open);
            }
            self.registration_mode().await
        })
    }

    fn reset_account(&self, token: String) -> Outcome<'_, Option<String>> {
        Box::pin(async move { self.reset_link_account(&token).await })
    }

    fn reset_password(&self, token: String, password: String) -> Outcome<'_, ()> {
        Box::pin(async move { self.reset_password_with(&token, password).await })
    }

    fn groups(&self) -> Outcome<'_, GroupsView> {
        Box::pin(self.groups_view())
    }

    fn create_group(&self, name: String) -> Outcome<'_, GroupChoice> {
        Box::pin(async move { self.make_group(&name).await })
    }

    fn delete_group(&self, group_id: String) -> Outcome<'_, ()> {
        Box::pin(async move { self.remove_group(&group_id).await })
    }

    fn add_group_member(&self, group_id: String, username: String) -> Outcome<'_, ()> {
        Box::pin(async move { self.join_group(&group_id, &username).await })
    }

    fn remove_group_member(&self, group_id: String, username: String) -> Outcome<'_, ()> {
        Box::pin(async move { self.leave_group(&group_id, &username).await })
    }

    fn share_group(&self, id: String, group_id: String, role: Role) -> Outcome<'_, ()> {
        Box::pin(async move { self.share_with_group(&id, &group_id, role).await })
    }

    fn unshare_group(&self, id: String, group_id: String) -> Outcome<'_, ()> {
        Box::pin(async move { self.unshare_with_group(&id, &group_id).await })
    }

    fn set_group_creation(&self, anyone: bool) -> Outcome<'_, ()> {
        Box::pin(self.choose_group_creation(anyone))
    }

    fn sessions(&self) -> Outcome<'_, SessionList> {
        Box::pin(self.my_sessions())
    }

    fn end_session(&self, session_id: String) -> Outcome<'_, ()> {
        Box::pin(async move { self.end_my_session(&session_id).await })
    }

    fn end_other_sessions(&self) -> Outcome<'_, ()> {
        Box::pin(self.end_my_other_sessions())
    }

    fn change_password(&self, current: String, new_password: String, revoke_tokens: bool) -> Outcome<'_, ()> {
        Box::pin(self.new_password(current, new_password, revoke_tokens))
    }

    fn api_tokens(&self) -> Outcome<'_, Vec<ApiToken>> {
        Box::pin(self.my_tokens())
    }

    fn create_api_token(&self, name: String, expires_in_days: u32, read_only: bool) -> Outcome<'_, NewApiToken> {
        Box::pin(async move { self.make_token(&name, expires_in_days, read_only).await })
    }

    fn revoke_api_token(&self, token_id: String) -> Outcome<'_, ()> {
        Box::pin(async move { self.end_token(&token_id).await })
    }
}

/// Failed sign-ins count against the client's address and the account.
fn throttle_keys(ip: Option<IpAddr>, username: &str) -> [String; 2] {
    [auth::throttle::address_key(ip), format!("user:{username}")]
}

/// `GET /s/{token}`: opens a share link. A working link is remembered in the
/// session (by its id, never its token) and the browser goes to the document;
/// anything else goes to a page saying the link does not work.
pub async fn open_share_link(
    axum::extract::State(state): axum::extract::State<AppState>,
    caller: Caller,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> axum::response::Redirect {
    use axum::response::Redirect;
    let invalid = Redirect::to("/link-invalid");
    if !secret::looks_valid(SHARE_TOKEN_PREFIX, &token) {
        return invalid;
    }
    let link = match state.store.link_by_token_hash(&secret::digest(&token)).await {
        Ok(Some(link)) if link.works_at(now_ms()) => link,
        Ok(_) => return invalid,
        Err(error) => {
            tracing::error!(%error, "could not look up a share link");
            return invalid;
        }
    };
    let Some(session) = caller.session else {
        return invalid;
    };
    let mut links = caller.links;
    if !links.contains(&link.id) {
        links.push(link.id.clone());
        let excess = links.len().saturating_sub(MAX_SESSION_LINKS);
        links.drain(..excess);
    }
    if caller.user.is_none() {
        auth::guest_for(&session).await;
    }
    if let Err(error) = session.insert(auth::LINKS_KEY, links).await {
        tracing::error!(%error, "could not remember a share link in the session");
        return invalid;
    }
    Redirect::to(&format!("/d/{}", link.doc_id))
}
