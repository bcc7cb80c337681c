//! Copying a whole SQLite database into an empty PostgreSQL one (`roster migrate`): every table
//! row for row, ids, versions and listing order (`seq`) kept, in one PostgreSQL transaction so a
//! failed copy leaves the target empty; then per-table counts are compared.

use directory::store::StoreError;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Postgres};

use crate::convert::backend;
use crate::postgres::pg_error;
use crate::{DatabaseUrl, OpenMode, OpenOptions, PgStore, SqliteStore};

#[derive(Clone, Copy)]
enum Col {
    Int,
    Text,
    Bool,
    Json,
}

use Col::{Bool, Int, Json, Text};

/// Every table of migrations 0001 and 0002 with its columns, parents before children.
const TABLES: &[(&str, &[(&str, Col)])] = &[
    (
        "enterprises",
        &[
            ("id", Int),
            ("slug", Text),
            ("short_code", Text),
            ("short_code_lc", Text),
            ("profile", Text),
            ("created", Int),
        ],
    ),
    (
        "tokens",
        &[
            ("id", Text),
            ("enterprise_id", Int),
            ("owner", Text),
            ("secret_hash", Text),
            ("scopes", Text),
            ("created", Int),
            ("expires_at", Int),
            ("revoked_at", Int),
            ("last_used_at", Int),
        ],
    ),
    (
        "users",
        &[
            ("seq", Int),
            ("id", Text),
            ("enterprise_id", Int),
            ("user_name", Text),
            ("user_name_lc", Text),
            ("handle", Text),
            ("handle_lc", Text),
            ("external_id", Text),
            ("display_name", Text),
            ("display_name_lc", Text),
            ("active", Bool),
            ("doc", Json),
            ("version", Int),
            ("created", Int),
            ("last_modified", Int),
        ],
    ),
    (
        "erased_users",
        &[("id", Text), ("enterprise_id", Int), ("erased_at", Int)],
    ),
    (
        "groups",
        &[
            ("seq", Int),
            ("id", Text),
            ("enterprise_id", Int),
            ("display_name", Text),
            ("display_name_lc", Text),
            ("external_id", Text),
            ("doc", Json),
            ("version", Int),
            ("created", Int),
            ("last_modified", Int),
        ],
    ),
    (
        "group_members",
        &[("seq", Int), ("group_id", Text), ("user_id", Text)],
    ),
    (
        "audit_events",
        &[
            ("seq", Int),
            ("enterprise_id", Int),
            ("action", Text),
            ("actor", Text),
            ("token_id", Text),
            ("request_id", Text),
            ("target_type", Text),
            ("target_id", Text),
            ("target_name", Text),
            ("at", Int),
            ("data", Json),
        ],
    ),
    (
        "organizations",
        &[
            ("id", Int),
            ("enterprise_id", Int),
            ("login", Text),
            ("login_lc", Text),
            ("created", Int),
        ],
    ),
    (
        "teams",
        &[
            ("id", Int),
            ("org_id", Int),
            ("name", Text),
            ("slug", Text),
            ("description", Text),
            ("privacy", Text),
            ("parent_id", Int),
            ("group_id", Text),
            ("created", Int),
            ("updated", Int),
        ],
    ),
    ("team_members", &[("team_id", Int), ("user_id", Text)]),
    ("org_members", &[("org_id", Int), ("user_id", Text)]),
];

/// Identity columns whose sequences must continue after the copied values.
const IDENTITIES: &[(&str, &str)] = &[
    ("enterprises", "id"),
    ("users", "seq"),
    ("groups", "seq"),
    ("group_members", "seq"),
    ("audit_events", "seq"),
    ("organizations", "id"),
    ("teams", "id"),
];

const BATCH: i64 = 500;

/// Rows in one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub rows: u64,
}

/// How far a copy is: `copied` of `total` rows of `table`.
#[derive(Debug, Clone, Copy)]
pub struct CopyProgress<'a> {
    pub table: &'a str,
    pub copied: u64,
    pub total: u64,
}

enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
}

impl Cell {
    fn read(row: &rusqlite::Row<'_>, i: usize, col: Col) -> Result<Cell, StoreError> {
        Ok(match col {
            Int => Cell::Int(row.get(i).map_err(backend)?),
            Text | Json => Cell::Text(row.get(i).map_err(backend)?),
            Bool => Cell::Bool(
                row.get::<_, Option<i64>>(i)
                    .map_err(backend)?
                    .map(|v| v != 0),
            ),
        })
    }

    fn bind<'q>(self, q: Query<'q, Postgres, PgArguments>) -> Query<'q, Postgres, PgArguments> {
        match self {
            Cell::Int(v) => q.bind(v),
            Cell::Text(v) => q.bind(v),
            Cell::Bool(v) => q.bind(v),
        }
    }
}

/// Rows per table of the database `url` names, which must exist with this binary's schema.
pub async fn table_counts(url: &DatabaseUrl) -> Result<Vec<TableCount>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let store = SqliteStore::open(path, &OpenOptions::new(OpenMode::Existing)).await?;
            let conn = store.readers().take()?;
            TABLES
                .iter()
                .map(|(table, _)| {
                    Ok(TableCount {
                        table,
                        rows: sqlite_count(&conn, table)?,
                    })
                })
                .collect()
        }
        DatabaseUrl::Postgres(u) => {
            let store = PgStore::open_as(u, OpenMode::Existing).await?;
            let counts = pg_counts(store.pool()).await;
            store.close().await;
            counts
        }
    }
}

async fn pg_counts(pool: &sqlx::PgPool) -> Result<Vec<TableCount>, StoreError> {
    let mut out = Vec::new();
    for (table, _) in TABLES {
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(pool)
            .await
            .map_err(pg_error)?;
        out.push(TableCount {
            table,
            rows: n.max(0) as u64,
        });
    }
    Ok(out)
}

fn sqlite_count(conn: &rusqlite::Connection, table: &str) -> Result<u64, StoreError> {
    let n: i64 = conn
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .map_err(backend)?;
    Ok(n.max(0) as u64)
}

/// Up to `BATCH` rows of `select` (rowid first, then `cols`) after rowid `after`.
fn sqlite_batch(
    conn: &rusqlite::Connection,
    select: &str,
    after: i64,
    cols: &[(&str, Col)],
) -> Result<Vec<(i64, Vec<Cell>)>, StoreError> {
    let mut stmt = conn.prepare_cached(select).map_err(backend)?;
    let mut rows = stmt
        .query(rusqlite::params![after, BATCH])
        .map_err(backend)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(backend)? {
        let rowid: i64 = r.get(0).map_err(backend)?;
        let cells = cols
            .iter()
            .enumerate()
            .map(|(i, (_, c))| Cell::read(r, i + 1, *c))
            .collect::<Result<Vec<_>, _>>()?;
        out.push((rowid, cells));
    }
    Ok(out)
}

/// Copy everything from a SQLite database into an empty PostgreSQL database (migrated first),
/// reporting progress after every batch; returns the verified per-table counts.
pub async fn copy(
    from: &DatabaseUrl,
    to: &DatabaseUrl,
    progress: &mut (dyn FnMut(CopyProgress<'_>) + Send),
) -> Result<Vec<TableCount>, StoreError> {
    let (DatabaseUrl::Sqlite(path), DatabaseUrl::Postgres(target)) = (from, to) else {
        return Err(StoreError::Backend(
            "roster migrate copies from a sqlite:// database to a postgres:// database".into(),
        ));
    };
    if !path.is_file() {
        return Err(StoreError::Backend(format!(
            "{} does not exist: name the SQLite file `roster serve` ran on",
            path.display()
        )));
    }
    // The source is read as it is; the target is created empty, so it is migrated.
    let source = SqliteStore::open(path, &OpenOptions::new(OpenMode::Existing)).await?;
    let target = PgStore::open_as(target, OpenMode::Create).await?;
    let result = copy_all(&source, &target, progress).await;
    target.close().await;
    result
}

async fn copy_all(
    source: &SqliteStore,
    target: &PgStore,
    progress: &mut (dyn FnMut(CopyProgress<'_>) + Send),
) -> Result<Vec<TableCount>, StoreError> {
    if let Some(c) = pg_counts(target.pool())
        .await?
        .into_iter()
        .find(|c| c.rows > 0)
    {
        return Err(StoreError::Backend(format!(
            "the target database is not empty ({} has {} rows): copy into a freshly created database",
            c.table, c.rows
        )));
    }
    // One read transaction: a snapshot, so the counts and the rows agree even if a server
    // still writes to the source (stop it anyway: later writes would not be copied).
    let src = source.readers().take()?;
    src.execute_batch("BEGIN").map_err(backend)?;
    let mut expected = Vec::new();
    let mut tx = target.pool().begin().await.map_err(pg_error)?;
    // A team may name as parent a team with a higher id (copied in a later batch): check
    // such references at commit.
    sqlx::query("SET CONSTRAINTS ALL DEFERRED")
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
    for (table, cols) in TABLES {
        let total = sqlite_count(&src, table)?;
        expected.push(TableCount { table, rows: total });
        progress(CopyProgress {
            table,
            copied: 0,
            total,
        });
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        let select = format!(
            "SELECT rowid, {} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            names.join(", ")
        );
        let mut after = i64::MIN;
        let mut copied = 0u64;
        loop {
            let rows = sqlite_batch(&src, &select, after, cols)?;
            let Some((last, _)) = rows.last() else { break };
            after = *last;
            let mut values = Vec::with_capacity(rows.len());
            let mut n = 0;
            for _ in &rows {
                let marks: Vec<String> = cols
                    .iter()
                    .map(|(_, c)| {
                        n += 1;
                        match c {
                            Json => format!("${n}::jsonb"),
                            _ => format!("${n}"),
                        }
                    })
                    .collect();
                values.push(format!("({})", marks.join(", ")));
            }
            let insert = format!(
                "INSERT INTO {table} ({}) VALUES {}",
                names.join(", "),
                values.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(insert));
            let batch = rows.len() as u64;
            for (_, cells) in rows {
                for cell in cells {
                    q = cell.bind(q);
                }
            }
            q.execute(&mut *tx).await.map_err(pg_error)?;
            copied += batch;
            progress(CopyProgress {
                table,
                copied,
                total,
            });
        }
    }
    for (table, col) in IDENTITIES {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{col}'), COALESCE(max({col}), 0) + 1, false) FROM {table}"
        )))
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)?;
    let _ = src.execute_batch("ROLLBACK");
    let got = pg_counts(target.pool()).await?;
    let mismatches: Vec<String> = expected
        .iter()
        .zip(&got)
        .filter(|(e, g)| e.rows != g.rows)
        .map(|(e, g)| {
            format!(
                "{}: {} in the source, {} in the target",
                e.table, e.rows, g.rows
            )
        })
        .collect();
    if !mismatches.is_empty() {
        return Err(StoreError::Backend(format!(
            "the copy is incomplete ({}); drop the target database and run roster migrate again",
            mismatches.join("; ")
        )));
    }
    Ok(got)
}
