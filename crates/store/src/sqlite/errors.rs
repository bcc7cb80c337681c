//! SQLite's failures in the store's words. A statement that fails because of the storage (the
//! disk is full, the file is read-only, another process holds the write lock, the disk fails)
//! changed nothing, and the caller is told which: 507 for a full disk, 503 for the rest. Only a
//! COMMIT can leave the outcome unknown (`commit_error`). The texts reach response bodies:
//! plain words, never SQL.

use std::any::Any;

use directory::store::StoreError;
use rusqlite::ErrorCode;

const DISK_FULL: &str = "the disk holding the database is full";
const READ_ONLY: &str = "the database file is read-only";
const CANNOT_OPEN: &str = "the database file cannot be opened";
const BUSY: &str = "the database is busy: another process holds its write lock";
const IO: &str = "the disk reported an I/O error";

/// The storage condition behind `e`, if it is one.
fn storage_failure(e: &rusqlite::Error) -> Option<StoreError> {
    let rusqlite::Error::SqliteFailure(failure, _) = e else {
        return None;
    };
    Some(match failure.code {
        ErrorCode::DiskFull => StoreError::Full(DISK_FULL.into()),
        ErrorCode::ReadOnly => StoreError::Unavailable(READ_ONLY.into()),
        ErrorCode::CannotOpen => StoreError::Unavailable(CANNOT_OPEN.into()),
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Unavailable(BUSY.into()),
        ErrorCode::SystemIoFailure => StoreError::Unavailable(IO.into()),
        _ => return None,
    })
}

/// Any failure inside the SQLite store (a driver error, a document that does not decode) as a
/// store error. Generic over every error type so that each `map_err(backend)` call classifies
/// SQLite's storage failures without naming them.
pub(crate) fn backend<E: std::fmt::Display + 'static>(e: E) -> StoreError {
    if let Some(sqlite) = (&e as &dyn Any).downcast_ref::<rusqlite::Error>()
        && let Some(classified) = storage_failure(sqlite)
    {
        return classified;
    }
    StoreError::Backend(e.to_string())
}

/// A failed COMMIT. SQLite is sure nothing was written only when it says the disk is full, or
/// that the database was busy, locked or read-only (the transaction never reached the file);
/// any other failure (an I/O error while the log was written or synced) may have left the
/// commit on disk.
pub(crate) fn commit_error(e: &rusqlite::Error) -> StoreError {
    let code = match e {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.code),
        _ => None,
    };
    match code {
        Some(
            ErrorCode::DiskFull
            | ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::ReadOnly,
        ) => storage_failure(e).unwrap_or_else(|| StoreError::Backend(e.to_string())),
        Some(ErrorCode::SystemIoFailure) => StoreError::OutcomeUnknown(
            "the disk reported an I/O error while the write was being saved".into(),
        ),
        _ => StoreError::OutcomeUnknown("the database failed while saving the write".into()),
    }
}
