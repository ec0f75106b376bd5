//! What an instance's admins manage, in the database: the people on it
//! (admin or not, disabled or not), instance settings, invitations and
//! one-time password-reset links. Secrets arrive here already hashed.

use sqlx::Row;

use super::{now_ms, Store};
use crate::error::Result;

/// A person as the admin page lists them.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: String,
    pub username: String,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    pub is_admin: bool,
    pub disabled: bool,
    /// Documents they own, the trash included.
    pub documents: i64,
    /// Bytes their documents take: snapshots, logs and versions.
    pub storage_bytes: i64,
    /// Connected to the single sign-on provider.
    pub sso: bool,
}

/// An invitation as listed (its secret is never stored, so never listed).
#[derive(Debug, Clone)]
pub struct InviteRow {
    pub id: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub max_uses: i64,
    pub used: i64,
    /// The group whoever signs up through it joins: (id, name).
    pub group: Option<(String, String)>,
}

/// Where a deleted person's documents go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bequest {
    /// To the admin deleting them, as theirs (shares and links kept).
    Admin,
    /// To the admin's trash (restorable for 30 days, then removed for good;
    /// nobody else can open them meanwhile).
    Trash,
}

/// Why an admin's change to an account was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Done,
    NoSuchAccount,
    /// It would leave the instance without an enabled admin.
    LastAdmin,
}

impl Store {
    /// Everyone with an account, by username.
    pub async fn accounts(&self) -> Result<Vec<AccountRow>> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.created_at, u.last_seen_at, u.is_admin, u.disabled_at, \
             (SELECT COUNT(*) FROM documents d WHERE d.owner_id = u.id) AS documents, \
             COALESCE((SELECT SUM(LENGTH(s.data)) FROM doc_snapshots s JOIN documents d ON d.id = s.doc_id WHERE d.owner_id = u.id), 0) \
             + COALESCE((SELECT SUM(LENGTH(l.data)) FROM doc_updates l JOIN documents d ON d.id = l.doc_id WHERE d.owner_id = u.id), 0) \
             + COALESCE((SELECT SUM(LENGTH(v.data)) FROM doc_versions v JOIN documents d ON d.id = v.doc_id WHERE d.owner_id = u.id), 0) \
             AS storage_bytes, \
             (SELECT COUNT(*) FROM sso_identities i WHERE i.user_id = u.id) AS identities \
             FROM users u ORDER BY u.username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AccountRow {
                    id: row.try_get("id")?,
                    username: row.try_get("username")?,
                    created_at: row.try_get("created_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                    is_admin: row.try_get::<i64, _>("is_admin")? != 0,
                    disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
                    documents: row.try_get("documents")?,
                    storage_bytes: row.try_get("storage_bytes")?,
                    sso: row.try_get::<i64, _>("identities")? > 0,
                })
            })
            .collect()
    }

    /// Makes an account an admin, or not. The last enabled admin stays one.
    pub async fn set_admin(&self, username: &str, admin: bool) -> Result<AccountChange> {
        let mut tx = self.begin_write().await?;
        self.lock_admins(&mut tx).await?;
        let Some(id) = account_id(&mut tx, username).await? else { return Ok(AccountChange::NoSuchAccount) };
        if !admin && other_enabled_admins(&mut tx, &id).await? == 0 {
            return Ok(AccountChange::LastAdmin);
        }
        sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
            .bind(i64::from(admin))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AccountChange::Done)
    }

    /// Disables an account (its sessions are deleted and its tokens revoked,
    /// in the same transaction) or enables it again. Returns the account's id
    /// with the outcome, so its open connections can be told.
    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<(AccountChange, Option<String>)> {
        let mut tx = self.begin_write().await?;
        self.lock_admins(&mut tx).await?;
        let Some(id) = account_id(&mut tx, username).await? else { return Ok((AccountChange::NoSuchAccount, None)) };
        if !disabled {
            sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1").bind(&id).execute(&mut *tx).await?;
            tx.commit().await?;
            return Ok((AccountChange::Done, Some(id)));
        }
        let is_admin = sqlx::query("SELECT is_admin FROM users WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<i64, _>("is_admin")?
            != 0;
        if is_admin && other_enabled_admins(&mut tx, &id).await? == 0 {
            return Ok((AccountChange::LastAdmin, Some(id)));
        }
        let now = now_ms();
        sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        end_sessions_in(&mut tx, &id).await?;
        revoke_tokens_in(&mut tx, &id, now).await?;
        // A reset link made before must not work once the account is enabled again.
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((AccountChange::Done, Some(id)))
    }

    /// Deletes an account at once: its documents go to `admin` (as theirs,
    /// or into their trash), its sessions end, its open invitations are
    /// withdrawn, and its tokens, memberships and reset links go with it.
    /// LastAdmin if `admin` is no (enabled) admin any more, is the account
    /// itself, or the account is the last enabled admin. Returns the ids of
    /// the documents moved.
    pub async fn delete_account(
        &self,
        username: &str,
        admin_id: &str,
        bequest: Bequest,
    ) -> Result<(AccountChange, Option<String>, Vec<String>)> {
        let mut tx = self.begin_write().await?;
        self.lock_admins(&mut tx).await?;
        let Some(id) = account_id(&mut tx, username).await? else {
            return Ok((AccountChange::NoSuchAccount, None, Vec::new()));
        };
        // The admin must still be one (not demoted or disabled meanwhile),
        // and not the one going.
        let heir = sqlx::query("SELECT id FROM users WHERE id = $1 AND is_admin = 1 AND disabled_at IS NULL")
            .bind(admin_id)
            .fetch_optional(&mut *tx)
            .await?;
        if heir.is_none() || id == admin_id || other_enabled_admins(&mut tx, &id).await? == 0 {
            return Ok((AccountChange::LastAdmin, Some(id), Vec::new()));
        }
        if self.backend == super::Backend::Postgres {
            // A document the person creates meanwhile waits for this, then
            // fails, instead of making the deletion fail on its reference.
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(&id).fetch_optional(&mut *tx).await?;
        }
        let now = now_ms();
        let trash = match bequest {
            Bequest::Trash => Some(now),
            Bequest::Admin => None,
        };
        let moved = sqlx::query(
            "UPDATE documents SET owner_id = $1, deleted_at = COALESCE(deleted_at, $2) WHERE owner_id = $3 RETURNING id",
        )
        .bind(admin_id)
        .bind(trash)
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?;
        // The admin owns them now: a membership of theirs in one says nothing more.
        sqlx::query(
            "DELETE FROM doc_members WHERE user_id = $1 AND doc_id IN (SELECT id FROM documents WHERE owner_id = $2)",
        )
        .bind(admin_id)
        .bind(admin_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&id).execute(&mut *tx).await?;
        // Invitations they made (as an admin) go with them.
        sqlx::query("UPDATE invites SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE id = $1").bind(&id).execute(&mut *tx).await?;
        tx.commit().await?;
        let moved = moved.iter().map(|row| row.try_get("id")).collect::<std::result::Result<Vec<String>, _>>()?;
        Ok((AccountChange::Done, Some(id), moved))
    }

    /// One instance setting, if an admin set it.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.pool).await?;
        Ok(row.map(|row| row.try_get("value")).transpose()?)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn create_invite(
        &self,
        id: &str,
        token_hash: &str,
        created_by: &str,
        expires_at: Option<i64>,
        max_uses: i64,
        group: Option<(String, String)>,
    ) -> Result<InviteRow> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO invites (id, token_hash, created_by, created_at, expires_at, max_uses, group_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(token_hash)
        .bind(created_by)
        .bind(now)
        .bind(expires_at)
        .bind(max_uses)
        .bind(group.as_ref().map(|(id, _)| id.clone()))
        .execute(&self.pool)
        .await?;
        Ok(InviteRow { id: id.into(), created_at: now, expires_at, max_uses, used: 0, group })
    }

    /// Invitations that still work, newest first.
    pub async fn invites(&self) -> Result<Vec<InviteRow>> {
        let rows = sqlx::query(
            "SELECT i.id, i.created_at, i.expires_at, i.max_uses, i.used, g.id AS group_id, g.name AS group_name \
             FROM invites i LEFT JOIN user_groups g ON g.id = i.group_id WHERE i.revoked_at IS NULL \
             AND (i.expires_at IS NULL OR i.expires_at > $1) AND i.used < i.max_uses ORDER BY i.created_at DESC, i.id",
        )
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(InviteRow {
                    id: row.try_get("id")?,
                    created_at: row.try_get("created_at")?,
                    expires_at: row.try_get("expires_at")?,
                    max_uses: row.try_get("max_uses")?,
                    used: row.try_get("used")?,
                    group: match (row.try_get("group_id")?, row.try_get("group_name")?) {
                        (Some(id), Some(name)) => Some((id, name)),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    /// False if there is no such working invitation.
    pub async fn revoke_invite(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE invites SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A reset link for an account; earlier unused links of it stop working.
    pub async fn create_password_reset(&self, user_id: &str, token_hash: &str, expires_at: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account a reset link works for (unused, unexpired, enabled account).
    pub async fn password_reset_user(&self, token_hash: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT u.id, u.username FROM password_resets r JOIN users u ON u.id = r.user_id \
             WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| Ok::<_, sqlx::Error>((row.try_get("id")?, row.try_get("username")?))).transpose()?)
    }

    /// Uses a reset link: the new password, every session ended, the link
    /// spent, all at once. The account (id, username), or None if the link
    /// does not work (any more).
    pub async fn use_password_reset(&self, token_hash: &str, password_hash: &str) -> Result<Option<(String, String)>> {
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let row = sqlx::query(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user_id: String = row.try_get("user_id")?;
        let account = sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND disabled_at IS NULL RETURNING id, username",
        )
        .bind(password_hash)
        .bind(&user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(account) = account else { return Ok(None) };
        // A reset is how an account is taken back: whatever had its
        // credentials (sessions, scripts' tokens) loses them.
        end_sessions_in(&mut tx, &user_id).await?;
        revoke_tokens_in(&mut tx, &user_id, now).await?;
        tx.commit().await?;
        Ok(Some((account.try_get("id")?, account.try_get("username")?)))
    }
}

async fn account_id(conn: &mut sqlx::AnyConnection, username: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT id FROM users WHERE username = $1").bind(username).fetch_optional(&mut *conn).await?;
    Ok(row.map(|row| row.try_get("id")).transpose()?)
}

async fn other_enabled_admins(conn: &mut sqlx::AnyConnection, id: &str) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE is_admin = 1 AND disabled_at IS NULL AND id <> $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

async fn revoke_tokens_in(conn: &mut sqlx::AnyConnection, user_id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Signs an account out everywhere: a new epoch (so a session written back
/// later by a request in flight stays out too), and its sessions deleted.
async fn end_sessions_in(conn: &mut sqlx::AnyConnection, user_id: &str) -> Result<()> {
    sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    Ok(())
}
