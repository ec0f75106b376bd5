-- Server-side sessions (tower-sessions). `data` is the session's JSON map;
-- `expires_at` is Unix seconds, indexed so expired rows are cheap to sweep.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
