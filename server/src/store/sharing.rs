//! Who may open which document: owners, members (shared by username or
//! through a group, see `groups.rs`), share links, and the trash. Roles are
//! stored as 'viewer' / 'editor'; the owner is the document's `owner_id`,
//! never a member row.

use app::api::Role;
use sqlx::Row;

use super::{document_row, now_ms, DocumentRow, Store, DOC_COLUMNS};
use crate::doc_id::DocId;
use crate::error::{Error, Result};

/// A document in a list, with the caller's role in it.
#[derive(Debug, Clone)]
pub struct SharedDoc {
    pub doc: DocumentRow,
    pub role: Role,
}

/// A share link as stored (its token only as a hash, elsewhere).
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub id: String,
    pub doc_id: String,
    pub role: Role,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl LinkRow {
    pub fn works_at(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

fn role_of(raw: &str) -> Result<Role> {
    Role::parse_shared(raw).ok_or_else(|| Error::Internal(format!("unknown role {raw:?} in the database")))
}

impl Store {
    /// The user's own documents (not in the trash), most recently edited first.
    pub async fn owned_documents(&self, user_id: &str) -> Result<Vec<DocumentRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOC_COLUMNS} WHERE d.owner_id = $1 AND d.deleted_at IS NULL ORDER BY d.updated_at DESC, d.id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_row).collect()
    }

    /// Documents shared with the user, by name or through a group they are
    /// in (not in the trash, not their own), each with the most generous role.
    pub async fn shared_documents(&self, user_id: &str) -> Result<Vec<SharedDoc>> {
        let rows = sqlx::query(
            "SELECT d.id, d.title, d.created_at, d.updated_at, d.owner_id, u.username AS owner, d.deleted_at, \
             MAX(CASE s.role WHEN 'editor' THEN 2 ELSE 1 END) AS role_rank \
             FROM (SELECT doc_id, role FROM doc_members WHERE user_id = $1 \
                   UNION ALL SELECT g.doc_id, g.role FROM doc_groups g \
                   JOIN group_members m ON m.group_id = g.group_id WHERE m.user_id = $2) s \
             JOIN documents d ON d.id = s.doc_id LEFT JOIN users u ON u.id = d.owner_id \
             WHERE d.deleted_at IS NULL AND (d.owner_id IS NULL OR d.owner_id <> $3) \
             GROUP BY d.id, d.title, d.created_at, d.updated_at, d.owner_id, u.username, d.deleted_at \
             ORDER BY d.updated_at DESC, d.id",
        )
        .bind(user_id)
        .bind(user_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let role = if row.try_get::<i64, _>("role_rank")? >= 2 { Role::Editor } else { Role::Viewer };
                Ok(SharedDoc { doc: document_row(row)?, role })
            })
            .collect()
    }

    /// The user's documents in the trash, most recently deleted first.
    pub async fn trashed_documents(&self, user_id: &str) -> Result<Vec<DocumentRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOC_COLUMNS} WHERE d.owner_id = $1 AND d.deleted_at IS NOT NULL ORDER BY d.deleted_at DESC, d.id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_row).collect()
    }

    pub async fn rename_document(&self, id: &DocId, title: &str) -> Result<()> {
        sqlx::query("UPDATE documents SET title = $1 WHERE id = $2")
            .bind(title)
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Moves a document to the trash (`Some(now)`) or back out of it (`None`).
    pub async fn set_deleted(&self, id: &DocId, deleted_at: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE documents SET deleted_at = $1 WHERE id = $2")
            .bind(deleted_at)
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes for good every document that went to the trash before `before`
    /// (its log, snapshot, members and links go with it). Returns their ids
    /// and titles.
    pub async fn purge_trash(&self, before: i64) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("DELETE FROM documents WHERE deleted_at IS NOT NULL AND deleted_at < $1 RETURNING id, title")
                .bind(before)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("title")?))).collect()
    }

    /// The most generous role the account has in the document by being
    /// shared with, by name or through any of its groups.
    pub async fn member_role(&self, id: &DocId, user_id: &str) -> Result<Option<Role>> {
        let rows = sqlx::query(
            "SELECT role FROM doc_members WHERE doc_id = $1 AND user_id = $2 \
             UNION ALL SELECT g.role FROM doc_groups g JOIN group_members m ON m.group_id = g.group_id \
             WHERE g.doc_id = $3 AND m.user_id = $4",
        )
        .bind(id.as_str())
        .bind(user_id)
        .bind(id.as_str())
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut best = None;
        for row in &rows {
            best = best.max(Some(role_of(&row.try_get::<String, _>("role")?)?));
        }
        Ok(best)
    }

    /// Members by username, alphabetically.
    pub async fn members(&self, id: &DocId) -> Result<Vec<(String, Role)>> {
        let rows = sqlx::query(
            "SELECT u.username, m.role FROM doc_members m JOIN users u ON u.id = m.user_id \
             WHERE m.doc_id = $1 ORDER BY u.username",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("username")?, role_of(&row.try_get::<String, _>("role")?)?))).collect()
    }

    /// Adds a member or changes their role.
    pub async fn set_member(&self, id: &DocId, user_id: &str, role: Role) -> Result<()> {
        sqlx::query(
            "INSERT INTO doc_members (doc_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (doc_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(id.as_str())
        .bind(user_id)
        .bind(role.as_str())
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes a member; false if they were not one.
    pub async fn remove_member(&self, id: &DocId, user_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM doc_members WHERE doc_id = $1 AND user_id = $2")
            .bind(id.as_str())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Everyone whose document lists show this document: owner, members,
    /// and the members of groups it is shared with.
    pub async fn audience(&self, id: &DocId) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT owner_id AS user_id FROM documents WHERE id = $1 AND owner_id IS NOT NULL \
             UNION SELECT user_id FROM doc_members WHERE doc_id = $2 \
             UNION SELECT m.user_id FROM doc_groups g JOIN group_members m ON m.group_id = g.group_id \
             WHERE g.doc_id = $3",
        )
        .bind(id.as_str())
        .bind(id.as_str())
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok(row.try_get("user_id")?)).collect()
    }

    pub async fn create_link(
        &self,
        link_id: &str,
        id: &DocId,
        token_hash: &str,
        role: Role,
        expires_at: Option<i64>,
    ) -> Result<LinkRow> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO share_links (id, doc_id, token_hash, role, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(link_id)
        .bind(id.as_str())
        .bind(token_hash)
        .bind(role.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(LinkRow { id: link_id.into(), doc_id: id.to_string(), role, created_at: now, expires_at, revoked_at: None })
    }

    /// Every link of a document, working or not, newest first.
    pub async fn links(&self, id: &DocId) -> Result<Vec<LinkRow>> {
        let rows = sqlx::query(&format!("{LINK_COLUMNS} WHERE doc_id = $1 ORDER BY created_at DESC, id"))
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(link_row).collect()
    }

    /// The links with these ids (a session's grants) on one document.
    pub async fn links_among(&self, id: &DocId, link_ids: &[String]) -> Result<Vec<LinkRow>> {
        if link_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..link_ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!("{LINK_COLUMNS} WHERE doc_id = $1 AND id IN ({})", placeholders.join(", "));
        let mut query = sqlx::query(&sql).bind(id.as_str());
        for link in link_ids {
            query = query.bind(link.as_str());
        }
        query.fetch_all(&self.pool).await?.iter().map(link_row).collect()
    }

    pub async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<LinkRow>> {
        let row = sqlx::query(&format!("{LINK_COLUMNS} WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(link_row).transpose()
    }

    /// Revokes a link of a document; false if it has no such working link.
    pub async fn revoke_link(&self, id: &DocId, link_id: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE share_links SET revoked_at = $1 WHERE id = $2 AND doc_id = $3 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(link_id)
                .bind(id.as_str())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}

const LINK_COLUMNS: &str = "SELECT id, doc_id, role, created_at, expires_at, revoked_at FROM share_links";

fn link_row(row: &sqlx::any::AnyRow) -> Result<LinkRow> {
    Ok(LinkRow {
        id: row.try_get("id")?,
        doc_id: row.try_get("doc_id")?,
        role: role_of(&row.try_get::<String, _>("role")?)?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}
