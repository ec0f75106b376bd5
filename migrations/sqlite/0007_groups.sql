-- Groups of people, and documents shared with a group (issue 17; SQLite, the
-- PostgreSQL migration of the same number has the same shape). Times are Unix
-- milliseconds.

CREATE TABLE user_groups (   -- not "groups": a keyword in both databases
    id          TEXT PRIMARY KEY,                   -- UUID v4, names the group in the API
    name        TEXT NOT NULL,                      -- as its creator wrote it
    name_key    TEXT NOT NULL UNIQUE,               -- lower-cased: two groups cannot differ by case only
    created_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id    TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX group_members_by_user ON group_members (user_id);

-- Every member of the group has this role in the document (the most
-- generous of all their grants wins, see access.rs).
CREATE TABLE doc_groups (
    doc_id      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    group_id    TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'editor')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (doc_id, group_id)
);

CREATE INDEX doc_groups_by_group ON doc_groups (group_id);

-- Whoever signs up through the invitation joins this group.
ALTER TABLE invites ADD COLUMN group_id TEXT REFERENCES user_groups (id) ON DELETE SET NULL;
