-- Documents and their durable state (SQLite).
--
-- A document's content is its yrs update log (doc_updates, append-only, one row
-- per accepted change) on top of an optional merged snapshot (doc_snapshots).
-- Compaction folds log rows into the snapshot and deletes exactly those rows in
-- one transaction. Times are Unix milliseconds.

CREATE TABLE documents (
    id          TEXT PRIMARY KEY,          -- UUID v4 (122 random bits), lowercase hyphenated
    title       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL            -- last accepted edit, or creation
);

CREATE INDEX documents_by_updated ON documents (updated_at DESC);

CREATE TABLE doc_updates (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so "rows up to seq N" is stable
    doc_id      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    data        BLOB NOT NULL,             -- one yrs v1 update
    created_at  BIGINT NOT NULL
);

CREATE INDEX doc_updates_by_doc ON doc_updates (doc_id, seq);

CREATE TABLE doc_snapshots (
    doc_id      TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    data        BLOB NOT NULL,             -- the merged state, as one yrs v1 update
    updated_at  BIGINT NOT NULL
);
