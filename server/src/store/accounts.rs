//! Accounts and personal API tokens in the database. Secrets arrive here
//! already hashed (see `auth::password` and `auth::secret`).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{now_ms, Store};
use crate::error::Result;

/// How stale an API token's "last used" (or an account's "last seen") time
/// may get before a request refreshes it.
const TOKEN_USE_RESOLUTION_MS: i64 = 60_000;

/// An account as stored.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub session_epoch: i64,
}

/// A token as listed to its owner.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub limits: TokenLimits,
}

/// What a token may do beyond whose it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenLimits {
    /// Unix ms after which it stops working; None: until revoked.
    pub expires_at: Option<i64>,
    /// It only reads: no writes through the API, viewer on every socket.
    pub read_only: bool,
}

/// The account a working token belongs to, and the token's limits.
#[derive(Debug, Clone)]
pub struct TokenUser {
    pub user_id: String,
    pub username: String,
    pub limits: TokenLimits,
}

/// An account about to be created.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: String,
    pub username: String,
    /// Empty for an account that signs in only through single sign-on.
    pub password_hash: String,
    /// The identity at an OpenID provider it is linked to from the start.
    pub sso: Option<SsoIdentity>,
}

/// Who someone is at an OpenID provider: its issuer and their `sub` there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
    /// Their e-mail or name at the provider, shown back to them.
    pub label: Option<String>,
}

/// What creating an account came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Done,
    /// Someone has that username; nothing was created.
    NameTaken,
    /// The identity at the provider is linked to an account already (two
    /// first sign-ins at once); nothing was created.
    IdentityTaken,
}

impl Store {
    /// Creates an account (not an admin).
    pub async fn create_user(&self, account: &NewAccount) -> Result<Created> {
        let mut tx = self.begin_write().await?;
        let created = insert_user(&mut tx, account, false).await?;
        if created == Created::Done {
            tx.commit().await?;
        }
        Ok(created)
    }

    /// Creates the instance's first account, its admin; None (and nothing
    /// created) if any account exists by now. Serialised with every other
    /// change to who administers the instance, so two first sign-ups at once
    /// make one admin, and the other goes by the rules for everyone else.
    pub async fn create_first_user(&self, account: &NewAccount) -> Result<Option<Created>> {
        let mut tx = self.begin_write().await?;
        self.lock_admins(&mut tx).await?;
        if sqlx::query("SELECT id FROM users LIMIT 1").fetch_optional(&mut *tx).await?.is_some() {
            return Ok(None);
        }
        let created = insert_user(&mut tx, account, true).await?;
        if created == Created::Done {
            tx.commit().await?;
        }
        Ok(Some(created))
    }

    /// [`Self::create_user`] through an invitation, which loses one use in
    /// the same transaction. None when the invitation does not work (unknown,
    /// revoked, expired or used up); when the account cannot be created the
    /// invitation keeps its use. The new account joins the invitation's
    /// group, if it has one.
    pub async fn create_invited_user(&self, account: &NewAccount, invite_hash: &str) -> Result<Option<Created>> {
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let spent = sqlx::query(
            "UPDATE invites SET used = used + 1 WHERE token_hash = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2) AND used < max_uses RETURNING group_id",
        )
        .bind(invite_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(spent) = spent else { return Ok(None) };
        let created = insert_user(&mut tx, account, false).await?;
        if created != Created::Done {
            return Ok(Some(created));
        }
        // The invitation's group, if it still exists (deleting a group clears it).
        if let Some(group_id) = spent.try_get::<Option<String>, _>("group_id")? {
            sqlx::query("INSERT INTO group_members (group_id, user_id, created_at) VALUES ($1, $2, $3)")
                .bind(group_id)
                .bind(&account.id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(Created::Done))
    }

    /// True once any account exists.
    pub async fn has_users(&self) -> Result<bool> {
        Ok(sqlx::query("SELECT id FROM users LIMIT 1").fetch_optional(&self.pool).await?.is_some())
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(
            "SELECT id, username, password_hash, is_admin, disabled_at, session_epoch FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(
            "SELECT id, username, password_hash, is_admin, disabled_at, session_epoch FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// Notes that the account was active, to the minute (a write at most
    /// once a minute per account, whatever the number of pages opened).
    pub async fn touch_last_seen(&self, user_id: &str) -> Result<()> {
        let now = now_ms();
        sqlx::query("UPDATE users SET last_seen_at = $1 WHERE id = $2 AND (last_seen_at IS NULL OR last_seen_at < $3)")
            .bind(now)
            .bind(user_id)
            .bind(now - TOKEN_USE_RESOLUTION_MS)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_token(
        &self,
        id: &str,
        user_id: &str,
        name: &str,
        token_hash: &str,
        limits: TokenLimits,
    ) -> Result<TokenRow> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, read_only) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .bind(limits.expires_at)
        .bind(i64::from(limits.read_only))
        .execute(&self.pool)
        .await?;
        Ok(TokenRow { id: id.into(), name: name.into(), created_at: now, last_used_at: None, limits })
    }

    /// The user's tokens that still work, newest first.
    pub async fn tokens(&self, user_id: &str) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, last_used_at, expires_at, read_only FROM api_tokens \
             WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) \
             ORDER BY created_at DESC, id",
        )
        .bind(user_id)
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TokenRow {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                    limits: token_limits(row)?,
                })
            })
            .collect()
    }

    /// Revokes one of the user's tokens; false if they have no such token.
    pub async fn revoke_token(&self, user_id: &str, token_id: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(token_id)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The account a working token (not revoked, not expired) belongs to,
    /// noting that it was used.
    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<TokenUser>> {
        let now = now_ms();
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.last_used_at, t.expires_at, t.read_only, u.id AS user_id, u.username \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
             AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        // "Last used" to the minute is all anyone reads; writing it on every
        // request made each token-authenticated request (a script's WebSocket
        // among them) wait for a committed write.
        let last_used: Option<i64> = row.try_get("last_used_at")?;
        if last_used.is_none_or(|at| now - at >= TOKEN_USE_RESOLUTION_MS) {
            let token_id: String = row.try_get("token_id")?;
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&token_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(TokenUser {
            user_id: row.try_get("user_id")?,
            username: row.try_get("username")?,
            limits: token_limits(&row)?,
        }))
    }
}

pub(super) fn user_row(row: &AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
        session_epoch: row.try_get("session_epoch")?,
    })
}

fn token_limits(row: &AnyRow) -> Result<TokenLimits> {
    Ok(TokenLimits { expires_at: row.try_get("expires_at")?, read_only: row.try_get::<i64, _>("read_only")? != 0 })
}

/// Inserts an account, and its identity at a provider if it has one. The
/// caller rolls back unless it is [`Created::Done`].
async fn insert_user(conn: &mut AnyConnection, account: &NewAccount, admin: bool) -> Result<Created> {
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO users (id, username, password_hash, created_at, is_admin, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $4) ON CONFLICT (username) DO NOTHING",
    )
    .bind(&account.id)
    .bind(&account.username)
    .bind(&account.password_hash)
    .bind(now)
    .bind(i64::from(admin))
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() != 1 {
        return Ok(Created::NameTaken);
    }
    if let Some(identity) = &account.sso {
        if !super::sso::insert_identity(conn, identity, &account.id, now).await? {
            return Ok(Created::IdentityTaken);
        }
    }
    Ok(Created::Done)
}
