//! The schema of a SQLite database: which migrations it has, whether this binary may open it,
//! and applying the missing ones (only in the modes that may).

use directory::store::StoreError;
use rusqlite::{Connection, OptionalExtension, params};

use super::errors::backend;
use crate::OpenMode;
use crate::migrations::{self, check_version, latest};

/// The newest migration applied; `None` when the file holds no Roster schema.
fn applied(conn: &Connection) -> Result<Option<i64>, StoreError> {
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if !has_table {
        return Ok(None);
    }
    conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
        r.get(0)
    })
    .map_err(backend)
}

/// Refuse a schema this binary does not know (or, for `Existing`, one it would have to
/// migrate); then, where the mode allows, migrate.
pub(crate) fn prepare(
    conn: &mut Connection,
    mode: OpenMode,
    database: &str,
) -> Result<(), StoreError> {
    let found = applied(conn)?;
    check_version(found, latest(migrations::SQLITE), mode, database)?;
    if mode == OpenMode::Existing {
        return Ok(());
    }
    migrate(conn)
}

/// Apply the migrations not yet applied, each with its `schema_migrations` row.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)")
        .map_err(backend)?;
    for (version, description, sql) in migrations::SQLITE {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let done: Option<i64> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?",
                params![version],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        if done.is_some() {
            continue;
        }
        tx.execute_batch(sql).map_err(|e| {
            StoreError::Backend(format!("migration {version} ({description}) failed: {e}"))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, strftime('%s','now'))",
            params![version, description],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}
