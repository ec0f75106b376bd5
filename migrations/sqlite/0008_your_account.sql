-- Your account (issue 17; SQLite, the PostgreSQL migration of the same number
-- has the same shape): when each session was last active, so its person can
-- see their sessions and end them; API tokens that expire or may only read.
-- Times are Unix milliseconds.

ALTER TABLE sessions ADD COLUMN last_active_at BIGINT;      -- to the minute
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;        -- NULL: never
ALTER TABLE api_tokens ADD COLUMN read_only BIGINT NOT NULL DEFAULT 0;
