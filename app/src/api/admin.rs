//! Running an instance: who may join ([`Registration`]), the people on it,
//! invitations and password-reset links. The types, and the server functions
//! of the admin page and of signing up or resetting a password through a link.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone who reaches the server.
    Open,
    /// Only through an invitation an admin made.
    Invite,
    /// Nobody (invitations included).
    Closed,
}

impl Registration {
    pub const ALL: [Registration; 3] = [Registration::Open, Registration::Invite, Registration::Closed];

    pub fn parse(raw: &str) -> Option<Registration> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "open" => Some(Registration::Open),
            "invite" => Some(Registration::Invite),
            "closed" => Some(Registration::Closed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Open => "open",
            Registration::Invite => "invite",
            Registration::Closed => "closed",
        }
    }

    /// What it means, as the admin page says it.
    pub fn describe(self) -> &'static str {
        match self {
            Registration::Open => "Anyone who can reach this server can sign up",
            Registration::Invite => "Only people with an invitation link can sign up",
            Registration::Closed => "Nobody can sign up, not even with an invitation",
        }
    }
}

/// A person as the admin page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    pub documents: i64,
    pub storage_bytes: i64,
    pub admin: bool,
    pub disabled: bool,
    /// Signs in through the single sign-on provider (too).
    pub sso: bool,
}

/// An invitation that still works (its secret is never listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub id: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub uses: i64,
    pub used: i64,
    /// The group whoever signs up through it joins.
    pub group: Option<String>,
}

/// An invitation just made, with its link (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvite {
    pub invite: Invite,
    /// `/signup?invite=…`
    pub path: String,
}

/// A one-time password-reset link, to hand to its person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetLink {
    pub username: String,
    /// `/reset?token=…`
    pub path: String,
    pub expires_at: i64,
}

/// Everything the admin page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminView {
    pub accounts: Vec<Account>,
    pub registration: Registration,
    /// Set by the server's configuration (`QUIRE_REGISTRATION`): the page
    /// cannot change it.
    pub registration_fixed: bool,
    pub invites: Vec<Invite>,
    /// The groups an invitation can add people to.
    pub groups: Vec<super::groups::GroupChoice>,
    /// Anyone, not only admins, may create groups.
    pub anyone_creates_groups: bool,
    /// The admin looking, who cannot disable or demote themselves here.
    pub me: String,
    pub now: i64,
}

/// The kinds of audit-log entries one can filter by: (the actions' prefix, what the page calls them).
pub const AUDIT_CATEGORIES: [(&str, &str); 7] = [
    ("sign_in", "Sign-ins"),
    ("account", "Accounts and sessions"),
    ("document", "Documents and sharing"),
    ("link", "Share links"),
    ("token", "API tokens"),
    ("group", "Groups"),
    ("admin", "Admin actions"),
];

/// An audit-log entry as the admin reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: i64,
    /// Who did it; None: nobody signed in (a failed sign-in) or the server.
    pub actor: Option<String>,
    /// `document.shared`, `sign_in.failed`…
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub entries: Vec<AuditEntryView>,
    /// Pass as `before` for the next (older) page; None on the last.
    pub next_before: Option<i64>,
    pub now: i64,
}

/// What an action is, in words ("shared a document").
pub fn describe_action(action: &str) -> &'static str {
    match action {
        "sign_in.succeeded" => "signed in",
        "sign_in.failed" => "failed to sign in",
        "sign_in.signed_out" => "signed out",
        "account.created" => "created an account",
        "account.password_changed" => "changed their password",
        "account.password_reset" => "set a new password with a reset link",
        "account.session_ended" => "signed a session out",
        "account.other_sessions_ended" => "signed out everywhere else",
        "document.deleted" => "moved a document to the trash",
        "document.restored" => "restored a document from the trash",
        "document.purged" => "removed a document for good",
        "document.shared" => "shared a document",
        "document.unshared" => "stopped sharing a document",
        "document.group_shared" => "shared a document with a group",
        "document.group_unshared" => "stopped sharing a document with a group",
        "link.created" => "created a share link",
        "link.revoked" => "revoked a share link",
        "token.created" => "created an API token",
        "token.revoked" => "revoked an API token",
        "group.created" => "created a group",
        "group.deleted" => "deleted a group",
        "group.member_added" => "added someone to a group",
        "group.member_removed" => "took someone out of a group",
        "admin.registration_changed" => "changed who may sign up",
        "admin.group_creation_changed" => "changed who may create groups",
        "admin.invite_created" => "created an invitation",
        "admin.invite_revoked" => "withdrew an invitation",
        "admin.promoted" => "made someone an admin",
        "admin.demoted" => "removed someone's admin rights",
        "admin.disabled" => "disabled an account",
        "admin.enabled" => "enabled an account",
        "admin.reset_link_created" => "made a password-reset link",
        "admin.deleted" => "deleted an account",
        _ => "did something",
    }
}

/// Longest an invitation can be made to last, in days.
pub const MAX_INVITE_DAYS: u32 = 365;
/// Most sign-ups one invitation can allow.
pub const MAX_INVITE_USES: u32 = 1000;

/// A page of the audit log: `category` one of [`AUDIT_CATEGORIES`] or empty,
/// `actor` a username or empty, `since` a day (`YYYY-MM-DD`) or empty.
#[server(prefix = "/rpc")]
pub async fn load_audit(
    category: String,
    actor: String,
    since: String,
    before: Option<i64>,
) -> Result<AuditView, ServerFnError> {
    Ok(super::ssr::backend()?.audit(category, actor, since, before).await?)
}

#[server(prefix = "/rpc")]
pub async fn load_admin() -> Result<AdminView, ServerFnError> {
    Ok(super::ssr::backend()?.admin_view().await?)
}

#[server(prefix = "/rpc")]
pub async fn set_registration(mode: String) -> Result<(), ServerFnError> {
    let mode = Registration::parse(&mode).ok_or_else(|| super::ssr::invalid("Choose open, invite or closed."))?;
    Ok(super::ssr::backend()?.set_registration(mode).await?)
}

#[server(prefix = "/rpc")]
/// `group`: a group's id, or empty for none.
pub async fn create_invite(expires_in_days: u32, uses: u32, group: String) -> Result<NewInvite, ServerFnError> {
    let group = Some(group).filter(|group| !group.is_empty());
    Ok(super::ssr::backend()?.create_invite(expires_in_days, uses, group).await?)
}

#[server(prefix = "/rpc")]
pub async fn revoke_invite(invite_id: String) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.revoke_invite(invite_id).await?)
}

#[server(prefix = "/rpc")]
pub async fn set_admin(username: String, admin: bool) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.set_admin(username, admin).await?)
}

#[server(prefix = "/rpc")]
pub async fn set_disabled(username: String, disabled: bool) -> Result<(), ServerFnError> {
    Ok(super::ssr::backend()?.set_disabled(username, disabled).await?)
}

/// Deletes an account; `documents` says where theirs go: "admin" (to the
/// admin deleting it) or "trash" (to that admin's trash).
#[server(prefix = "/rpc")]
pub async fn delete_account(username: String, documents: String) -> Result<(), ServerFnError> {
    let to_trash = match documents.as_str() {
        "admin" => false,
        "trash" => true,
        _ => return Err(super::ssr::invalid("Choose where their documents go.")),
    };
    Ok(super::ssr::backend()?.delete_account(username, to_trash).await?)
}

#[server(prefix = "/rpc")]
pub async fn create_reset_link(username: String) -> Result<ResetLink, ServerFnError> {
    Ok(super::ssr::backend()?.reset_link(username).await?)
}

/// Who may sign up right now (the sign-up page asks before showing its form).
#[server(prefix = "/rpc")]
pub async fn who_may_sign_up() -> Result<Registration, ServerFnError> {
    Ok(super::ssr::backend()?.registration().await?)
}

/// Whose password a reset link sets; None if it does not work (any more).
#[server(prefix = "/rpc")]
pub async fn reset_account(token: String) -> Result<Option<String>, ServerFnError> {
    Ok(super::ssr::backend()?.reset_account(token).await?)
}

/// Sets a new password through a reset link, signs in, and goes home.
#[server(prefix = "/rpc")]
pub async fn reset_password(token: String, password: String) -> Result<(), ServerFnError> {
    super::ssr::backend()?.reset_password(token, password).await?;
    leptos_axum::redirect("/");
    Ok(())
}
