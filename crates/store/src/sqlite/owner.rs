//! One `roster serve` per SQLite file. The server keeps state that is only right if it sees
//! every write (rate-limit buckets, listing totals), so a second server on the same file would
//! serve wrong answers: it is refused at start. The claim is an exclusive OS lock (`flock`) on
//! a file beside the database, held for the life of the store and released by the OS when the
//! process ends, however it ends. The CLI's commands do not claim it: they may run beside
//! the server, as their writes go through SQLite's own locking.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use directory::store::StoreError;

use super::database_file::is_read_only;

pub(crate) struct Owner {
    /// Locked while this lives.
    _file: File,
}

/// `roster.db-lock` beside `roster.db`.
fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-lock");
    PathBuf::from(name)
}

impl Owner {
    /// Claim the database at `db` for this process, or say who holds it.
    pub(crate) fn claim(db: &Path) -> Result<Owner, StoreError> {
        let path = lock_path(db);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| {
                let folder = db
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                if is_read_only(&e) {
                    StoreError::Unavailable(format!(
                        "the folder {} is read-only ({e}): Roster keeps files beside its database there; make the folder writable by the user running Roster, or remount its file system read-write",
                        folder.display()
                    ))
                } else {
                    StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
                }
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => String::new(),
                    pid => format!(" (process {pid})"),
                };
                return Err(StoreError::Unavailable(format!(
                    "another `roster serve`{holder} is already serving {}; one server per SQLite file (several servers need PostgreSQL): stop it first, or give this one another --database",
                    db.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot lock {}: {e}",
                    path.display()
                )));
            }
        }
        // Who holds it, for the message a second server prints; best-effort.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()));
        Ok(Owner { _file: file })
    }
}
