//! Groups of people in the database: the groups, who is in them, and the
//! documents shared with each. A document shared with a group gives every
//! member that role; `access.rs` weighs it with every other grant.

use app::api::Role;
use sqlx::Row;

use super::{now_ms, Store};
use crate::error::{Error, Result};

/// A group as listed.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub created_by: Option<String>,
    /// The creator's username (who manages it, besides the admins).
    pub creator: Option<String>,
    pub created_at: i64,
    pub members: i64,
}

/// A group a document is shared with, and the role its members get.
#[derive(Debug, Clone)]
pub struct DocGroupRow {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub members: i64,
    pub creator: Option<String>,
}

const GROUP_COLUMNS: &str = "SELECT g.id, g.name, g.created_by, u.username AS creator, g.created_at, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members \
     FROM user_groups g LEFT JOIN users u ON u.id = g.created_by";

fn group_row(row: &sqlx::any::AnyRow) -> Result<GroupRow> {
    Ok(GroupRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_by: row.try_get("created_by")?,
        creator: row.try_get("creator")?,
        created_at: row.try_get("created_at")?,
        members: row.try_get("members")?,
    })
}

/// Two group names that differ only by case are the same name.
fn group_name_key(name: &str) -> String {
    name.to_lowercase()
}

impl Store {
    /// Creates a group; false when another already has this name.
    pub async fn create_group(&self, id: &str, name: &str, created_by: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO user_groups (id, name, name_key, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name_key) DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(group_name_key(name))
        .bind(created_by)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every group, by name.
    pub async fn groups(&self) -> Result<Vec<GroupRow>> {
        let rows = sqlx::query(&format!("{GROUP_COLUMNS} ORDER BY g.name_key")).fetch_all(&self.pool).await?;
        rows.iter().map(group_row).collect()
    }

    pub async fn group(&self, id: &str) -> Result<Option<GroupRow>> {
        let row = sqlx::query(&format!("{GROUP_COLUMNS} WHERE g.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(group_row).transpose()
    }

    /// Removes a group with its memberships and document shares, at once.
    /// Returns the documents it was shared with at that moment (a share made
    /// while the caller looked is among them).
    pub async fn delete_group(&self, id: &str) -> Result<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query("DELETE FROM doc_groups WHERE group_id = $1 RETURNING doc_id")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_groups WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        rows.iter().map(|row| Ok(row.try_get("doc_id")?)).collect()
    }

    /// The members of a group as (account id, username), by username.
    pub async fn group_members(&self, group_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.username FROM group_members m JOIN users u ON u.id = m.user_id \
             WHERE m.group_id = $1 ORDER BY u.username",
        )
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("username")?))).collect()
    }

    /// The ids of the groups an account is in.
    pub async fn groups_of(&self, user_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT group_id FROM group_members WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("group_id")?)).collect()
    }

    /// Adds someone to a group; false if they were in it already.
    pub async fn add_group_member(&self, group_id: &str, user_id: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO group_members (group_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (group_id, user_id) DO NOTHING",
        )
        .bind(group_id)
        .bind(user_id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes someone out of a group; false if they were not in it.
    pub async fn remove_group_member(&self, group_id: &str, user_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The documents shared with a group (the trash included).
    pub async fn group_documents(&self, group_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT doc_id FROM doc_groups WHERE group_id = $1 ORDER BY doc_id")
            .bind(group_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("doc_id")?)).collect()
    }

    /// The groups a document is shared with, by name.
    pub async fn doc_groups(&self, doc_id: &str) -> Result<Vec<DocGroupRow>> {
        let rows = sqlx::query(
            "SELECT g.id, g.name, s.role, u.username AS creator, \
             (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members \
             FROM doc_groups s JOIN user_groups g ON g.id = s.group_id LEFT JOIN users u ON u.id = g.created_by \
             WHERE s.doc_id = $1 ORDER BY g.name_key",
        )
        .bind(doc_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let role = row.try_get::<String, _>("role")?;
                Ok(DocGroupRow {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    role: Role::parse_shared(&role)
                        .ok_or_else(|| Error::Internal(format!("unknown role {role:?} in the database")))?,
                    members: row.try_get("members")?,
                    creator: row.try_get("creator")?,
                })
            })
            .collect()
    }

    /// Shares a document with a group, or changes the group's role in it.
    pub async fn set_doc_group(&self, doc_id: &str, group_id: &str, role: Role) -> Result<()> {
        sqlx::query(
            "INSERT INTO doc_groups (doc_id, group_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (doc_id, group_id) DO UPDATE SET role = excluded.role",
        )
        .bind(doc_id)
        .bind(group_id)
        .bind(role.as_str())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stops sharing a document with a group; false if it was not.
    pub async fn remove_doc_group(&self, doc_id: &str, group_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM doc_groups WHERE doc_id = $1 AND group_id = $2")
            .bind(doc_id)
            .bind(group_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
