//! A document's versions: its text at moments worth going back to, cut from
//! what the database holds (snapshot and log, never the room in memory), with
//! the people who changed it since the version before.
//!
//! Texts are stored through `text_delta.rs`: a delta against the newest
//! version while the chain of deltas behind it is short, else a full copy.
//! Reading a version walks its chain back to a full copy. Deleting a version
//! (by its owner or by thinning) first rebases the versions stored as deltas
//! against it, so no version ever depends on a deleted one.
//!
//! Two instances may cut the same document at once: the unique index on
//! `(doc_id, prev, hash)` stores identical content once, and the loser's cut
//! simply finds it there.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::text_delta;
use super::{now_ms, Author, Store};
use crate::doc_id::DocId;
use crate::error::{Error, Result};

/// Deltas between a version and the full copy it builds on, at most.
const MAX_DEPTH: i64 = 16;

/// Why a version was cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cut {
    /// After a pause in editing, when a room unloads, or at start for what
    /// an earlier run left uncut.
    Auto,
    /// Someone named the current text ("Name this version…").
    Named(String),
    /// The text just before a restore replaced it.
    BeforeRestore,
}

/// One version as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub id: i64,
    pub created_at: i64,
    /// "auto", "named" or "restore".
    pub kind: String,
    pub name: Option<String>,
    /// Bytes of its text.
    pub size: i64,
    /// Who changed the text since the version before, as they were shown.
    pub authors: Vec<Author>,
}

/// How automatic versions are thinned; named ones are never thinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Every automatic version younger than this is kept (ms).
    pub keep_all_ms: i64,
    /// Then one an hour until this age (ms); then one a day.
    pub hourly_until_ms: i64,
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

impl Default for Retention {
    fn default() -> Self {
        Retention { keep_all_ms: DAY_MS, hourly_until_ms: 30 * DAY_MS }
    }
}

impl Retention {
    /// Which of these automatic versions `(id, created_at)` to delete at
    /// `now`: of each hour (or, older, each day) only the newest stays.
    pub fn thin(&self, versions: &[(i64, i64)], now: i64) -> Vec<i64> {
        let mut sorted = versions.to_vec();
        sorted.sort_by_key(|&(id, at)| std::cmp::Reverse((at, id)));
        let mut kept_buckets = BTreeSet::new();
        let mut doomed = Vec::new();
        for (id, at) in sorted {
            let age = now - at;
            if age < self.keep_all_ms {
                continue;
            }
            let bucket =
                if age < self.hourly_until_ms { (0, at.div_euclid(HOUR_MS)) } else { (1, at.div_euclid(DAY_MS)) };
            if !kept_buckets.insert(bucket) {
                doomed.push(id);
            }
        }
        doomed
    }
}

/// The newest version of a document, as a cut needs it.
struct Newest {
    id: i64,
    upto: i64,
    hash: Vec<u8>,
    depth: i64,
    name: Option<String>,
}

impl Store {
    /// Cuts a version of the document as the database holds it now, unless
    /// its text is the newest version's already (a name is then given to that
    /// version, if it has none). Returns the version that holds the text now,
    /// None for a document with nothing stored.
    ///
    /// Everything slow (rebuilding the text, the delta) happens outside the
    /// write transaction, which is short and checks that the newest version
    /// is still the one the delta was made against; if another instance cut
    /// one meanwhile, the cut starts over.
    pub async fn cut_version(&self, id: &DocId, cut: Cut) -> Result<Option<i64>> {
        self.cut_with(id, cut, None).await
    }

    /// [`Self::cut_version`] of a text known to be the document's, everything
    /// the database holds included (a room's, just before a restore
    /// changes it): nothing to rebuild.
    pub async fn keep_text(&self, id: &DocId, cut: Cut, text: String) -> Result<Option<i64>> {
        self.cut_with(id, cut, Some(text)).await
    }

    async fn cut_with(&self, id: &DocId, cut: Cut, text: Option<String>) -> Result<Option<i64>> {
        for _ in 0..3 {
            if let Some(outcome) = self.try_cut(id, &cut, text.as_deref()).await? {
                return Ok(outcome);
            }
        }
        Err(Error::Internal(format!("versions of {id} kept changing while one was cut")))
    }

    /// One attempt of [`Self::cut_version`]; None if the newest version
    /// changed under it.
    async fn try_cut(&self, id: &DocId, cut: &Cut, known: Option<&str>) -> Result<Option<Option<i64>>> {
        let mut conn = self.pool.acquire().await?;
        let newest = newest_version(&mut conn, id).await?;
        // The log before the snapshot (as in `load_updates`): a compaction
        // committing in between can only make rows appear twice, never vanish.
        let rows_query = if known.is_some() {
            "SELECT seq, author FROM doc_updates WHERE doc_id = $1 ORDER BY seq"
        } else {
            "SELECT seq, data, author FROM doc_updates WHERE doc_id = $1 ORDER BY seq"
        };
        let rows = sqlx::query(rows_query).bind(id.as_str()).fetch_all(&mut *conn).await?;
        let snapshot_query = if known.is_some() {
            "SELECT version, authors FROM doc_snapshots WHERE doc_id = $1"
        } else {
            "SELECT data, version, authors FROM doc_snapshots WHERE doc_id = $1"
        };
        let snapshot = sqlx::query(snapshot_query).bind(id.as_str()).fetch_optional(&mut *conn).await?;
        if snapshot.is_none() && rows.is_empty() && known.is_none_or(str::is_empty) {
            return Ok(Some(None));
        }
        let since = newest.as_ref().map_or(0, |n| n.upto);
        let snapshot_version = snapshot.as_ref().map(|s| s.try_get::<i64, _>("version")).transpose()?;
        let mut upto = since.max(snapshot_version.unwrap_or(0));
        for row in &rows {
            upto = upto.max(row.try_get::<i64, _>("seq")?);
        }
        // Nothing written since the newest version: it holds the text (and
        // asking again and again costs no rebuild). A known text may hold
        // more than is written yet: its hash decides below.
        if let Some(newest) = newest.as_ref().filter(|_| known.is_none()) {
            if upto <= newest.upto {
                return Ok(Some(Some(self.keep_newest(&mut conn, newest, cut, None).await?)));
            }
        }
        let mut updates = Vec::with_capacity(rows.len() + 1);
        let mut authors: BTreeSet<String> = BTreeSet::new();
        if let Some(snapshot) = &snapshot {
            if known.is_none() {
                updates.push(snapshot.try_get::<Vec<u8>, _>("data")?);
            }
            authors.extend(split_keys(&snapshot.try_get::<String, _>("authors")?).map(str::to_string));
        }
        for row in &rows {
            if known.is_none() {
                updates.push(row.try_get::<Vec<u8>, _>("data")?);
            }
            if row.try_get::<i64, _>("seq")? > since {
                authors.extend(row.try_get::<Option<String>, _>("author")?);
            }
        }
        let text = match known {
            Some(text) => text.to_string(),
            None => {
                let doc_name = id.to_string();
                tokio::task::spawn_blocking(move || super::rebuild_text(&doc_name, &updates))
                    .await
                    .map_err(|e| Error::CorruptDocument(id.to_string(), e.to_string()))??
            }
        };
        let hash = Sha256::digest(text.as_bytes()).to_vec();
        if let Some(newest) = newest.as_ref().filter(|newest| newest.hash == hash) {
            return Ok(Some(Some(self.keep_newest(&mut conn, newest, cut, Some(upto)).await?)));
        }

        let base_text = match &newest {
            Some(newest) if newest.depth < MAX_DEPTH => Some(text_of(&mut conn, newest.id).await?),
            _ => None,
        };
        let encoded = {
            let text = text.clone();
            tokio::task::spawn_blocking(move || {
                let full = text_delta::encode_full(&text);
                match base_text.map(|base| text_delta::encode_delta(&base, &text)) {
                    // A delta that saves little is not worth the chain behind it.
                    Some(delta) if delta.len() * 2 < full.len() => (true, delta),
                    _ => (false, full),
                }
            })
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
        };
        let (base, depth, data) = match (&newest, encoded) {
            (Some(newest), (true, delta)) => (Some(newest.id), newest.depth + 1, delta),
            (_, (_, full)) => (None, 0, full),
        };
        let (kind, name) = match cut {
            Cut::Auto => ("auto", None),
            Cut::Named(name) => ("named", Some(name.as_str())),
            Cut::BeforeRestore => ("restore", None),
        };
        drop(conn);

        let mut tx = self.begin_write().await?;
        let now_newest = newest_version(&mut tx, id).await?;
        if now_newest.as_ref().map(|n| n.id) != newest.as_ref().map(|n| n.id) {
            return Ok(None);
        }
        // An automatic version is dated by the last edit it holds, which is
        // when the text looked like this (a cut may come minutes later, or
        // at the next start after a crash).
        let created_at = match cut {
            Cut::Auto => last_edit(&mut tx, id).await?.unwrap_or_else(now_ms),
            _ => now_ms(),
        };
        let authors: Vec<String> = authors.into_iter().collect();
        let inserted = sqlx::query(
            "INSERT INTO doc_versions (doc_id, created_at, kind, name, upto, prev, hash, size, authors, base, depth, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (doc_id, prev, hash) DO NOTHING RETURNING id",
        )
        .bind(id.as_str())
        .bind(created_at)
        .bind(kind)
        .bind(name)
        .bind(upto)
        .bind(newest.as_ref().map_or(0, |n| n.id))
        .bind(hash)
        .bind(text.len() as i64)
        .bind(authors.join("\n"))
        .bind(base)
        .bind(depth)
        .bind(data)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(inserted) = inserted else {
            // Another instance stored this very version first.
            return Ok(None);
        };
        if let Some(version) = snapshot_version {
            // Only the authors this version took over: a compaction since
            // then wrote a newer snapshot, whose authors are not listed yet.
            sqlx::query("UPDATE doc_snapshots SET authors = '' WHERE doc_id = $1 AND version = $2")
                .bind(id.as_str())
                .bind(version)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(Some(inserted.try_get::<i64, _>("id")?)))
    }

    /// The newest version holds the text already: names it if asked to (and
    /// it has no name yet), and records that it covers the log up to `upto`.
    async fn keep_newest(
        &self,
        conn: &mut AnyConnection,
        newest: &Newest,
        cut: &Cut,
        upto: Option<i64>,
    ) -> Result<i64> {
        if let Cut::Named(name) = cut {
            if newest.name.is_none() {
                sqlx::query("UPDATE doc_versions SET name = $1, kind = 'named' WHERE id = $2 AND name IS NULL")
                    .bind(name.as_str())
                    .bind(newest.id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        if let Some(upto) = upto {
            sqlx::query("UPDATE doc_versions SET upto = $1 WHERE id = $2 AND upto < $1")
                .bind(upto)
                .bind(newest.id)
                .execute(&mut *conn)
                .await?;
        }
        Ok(newest.id)
    }

    /// A document's versions, newest first.
    pub async fn versions(&self, id: &DocId) -> Result<Vec<VersionRow>> {
        let rows = sqlx::query(
            "SELECT id, created_at, kind, name, size, authors FROM doc_versions WHERE doc_id = $1 ORDER BY id DESC",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let people = self.people(id).await?;
        rows.iter().map(|row| version_row(row, &people)).collect()
    }

    /// One version's metadata.
    pub async fn version(&self, id: &DocId, version: i64) -> Result<Option<VersionRow>> {
        let row = sqlx::query(
            "SELECT id, created_at, kind, name, size, authors FROM doc_versions WHERE doc_id = $1 AND id = $2",
        )
        .bind(id.as_str())
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(version_row(&row, &self.people(id).await?)?))
    }

    /// One version's text.
    pub async fn version_text(&self, id: &DocId, version: i64) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT id FROM doc_versions WHERE doc_id = $1 AND id = $2")
            .bind(id.as_str())
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        Ok(Some(text_of(&mut tx, version).await?))
    }

    /// Names a version, or (None) makes it automatic again, thinned like the others.
    pub async fn rename_version(&self, id: &DocId, version: i64, name: Option<&str>) -> Result<bool> {
        let done = sqlx::query("UPDATE doc_versions SET name = $1, kind = $2 WHERE doc_id = $3 AND id = $4")
            .bind(name)
            .bind(if name.is_some() { "named" } else { "auto" })
            .bind(id.as_str())
            .bind(version)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a version; what was stored as a delta against it is rebased first.
    pub async fn delete_version(&self, id: &DocId, version: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let deleted = delete_in(&mut tx, id, version).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// Thins a document's automatic versions under `retention` at `now`
    /// (the newest version always stays). Returns how many went.
    pub async fn thin_versions(&self, id: &DocId, retention: &Retention, now: i64) -> Result<usize> {
        let rows = sqlx::query("SELECT id, created_at, name FROM doc_versions WHERE doc_id = $1 ORDER BY id DESC")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut automatic = Vec::new();
        for row in rows.iter().skip(1) {
            if row.try_get::<Option<String>, _>("name")?.is_none() {
                automatic.push((row.try_get::<i64, _>("id")?, row.try_get::<i64, _>("created_at")?));
            }
        }
        let mut doomed = retention.thin(&automatic, now);
        if doomed.is_empty() {
            return Ok(0);
        }
        // Oldest first, so each rebase lands on a version that stays.
        doomed.sort_unstable();
        let mut tx = self.begin_write().await?;
        for version in &doomed {
            delete_in(&mut tx, id, *version).await?;
        }
        tx.commit().await?;
        Ok(doomed.len())
    }

    /// Documents edited after their newest version (or with none): what a
    /// crash or a restart left uncut.
    pub async fn documents_without_latest_version(&self) -> Result<Vec<DocId>> {
        let rows = sqlx::query(
            "SELECT d.id FROM documents d WHERE d.deleted_at IS NULL AND d.updated_at > d.created_at \
             AND d.updated_at > COALESCE((SELECT MAX(v.created_at) FROM doc_versions v WHERE v.doc_id = d.id), 0)",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().filter_map(|row| row.try_get::<String, _>("id").ok().and_then(|id| DocId::parse(&id))).collect())
    }

    /// How many named versions a document has.
    pub async fn named_versions(&self, id: &DocId) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM doc_versions WHERE doc_id = $1 AND name IS NOT NULL")
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    /// Whether viewers may see the document's history.
    pub async fn history_for_viewers(&self, id: &DocId) -> Result<bool> {
        let row = sqlx::query("SELECT history_for_viewers FROM documents WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get::<i64, _>("history_for_viewers")).transpose()?.unwrap_or(0) != 0)
    }

    pub async fn set_history_for_viewers(&self, id: &DocId, allowed: bool) -> Result<()> {
        sqlx::query("UPDATE documents SET history_for_viewers = $1 WHERE id = $2")
            .bind(i64::from(allowed))
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

async fn newest_version(conn: &mut AnyConnection, id: &DocId) -> Result<Option<Newest>> {
    let row =
        sqlx::query("SELECT id, upto, hash, depth, name FROM doc_versions WHERE doc_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|row| {
        Ok(Newest {
            id: row.try_get("id")?,
            upto: row.try_get("upto")?,
            hash: row.try_get("hash")?,
            depth: row.try_get("depth")?,
            name: row.try_get("name")?,
        })
    })
    .transpose()
}

async fn last_edit(conn: &mut AnyConnection, id: &DocId) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT updated_at FROM documents WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|row| row.try_get::<i64, _>("updated_at")).transpose()?)
}

/// A version's text: its chain back to a full copy, replayed forwards.
async fn text_of(conn: &mut AnyConnection, version: i64) -> Result<String> {
    let mut chain = Vec::new();
    let mut next = Some(version);
    while let Some(at) = next {
        let row = sqlx::query("SELECT base, size, data FROM doc_versions WHERE id = $1")
            .bind(at)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| corrupt(version, "its chain names a missing version"))?;
        next = row.try_get::<Option<i64>, _>("base")?;
        chain.push((row.try_get::<i64, _>("size")? as usize, row.try_get::<Vec<u8>, _>("data")?));
        if chain.len() as i64 > MAX_DEPTH + 1 {
            return Err(corrupt(version, "its chain is too long"));
        }
    }
    let (size, data) = chain.pop().ok_or_else(|| corrupt(version, "empty chain"))?;
    let mut text = text_delta::decode_full(&data, size).map_err(|e| corrupt(version, &e.to_string()))?;
    while let Some((size, delta)) = chain.pop() {
        text = text_delta::decode_delta(&text, &delta, size).map_err(|e| corrupt(version, &e.to_string()))?;
    }
    Ok(text)
}

/// Deletes a version inside `tx`, first re-encoding every version stored as
/// a delta against it: against its own base, or whole if it had none.
async fn delete_in(conn: &mut AnyConnection, id: &DocId, version: i64) -> Result<bool> {
    let row = sqlx::query("SELECT base, depth, authors FROM doc_versions WHERE doc_id = $1 AND id = $2")
        .bind(id.as_str())
        .bind(version)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(false) };
    let base: Option<i64> = row.try_get("base")?;
    let depth: i64 = row.try_get("depth")?;
    // Who changed the text up to this version changed it up to the next one too.
    let authors: String = row.try_get("authors")?;
    if !authors.is_empty() {
        let next =
            sqlx::query("SELECT id, authors FROM doc_versions WHERE doc_id = $1 AND id > $2 ORDER BY id LIMIT 1")
                .bind(id.as_str())
                .bind(version)
                .fetch_optional(&mut *conn)
                .await?;
        match next {
            Some(next) => {
                let theirs: String = next.try_get("authors")?;
                let joined: BTreeSet<&str> = split_keys(&authors).chain(split_keys(&theirs)).collect();
                sqlx::query("UPDATE doc_versions SET authors = $1 WHERE id = $2")
                    .bind(joined.into_iter().collect::<Vec<_>>().join("\n"))
                    .bind(next.try_get::<i64, _>("id")?)
                    .execute(&mut *conn)
                    .await?;
            }
            None => {
                sqlx::query("UPDATE doc_snapshots SET authors = authors || $1 WHERE doc_id = $2")
                    .bind(format!("\n{authors}"))
                    .bind(id.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    let dependents: Vec<i64> = sqlx::query("SELECT id FROM doc_versions WHERE base = $1")
        .bind(version)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>("id"))
        .collect::<Result<_, _>>()?;
    let base_text = match (base, dependents.is_empty()) {
        (Some(base), false) => Some(text_of(conn, base).await?),
        _ => None,
    };
    for dependent in dependents {
        let text = text_of(conn, dependent).await?;
        let (data, depth) = match &base_text {
            Some(base_text) => (text_delta::encode_delta(base_text, &text), depth),
            None => (text_delta::encode_full(&text), 0),
        };
        sqlx::query("UPDATE doc_versions SET base = $1, depth = $2, data = $3 WHERE id = $4")
            .bind(base)
            .bind(depth)
            .bind(data)
            .bind(dependent)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM doc_versions WHERE id = $1").bind(version).execute(&mut *conn).await?;
    Ok(true)
}

fn version_row(row: &AnyRow, people: &[Author]) -> Result<VersionRow> {
    let authors = split_keys(&row.try_get::<String, _>("authors")?)
        .map(|key| {
            people.iter().find(|person| person.key == key).cloned().unwrap_or_else(|| Author {
                key: key.to_string(),
                name: "Someone".into(),
                color: "#6e56cf".into(),
            })
        })
        .collect();
    Ok(VersionRow {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        size: row.try_get("size")?,
        authors,
    })
}

fn split_keys(keys: &str) -> impl Iterator<Item = &str> {
    keys.split('\n').filter(|key| !key.is_empty())
}

fn corrupt(version: i64, why: &str) -> Error {
    Error::CorruptDocument(format!("version {version}"), why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_a_day_then_hours_then_days() {
        let retention = Retention::default();
        let now = 400 * DAY_MS;
        // A version every 10 minutes for 100 days.
        let versions: Vec<(i64, i64)> = (0..100 * 144).map(|n| (n, now - n * 600_000)).collect();
        let doomed: BTreeSet<i64> = retention.thin(&versions, now).into_iter().collect();
        let kept: Vec<i64> = versions.iter().filter(|(id, _)| !doomed.contains(id)).map(|&(_, at)| at).collect();
        let in_window = |from: i64, to: i64| kept.iter().filter(|&&at| now - at >= from && now - at < to).count();
        assert_eq!(in_window(0, DAY_MS), 144, "everything of the last day");
        // One an hour from a day to 30 days old (a boundary hour may hold two:
        // the tail of the "keep all" window shares it).
        let hourly = in_window(DAY_MS, 30 * DAY_MS);
        assert!((29 * 24..=29 * 24 + 1).contains(&hourly), "{hourly} hourly versions");
        let daily = in_window(30 * DAY_MS, 101 * DAY_MS);
        assert!((70..=71).contains(&daily), "{daily} daily versions");
        // Thinning again changes nothing.
        let survivors: Vec<(i64, i64)> = versions.iter().filter(|(id, _)| !doomed.contains(id)).copied().collect();
        assert!(retention.thin(&survivors, now).is_empty());
    }
}
