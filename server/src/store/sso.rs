//! Accounts' identities at an OpenID provider (single sign-on): which account
//! an issuer's `sub` signs in, and linking one to an existing account.

use sqlx::{AnyConnection, Row};

use super::accounts::{user_row, SsoIdentity};
use super::{now_ms, Store, UserRow};
use crate::error::Result;

/// What linking an identity to an account came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    Done,
    /// It was linked to this account already.
    Already,
    /// It signs in another account.
    ToSomeoneElse,
    /// The account is linked to another identity at this provider.
    AccountHasAnother,
}

impl Store {
    /// The account `subject` at `issuer` signs in, noting that it did.
    pub async fn sso_user(&self, issuer: &str, subject: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.password_hash, u.is_admin, u.disabled_at, u.session_epoch \
             FROM sso_identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2",
        )
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        let Some(user) = row.as_ref().map(user_row).transpose()? else { return Ok(None) };
        sqlx::query("UPDATE sso_identities SET last_used_at = $1 WHERE issuer = $2 AND subject = $3")
            .bind(now_ms())
            .bind(issuer)
            .bind(subject)
            .execute(&self.pool)
            .await?;
        Ok(Some(user))
    }

    /// Links an identity to an existing account, unless either is linked already.
    pub async fn link_identity(&self, user_id: &str, identity: &SsoIdentity) -> Result<Linked> {
        let mut tx = self.begin_write().await?;
        let owner = sqlx::query("SELECT user_id FROM sso_identities WHERE issuer = $1 AND subject = $2")
            .bind(&identity.issuer)
            .bind(&identity.subject)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(owner) = owner {
            let owner: String = owner.try_get("user_id")?;
            return Ok(if owner == user_id { Linked::Already } else { Linked::ToSomeoneElse });
        }
        if !insert_identity(&mut tx, identity, user_id, now_ms()).await? {
            return Ok(Linked::AccountHasAnother);
        }
        tx.commit().await?;
        Ok(Linked::Done)
    }

    /// What the account is linked to at `issuer`: the identity's label (or
    /// its subject, when the provider gave no name).
    pub async fn linked_identity(&self, user_id: &str, issuer: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT subject, label FROM sso_identities WHERE user_id = $1 AND issuer = $2")
            .bind(user_id)
            .bind(issuer)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let label: Option<String> = row.try_get("label")?;
        Ok(Some(label.map_or_else(|| row.try_get("subject"), Ok)?))
    }

    /// Unlinks the account's identity at `issuer`; false if it had none.
    pub async fn unlink_identity(&self, user_id: &str, issuer: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM sso_identities WHERE user_id = $1 AND issuer = $2")
            .bind(user_id)
            .bind(issuer)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Inserts an identity; false when it, or another of the account's at the
/// same issuer, is there already.
pub(super) async fn insert_identity(
    conn: &mut AnyConnection,
    identity: &SsoIdentity,
    user_id: &str,
    now: i64,
) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO sso_identities (issuer, subject, user_id, label, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
    )
    .bind(&identity.issuer)
    .bind(&identity.subject)
    .bind(user_id)
    .bind(&identity.label)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
