//! The schema of a SQLite database: which migrations it has, whether this binary may open it,
//! and applying the missing ones (only in the modes that may).

use directory::store::StoreError;
use rusqlite::{Connection, OptionalExtension, params};

use super::errors::backend;
use crate::OpenMode;
use crate::folded_keys::{GroupKeys, PAGE, UserKeys, collision};
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
        if *version == migrations::FOLDED_KEYS {
            refold(&tx)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, strftime('%s','now'))",
            params![version, description],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}

/// Migration 4's rewrite of the case-insensitive keys (see `crate::folded_keys`).
fn refold(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let mut after = 0i64;
    loop {
        let page: Vec<UserKeys> = tx
            .prepare(
                "SELECT seq, enterprise_id, id, user_name, handle, display_name, user_name_lc, handle_lc, display_name_lc \
                 FROM users WHERE seq > ? ORDER BY seq LIMIT ?",
            )
            .map_err(backend)?
            .query_map(params![after, PAGE], |r| {
                Ok(UserKeys {
                    seq: r.get(0)?,
                    enterprise_id: r.get(1)?,
                    id: r.get(2)?,
                    user_name: r.get(3)?,
                    handle: r.get(4)?,
                    display_name: r.get(5)?,
                    user_name_lc: r.get(6)?,
                    handle_lc: r.get(7)?,
                    display_name_lc: r.get(8)?,
                })
            })
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for u in &page {
            if let Some((user_name, handle, display_name)) = u.refolded() {
                tx.execute(
                    "UPDATE users SET user_name_lc = ?, handle_lc = ?, display_name_lc = ? WHERE seq = ?",
                    params![user_name, handle, display_name, u.seq],
                )
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        collision("userName", u.enterprise_id, &u.id, &u.user_name)
                    }
                    other => backend(other),
                })?;
            }
        }
    }
    let mut after = 0i64;
    loop {
        let page: Vec<GroupKeys> = tx
            .prepare(
                "SELECT seq, enterprise_id, id, display_name, display_name_lc FROM groups WHERE seq > ? ORDER BY seq LIMIT ?",
            )
            .map_err(backend)?
            .query_map(params![after, PAGE], |r| {
                Ok(GroupKeys {
                    seq: r.get(0)?,
                    enterprise_id: r.get(1)?,
                    id: r.get(2)?,
                    display_name: r.get(3)?,
                    display_name_lc: r.get(4)?,
                })
            })
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for g in &page {
            if let Some(key) = g.refolded() {
                tx.execute(
                    "UPDATE groups SET display_name_lc = ? WHERE seq = ?",
                    params![key, g.seq],
                )
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        collision("group displayName", g.enterprise_id, &g.id, &g.display_name)
                    }
                    other => backend(other),
                })?;
            }
        }
    }
    Ok(())
}
