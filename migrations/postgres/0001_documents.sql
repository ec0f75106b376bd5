-- Documents and their durable state (PostgreSQL). Same shape as the SQLite
-- migration of the same number; see migrations/sqlite/0001_documents.sql.

CREATE TABLE documents (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE INDEX documents_by_updated ON documents (updated_at DESC);

CREATE TABLE doc_updates (
    seq         BIGSERIAL PRIMARY KEY,
    doc_id      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    data        BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX doc_updates_by_doc ON doc_updates (doc_id, seq);

CREATE TABLE doc_snapshots (
    doc_id      TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    data        BYTEA NOT NULL,
    updated_at  BIGINT NOT NULL
);
