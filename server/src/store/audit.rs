//! The audit log in the database: entries are appended, read newest first
//! (filtered by kind of action, by who, since when; paged by id), and removed
//! only when older than the retention. What goes in is decided by
//! `service::audit`; nothing here ever holds a secret.

use sqlx::Row;

use super::{now_ms, Store};
use crate::error::Result;

/// One thing someone (or the server) did, to be kept.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub action: &'static str,
    pub target_kind: Option<&'static str>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

/// An entry as read back.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Actions starting with this and a dot (`document` for `document.shared`…);
    /// the service only passes known categories.
    pub category: Option<&'static str>,
    /// Done by this username.
    pub actor: Option<String>,
    /// At or after this time (Unix ms).
    pub since: Option<i64>,
    /// Older than this entry (the previous page's last id).
    pub before: Option<i64>,
    pub limit: i64,
}

impl Store {
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, target_kind, target_id, target_name, detail, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(now_ms())
        .bind(&entry.actor_id)
        .bind(&entry.actor_name)
        .bind(entry.action)
        .bind(entry.target_kind)
        .bind(&entry.target_id)
        .bind(&entry.target_name)
        .bind(&entry.detail)
        .bind(&entry.address)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Entries matching the filter, newest first.
    pub async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
        let mut conditions = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        if let Some(category) = filter.category {
            binds.push(Bind::Text(format!("{category}.%")));
            conditions.push(format!("action LIKE ${}", binds.len()));
        }
        if let Some(actor) = &filter.actor {
            binds.push(Bind::Text(actor.clone()));
            conditions.push(format!("actor_name = ${}", binds.len()));
        }
        if let Some(since) = filter.since {
            binds.push(Bind::Number(since));
            conditions.push(format!("at >= ${}", binds.len()));
        }
        if let Some(before) = filter.before {
            binds.push(Bind::Number(before));
            conditions.push(format!("id < ${}", binds.len()));
        }
        let filter_sql =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        binds.push(Bind::Number(filter.limit));
        let sql = format!(
            "SELECT id, at, actor_name, action, target_kind, target_id, target_name, detail, address FROM audit_log \
             {filter_sql} ORDER BY id DESC LIMIT ${}",
            binds.len()
        );
        let mut query = sqlx::query(&sql);
        for bind in binds {
            query = match bind {
                Bind::Text(text) => query.bind(text),
                Bind::Number(number) => query.bind(number),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(AuditRow {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    actor_name: row.try_get("actor_name")?,
                    action: row.try_get("action")?,
                    target_kind: row.try_get("target_kind")?,
                    target_id: row.try_get("target_id")?,
                    target_name: row.try_get("target_name")?,
                    detail: row.try_get("detail")?,
                    address: row.try_get("address")?,
                })
            })
            .collect()
    }

    /// Removes the entries from before `before` (the retention); how many.
    pub async fn purge_audit(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audit_log WHERE at < $1").bind(before).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}

enum Bind {
    Text(String),
    Number(i64),
}
