//! The data that crosses between server and browser, and the validation rules
//! both sides share (so a form can say what is wrong before it is sent).

use serde::{Deserialize, Serialize};

/// What someone may do with a document. Ordered: a higher role can do all a
/// lower one can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the document and sees who is there; cannot change it.
    Viewer,
    /// Reads and writes.
    Editor,
    /// Writes, renames, shares, deletes.
    Owner,
}

impl Role {
    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    /// The roles that can be given to someone else (there is one owner).
    pub fn parse_shared(raw: &str) -> Option<Role> {
        match raw {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            _ => None,
        }
    }

    /// "can view" / "can edit" / "owner", as shown in lists.
    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "can view",
            Role::Editor => "can edit",
            Role::Owner => "owner",
        }
    }
}

/// Who someone is to the people they work with, as decided by the server: the
/// name and colour others see on their caret and in the presence bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    /// A CSS hex colour, `#rrggbb`.
    pub color: String,
}

/// The person looking at a page: signed in (with a username) or a guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub identity: Identity,
    pub username: Option<String>,
    /// Administers this instance (the account menu links the admin page).
    pub admin: bool,
}

/// A row of a document list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSummary {
    pub id: String,
    pub title: String,
    /// Last edit, Unix milliseconds.
    pub updated_at: i64,
    /// The caller's role.
    pub role: Role,
    /// The owner's username (None for documents from before accounts).
    pub owner: Option<String>,
}

/// The caller's documents and the server's clock, so "edited 5 minutes ago"
/// reads the same when rendered on the server and when hydrated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocList {
    /// Documents the caller owns, most recently edited first.
    pub mine: Vec<DocSummary>,
    /// Documents shared with the caller by name.
    pub shared: Vec<DocSummary>,
    pub now: i64,
}

/// A document in the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trashed {
    pub id: String,
    pub title: String,
    pub deleted_at: i64,
    /// When it will be removed for good.
    pub purge_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashList {
    pub documents: Vec<Trashed>,
    pub now: i64,
}

/// One document as first rendered, and who is looking at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocView {
    pub id: String,
    pub title: String,
    pub markdown: String,
    pub me: Identity,
    /// The person has an account (a guest who came by a link has not).
    pub signed_in: bool,
    pub role: Role,
    pub owner: Option<String>,
    /// The person may open the document's history.
    pub history: bool,
}

/// Someone a document is shared with by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub username: String,
    pub role: Role,
}

/// A share link as its owner sees it (the secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: String,
    pub role: Role,
    pub created_at: i64,
    /// Unix milliseconds; None: never expires.
    pub expires_at: Option<i64>,
}

/// Everything the share dialog shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sharing {
    /// The caller owns the document and may change all this (an editor only
    /// sees the people).
    pub can_manage: bool,
    pub members: Vec<Member>,
    /// The groups it is shared with.
    pub groups: Vec<super::groups::GroupShare>,
    /// Every group, to share with (for the owner; empty for an editor).
    pub group_choices: Vec<super::groups::GroupChoice>,
    /// Links that still work.
    pub links: Vec<ShareLink>,
    /// Viewers may see the document's history.
    pub history_for_viewers: bool,
    pub now: i64,
}

/// A link just made: its path holds the secret token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewShareLink {
    pub link: ShareLink,
    /// `/s/{token}`; the token is not stored and cannot be shown again.
    pub path: String,
}

/// A personal API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// When it stops working; None: when revoked.
    pub expires_at: Option<i64>,
    /// It may only read (no writes through the API, viewer on every socket).
    pub read_only: bool,
}

/// Longest an API token can be made to last, in days.
pub const MAX_TOKEN_DAYS: u32 = 365;

/// A token just made; `secret` is shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// A title as stored: trimmed, not empty, not too long, no control characters.
pub fn validate_title(raw: &str) -> Result<String, &'static str> {
    let title = raw.trim();
    if title.is_empty() {
        return Err("title must not be empty");
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err("title must be at most 200 characters");
    }
    if title.chars().any(char::is_control) {
        return Err("title must not contain control characters");
    }
    Ok(title.to_string())
}

/// Longest name of a version, in characters.
pub const MAX_VERSION_NAME_CHARS: usize = 100;

/// A version's name as typed, trimmed; the reason if it cannot be one.
pub fn validate_version_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("a version name must not be empty");
    }
    if name.chars().count() > MAX_VERSION_NAME_CHARS {
        return Err("a version name must be at most 100 characters");
    }
    if name.chars().any(char::is_control) {
        return Err("a version name must not contain control characters");
    }
    Ok(name.to_string())
}

/// One version in a document's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub id: i64,
    /// Unix milliseconds: for automatic versions, the last edit they hold.
    pub created_at: i64,
    /// "auto", "named", or "restore" (the text just before a restore).
    pub kind: String,
    pub name: Option<String>,
    /// Bytes of its text.
    pub size: i64,
    /// Who changed the text since the version before.
    pub authors: Vec<Identity>,
}

/// A document's history as the history panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryList {
    /// Newest first.
    pub versions: Vec<VersionInfo>,
    /// The caller may name and restore versions (an editor).
    pub can_edit: bool,
    /// The caller may rename and delete them (the owner).
    pub can_manage: bool,
    pub now: i64,
}

/// One version opened in the history panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub info: VersionInfo,
    /// Rendered by the preview's renderer (raw HTML stays text).
    pub html: String,
    /// From this version to the current text.
    pub diff: Vec<crate::collab::compare::DiffLine>,
    /// Changed lines the diff leaves out (it is capped).
    pub left_out: usize,
}

/// The current text, piece by piece, with who wrote each piece.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorship {
    pub people: Vec<Identity>,
    /// In order; `person` indexes `people` (None: written before Quire
    /// recorded authors).
    pub spans: Vec<AuthorSpan>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorSpan {
    pub text: String,
    pub person: Option<u32>,
}

/// A username as typed, in the form it is stored and compared in.
pub fn normalize_username(raw: &str) -> String {
    raw.trim().to_ascii_lowercase()
}

/// A username as stored: 3 to 32 of a-z, 0-9, `_`, `-`, `.`, compared lowercase.
pub fn validate_username(raw: &str) -> Result<String, &'static str> {
    let name = normalize_username(raw);
    if name.len() < 3 || name.len() > 32 {
        return Err("username must be 3 to 32 characters");
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.')) {
        return Err("username may use only letters, digits, '_', '-' and '.'");
    }
    Ok(name)
}

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn validate_password(raw: &str) -> Result<(), &'static str> {
    let chars = raw.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err("password must be at least 8 characters");
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err("password must be at most 256 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_what_they_allow() {
        assert!(Role::Owner > Role::Editor && Role::Editor > Role::Viewer);
        assert!(!Role::Viewer.can_edit());
        assert!(Role::Editor.can_edit());
        assert_eq!(Role::parse_shared("owner"), None);
    }

    #[test]
    fn usernames_are_lowercase_and_plain() {
        assert_eq!(validate_username(" Alice.B "), Ok("alice.b".to_string()));
        assert!(validate_username("al").is_err());
        assert!(validate_username("a/../b").is_err());
        assert!(validate_username("émile").is_err());
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough").is_ok());
    }
}
