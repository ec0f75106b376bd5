//! Files added to documents, in the database (migration 0011): blobs named by
//! their SHA-256 and kept in chunks, and each document's files pointing at
//! them. An upload writes its chunks under a staging name as they arrive
//! (each chunk its own short write, so a slow upload never holds the
//! database's write lock) and becomes a blob, or finds the one with the same
//! bytes, when it is complete. Blobs no file points at any more are
//! collected.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{now_ms, Store};
use crate::doc_id::DocId;
use crate::error::Result;

/// Bytes per stored chunk.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Staging chunks older than this belong to uploads that died (an upload
/// must finish well within it: see `files::UPLOAD_DEADLINE`).
const STALE_UPLOAD_MS: i64 = 3600 * 1000;

/// A file as added to a document.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub id: String,
    pub doc_id: String,
    pub sha256: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub added_by: Option<String>,
    pub added_by_name: String,
    pub created_at: i64,
    /// The blob's chunk size (how a byte offset maps to a chunk).
    pub chunk_size: i64,
}

/// What recording an upload came to.
#[derive(Debug)]
pub enum Finished {
    Done(FileRow),
    /// It would take the owner past their quota; `left` is what remains.
    OverQuota {
        left: u64,
    },
    /// Its staged chunks are not all there (it was cleaned up as stale).
    Incomplete,
}

/// A completed upload, to be recorded as a document's file.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    pub id: &'a str,
    pub doc: &'a DocId,
    pub sha256: &'a str,
    pub size: i64,
    pub name: &'a str,
    pub mime: &'a str,
    pub added_by: Option<&'a str>,
    pub added_by_name: &'a str,
}

/// The staging name of an upload's chunks: when it started (so stale ones
/// can be told apart from another instance's upload in progress) and a
/// random part.
pub fn staging_name() -> String {
    format!("upload:{}:{}", now_ms(), uuid::Uuid::new_v4().simple())
}

impl Store {
    /// One chunk of an upload in progress.
    pub async fn put_chunk(&self, staging: &str, seq: i64, data: &[u8]) -> Result<()> {
        sqlx::query("INSERT INTO blob_chunks (blob, seq, data) VALUES ($1, $2, $3)")
            .bind(staging)
            .bind(seq)
            .bind(data)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drops an upload's chunks (it failed, or its bytes were stored already).
    pub async fn drop_upload(&self, staging: &str) -> Result<()> {
        sqlx::query("DELETE FROM blob_chunks WHERE blob = $1").bind(staging).execute(&self.pool).await?;
        Ok(())
    }

    /// Records a complete upload as the document's file: its staged chunks
    /// become the blob, unless the blob is stored already (then they go).
    /// `quota`: the document's owner and the bytes their documents may hold,
    /// checked here, with every other upload for them waiting, so uploads at
    /// once cannot together pass it. Refused (and nothing recorded) when the
    /// staged chunks are not all there.
    pub async fn finish_upload(
        &self,
        staging: &str,
        file: &NewFile<'_>,
        quota: Option<(&str, u64)>,
    ) -> Result<Finished> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let staged = sqlx::query(
            "SELECT COUNT(*) AS chunks, CAST(COALESCE(SUM(LENGTH(data)), 0) AS BIGINT) AS bytes \
             FROM blob_chunks WHERE blob = $1",
        )
        .bind(staging)
        .fetch_one(&mut *tx)
        .await?;
        let expected_chunks = (file.size + CHUNK_BYTES as i64 - 1) / CHUNK_BYTES as i64;
        if staged.try_get::<i64, _>("chunks")? != expected_chunks || staged.try_get::<i64, _>("bytes")? != file.size {
            return Ok(Finished::Incomplete);
        }
        if let Some((owner, limit)) = quota {
            if self.backend == super::Backend::Postgres {
                // One owner's uploads finish one at a time (SQLite's BEGIN IMMEDIATE already does).
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(owner).execute(&mut *tx).await?;
            }
            let used: i64 = sqlx::query(OWNED_BYTES).bind(owner).fetch_one(&mut *tx).await?.try_get("total")?;
            let has = sqlx::query(
                "SELECT f.id FROM doc_files f JOIN documents d ON d.id = f.doc_id \
                 WHERE d.owner_id = $1 AND f.sha256 = $2 LIMIT 1",
            )
            .bind(owner)
            .bind(file.sha256)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
            let left = limit.saturating_sub(used.max(0) as u64);
            if !has && file.size as u64 > left {
                return Ok(Finished::OverQuota { left });
            }
        }
        // Two first uploads of the same bytes at once: the second finds the first's blob.
        let created = sqlx::query(
            "INSERT INTO blobs (sha256, size, chunk_size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(file.sha256)
        .bind(file.size)
        .bind(CHUNK_BYTES as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if created {
            sqlx::query("UPDATE blob_chunks SET blob = $1 WHERE blob = $2")
                .bind(file.sha256)
                .bind(staging)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("DELETE FROM blob_chunks WHERE blob = $1").bind(staging).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO doc_files (id, doc_id, sha256, name, mime, size, added_by, added_by_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(file.id)
        .bind(file.doc.as_str())
        .bind(file.sha256)
        .bind(file.name)
        .bind(file.mime)
        .bind(file.size)
        .bind(file.added_by)
        .bind(file.added_by_name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Finished::Done(FileRow {
            id: file.id.into(),
            doc_id: file.doc.to_string(),
            sha256: file.sha256.into(),
            name: file.name.into(),
            mime: file.mime.into(),
            size: file.size,
            added_by: file.added_by.map(str::to_string),
            added_by_name: file.added_by_name.into(),
            created_at: now,
            chunk_size: CHUNK_BYTES as i64,
        }))
    }

    pub async fn file(&self, id: &str) -> Result<Option<FileRow>> {
        let row = sqlx::query(&format!("{SELECT_FILE} WHERE f.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(file_row).transpose()
    }

    /// A document's files, oldest first.
    pub async fn files_of(&self, doc: &DocId) -> Result<Vec<FileRow>> {
        let rows = sqlx::query(&format!("{SELECT_FILE} WHERE f.doc_id = $1 ORDER BY f.created_at, f.id"))
            .bind(doc.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(file_row).collect()
    }

    /// Bytes of the files in documents an account owns, whoever added
    /// them (each distinct content once): what its quota counts.
    pub async fn file_bytes_owned_by(&self, owner_id: &str) -> Result<i64> {
        let row = sqlx::query(OWNED_BYTES).bind(owner_id).fetch_one(&self.pool).await?;
        Ok(row.try_get("total")?)
    }

    /// One chunk of a blob's bytes (None past its end).
    pub async fn chunk(&self, sha256: &str, seq: i64) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT data FROM blob_chunks WHERE blob = $1 AND seq = $2")
            .bind(sha256)
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| row.try_get("data")).transpose().map_err(Into::into)
    }

    /// Removes one of a document's files; false if it has no such file.
    pub async fn delete_file(&self, doc: &DocId, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM doc_files WHERE id = $1 AND doc_id = $2")
            .bind(id)
            .bind(doc.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes chunks of uploads that died, and the blobs no file points at
    /// (after files or documents went); answers how many blobs went. A blob
    /// an upload finds meanwhile is kept (its file's reference holds it).
    pub async fn collect_blobs(&self) -> Result<u64> {
        let stale = format!("upload:{}", now_ms() - STALE_UPLOAD_MS);
        sqlx::query("DELETE FROM blob_chunks WHERE blob LIKE 'upload:%' AND blob < $1")
            .bind(stale)
            .execute(&self.pool)
            .await?;
        let orphans = sqlx::query(
            "SELECT sha256 FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM doc_files f WHERE f.sha256 = b.sha256)",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut collected = 0;
        for orphan in &orphans {
            let sha256: String = orphan.try_get("sha256")?;
            let mut tx = self.begin_write().await?;
            // Still nobody's, now that this transaction writes (an upload may have found it).
            let gone = sqlx::query(
                "DELETE FROM blobs WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM doc_files f WHERE f.sha256 = $1)",
            )
            .bind(&sha256)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if gone {
                sqlx::query("DELETE FROM blob_chunks WHERE blob = $1").bind(&sha256).execute(&mut *tx).await?;
                collected += 1;
            }
            tx.commit().await?;
        }
        Ok(collected)
    }
}

const OWNED_BYTES: &str =
    "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS total FROM (SELECT DISTINCT f.sha256, f.size \
                           FROM doc_files f JOIN documents d ON d.id = f.doc_id WHERE d.owner_id = $1) t";

const SELECT_FILE: &str = "SELECT f.id, f.doc_id, f.sha256, f.name, f.mime, f.size, f.added_by, f.added_by_name, \
                           f.created_at, b.chunk_size FROM doc_files f JOIN blobs b ON b.sha256 = f.sha256";

fn file_row(row: &AnyRow) -> Result<FileRow> {
    Ok(FileRow {
        id: row.try_get("id")?,
        doc_id: row.try_get("doc_id")?,
        sha256: row.try_get("sha256")?,
        name: row.try_get("name")?,
        mime: row.try_get("mime")?,
        size: row.try_get("size")?,
        added_by: row.try_get("added_by")?,
        added_by_name: row.try_get("added_by_name")?,
        created_at: row.try_get("created_at")?,
        chunk_size: row.try_get("chunk_size")?,
    })
}
