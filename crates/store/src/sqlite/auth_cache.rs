//! Tokens as every request authenticates them, remembered between requests so that the
//! commonest lookup of all costs no query.
//!
//! Why it can never serve a revoked token: tokens (and enterprises) change only through a
//! store transaction, in this process (the server's own writes, e.g. `last_used_at`) or in
//! another one (`roster token revoke` run beside the server on the same file). Every such
//! transaction, once committed, empties this process's cache and appends a byte to a marker
//! file beside the database; before every lookup the cache compares the marker's size and
//! modification time with what it last saw (one `stat`, no lock) and empties itself when they
//! differ. A value read from the database is remembered only if nothing changed while it was
//! being read.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use directory::model::{Enterprise, Token};

/// Most tokens remembered; past it the memory is simply cleared.
const MAX_ENTRIES: usize = 10_000;
/// The marker is cut back to nothing past this size (which is itself a visible change).
const MAX_MARKER_BYTES: u64 = 4096;

/// What the marker file looked like: size and modification time (`None`: unreadable, in which
/// case nothing is remembered).
type Stamp = Option<(u64, SystemTime)>;

#[derive(Default)]
struct State {
    /// The marker as the entries were valid for.
    seen: Stamp,
    /// Changes made in this process; a read started before one is not remembered.
    generation: u64,
    entries: HashMap<String, (Token, Enterprise)>,
}

pub(crate) struct AuthCache {
    marker: PathBuf,
    state: Mutex<State>,
}

/// Where a lookup started: to remember its result only if nothing changed since.
pub(crate) struct Lookup {
    stamp: Stamp,
    generation: u64,
}

impl AuthCache {
    /// The cache for the database at `db`, creating its marker file if need be.
    pub(crate) fn new(db: &Path) -> AuthCache {
        let mut marker = db.as_os_str().to_owned();
        marker.push("-auth");
        let marker = PathBuf::from(marker);
        if !marker.exists() {
            // If this fails, `stamp` reads None and nothing is ever remembered.
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&marker);
        }
        AuthCache {
            marker,
            state: Mutex::new(State::default()),
        }
    }

    /// The marker file beside the database.
    pub(crate) fn marker(&self) -> &Path {
        &self.marker
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn stamp(&self) -> Stamp {
        let meta = std::fs::metadata(&self.marker).ok()?;
        Some((meta.len(), meta.modified().ok()?))
    }

    /// The remembered token of `hash`, or where a database lookup of it starts.
    pub(crate) fn get(&self, hash: &str) -> Result<(Token, Enterprise), Lookup> {
        let stamp = self.stamp();
        let mut s = self.state();
        if stamp.is_none() || s.seen != stamp {
            s.entries.clear();
            s.seen = stamp;
        }
        match s.entries.get(hash) {
            Some(found) => Ok(found.clone()),
            None => Err(Lookup {
                stamp,
                generation: s.generation,
            }),
        }
    }

    /// Remember what a lookup read, unless anything changed since it started.
    pub(crate) fn remember(&self, hash: &str, lookup: Lookup, found: &(Token, Enterprise)) {
        let now = self.stamp();
        let mut s = self.state();
        if lookup.stamp.is_none()
            || now != lookup.stamp
            || s.seen != lookup.stamp
            || s.generation != lookup.generation
        {
            return;
        }
        if s.entries.len() >= MAX_ENTRIES {
            s.entries.clear();
        }
        s.entries.insert(hash.to_string(), found.clone());
    }

    /// Tokens or enterprises changed (a committed transaction): forget everything here, and
    /// tell every other process on this database through the marker.
    pub(crate) fn changed(&self) {
        {
            let mut s = self.state();
            s.generation += 1;
            s.entries.clear();
        }
        let too_long = std::fs::metadata(&self.marker)
            .map(|m| m.len() >= MAX_MARKER_BYTES)
            .unwrap_or(false);
        let written = if too_long {
            std::fs::write(&self.marker, b"")
        } else {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.marker)
                .and_then(|mut f| f.write_all(b"."))
        };
        if let Err(e) = written {
            // Other processes would keep their cached tokens: say so loudly. This process
            // has forgotten its own already.
            tracing::error!(marker = %self.marker.display(), error = %e, "cannot mark a token change for other processes");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use directory::model::{Profile, Scope};
    use time::OffsetDateTime;

    fn record(id: &str) -> (Token, Enterprise) {
        let at = OffsetDateTime::UNIX_EPOCH;
        (
            Token {
                id: id.into(),
                enterprise_id: 1,
                owner: "o".into(),
                scopes: vec![Scope::ScimEnterprise],
                created: at,
                expires_at: None,
                revoked_at: None,
                last_used_at: None,
            },
            Enterprise {
                id: 1,
                slug: "acme".into(),
                short_code: "acme".into(),
                profile: Profile::GithubEmu,
                created: at,
            },
        )
    }

    #[test]
    fn a_change_in_another_process_empties_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("roster.db");
        let here = AuthCache::new(&db);
        let lookup = here.get("h").unwrap_err();
        here.remember("h", lookup, &record("t1"));
        assert_eq!(here.get("h").map(|r| r.0.id).ok().as_deref(), Some("t1"));
        // Another process (another cache on the same file) revokes a token.
        AuthCache::new(&db).changed();
        assert!(here.get("h").is_err());
    }

    #[test]
    fn a_read_overtaken_by_a_change_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let here = AuthCache::new(&dir.path().join("roster.db"));
        let lookup = here.get("h").unwrap_err();
        here.changed();
        here.remember("h", lookup, &record("t1"));
        assert!(here.get("h").is_err());
    }
}
