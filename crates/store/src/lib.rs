//! Implementations of the directory's [`directory::store::Store`]: SQLite, the embedded
//! default, and PostgreSQL, for several replicas over one database. All SQL of Roster lives in
//! this crate.

mod convert;
pub mod copy;
mod database_url;
mod folded_keys;
mod migrations;
mod postgres;
pub mod scratch;
mod sqlite;
mod table;

pub use database_url::DatabaseUrl;
pub use postgres::{PgOptions, PgStore, scratch_server};
pub use sqlite::SqliteStore;

use std::sync::Arc;
use std::time::Duration;

use directory::store::{Store, StoreError};

/// What a command may do to the database it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `roster serve`: create the database and migrate it as needed, and own it: on SQLite a
    /// second server on the same file is refused.
    Serve,
    /// `roster enterprise create`: create and migrate as needed, beside a running server.
    Create,
    /// Every other command: a database that exists and has this binary's schema; nothing is
    /// created or migrated.
    Existing,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub mode: OpenMode,
    /// SQLite: how long a write waits for the one write connection before it is refused as
    /// busy (503).
    pub write_timeout: Duration,
    /// SQLite: how long a write waits for the COMMIT that includes it before it is told the
    /// outcome is unknown (the COMMIT may still complete).
    pub commit_timeout: Duration,
    /// PostgreSQL: the pool's settings (a SQLite database has no pool).
    pub pg: PgOptions,
}

impl OpenOptions {
    pub fn new(mode: OpenMode) -> OpenOptions {
        OpenOptions {
            mode,
            write_timeout: Duration::from_secs(10),
            commit_timeout: Duration::from_secs(30),
            pg: PgOptions::default(),
        }
    }
}

/// Open the store a database URL names, as `options.mode` allows. A database whose schema is
/// newer than this binary is refused in every mode.
pub async fn open_with(
    url: &DatabaseUrl,
    options: &OpenOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path, options).await?)),
        DatabaseUrl::Postgres(url) => Ok(Arc::new(
            PgStore::connect(url, &options.pg, options.mode).await?,
        )),
    }
}

/// The schema version this binary migrates to (the same on both backends).
pub fn schema_version() -> i64 {
    migrations::latest(migrations::SQLITE)
}

/// Open (creating and migrating as needed) the store a database URL names.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, &OpenOptions::new(OpenMode::Create)).await
}
