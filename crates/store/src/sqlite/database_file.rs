//! The database file this process opened, and whether it is still the one at its path.
//!
//! SQLite keeps writing into a file that was deleted (`rm -rf` of the data folder) or replaced
//! (a backup copied over it) through the descriptors it holds: every write would be
//! acknowledged into a file nobody will ever open again. So the file's identity (device and
//! inode) is remembered at open and compared, one `stat`, before each write turn, before and
//! after each COMMIT and for `/readyz`. While it differs, writes are refused and the store is
//! not ready; reads keep answering from the connections already open, which see what was
//! acknowledged before. One loud log line marks the start of each such episode.
//!
//! After a COMMIT fails, the file system may have turned read-only (a disk error makes ext4
//! remount itself read-only): until a write succeeds again, each write turn first checks that
//! a file beside the database can be opened for writing, so the writes that follow are told
//! "read-only" instead of each failing at its COMMIT with an unknown outcome.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use directory::store::StoreError;

/// Device and inode: what stays the same for a file as long as it is the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
}

fn identity_of(path: &Path) -> std::io::Result<Identity> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(Identity {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok(Identity { dev: 0, ino: 0 })
    }
}

pub(crate) struct DatabaseFile {
    path: PathBuf,
    /// A file beside the database that this process may open for writing to learn whether the
    /// file system takes writes (never the database itself: closing a descriptor of it would
    /// drop SQLite's POSIX locks on it).
    probe: PathBuf,
    identity: Identity,
    /// The file at `path` is not the one opened (an episode is under way).
    lost: AtomicBool,
    /// A COMMIT failed and no write has succeeded since.
    suspect: AtomicBool,
}

impl DatabaseFile {
    /// The file as it is now; call right after SQLite opened it.
    pub(crate) fn opened(path: &Path, probe: PathBuf) -> Result<DatabaseFile, StoreError> {
        let identity = identity_of(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot read {}: {e}", path.display())))?;
        Ok(DatabaseFile {
            path: path.to_path_buf(),
            probe,
            identity,
            lost: AtomicBool::new(false),
            suspect: AtomicBool::new(false),
        })
    }

    /// Whether the path still names the file this process writes into.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        let problem = match identity_of(&self.path) {
            Ok(now) if now == self.identity => None,
            Ok(_) => Some("was replaced by another file"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("was deleted"),
            // Unreadable for another reason (a failing disk): not proof that it is gone.
            Err(_) => None,
        };
        match problem {
            None => {
                if self.lost.swap(false, Ordering::SeqCst) {
                    tracing::warn!(database = %self.path.display(), "the database file is back where it was opened; writes are accepted again");
                }
                Ok(())
            }
            Some(what) => {
                if !self.lost.swap(true, Ordering::SeqCst) {
                    tracing::error!(
                        database = %self.path.display(),
                        "THE DATABASE FILE {what} while Roster was running: every write is refused \
                         (503) and /readyz fails until it is back; restore it, or restart Roster \
                         to open what is at that path now",
                        what = what.to_uppercase()
                    );
                }
                Err(StoreError::Unavailable(format!(
                    "the database file {} {what} while Roster was running; an operator must restore it or restart Roster",
                    file_name(&self.path)
                )))
            }
        }
    }

    /// A COMMIT failed: check that the file system takes writes before the next ones.
    pub(crate) fn commit_failed(&self) {
        self.suspect.store(true, Ordering::SeqCst);
    }

    /// A COMMIT succeeded.
    pub(crate) fn commit_succeeded(&self) {
        self.suspect.store(false, Ordering::SeqCst);
    }

    /// Before a write turn: the file is the one opened and, after a failed COMMIT, its file
    /// system still takes writes.
    pub(crate) fn check_before_write(&self) -> Result<(), StoreError> {
        self.check()?;
        if self.suspect.load(Ordering::SeqCst) {
            self.check_writable()?;
        }
        Ok(())
    }

    /// Whether files beside the database can be opened for writing.
    pub(crate) fn check_writable(&self) -> Result<(), StoreError> {
        match std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.probe)
        {
            Ok(_) => Ok(()),
            Err(e) if is_read_only(&e) => Err(StoreError::Unavailable(format!(
                "the file system holding {} is read-only",
                file_name(&self.path)
            ))),
            // Another failure (the folder is gone) is for `check` to name.
            Err(_) => Ok(()),
        }
    }
}

/// The database file's name without its folder: answers name the file, the log the path.
fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "roster.db".into())
}

/// A write refused because the file or its file system is read-only.
pub(crate) fn is_read_only(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
    )
}
