-- Enterprises, tokens, managed users, IdP groups, memberships, audit log.
-- Times are microseconds since the Unix epoch (UTC). Lower-cased copies of case-insensitive
-- keys carry the uniqueness rules and the indexed lookups.

CREATE TABLE enterprises (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    short_code    TEXT NOT NULL,
    short_code_lc TEXT NOT NULL UNIQUE,
    profile       TEXT NOT NULL,
    created       INTEGER NOT NULL
);

CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    owner         TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created       INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    last_used_at  INTEGER
);

-- seq is the listing order: assigned on insert, never reused, so paging is stable.
CREATE TABLE users (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    enterprise_id   INTEGER NOT NULL REFERENCES enterprises(id),
    user_name       TEXT NOT NULL,
    user_name_lc    TEXT NOT NULL,
    handle          TEXT NOT NULL,
    handle_lc       TEXT NOT NULL,
    external_id     TEXT,
    display_name    TEXT,
    display_name_lc TEXT,
    active          INTEGER NOT NULL,
    doc             TEXT NOT NULL,
    version         INTEGER NOT NULL,
    created         INTEGER NOT NULL,
    last_modified   INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_user_name ON users (enterprise_id, user_name_lc);
CREATE UNIQUE INDEX users_handle ON users (enterprise_id, handle_lc);
CREATE INDEX users_external_id ON users (enterprise_id, external_id);
CREATE INDEX users_display_name ON users (enterprise_id, display_name_lc);
CREATE INDEX users_listing ON users (enterprise_id, seq);

-- Hard-deleted users: only the id stays, so the id is never handed out again.
CREATE TABLE erased_users (
    id            TEXT PRIMARY KEY,
    enterprise_id INTEGER NOT NULL,
    erased_at     INTEGER NOT NULL
);

CREATE TABLE groups (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    enterprise_id   INTEGER NOT NULL REFERENCES enterprises(id),
    display_name    TEXT NOT NULL,
    display_name_lc TEXT NOT NULL,
    external_id     TEXT,
    doc             TEXT NOT NULL,
    version         INTEGER NOT NULL,
    created         INTEGER NOT NULL,
    last_modified   INTEGER NOT NULL
);
CREATE UNIQUE INDEX groups_display_name ON groups (enterprise_id, display_name_lc);
CREATE INDEX groups_external_id ON groups (enterprise_id, external_id);
CREATE INDEX groups_listing ON groups (enterprise_id, seq);

-- One row per membership: adding or removing one member touches one row, whatever the size.
CREATE TABLE group_members (
    seq      INTEGER PRIMARY KEY,
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id INTEGER NOT NULL,
    action        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    token_id      TEXT,
    request_id    TEXT,
    target_type   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    target_name   TEXT,
    at            INTEGER NOT NULL,
    data          TEXT NOT NULL
);
CREATE INDEX audit_events_enterprise ON audit_events (enterprise_id, seq);
CREATE INDEX audit_events_action ON audit_events (enterprise_id, action, seq);
