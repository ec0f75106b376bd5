-- Accounts and access (PostgreSQL; same shape as the SQLite migration of the same
-- number).
--
-- Every document made from now on has an owner. Documents created before
-- accounts existed have none and stay open to whoever holds their link (their
-- ids are unguessable), as they were.
--
-- Secrets are never stored: passwords as argon2id PHC strings, share-link and
-- API-token secrets as their SHA-256 (hex). Times are Unix milliseconds.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,                 -- UUID v4
    username      TEXT NOT NULL UNIQUE,             -- lowercase, validated
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

ALTER TABLE documents ADD COLUMN owner_id TEXT REFERENCES users (id);
ALTER TABLE documents ADD COLUMN deleted_at BIGINT;   -- set while in the trash

CREATE INDEX documents_by_owner ON documents (owner_id, updated_at DESC);

-- People a document is shared with. The owner is not listed here.
CREATE TABLE doc_members (
    doc_id     TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'editor')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (doc_id, user_id)
);

CREATE INDEX doc_members_by_user ON doc_members (user_id);

CREATE TABLE share_links (
    id          TEXT PRIMARY KEY,                   -- UUID v4, names the link in the UI
    doc_id      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'editor')),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,                             -- NULL: never
    revoked_at  BIGINT
);

CREATE INDEX share_links_by_doc ON share_links (doc_id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at  BIGINT
);

CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
