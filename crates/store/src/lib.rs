//! Implementations of the directory's [`directory::store::Store`]: SQLite, the embedded
//! default, and PostgreSQL, for several replicas over one database. All SQL of Roster lives in
//! this crate.

mod convert;
pub mod copy;
mod database_url;
mod migrations;
mod postgres;
pub mod scratch;
mod sqlite;
mod table;

pub use database_url::DatabaseUrl;
pub use postgres::{PgOptions, PgStore, scratch_server};
pub use sqlite::SqliteStore;

use std::sync::Arc;

use directory::store::{Store, StoreError};

/// Open (creating and migrating as needed) the store a database URL names.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path).await?)),
        DatabaseUrl::Postgres(url) => Ok(Arc::new(PgStore::open(url).await?)),
    }
}

/// [`open`], with these PostgreSQL pool settings (a SQLite database has no pool).
pub async fn open_with(url: &DatabaseUrl, pg: &PgOptions) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path).await?)),
        DatabaseUrl::Postgres(url) => Ok(Arc::new(PgStore::connect(url, pg).await?)),
    }
}
