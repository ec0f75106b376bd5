//! The one rule for who may do what with a document, used by every entry
//! point: pages and server functions, the JSON API and the WebSocket.
//!
//! A caller's role is the highest of: owner (the document's `owner_id`),
//! member (shared by username), and any working share link their session
//! opened. Documents from before accounts (no owner) are open to editors
//! holding their link, as they always were. Nobody has a role in a document
//! in the trash; its owner sees it only in the Trash list. A read-only API
//! token makes any of these a viewer's, and an expiring one ends the grant
//! when it expires.

use app::api::Role;

use crate::auth::Caller;
use crate::doc_id::DocId;
use crate::error::Result;
use crate::store::{now_ms, DocumentRow, Store, TokenLimits};

/// A role, and until when it holds if it comes from an expiring link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    /// Unix milliseconds; None: until someone changes it.
    pub until: Option<i64>,
}

/// The caller's grant on a document, and the document; None if they have
/// none (or it does not exist, or is in the trash).
pub async fn grant(store: &Store, caller: &Caller, id: &DocId) -> Result<Option<(Grant, DocumentRow)>> {
    let Some(doc) = store.document(id).await? else { return Ok(None) };
    if doc.deleted_at.is_some() {
        return Ok(None);
    }
    let mut best: Option<Grant> = None;
    let mut offer = |grant: Grant| {
        best = Some(match best {
            Some(held) if held.role > grant.role => held,
            Some(held) if held.role == grant.role => Grant { role: held.role, until: later(held.until, grant.until) },
            _ => grant,
        });
    };
    match (&doc.owner_id, &caller.user) {
        (None, _) => offer(Grant { role: Role::Editor, until: None }),
        (Some(owner), Some(user)) if *owner == user.id => offer(Grant { role: Role::Owner, until: None }),
        _ => {}
    }
    if let Some(user) = &caller.user {
        if let Some(role) = store.member_role(id, &user.id).await? {
            offer(Grant { role, until: None });
        }
    }
    let now = now_ms();
    for link in store.links_among(id, &caller.links).await? {
        if link.works_at(now) {
            offer(Grant { role: link.role, until: link.expires_at });
        }
    }
    Ok(best.map(|grant| (within_token_limits(grant, caller.token_limits), doc)))
}

/// What is left of a grant through a token with these limits.
fn within_token_limits(mut grant: Grant, limits: TokenLimits) -> Grant {
    if limits.read_only {
        grant.role = grant.role.min(Role::Viewer);
    }
    if let Some(end) = limits.expires_at {
        grant.until = Some(grant.until.map_or(end, |until| until.min(end)));
    }
    grant
}

/// The later of two ends, where None (no end) is latest.
fn later(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{later, within_token_limits, Grant, Role, TokenLimits};

    #[test]
    fn a_read_only_or_expiring_token_narrows_every_grant() {
        let owner = Grant { role: Role::Owner, until: None };
        let read_only = TokenLimits { expires_at: None, read_only: true };
        assert_eq!(within_token_limits(owner, read_only).role, Role::Viewer);
        let expiring = TokenLimits { expires_at: Some(50), read_only: false };
        assert_eq!(within_token_limits(owner, expiring), Grant { role: Role::Owner, until: Some(50) });
        let link = Grant { role: Role::Editor, until: Some(20) };
        assert_eq!(within_token_limits(link, expiring).until, Some(20), "the earlier end holds");
        assert_eq!(within_token_limits(link, TokenLimits::default()), link);
    }

    #[test]
    fn a_grant_without_end_outlasts_any_expiry() {
        assert_eq!(later(Some(1), Some(5)), Some(5));
        assert_eq!(later(Some(1), None), None);
    }
}
