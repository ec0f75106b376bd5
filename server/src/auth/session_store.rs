//! tower-sessions storage in the app's own database, through the same sqlx
//! pool and migrations as everything else (one database to back up, one
//! connection pool, SQLite and PostgreSQL alike).

use async_trait::async_trait;
use sqlx::{AnyPool, Row};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

#[derive(Debug, Clone)]
pub struct SqlSessionStore {
    pool: AnyPool,
}

impl SqlSessionStore {
    pub fn new(pool: AnyPool) -> Self {
        SqlSessionStore { pool }
    }
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

/// The account a session is signed in to and at which epoch, kept beside its
/// data so that all of an account's sessions can be found (and ended) at once.
fn signed_in(record: &Record) -> (Option<String>, Option<i64>) {
    let Some(user) = record.data.get(super::USER_KEY) else { return (None, None) };
    let id = user.get("id").and_then(|id| id.as_str()).map(str::to_string);
    let epoch = id.as_ref().map(|_| user.get("epoch").and_then(|epoch| epoch.as_i64()).unwrap_or(0));
    (id, epoch)
}

impl SqlSessionStore {
    /// Inserts the record unless a session has its id. Returns whether it did.
    async fn insert(&self, record: &Record) -> session_store::Result<bool> {
        let (user_id, user_epoch) = signed_in(record);
        let done = sqlx::query(
            "INSERT INTO sessions (id, data, expires_at, user_id, user_epoch) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(record.id.to_string())
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
        .bind(user_id)
        .bind(user_epoch)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl SessionStore for SqlSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id must not overwrite someone else's session: insert, and on
        // the (astronomically unlikely) collision draw a new id.
        while !self.insert(record).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    /// Writes back a session this request loaded. Only an update: a session
    /// signed out meanwhile (its row deleted: "sign out" in the session list,
    /// an admin disabling the account) must not come back because a request
    /// of its own, in flight at that moment, saves it afterwards.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (user_id, user_epoch) = signed_in(record);
        sqlx::query("UPDATE sessions SET data = $1, expires_at = $2, user_id = $3, user_epoch = $4 WHERE id = $5")
            .bind(encode(record)?)
            .bind(record.expiry_date.unix_timestamp())
            .bind(user_id)
            .bind(user_epoch)
            .bind(record.id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        // A session signed in to an account that is disabled, gone, or was
        // signed out everywhere since (a newer epoch) does not load at all.
        let row = sqlx::query(
            "SELECT s.data, s.expires_at FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at > $2 \
             AND (s.user_id IS NULL OR (u.disabled_at IS NULL AND u.session_epoch = s.user_epoch))",
        )
        .bind(id.to_string())
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get("data").map_err(backend)?;
        let expires_at: i64 = row.try_get("expires_at").map_err(backend)?;
        let data = serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date =
            OffsetDateTime::from_unix_timestamp(expires_at).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SqlSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(OffsetDateTime::now_utc().unix_timestamp())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
