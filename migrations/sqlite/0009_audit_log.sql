-- The audit log (issue 17; SQLite, the PostgreSQL migration of the same number
-- has the same shape): who did what, when, from where. Appended to, never
-- changed; entries older than the retention (QUIRE_AUDIT_RETENTION_DAYS) are
-- removed. Nothing in it is a secret: tokens, links and invitations are named
-- by their ids. Names are copied, so an entry still reads after its account,
-- document or group is gone.

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           BIGINT NOT NULL,          -- Unix milliseconds
    actor_id     TEXT,                     -- NULL: nobody signed in, or the server itself
    actor_name   TEXT,
    action       TEXT NOT NULL,            -- e.g. sign_in.failed, document.shared (see README)
    target_kind  TEXT,                     -- account, document, group, link, token, invite, session, setting
    target_id    TEXT,
    target_name  TEXT,
    detail       TEXT,                     -- a few words more (a role, a mode), never a secret
    address      TEXT                      -- the client's address, where there was a client
);

CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_actor ON audit_log (actor_name, id);
