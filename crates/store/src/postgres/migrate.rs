//! Migrations on PostgreSQL. Several replicas may start at once: a session-level advisory lock
//! makes them take turns, so each migration is applied exactly once and the later replicas
//! find it done. A schema newer than this binary is refused before anything is applied.

use directory::store::StoreError;
use sqlx::{AssertSqlSafe, Connection, PgPool, Row};

use super::errors::pg_error;
use crate::OpenMode;
use crate::folded_keys::{GroupKeys, PAGE, UserKeys, collision};
use crate::migrations::{self, check_version, latest};

/// Refuse a schema this binary does not know (or, for `Existing`, one it would have to
/// migrate); then, where the mode allows, migrate.
pub(crate) async fn prepare(
    pool: &PgPool,
    mode: OpenMode,
    database: &str,
) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await.map_err(pg_error)?;
    let found = applied(&mut conn).await?;
    drop(conn);
    check_version(found, latest(migrations::POSTGRES), mode, database)?;
    if mode == OpenMode::Existing {
        return Ok(());
    }
    migrate(pool).await
}

/// The newest migration applied; `None` when the database holds no Roster schema.
async fn applied(conn: &mut sqlx::PgConnection) -> Result<Option<i64>, StoreError> {
    let has_table: bool = sqlx::query_scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(pg_error)?;
    if !has_table {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT max(version) FROM schema_migrations")
        .fetch_one(&mut *conn)
        .await
        .map_err(pg_error)
}

/// The advisory lock key for Roster's migrations ("roster" in ASCII), shared by every replica.
const MIGRATION_LOCK: i64 = 0x726f_7374_6572;

async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await.map_err(pg_error)?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(pg_error)?;
    let result = apply(&mut conn).await;
    // Unlock even after a failure; if this fails too the lock dies with the connection.
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await;
    if unlocked.is_err() {
        conn.close_on_drop();
    }
    result
}

async fn apply(conn: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)")
        .execute(&mut *conn)
        .await
        .map_err(pg_error)?;
    for (version, description, sql) in migrations::POSTGRES {
        let mut tx = conn.begin().await.map_err(pg_error)?;
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(pg_error)?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(AssertSqlSafe(*sql))
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::Backend(format!("migration {version} ({description}) failed: {e}"))
            })?;
        if *version == migrations::FOLDED_KEYS {
            refold(&mut tx).await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, extract(epoch FROM now())::bigint)")
            .bind(version)
            .bind(description)
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
    }
    Ok(())
}

/// Whether a driver error is a uniqueness violation.
fn is_unique(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}

/// Migration 4's rewrite of the case-insensitive keys (see `crate::folded_keys`).
async fn refold(tx: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    let mut after = 0i64;
    loop {
        let rows = sqlx::query(
            "SELECT seq, enterprise_id, id, user_name, handle, display_name, user_name_lc, handle_lc, display_name_lc \
             FROM users WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?;
        let page: Vec<UserKeys> = rows
            .iter()
            .map(|r| {
                Ok(UserKeys {
                    seq: r.try_get("seq")?,
                    enterprise_id: r.try_get("enterprise_id")?,
                    id: r.try_get("id")?,
                    user_name: r.try_get("user_name")?,
                    handle: r.try_get("handle")?,
                    display_name: r.try_get("display_name")?,
                    user_name_lc: r.try_get("user_name_lc")?,
                    handle_lc: r.try_get("handle_lc")?,
                    display_name_lc: r.try_get("display_name_lc")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(pg_error)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for u in &page {
            if let Some((user_name, handle, display_name)) = u.refolded() {
                sqlx::query(
                    "UPDATE users SET user_name_lc = $1, handle_lc = $2, display_name_lc = $3 WHERE seq = $4",
                )
                .bind(user_name)
                .bind(handle)
                .bind(display_name)
                .bind(u.seq)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if is_unique(&e) {
                        collision("userName", u.enterprise_id, &u.id, &u.user_name)
                    } else {
                        pg_error(e)
                    }
                })?;
            }
        }
    }
    let mut after = 0i64;
    loop {
        let rows = sqlx::query(
            "SELECT seq, enterprise_id, id, display_name, display_name_lc FROM groups WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut *tx)
        .await
        .map_err(pg_error)?;
        let page: Vec<GroupKeys> = rows
            .iter()
            .map(|r| {
                Ok(GroupKeys {
                    seq: r.try_get("seq")?,
                    enterprise_id: r.try_get("enterprise_id")?,
                    id: r.try_get("id")?,
                    display_name: r.try_get("display_name")?,
                    display_name_lc: r.try_get("display_name_lc")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(pg_error)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for g in &page {
            if let Some(key) = g.refolded() {
                sqlx::query("UPDATE groups SET display_name_lc = $1 WHERE seq = $2")
                    .bind(key)
                    .bind(g.seq)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        if is_unique(&e) {
                            collision("group displayName", g.enterprise_id, &g.id, &g.display_name)
                        } else {
                            pg_error(e)
                        }
                    })?;
            }
        }
    }
    Ok(())
}
