-- Images and files added to documents (issue 18; PostgreSQL, the SQLite migration
-- of the same number has the same shape). The bytes live in the database
-- Quire already uses, so one backup holds everything and every instance
-- serves every file. Content-addressed: a blob is named by its SHA-256 and
-- stored once however often it is added; its bytes are kept in chunks, so
-- they stream in and out without ever being held whole. Times are Unix
-- milliseconds.

CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,          -- hex
    size        BIGINT NOT NULL,
    chunk_size  BIGINT NOT NULL,           -- every chunk but the last has this many bytes
    created_at  BIGINT NOT NULL
);

-- A blob's bytes in order. While an upload is still arriving its chunks are
-- kept under "upload:<uuid>" and renamed to the blob once it is complete
-- (or dropped, when the same bytes are stored already).
CREATE TABLE blob_chunks (
    blob        TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (blob, seq)
);

-- A file as added to one document: whoever may read the document may read it.
CREATE TABLE doc_files (
    id          TEXT PRIMARY KEY,          -- random, names it in /files/{id}
    doc_id      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    sha256      TEXT NOT NULL REFERENCES blobs (sha256),
    name        TEXT NOT NULL,             -- as uploaded, cleaned
    mime        TEXT NOT NULL,             -- sniffed from the bytes, never the client's word
    size        BIGINT NOT NULL,
    added_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    added_by_name TEXT NOT NULL,           -- a guest's name, or the account's at the time
    created_at  BIGINT NOT NULL
);

CREATE INDEX doc_files_by_doc ON doc_files (doc_id, created_at);
CREATE INDEX doc_files_by_adder ON doc_files (added_by);
CREATE INDEX doc_files_by_blob ON doc_files (sha256);
