-- Version history (issue 16; SQLite, the PostgreSQL migration of the same
-- number has the same shape).
--
-- Authorship: each log row remembers who wrote it, as the person key of the
-- connection's session ("user:<id>", or a guest's random key), never anything
-- the client claimed. How a person was shown when they wrote is kept per
-- document in doc_people, so a guest's name survives their session. Which yrs
-- client ids a person's connections introduced, as clock ranges, is in
-- doc_clients: that is what colours the text by who wrote it.
--
-- Versions: the document's text at a moment, cut by the writer from what is
-- committed (never from memory), stored as a deflated full copy or as a
-- deflated line delta against an earlier version (`base`), with a full copy
-- at least every few versions. `prev` is the newest version when this one was
-- cut; the unique index on (doc_id, prev, hash) is how two instances cutting
-- the same content at once store it once.

ALTER TABLE doc_updates ADD COLUMN author TEXT;          -- NULL: written before authorship
ALTER TABLE doc_snapshots ADD COLUMN authors TEXT NOT NULL DEFAULT ''; -- keys of merged rows no version lists yet, one per line

CREATE TABLE doc_people (
    doc_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    name    TEXT NOT NULL,
    color   TEXT NOT NULL,
    PRIMARY KEY (doc_id, key)
);

CREATE TABLE doc_clients (
    doc_id      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    client_id   BIGINT NOT NULL,
    start_clock BIGINT NOT NULL,                -- first clock of the range
    end_clock   BIGINT NOT NULL,                -- one past its last
    author      TEXT NOT NULL,
    PRIMARY KEY (doc_id, client_id, start_clock)
);

CREATE TABLE doc_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('auto', 'named', 'restore')),
    name        TEXT,                           -- set: kept until deleted
    upto        BIGINT NOT NULL,                -- largest log seq (or snapshot version) it holds
    prev        BIGINT NOT NULL,                -- newest version when cut; 0 for the first
    hash        BLOB NOT NULL,                  -- SHA-256 of the text
    size        BIGINT NOT NULL,                -- bytes of the text (UTF-8)
    authors     TEXT NOT NULL,                  -- person keys since the previous version, one per line
    base        BIGINT REFERENCES doc_versions (id), -- NULL: data is the whole text; else a delta against that version
    depth       INTEGER NOT NULL,               -- deltas between this version and a full copy
    data        BLOB NOT NULL                   -- deflated
);

CREATE UNIQUE INDEX doc_versions_once ON doc_versions (doc_id, prev, hash);
CREATE INDEX doc_versions_by_doc ON doc_versions (doc_id, id);

-- Viewers see a document's history only if its owner allows it.
ALTER TABLE documents ADD COLUMN history_for_viewers BIGINT NOT NULL DEFAULT 0;  -- 1: allowed
