//! For tests: throwaway PostgreSQL databases (`CREATE DATABASE roster_test_…` on the server
//! tests point at, dropped again when the value is dropped), and a database made to look
//! migrated by a newer binary. Lives here because it is SQL.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use directory::store::StoreError;
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};

use crate::DatabaseUrl;
use crate::convert::backend;

/// Record migration `version` as applied, as a newer binary would have.
pub async fn stamp_schema_version(url: &DatabaseUrl, version: i64) -> Result<(), StoreError> {
    const STAMP: &str = "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, 'from a newer roster', 0)";
    match url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).map_err(backend)?;
            conn.execute(STAMP, [version]).map_err(backend)?;
            Ok(())
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = PgConnection::connect(url).await.map_err(backend)?;
            sqlx::query(STAMP)
                .bind(version)
                .execute(&mut conn)
                .await
                .map_err(backend)?;
            let _ = conn.close().await;
            Ok(())
        }
    }
}

/// For migration tests: apply migrations 1 to `version` only, as an older binary left the
/// database (with their `schema_migrations` rows).
pub async fn migrate_up_to(url: &DatabaseUrl, version: i64) -> Result<(), StoreError> {
    let record = |v: i64, d: &str| {
        format!(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES ({v}, '{}', 0);",
            d.replace('\'', "''")
        )
    };
    let mut sql = String::from(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL);",
    );
    let migrations = match url {
        DatabaseUrl::Sqlite(_) => crate::migrations::SQLITE,
        DatabaseUrl::Postgres(_) => crate::migrations::POSTGRES,
    };
    for (v, d, text) in migrations.iter().filter(|(v, _, _)| *v <= version) {
        sql.push_str(text);
        sql.push('\n');
        sql.push_str(&record(*v, d));
    }
    execute_sql(url, &sql).await
}

/// For migration tests: run SQL on the database directly, outside any store.
pub async fn execute_sql(url: &DatabaseUrl, sql: &str) -> Result<(), StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).map_err(backend)?;
            conn.execute_batch(sql).map_err(backend)
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = PgConnection::connect(url).await.map_err(backend)?;
            sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(&mut conn)
                .await
                .map_err(backend)?;
            let _ = conn.close().await;
            Ok(())
        }
    }
}

/// Where tests find a PostgreSQL they may create databases on: `ROSTER_TEST_PG_URL`, else the
/// local server with trust auth (as CI runs it).
pub fn admin_urls() -> Vec<String> {
    if let Ok(url) = std::env::var("ROSTER_TEST_PG_URL") {
        return vec![url];
    }
    let mut urls = vec![
        "postgres://postgres@127.0.0.1:5432/test".to_string(),
        "postgres://postgres@127.0.0.1:5432/postgres".to_string(),
    ];
    if let Ok(user) = std::env::var("USER") {
        urls.push(format!("postgres://{user}@127.0.0.1:5432/postgres"));
    }
    urls
}

/// A fresh, empty database; dropped (with its connections) on drop.
pub struct ScratchDatabase {
    /// The URL to open the database with.
    pub url: String,
    admin: PgConnectOptions,
    name: String,
}

async fn connect_admin() -> Result<(PgConnection, PgConnectOptions), StoreError> {
    let mut errors = Vec::new();
    for url in admin_urls() {
        let options = PgConnectOptions::from_str(&url).map_err(backend)?;
        match options.connect().await {
            Ok(conn) => return Ok((conn, options)),
            Err(e) => errors.push(format!("{url}: {e}")),
        }
    }
    Err(StoreError::Backend(format!(
        "no PostgreSQL to create a test database on (set ROSTER_TEST_PG_URL): {}",
        errors.join("; ")
    )))
}

impl ScratchDatabase {
    pub async fn create() -> Result<ScratchDatabase, StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            "roster_test_{}_{}_{}",
            std::process::id(),
            nanos % 1_000_000_000_000,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let (mut conn, admin) = connect_admin().await?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot create database {name}: {e}")))?;
        let _ = conn.close().await;
        let url = format!(
            "postgres://{}@{}:{}/{name}",
            admin.get_username(),
            admin.get_host(),
            admin.get_port()
        );
        Ok(ScratchDatabase { url, admin, name })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    /// Drop on a thread of its own: `Drop` cannot await, and the test's runtime may be
    /// shutting down. `WITH (FORCE)` ends connections a pool still holds.
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        let done = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = admin.connect().await {
                    let _ = sqlx::query(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = done.join();
    }
}
