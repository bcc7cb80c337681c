//! Schema migrations, embedded in the binary and applied in order on start. Each runs in its
//! own transaction together with its row in `schema_migrations`. Both backends carry the same
//! versions with the same meaning, so a database can move from one to the other
//! (`roster migrate`). Only `serve` and `enterprise create` apply migrations; every command
//! refuses a database migrated by a newer binary.

use directory::store::StoreError;

use crate::OpenMode;

/// The migration after whose SQL every case-insensitive key is recomputed in Rust
/// (`crate::folded_keys`).
pub const FOLDED_KEYS: i64 = 4;

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
    (
        FOLDED_KEYS,
        "case-insensitive keys folded by scim::fold",
        include_str!("../migrations/sqlite/0004_folded_keys.sql"),
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
    (
        FOLDED_KEYS,
        "case-insensitive keys folded by scim::fold",
        include_str!("../migrations/postgres/0004_folded_keys.sql"),
    ),
];

/// The newest schema version in `migrations`.
pub fn latest(migrations: &[(i64, &str, &str)]) -> i64 {
    migrations.iter().map(|(v, _, _)| *v).max().unwrap_or(0)
}

/// Whether a database whose newest applied migration is `found` (`None`: no Roster schema at
/// all) may be opened in `mode` by a binary that knows migrations up to `known`. `database`
/// names it for the message (no password).
pub fn check_version(
    found: Option<i64>,
    known: i64,
    mode: OpenMode,
    database: &str,
) -> Result<(), StoreError> {
    let refuse = |why: String| Err(StoreError::Unavailable(why));
    match found {
        Some(v) if v > known => refuse(format!(
            "the database {database} has schema version {v}, newer than this roster {} knows (schema version {known}); use a roster release that knows schema version {v}",
            env!("CARGO_PKG_VERSION")
        )),
        _ if mode != OpenMode::Existing => Ok(()),
        None => refuse(format!(
            "{database} holds no Roster database; start `roster serve` or `roster enterprise create` on it first"
        )),
        Some(v) if v < known => refuse(format!(
            "the database {database} has schema version {v}, older than this roster {} needs (schema version {known}); start `roster serve` of this release on it once to migrate it",
            env!("CARGO_PKG_VERSION")
        )),
        Some(_) => Ok(()),
    }
}
