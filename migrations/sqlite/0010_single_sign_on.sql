-- Single sign-on (issue 17; SQLite, the PostgreSQL migration of the same
-- number has the same shape): an account may be linked to one identity at an
-- OpenID provider, named by the provider's issuer and its `sub` (which the
-- provider promises never to reassign), and is then signed in by it. An
-- account created by single sign-on has no password (an empty hash, which no
-- password matches). Times are Unix milliseconds.

CREATE TABLE sso_identities (
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label        TEXT,                     -- the e-mail or name it has at the provider, shown to its person
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    PRIMARY KEY (issuer, subject),
    UNIQUE (issuer, user_id)
);
