//! One page of an enterprise's users or groups: filtered, ordered, from a `startIndex`, a
//! cursor position, or a remembered page start (see `listing_cache`), with its total.
//!
//! `totalResults` is counted only when the page cannot tell it: a page that ends before
//! `count` rows has seen every remaining row, so the total is the rows before it plus its
//! own. That spares the count for the commonest lookup of all, a filter on `userName`.

use std::sync::Arc;

use directory::model::Page;
use directory::store::{ListQuery, StoreError};
use rusqlite::{Connection, Row};

use super::SqliteStore;
use super::filter_sql::{self, Param, Table, compile};
use super::listing_cache::{Activity, ListingCache, ListingKey};
use super::order::Order;
use super::rows::{backend, get};

/// A listing with everything it needs owned, so it can run on another thread.
struct Listing<T> {
    key: ListingKey,
    table: Table,
    columns: &'static str,
    condition: String,
    params: Vec<Param>,
    order: Order,
    after: Option<(String, Vec<Param>)>,
    /// 1-based index of the first row wanted (1 for cursor pages).
    start_index: u64,
    /// An `OFFSET` is needed: `startIndex` paging with no remembered page start.
    offset: u64,
    count: u64,
    /// Unfiltered: the cache may know, and may learn, the total.
    whole: bool,
    /// Unfiltered, unsorted, by `startIndex`: the cache may learn where the next page starts.
    plain: bool,
    cached_total: Option<u64>,
    before: Activity,
    cache: Arc<ListingCache>,
    from_row: fn(&Row<'_>) -> Result<T, StoreError>,
}

impl SqliteStore {
    pub(super) async fn list<T: Send + 'static>(
        &self,
        table: Table,
        enterprise_id: i64,
        query: &ListQuery<'_>,
        columns: &'static str,
        from_row: fn(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let (condition, params) = match query.filter {
            Some(f) => compile(f, table, query.resource_type)?,
            None => ("1".to_string(), Vec::new()),
        };
        let key = (enterprise_id, table);
        let whole = query.filter.is_none();
        let plain = whole && query.sort.is_none() && query.after.is_none();
        let before = self.listings.activity(key);
        let cached_total = whole.then(|| self.listings.total(key)).flatten();
        let order = Order::new(query, table)?;
        let anchor = if plain && query.start_index > 1 {
            self.listings.anchor(key, query.start_index)
        } else {
            None
        };
        let after = match anchor {
            Some(seq) => Some(("seq > ?".to_string(), vec![Param::Int(seq)])),
            None => query.after.map(|p| order.after(Some(p))),
        };
        let offset = if after.is_some() {
            0
        } else {
            query.start_index.saturating_sub(1)
        };
        let listing = Listing {
            key,
            table,
            columns,
            condition,
            params,
            order,
            start_index: if query.after.is_some() {
                1
            } else {
                query.start_index.max(1)
            },
            after,
            offset,
            count: query.count,
            whole,
            plain,
            cached_total,
            before,
            cache: self.listings.clone(),
            from_row,
        };
        // A lookup by a key column finds a few rows through an index: run it here. Anything
        // else may scan the enterprise, so it runs on the blocking pool.
        let selective = query
            .filter
            .is_some_and(|f| filter_sql::selective(f, table));
        if selective {
            self.readers.run(|c| listing.run(c))
        } else {
            self.readers.scan(move |c| listing.run(c)).await
        }
    }
}

impl<T> Listing<T> {
    fn args(&self, extra: &[Param]) -> Vec<Param> {
        let mut args = Vec::with_capacity(1 + self.params.len() + extra.len());
        args.push(Param::Int(self.key.0));
        args.extend(self.params.iter().cloned());
        args.extend(extra.iter().cloned());
        args
    }

    fn count_all(&self, conn: &Connection) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE enterprise_id = ? AND ({})",
            self.table.name(),
            self.condition
        );
        let total: i64 = conn
            .prepare_cached(&sql)
            .map_err(backend)?
            .query_row(rusqlite::params_from_iter(self.args(&[])), |r| r.get(0))
            .map_err(backend)?;
        let total = u64::try_from(total).unwrap_or(0);
        if self.whole {
            self.cache.remember_total(self.key, self.before, total);
        }
        Ok(total)
    }

    fn run(self, conn: &Connection) -> Result<Page<T>, StoreError> {
        if self.count == 0 {
            let total = match self.cached_total {
                Some(t) => t,
                None => self.count_all(conn)?,
            };
            return Ok(Page {
                total,
                items: Vec::new(),
                next: None,
            });
        }
        let (after_sql, after_params) = match &self.after {
            Some((sql, params)) => (sql.as_str(), params.clone()),
            None => ("1", Vec::new()),
        };
        // One more row than asked tells whether a next page exists. LIMIT and OFFSET are
        // written into the statement, not bound: SQLite's planner reads a bound LIMIT, so a
        // cached statement with one would be compiled again on every run.
        let sql = format!(
            "SELECT {columns}, seq AS list_seq, {key_json} AS list_key FROM {name} \
             WHERE enterprise_id = ? AND ({condition}) AND {after_sql} ORDER BY {order_by} LIMIT {limit} OFFSET {offset}",
            columns = self.columns,
            key_json = self.order.key_json(),
            name = self.table.name(),
            condition = self.condition,
            order_by = self.order.order_by(),
            limit = self.count.saturating_add(1).min(i64::MAX as u64),
            offset = self.offset.min(i64::MAX as u64),
        );
        // A statement with an OFFSET is one page of one walk: not worth a cache slot.
        let mut cached;
        let mut single;
        let stmt: &mut rusqlite::Statement<'_> = if self.offset == 0 {
            cached = conn.prepare_cached(&sql).map_err(backend)?;
            &mut cached
        } else {
            single = conn.prepare(&sql).map_err(backend)?;
            &mut single
        };
        let args = self.args(&after_params);
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(backend)?;
        let wanted = usize::try_from(self.count).unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut last = None;
        let mut more = false;
        while let Some(r) = rows.next().map_err(backend)? {
            if items.len() == wanted {
                more = true;
                break;
            }
            items.push((self.from_row)(r)?);
            last = Some((get::<i64>(r, "list_seq")?, self.order.position(r)?));
        }
        drop(rows);
        let next = match (more, &last) {
            (true, Some((_, position))) => Some(position.clone()),
            _ => None,
        };
        if self.plain
            && let Some((seq, _)) = last
        {
            let following = self.start_index + items.len() as u64;
            self.cache
                .remember_anchor(self.key, following, self.before, seq);
        }
        let total = match self.cached_total {
            Some(t) => t,
            // Every row from the start of this page on was read: nothing is left to count.
            None if !more && self.after.is_none() && (self.offset == 0 || !items.is_empty()) => {
                let total = self.offset + items.len() as u64;
                if self.whole && self.offset == 0 {
                    self.cache.remember_total(self.key, self.before, total);
                }
                total
            }
            None => self.count_all(conn)?,
        };
        Ok(Page { total, items, next })
    }
}
