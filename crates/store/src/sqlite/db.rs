//! SQLite connections: how they are opened, the pool of read connections, and how reads run.
//!
//! Reads run on the calling thread when they are bounded (a lookup by key through an index:
//! microseconds, less than any hand-off to another thread would cost) and on tokio's blocking
//! pool when they may scan (listings, member lists, counts), so a long scan never holds up the
//! requests that share an async worker thread.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use directory::store::{StoreError, UniqueKey};
use rusqlite::{Connection, MAIN_DB, OpenFlags};

use super::database_file::DatabaseFile;
use super::errors::backend;
use crate::OpenMode;

/// Prepared statements kept per connection: the hot statements plus the recent filter shapes.
const STATEMENT_CACHE: usize = 256;
/// Idle read connections kept open; more may be open while a burst of scans runs.
const MAX_IDLE_READERS: usize = 16;
/// How long a statement waits for a lock before failing (a checkpoint, another process).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Open the write connection: WAL, `synchronous=FULL` (an acknowledged write is on disk),
/// foreign keys enforced. Only the modes that may create a database create the file and
/// switch it to WAL; they also refuse a file they could only read.
pub(crate) fn open_writer(path: &Path, mode: OpenMode) -> Result<Connection, StoreError> {
    let creates = mode != OpenMode::Existing;
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if creates {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    if creates && conn.is_readonly(MAIN_DB).map_err(backend)? {
        return Err(StoreError::Unavailable(format!(
            "the database file {} is read-only: make it (and its folder) writable by the user running Roster, or remount its file system read-write",
            path.display()
        )));
    }
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    if creates {
        conn.execute_batch("PRAGMA journal_mode = WAL;")
            .map_err(|e| cannot_prepare(path, e))?;
    }
    // temp_store = MEMORY keeps each writer's SAVEPOINT journal (the pages it changed, for a
    // rollback of that writer alone) in memory rather than in a temporary file.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
    )
    .map_err(|e| cannot_prepare(path, e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// A database that opened but cannot be set up: most often a folder where SQLite cannot
/// create its `-wal` and `-shm` files.
fn cannot_prepare(path: &Path, e: rusqlite::Error) -> StoreError {
    match backend(e) {
        StoreError::Unavailable(why) | StoreError::Full(why) => StoreError::Unavailable(format!(
            "cannot use {} ({why}): Roster needs to write the file and create files beside it in its folder",
            path.display()
        )),
        other => other,
    }
}

/// Read connections, shared by every request.
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Connections already open keep reading the file they opened; a new one would open
    /// whatever is at the path now, so it is refused once that is another file (or none).
    file: Arc<DatabaseFile>,
}

impl Readers {
    pub(crate) fn new(path: &Path, file: Arc<DatabaseFile>) -> Arc<Readers> {
        Arc::new(Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            file,
        })
    }

    fn open(&self) -> Result<Connection, StoreError> {
        self.file.check()?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(|e| {
            tracing::error!(database = %self.path.display(), error = %e, "cannot open a read connection");
            StoreError::Unavailable(
                "a new read connection to the database file could not be opened".into(),
            )
        })?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        match self.idle.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A connection of its own for as long as the caller needs it (a snapshot over several
    /// statements, as `roster migrate` takes).
    pub(crate) fn take(&self) -> Result<Connection, StoreError> {
        let reused = self.idle().pop();
        match reused {
            Some(c) => Ok(c),
            None => self.open(),
        }
    }

    pub(crate) fn give_back(&self, conn: Connection) {
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE_READERS && conn.is_autocommit() {
            idle.push(conn);
        }
    }

    /// A bounded read, on the calling thread.
    pub(crate) fn run<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.take()?;
        let out = f(&conn);
        self.give_back(conn);
        out
    }

    /// A read that may scan, on the blocking pool.
    pub(crate) async fn scan<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let readers = self.clone();
        tokio::task::spawn_blocking(move || readers.run(f))
            .await
            .map_err(|e| StoreError::Backend(format!("a read task failed: {e}")))?
    }
}

/// Translate a uniqueness violation into the rule it broke; other errors stay backend errors.
pub(crate) fn write_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &e
        && matches!(
            failure.extended_code,
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        )
    {
        let msg = message.as_deref().unwrap_or("");
        let key = if msg.contains("users.user_name_lc") {
            UniqueKey::UserName
        } else if msg.contains("users.handle_lc") {
            UniqueKey::Handle
        } else if msg.contains("groups.display_name_lc") {
            UniqueKey::GroupDisplayName
        } else if msg.contains("enterprises.slug") {
            UniqueKey::EnterpriseSlug
        } else if msg.contains("enterprises.short_code_lc") {
            UniqueKey::EnterpriseShortCode
        } else if msg.contains("organizations.login_lc") {
            UniqueKey::OrganizationLogin
        } else if msg.contains("teams.org_id, teams.slug") || msg.contains("teams.slug") {
            UniqueKey::TeamSlug
        } else {
            UniqueKey::Other
        };
        return StoreError::Unique(key);
    }
    backend(e)
}

/// `?, ?, …` for `n` parameters.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// The records `sql` finds, decoded by `from_row`.
pub(crate) fn rows_of<T>(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    from_row: fn(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt.query(args).map_err(backend)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(backend)? {
        out.push(from_row(r)?);
    }
    Ok(out)
}

/// The record `sql` finds, if any.
pub(crate) fn row_of<T>(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    from_row: fn(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt.query(args).map_err(backend)?;
    match rows.next().map_err(backend)? {
        Some(r) => Ok(Some(from_row(r)?)),
        None => Ok(None),
    }
}
