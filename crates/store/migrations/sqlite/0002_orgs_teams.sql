-- Organizations, teams linked to IdP groups, and the memberships derived from those links.
-- team_members and org_members are rows computed by set operations from group_members: a
-- team's members are its linked group's active members; an organization's members are the
-- union of its teams' members.

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id),
    login         TEXT NOT NULL,
    login_lc      TEXT NOT NULL,
    created       INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_login ON organizations (login_lc);
CREATE INDEX organizations_enterprise ON organizations (enterprise_id, id);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    description TEXT,
    privacy     TEXT NOT NULL,
    parent_id   INTEGER REFERENCES teams(id),
    group_id    TEXT,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);
CREATE UNIQUE INDEX teams_slug ON teams (org_id, slug);
CREATE INDEX teams_group ON teams (group_id);
CREATE INDEX teams_parent ON teams (parent_id);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id, team_id);

CREATE TABLE org_members (
    org_id  INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id, org_id);

-- `created:` qualifiers and retention select by time.
CREATE INDEX audit_events_at ON audit_events (enterprise_id, at);
CREATE INDEX audit_events_time ON audit_events (at);
