-- An instance's admins and who may join (issue 17; PostgreSQL, the SQLite
-- migration of the same number has the same shape). Times are Unix
-- milliseconds; secrets are stored as their SHA-256 (hex), never themselves.

-- 1: may administer the instance. The first account ever created is one; on
-- an instance that had accounts before, its oldest account becomes one.
ALTER TABLE users ADD COLUMN is_admin BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled_at BIGINT;      -- set while disabled
ALTER TABLE users ADD COLUMN last_seen_at BIGINT;     -- sign-ins and opened pages, to the minute
-- Sessions signed in at an older epoch no longer count: raised to sign an
-- account out everywhere (disabled, password reset), so that even a session
-- an in-flight request writes back afterwards stays signed out.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
UPDATE users SET is_admin = 1 WHERE id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1);

-- Whose session it is and at which epoch it was signed in (copied from its
-- data), so an account's sessions can be found and ended at once. NULL: a
-- guest's or nobody's session.
ALTER TABLE sessions ADD COLUMN user_id TEXT;
ALTER TABLE sessions ADD COLUMN user_epoch BIGINT;
CREATE INDEX sessions_by_user ON sessions (user_id);
UPDATE sessions SET user_id = (data::json -> 'user' ->> 'id'), user_epoch = 0 WHERE data LIKE '{%';

-- Instance settings an admin changes on the admin page (key "registration").
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Invitations to create an account, made by an admin.
CREATE TABLE invites (
    id          TEXT PRIMARY KEY,                   -- UUID v4, names the invite in the UI
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,                             -- NULL: never
    max_uses    BIGINT NOT NULL,
    used        BIGINT NOT NULL DEFAULT 0,
    revoked_at  BIGINT
);

-- One-time password-reset links an admin hands over.
CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
