//! An account's own sessions in the database, as "Your account" shows them:
//! listing them, ending one, ending all but the current one, and changing the
//! password (which ends the others too). The rows are tower-sessions' (see
//! `auth::session_store`); a session's device is in its data.

use sqlx::Row;

use super::{now_ms, Store};
use crate::error::Result;

/// A signed-in session of an account as stored.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The session's id: the cookie's secret, never shown to anyone.
    pub id: String,
    /// Its data (JSON), which holds the device it was signed in from.
    pub data: String,
    pub last_active_at: Option<i64>,
}

impl Store {
    /// The account's sessions that still work (signed in at its current
    /// epoch, not expired).
    pub async fn sessions_of(&self, user_id: &str) -> Result<Vec<SessionRow>> {
        let rows = sqlx::query(
            "SELECT s.id, s.data, s.last_active_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.user_id = $1 AND s.user_epoch = u.session_epoch AND s.expires_at > $2",
        )
        .bind(user_id)
        .bind(now_ms() / 1000)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SessionRow {
                    id: row.try_get("id")?,
                    data: row.try_get("data")?,
                    last_active_at: row.try_get("last_active_at")?,
                })
            })
            .collect()
    }

    /// Ends one session of the account; false if it had no such session.
    pub async fn end_session(&self, user_id: &str, session_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(session_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of the account but `keep` (the caller's, if any):
    /// a new epoch, so none of them can come back through a request in
    /// flight, and `keep` moved to it. Returns the new epoch.
    pub async fn end_other_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let epoch = end_others_in(&mut tx, user_id, keep).await?;
        tx.commit().await?;
        Ok(epoch)
    }

    /// A new password, with every other session ended in the same
    /// transaction ([`Self::end_other_sessions`]), and the account's API
    /// tokens revoked if asked. Returns the new epoch.
    pub async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep: Option<&str>,
        revoke_tokens: bool,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if revoke_tokens {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let epoch = end_others_in(&mut tx, user_id, keep).await?;
        tx.commit().await?;
        Ok(epoch)
    }

    /// Notes that a session was used now (to the minute, see `auth`).
    pub async fn touch_session(&self, session_id: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_active_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(session_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

async fn end_others_in(conn: &mut sqlx::AnyConnection, user_id: &str, keep: Option<&str>) -> Result<i64> {
    let row = sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    let epoch: i64 = row.try_get("session_epoch")?;
    // "" matches no session id: with nothing to keep, every session goes.
    let keep = keep.unwrap_or("");
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE sessions SET user_epoch = $1 WHERE id = $2 AND user_id = $3")
        .bind(epoch)
        .bind(keep)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(epoch)
}
