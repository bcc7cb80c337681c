//! Implementations of the directory's [`directory::store::Store`]: SQLite, the embedded
//! default. All SQL of Roster lives in this crate.

mod database_url;
mod migrations;
mod sqlite;

pub use database_url::DatabaseUrl;
pub use sqlite::SqliteStore;

use std::sync::Arc;

use directory::store::{Store, StoreError};

/// Open (creating and migrating as needed) the store a database URL names.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path).await?)),
        DatabaseUrl::Postgres(_) => Err(StoreError::Backend(
            "PostgreSQL is not available yet in this version of Roster: use a sqlite:// URL (the default) for now".into(),
        )),
    }
}
