//! Durable state through sqlx: the document list, each document's append-only
//! update log, and its snapshot. SQLite by default, PostgreSQL when the URL says
//! so; both through sqlx's `Any` driver with the same portable SQL (`$n`
//! placeholders, numbered in order of appearance, work on both).

mod accounts;
mod admin;
mod audit;
mod authors;
mod files;
mod groups;
mod persister;
mod sessions;
mod sharing;
mod sso;
mod text_delta;
mod versions;

pub use accounts::{Created, NewAccount, SsoIdentity, TokenLimits, TokenRow, TokenUser, UserRow};
pub use admin::{AccountChange, AccountRow, Bequest, InviteRow};
pub use audit::{AuditEntry, AuditFilter, AuditRow};
pub use authors::{Author, ClientRange};
pub use files::{staging_name, FileRow, Finished, NewFile, CHUNK_BYTES};
pub use groups::{DocGroupRow, GroupRow};
pub use persister::{Ack, Persister, VersionPolicy};
pub use sessions::SessionRow;
pub use sharing::{LinkRow, SharedDoc};
pub use sso::Linked;
pub use versions::{Cut, Retention, VersionRow};

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};

use crate::doc_id::DocId;
use crate::error::{Error, Result};

/// Which database a URL points at; they differ only in migrations, pragmas
/// and how a transaction that writes begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One document's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub id: String,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// None for documents from before accounts.
    pub owner_id: Option<String>,
    /// The owner's username.
    pub owner: Option<String>,
    /// Set while the document is in the trash.
    pub deleted_at: Option<i64>,
}

/// Columns of [`DocumentRow`], for `SELECT {DOC_COLUMNS} WHERE ...`.
const DOC_COLUMNS: &str = "d.id, d.title, d.created_at, d.updated_at, d.owner_id, u.username AS owner, d.deleted_at \
     FROM documents d LEFT JOIN users u ON u.id = d.owner_id";

/// A document as stored: the updates that make it, and what they were.
pub struct StoredDoc {
    pub updates: Vec<Vec<u8>>,
    pub index: LogIndex,
}

/// One accepted update to append to a document's log, and who wrote it.
pub struct Write {
    pub doc: DocId,
    pub update: bytes::Bytes,
    /// None for writes no person made (a restore by the API has one).
    pub author: Option<std::sync::Arc<Author>>,
    /// The yrs clock ranges it brought in `(client, start, end)`.
    pub introduced: Vec<(u64, u32, u32)>,
}

/// Which stored pieces a document consists of: log rows by seq, and the
/// version of its snapshot. Two indexes that differ mean new content may exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogIndex {
    pub snapshot: Option<i64>,
    /// Ascending.
    pub seqs: Vec<i64>,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Connections to PostgreSQL per instance unless configured otherwise.
pub const DEFAULT_POSTGRES_POOL: u32 = 16;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Store {
    /// Connects with the default pool size, creating the SQLite file (and its
    /// folder) if needed, and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_pooled(url, DEFAULT_POSTGRES_POOL).await
    }

    /// [`Self::connect`] with at most `postgres_pool` connections to
    /// PostgreSQL. SQLite always gets a few: it has one writer anyway.
    pub async fn connect_pooled(url: &str, postgres_pool: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::Config(format!(
                "DATABASE_URL must start with sqlite: or postgres:, got {:?}",
                url.split(':').next().unwrap_or("")
            )));
        };
        let mut url = url.to_string();
        if backend == Backend::Sqlite {
            prepare_sqlite_file(&url)?;
            if !url.contains("mode=") {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str("mode=rwc");
            }
        }
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { postgres_pool.max(2) })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers never block the writer. synchronous=FULL: a
                        // transaction that returned from COMMIT survives a crash of
                        // the process or the machine (NORMAL could lose the last
                        // commits on power loss). busy_timeout: wait for the writer
                        // instead of failing when two connections write at once.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    /// Begins a transaction that reads, then writes. SQLite starts a plain
    /// BEGIN as a reader and, if another connection committed since, refuses
    /// the upgrade to writer at once ("database is locked", no busy wait):
    /// BEGIN IMMEDIATE takes the write lock first, waiting its turn.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Inside a write transaction: waits until no other transaction is
    /// changing who administers the instance (the first account, promotions,
    /// disabling), so "at least one enabled admin" and "one first account"
    /// hold however requests interleave. SQLite's BEGIN IMMEDIATE already
    /// admits one writer at a time; PostgreSQL takes a transaction-scoped
    /// advisory lock.
    async fn lock_admins(&self, tx: &mut sqlx::AnyConnection) -> Result<()> {
        /// Any constant: the lock's name among PostgreSQL advisory locks.
        const ADMINS_LOCK: i64 = 0x5155_4952_4501;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(ADMINS_LOCK).execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// The connection pool, for the session store that shares the database.
    pub fn pool(&self) -> AnyPool {
        self.pool.clone()
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Creates a document owned by `owner` (a user id).
    pub async fn create_document(&self, id: &DocId, title: &str, owner: &str) -> Result<()> {
        let now = now_ms();
        sqlx::query("INSERT INTO documents (id, title, created_at, updated_at, owner_id) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.as_str())
            .bind(title)
            .bind(now)
            .bind(now)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A document, in the trash or not.
    pub async fn document(&self, id: &DocId) -> Result<Option<DocumentRow>> {
        let row = sqlx::query(&format!("SELECT {DOC_COLUMNS} WHERE d.id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(document_row).transpose()
    }

    /// The stored state of a document: every logged update and its snapshot
    /// (if any). Applying them all gives the document.
    ///
    /// The log is read before the snapshot: a compaction committing in
    /// between moves rows already read into a snapshot read after, so the
    /// result is never missing anything (at worst it holds some rows twice,
    /// which CRDT updates shrug off).
    pub async fn load_updates(&self, id: &DocId) -> Result<StoredDoc> {
        let rows = sqlx::query("SELECT seq, data FROM doc_updates WHERE doc_id = $1 ORDER BY seq")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut updates = Vec::with_capacity(rows.len() + 1);
        let mut index = LogIndex::default();
        for row in rows {
            index.seqs.push(row.try_get::<i64, _>("seq")?);
            updates.push(row.try_get::<Vec<u8>, _>("data")?);
        }
        if let Some((version, data)) = self.snapshot(id).await? {
            index.snapshot = Some(version);
            updates.insert(0, data);
        }
        Ok(StoredDoc { updates, index })
    }

    /// What a document's stored state consists of right now, without the
    /// bytes: its log seqs and its snapshot version. Log first, for the same
    /// reason as in [`Self::load_updates`].
    pub async fn log_index(&self, id: &DocId) -> Result<LogIndex> {
        let seqs = sqlx::query("SELECT seq FROM doc_updates WHERE doc_id = $1 ORDER BY seq")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get::<i64, _>("seq"))
            .collect::<Result<Vec<_>, _>>()?;
        let snapshot = sqlx::query("SELECT version FROM doc_snapshots WHERE doc_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get::<i64, _>("version"))
            .transpose()?;
        Ok(LogIndex { snapshot, seqs })
    }

    /// The log rows of a document with these seqs (those still there), in order.
    pub async fn log_rows(&self, id: &DocId, seqs: &[i64]) -> Result<Vec<Vec<u8>>> {
        let mut updates = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(500) {
            let sql = format!(
                "SELECT data FROM doc_updates WHERE doc_id = $1 AND seq IN ({}) ORDER BY seq",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(id.as_str());
            for seq in chunk {
                query = query.bind(*seq);
            }
            for row in query.fetch_all(&self.pool).await? {
                updates.push(row.try_get::<Vec<u8>, _>("data")?);
            }
        }
        Ok(updates)
    }

    /// A document's snapshot and its version, if it has one.
    pub async fn snapshot(&self, id: &DocId) -> Result<Option<(i64, Vec<u8>)>> {
        let row = sqlx::query("SELECT version, data FROM doc_snapshots WHERE doc_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => Some((row.try_get("version")?, row.try_get("data")?)),
            None => None,
        })
    }

    /// Appends updates (of any documents) in one transaction and marks their
    /// documents edited. Either all of them are durable or none is.
    pub async fn append_updates(&self, batch: &[Write]) -> Result<()> {
        let plan = authors::Authorship::default().plan_for(batch);
        self.append_planned(batch, &plan).await
    }

    /// [`Self::append_updates`], recording who wrote them as `plan` says.
    async fn append_planned(&self, batch: &[Write], plan: &authors::Plan) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        for write in batch {
            sqlx::query("INSERT INTO doc_updates (doc_id, data, created_at, author) VALUES ($1, $2, $3, $4)")
                .bind(write.doc.as_str())
                .bind(write.update.to_vec())
                .bind(now)
                .bind(write.author.as_ref().map(|author| author.key.as_str()))
                .execute(&mut *tx)
                .await?;
        }
        authors::record(&mut tx, plan).await?;
        let mut touched: Vec<&DocId> = batch.iter().map(|write| &write.doc).collect();
        touched.sort();
        touched.dedup();
        for doc in touched {
            sqlx::query("UPDATE documents SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(doc.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Folds a document's log into its snapshot: in one transaction, writes the
    /// merged state and deletes exactly the log rows it merged (by their seq, so
    /// rows appended meanwhile by anyone are kept). Returns how many rows merged.
    pub async fn compact(&self, id: &DocId) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let snapshot = sqlx::query("SELECT data, authors FROM doc_snapshots WHERE doc_id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let rows = sqlx::query("SELECT seq, data, author FROM doc_updates WHERE doc_id = $1 ORDER BY seq")
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // Who wrote the rows that no version lists yet stays with the
        // snapshot until the next version takes them over.
        let listed_upto = sqlx::query("SELECT MAX(upto) AS upto FROM doc_versions WHERE doc_id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get::<Option<i64>, _>("upto")?
            .unwrap_or(0);
        let mut seqs = Vec::with_capacity(rows.len());
        let mut updates = Vec::with_capacity(rows.len() + 1);
        let mut unlisted = std::collections::BTreeSet::new();
        if let Some(snapshot) = &snapshot {
            updates.push(snapshot.try_get::<Vec<u8>, _>("data")?);
            let authors: String = snapshot.try_get("authors")?;
            unlisted.extend(authors.split('\n').filter(|key| !key.is_empty()).map(str::to_string));
        }
        for row in &rows {
            let seq = row.try_get::<i64, _>("seq")?;
            seqs.push(seq);
            updates.push(row.try_get::<Vec<u8>, _>("data")?);
            if seq > listed_upto {
                unlisted.extend(row.try_get::<Option<String>, _>("author")?);
            }
        }
        let unlisted = unlisted.into_iter().collect::<Vec<_>>().join("\n");
        let doc_name = id.to_string();
        let merged = tokio::task::spawn_blocking(move || merge_updates(&doc_name, &updates))
            .await
            .map_err(|e| Error::CorruptDocument(id.to_string(), e.to_string()))??;
        // Never empty (checked above); the largest seq merged names this snapshot.
        let version = seqs.iter().copied().max().unwrap_or_default();
        sqlx::query(
            "INSERT INTO doc_snapshots (doc_id, data, updated_at, version, authors) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, \
             version = excluded.version, authors = excluded.authors",
        )
        .bind(id.as_str())
        .bind(merged)
        .bind(now_ms())
        .bind(version)
        .bind(unlisted)
        .execute(&mut *tx)
        .await?;
        crate::failpoint::hit("compaction:snapshot-written");
        for chunk in seqs.chunks(500) {
            let sql =
                format!("DELETE FROM doc_updates WHERE doc_id = $1 AND seq IN ({})", placeholders(2, chunk.len()));
            let mut query = sqlx::query(&sql).bind(id.as_str());
            for seq in chunk {
                query = query.bind(*seq);
            }
            query.execute(&mut *tx).await?;
        }
        crate::failpoint::hit("compaction:log-deleted");
        tx.commit().await?;
        Ok(seqs.len())
    }

    /// Number of log rows a document has (what compaction would merge).
    pub async fn log_len(&self, id: &DocId) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM doc_updates WHERE doc_id = $1")
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }
}

/// `$first, $first+1, ...`: `count` numbered placeholders.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// Replays updates into a document and encodes its whole state as one update
/// (deleted text is garbage-collected, so a snapshot is smaller than its log).
fn merge_updates(doc_name: &str, updates: &[Vec<u8>]) -> Result<Vec<u8>> {
    use yrs::{ReadTxn, StateVector, Transact};
    let rebuilt = app::collab::doc::doc_from_updates(updates.iter().map(Vec::as_slice))
        .map_err(|e| Error::CorruptDocument(doc_name.to_string(), e.to_string()))?;
    if rebuilt.refused > 0 {
        tracing::warn!(
            doc = doc_name,
            rows = rebuilt.refused,
            "compaction drops stored rows outside the document schema"
        );
    }
    let txn = rebuilt.doc.transact();
    Ok(txn.encode_state_as_update_v1(&StateVector::default()))
}

/// The text of the document these stored updates make.
fn rebuild_text(doc_name: &str, updates: &[Vec<u8>]) -> Result<String> {
    use yrs::Transact;
    let rebuilt = app::collab::doc::doc_from_updates(updates.iter().map(Vec::as_slice))
        .map_err(|e| Error::CorruptDocument(doc_name.to_string(), e.to_string()))?;
    let text = app::collab::doc::content(&rebuilt.doc);
    let txn = rebuilt.doc.transact();
    Ok(app::collab::doc::markdown(&text, &txn))
}

fn document_row(row: &sqlx::any::AnyRow) -> Result<DocumentRow> {
    Ok(DocumentRow {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        owner_id: row.try_get("owner_id")?,
        owner: row.try_get("owner")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

/// Creates the folder of a SQLite database file so first runs just work.
fn prepare_sqlite_file(url: &str) -> Result<()> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:").split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    Ok(())
}
