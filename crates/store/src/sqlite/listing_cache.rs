//! What makes paging through a large enterprise cost the same at the end as at the start, on
//! SQLite: the `totalResults` of unfiltered listings and the place where page N starts
//! ("after seq X") are remembered between requests, so neither `count(*)` nor `OFFSET` has to
//! walk the list again.
//!
//! Why this is safe: one process owns an SQLite file (replicas need PostgreSQL), so every write
//! to `users` and `groups` passes through this store and is seen here. Every write announces
//! itself before its statement runs and again once its COMMIT has resolved; a remembered value
//! is stored only when no write was in flight and none happened while it was being computed,
//! and used only while that is still true. Totals are invalidated by any insert or delete;
//! page starts only by deletes, because inserts always take a larger `seq` than every row
//! already visible and so never shift an earlier position.

use std::collections::HashMap;
use std::sync::Mutex;

use super::filter_sql::Table;

/// A listing: an enterprise's users or groups.
pub(crate) type ListingKey = (i64, Table);

/// Most remembered page starts; past it the memory is simply cleared.
const MAX_ANCHORS: usize = 100_000;

/// Writes to one listing: counters that move when a write starts and again when it ends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Activity {
    changes: u64,
    deletes: u64,
    writing: u32,
    deleting: u32,
}

#[derive(Default)]
struct State {
    activity: HashMap<ListingKey, Activity>,
    totals: HashMap<ListingKey, (u64, u64)>,
    /// (listing, startIndex) → (deletes when remembered, seq of the row before that index).
    anchors: HashMap<(ListingKey, u64), (u64, i64)>,
}

#[derive(Default)]
pub(crate) struct ListingCache {
    state: Mutex<State>,
}

impl ListingCache {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// A write to `key` is about to run (`delete`: it removes rows).
    pub(crate) fn write_started(&self, key: ListingKey, delete: bool) {
        self.with(|s| {
            let a = s.activity.entry(key).or_default();
            a.changes += 1;
            a.writing += 1;
            if delete {
                a.deletes += 1;
                a.deleting += 1;
            }
        });
    }

    /// A write announced by `write_started` has committed or failed.
    pub(crate) fn write_ended(&self, key: ListingKey, delete: bool) {
        self.with(|s| {
            let a = s.activity.entry(key).or_default();
            a.changes += 1;
            a.writing = a.writing.saturating_sub(1);
            if delete {
                a.deletes += 1;
                a.deleting = a.deleting.saturating_sub(1);
            }
        });
    }

    pub(crate) fn activity(&self, key: ListingKey) -> Activity {
        self.with(|s| s.activity.get(&key).copied().unwrap_or_default())
    }

    /// The remembered total of an unfiltered listing, if still valid.
    pub(crate) fn total(&self, key: ListingKey) -> Option<u64> {
        self.with(|s| {
            let a = s.activity.get(&key).copied().unwrap_or_default();
            match s.totals.get(&key) {
                Some(&(changes, total)) if a.writing == 0 && a.changes == changes => Some(total),
                _ => None,
            }
        })
    }

    /// Remember a total counted while `before` was the activity.
    pub(crate) fn remember_total(&self, key: ListingKey, before: Activity, total: u64) {
        self.with(|s| {
            let now = s.activity.get(&key).copied().unwrap_or_default();
            if before.writing == 0 && now == before {
                s.totals.insert(key, (now.changes, total));
            }
        });
    }

    /// The seq after which row number `start_index` of an unfiltered listing starts, if known.
    pub(crate) fn anchor(&self, key: ListingKey, start_index: u64) -> Option<i64> {
        self.with(|s| {
            let a = s.activity.get(&key).copied().unwrap_or_default();
            match s.anchors.get(&(key, start_index)) {
                Some(&(deletes, seq)) if a.deleting == 0 && a.deletes == deletes => Some(seq),
                _ => None,
            }
        })
    }

    /// Remember that row number `start_index` comes after `seq`, read while `before` was the
    /// activity.
    pub(crate) fn remember_anchor(
        &self,
        key: ListingKey,
        start_index: u64,
        before: Activity,
        seq: i64,
    ) {
        self.with(|s| {
            let now = s.activity.get(&key).copied().unwrap_or_default();
            if before.deleting == 0 && now.deleting == 0 && now.deletes == before.deletes {
                if s.anchors.len() >= MAX_ANCHORS {
                    s.anchors.clear();
                }
                s.anchors.insert((key, start_index), (now.deletes, seq));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: ListingKey = (1, Table::Users);

    #[test]
    fn totals_are_forgotten_by_any_write_and_not_kept_while_one_runs() {
        let c = ListingCache::default();
        let before = c.activity(K);
        c.remember_total(K, before, 10);
        assert_eq!(c.total(K), Some(10));
        c.write_started(K, false);
        assert_eq!(c.total(K), None, "a write in flight");
        let during = c.activity(K);
        c.remember_total(K, during, 11);
        assert_eq!(c.total(K), None, "not remembered while writing");
        c.write_ended(K, false);
        assert_eq!(c.total(K), None, "stale after the write");
        let before = c.activity(K);
        c.write_started(K, false);
        c.write_ended(K, false);
        c.remember_total(K, before, 11);
        assert_eq!(c.total(K), None, "a write happened while counting");
    }

    #[test]
    fn anchors_survive_inserts_but_not_deletes() {
        let c = ListingCache::default();
        let before = c.activity(K);
        c.remember_anchor(K, 101, before, 100);
        c.write_started(K, false);
        assert_eq!(
            c.anchor(K, 101),
            Some(100),
            "an insert does not shift earlier rows"
        );
        c.write_ended(K, false);
        assert_eq!(c.anchor(K, 101), Some(100));
        c.write_started(K, true);
        assert_eq!(c.anchor(K, 101), None);
        c.write_ended(K, true);
        assert_eq!(c.anchor(K, 101), None);
        assert_eq!(
            c.anchor((2, Table::Users), 101),
            None,
            "listings are separate"
        );
    }
}
