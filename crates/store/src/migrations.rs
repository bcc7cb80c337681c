//! Schema migrations, embedded in the binary and applied in order on start. Each runs in its
//! own transaction together with its row in `schema_migrations`. Both backends carry the same
//! versions with the same meaning, so a database can move from one to the other
//! (`roster migrate`).

/// `(version, description, sql)` for SQLite.
pub const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "directory",
        include_str!("../migrations/sqlite/0001_directory.sql"),
    ),
    (
        2,
        "organizations and teams",
        include_str!("../migrations/sqlite/0002_orgs_teams.sql"),
    ),
    (
        3,
        "rate-limit buckets (kept in process memory on SQLite)",
        include_str!("../migrations/sqlite/0003_rate_buckets.sql"),
    ),
];

/// `(version, description, sql)` for PostgreSQL.
pub const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "directory",
        include_str!("../migrations/postgres/0001_directory.sql"),
    ),
    (
        2,
        "organizations and teams",
        include_str!("../migrations/postgres/0002_orgs_teams.sql"),
    ),
    (
        3,
        "rate-limit buckets",
        include_str!("../migrations/postgres/0003_rate_buckets.sql"),
    ),
];
