//! The SQLite store: WAL mode, one write connection (SQLite admits one writer; queueing on it
//! is cheaper than lock retries), a pool of readers that run in parallel with it, and
//! `synchronous=FULL` so an acknowledged write is on disk.

mod audit;
mod filter_sql;
mod group_commit;
mod listing_cache;
mod order;
mod orgs;
mod orgs_tx;
mod rows;
mod seats;
mod tx;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use directory::model::{
    Enterprise, IdpGroup, LoggedEvent, ManagedUser, Member, Membership, Organization, Page, Team,
    Token,
};
use directory::rate_limit::{LocalBuckets, Quota, RateLimit};
use directory::store::{AuditQuery, ListQuery, Slice, Store, StoreError, Tx};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Connection, Row, SqliteConnection};

use crate::migrations;
use filter_sql::{Table, compile};
use group_commit::Writer;
use listing_cache::ListingCache;
use order::Order;
use rows::{backend, enterprise_from, group_from, token_from, user_from};

const ENTERPRISE_COLUMNS: &str = "id, slug, short_code, profile, created";
const TOKEN_COLUMNS: &str =
    "id, enterprise_id, owner, scopes, created, expires_at, revoked_at, last_used_at";
pub(crate) const USER_COLUMNS: &str = "id, enterprise_id, user_name, handle, external_id, display_name, active, doc, version, created, last_modified";
pub(crate) const GROUP_COLUMNS: &str =
    "id, enterprise_id, display_name, external_id, doc, version, created, last_modified";

pub struct SqliteStore {
    writer: Arc<Writer>,
    readers: SqlitePool,
    /// Totals and page starts of unfiltered listings (see `listing_cache`).
    listings: Arc<ListingCache>,
    /// Rate-limit buckets in this process's memory: one process owns an SQLite file (replicas
    /// need PostgreSQL), so every request of a token passes here, and writing a row per request
    /// would queue rate limiting behind the single writer for nothing.
    buckets: LocalBuckets,
}

impl SqliteStore {
    /// Open the database file (creating it and its folder), switch it to WAL and migrate.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(backend)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
        migrate(&mut conn).await?;
        let writer = Writer::new(conn);
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.read_only(true))
            .await
            .map_err(backend)?;
        Ok(SqliteStore {
            writer,
            readers,
            buckets: LocalBuckets::default(),
            listings: Arc::new(ListingCache::default()),
        })
    }

    /// The read-only pool, for copying this database elsewhere (`crate::copy`).
    pub(crate) fn readers(&self) -> &SqlitePool {
        &self.readers
    }

    async fn list<T>(
        &self,
        table: Table,
        enterprise_id: i64,
        query: &ListQuery<'_>,
        columns: &str,
        from_row: fn(&sqlx::sqlite::SqliteRow) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let (condition, params) = match query.filter {
            Some(f) => compile(f, table, query.resource_type)?,
            None => ("1".to_string(), Vec::new()),
        };
        let name = table.name();
        let key = (enterprise_id, table);
        // An unfiltered listing in creation order (how IdPs import) can use what the listing
        // cache remembers: its total, and where the page starts.
        let whole = query.filter.is_none();
        let plain = whole && query.sort.is_none() && query.after.is_none();
        let before = self.listings.activity(key);
        let total = match whole.then(|| self.listings.total(key)).flatten() {
            Some(total) => total,
            None => {
                let count_sql = format!(
                    "SELECT count(*) FROM {name} WHERE enterprise_id = ? AND ({condition})"
                );
                let mut count = sqlx::query(AssertSqlSafe(count_sql)).bind(enterprise_id);
                for p in &params {
                    count = p.bind(count);
                }
                let total: i64 = count
                    .fetch_one(&self.readers)
                    .await
                    .map_err(backend)?
                    .try_get(0)
                    .map_err(backend)?;
                let total = u64::try_from(total).unwrap_or(0);
                if whole {
                    self.listings.remember_total(key, before, total);
                }
                total
            }
        };
        if query.count == 0 {
            return Ok(Page {
                total,
                items: Vec::new(),
                next: None,
            });
        }
        let order = Order::new(query, table)?;
        let anchor = if plain && query.start_index > 1 {
            self.listings.anchor(key, query.start_index)
        } else {
            None
        };
        let (after_sql, after_params) = match anchor {
            Some(seq) => ("seq > ?".to_string(), vec![filter_sql::Param::Int(seq)]),
            None => order.after(query.after),
        };
        let sql = format!(
            "SELECT {columns}, seq AS list_seq, {key_json} AS list_key FROM {name} \
             WHERE enterprise_id = ? AND ({condition}) AND {after_sql} ORDER BY {order_by} LIMIT ? OFFSET ?",
            key_json = order.key_json(),
            order_by = order.order_by(),
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(enterprise_id);
        for p in params.iter().chain(after_params.iter()) {
            q = p.bind(q);
        }
        let offset = if query.after.is_some() || anchor.is_some() {
            0
        } else {
            query.start_index.saturating_sub(1)
        };
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        // One more row than asked tells whether a next page exists.
        let limit = i64::try_from(query.count.saturating_add(1)).unwrap_or(i64::MAX);
        let mut rows = q
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.readers)
            .await
            .map_err(backend)?;
        let more = rows.len() as u64 > query.count;
        rows.truncate(usize::try_from(query.count).unwrap_or(usize::MAX));
        let next = match (more, rows.last()) {
            (true, Some(last)) => Some(order.position(last)?),
            _ => None,
        };
        if plain && let Some(last) = rows.last() {
            let seq: i64 = last.try_get("list_seq").map_err(backend)?;
            let following = query.start_index.max(1) + rows.len() as u64;
            self.listings.remember_anchor(key, following, before, seq);
        }
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { total, items, next })
    }
}

/// Apply the migrations not yet applied, each with its `schema_migrations` row.
async fn migrate(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)")
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    for (version, description, sql) in migrations::SQLITE {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(AssertSqlSafe(*sql))
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::Backend(format!("migration {version} ({description}) failed: {e}"))
            })?;
        sqlx::query("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, strftime('%s','now'))")
            .bind(version)
            .bind(description)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        let turn = self.writer.begin().await?;
        Ok(Box::new(tx::SqliteTx {
            turn,
            announced: tx::Announced {
                cache: self.listings.clone(),
                writes: Vec::new(),
            },
        }))
    }

    async fn enterprise_by_slug(&self, slug: &str) -> Result<Option<Enterprise>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE slug = ?"
        )))
        .bind(slug)
        .fetch_optional(&self.readers)
        .await
        .map_err(backend)?;
        row.as_ref().map(enterprise_from).transpose()
    }

    async fn enterprises(&self) -> Result<Vec<Enterprise>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTERPRISE_COLUMNS} FROM enterprises ORDER BY id"
        )))
        .fetch_all(&self.readers)
        .await
        .map_err(backend)?;
        rows.iter().map(enterprise_from).collect()
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<(Token, Enterprise)>, StoreError> {
        let row = sqlx::query(
            "SELECT t.id, t.enterprise_id, t.owner, t.scopes, t.created, t.expires_at, t.revoked_at, t.last_used_at, \
             e.id AS e_id, e.slug, e.short_code, e.profile, e.created AS e_created \
             FROM tokens t JOIN enterprises e ON e.id = t.enterprise_id WHERE t.secret_hash = ?",
        )
        .bind(hash)
        .fetch_optional(&self.readers)
        .await
        .map_err(backend)?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((token_from(&r)?, rows::enterprise_from_prefixed(&r)?))),
        }
    }

    async fn tokens(&self, enterprise_id: Option<i64>) -> Result<Vec<Token>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE ? IS NULL OR enterprise_id = ? ORDER BY created, id"
        )))
        .bind(enterprise_id)
        .bind(enterprise_id)
        .fetch_all(&self.readers)
        .await
        .map_err(backend)?;
        rows.iter().map(token_from).collect()
    }

    async fn user(&self, enterprise_id: i64, id: &str) -> Result<Option<ManagedUser>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE enterprise_id = ? AND id = ?"
        )))
        .bind(enterprise_id)
        .bind(id)
        .fetch_optional(&self.readers)
        .await
        .map_err(backend)?;
        row.as_ref().map(user_from).transpose()
    }

    async fn users(
        &self,
        enterprise_id: i64,
        query: &ListQuery<'_>,
    ) -> Result<Page<ManagedUser>, StoreError> {
        self.list(Table::Users, enterprise_id, query, USER_COLUMNS, user_from)
            .await
    }

    async fn memberships(
        &self,
        enterprise_id: i64,
        user_ids: &[String],
    ) -> Result<Vec<Membership>, StoreError> {
        let mut out = Vec::new();
        for chunk in user_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "SELECT gm.user_id, g.id, g.display_name FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                 WHERE g.enterprise_id = ? AND gm.user_id IN ({marks}) ORDER BY g.seq"
            )))
            .bind(enterprise_id);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.readers).await.map_err(backend)? {
                out.push(Membership {
                    user_id: r.try_get(0).map_err(backend)?,
                    group_id: r.try_get(1).map_err(backend)?,
                    group_display: r.try_get(2).map_err(backend)?,
                });
            }
        }
        Ok(out)
    }

    async fn group(&self, enterprise_id: i64, id: &str) -> Result<Option<IdpGroup>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE enterprise_id = ? AND id = ?"
        )))
        .bind(enterprise_id)
        .bind(id)
        .fetch_optional(&self.readers)
        .await
        .map_err(backend)?;
        row.as_ref().map(group_from).transpose()
    }

    async fn groups(
        &self,
        enterprise_id: i64,
        query: &ListQuery<'_>,
    ) -> Result<Page<IdpGroup>, StoreError> {
        self.list(
            Table::Groups,
            enterprise_id,
            query,
            GROUP_COLUMNS,
            group_from,
        )
        .await
    }

    async fn members(&self, group_id: &str) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(
            "SELECT gm.user_id, COALESCE(u.display_name, u.user_name) FROM group_members gm \
             JOIN users u ON u.id = gm.user_id WHERE gm.group_id = ? ORDER BY gm.seq",
        )
        .bind(group_id)
        .fetch_all(&self.readers)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.try_get(0).map_err(backend)?,
                    display: r.try_get(1).map_err(backend)?,
                })
            })
            .collect()
    }

    async fn organization_by_login(&self, login: &str) -> Result<Option<Organization>, StoreError> {
        self.read_organization_by_login(login).await
    }

    async fn organizations(&self, enterprise_id: i64) -> Result<Vec<Organization>, StoreError> {
        self.read_organizations(enterprise_id).await
    }

    async fn teams(&self, org_id: i64) -> Result<Vec<Team>, StoreError> {
        self.read_teams(org_id).await
    }

    async fn team_by_slug(&self, org_id: i64, slug: &str) -> Result<Option<Team>, StoreError> {
        self.read_team_by_slug(org_id, slug).await
    }

    async fn team(&self, id: i64) -> Result<Option<Team>, StoreError> {
        self.read_team(id).await
    }

    async fn linked_teams(&self, group_id: &str) -> Result<Vec<Team>, StoreError> {
        self.read_linked_teams(group_id).await
    }

    async fn group_users(&self, group_id: &str) -> Result<Vec<ManagedUser>, StoreError> {
        self.read_group_users(group_id).await
    }

    async fn team_users(&self, team_id: i64, slice: Slice) -> Result<Vec<ManagedUser>, StoreError> {
        self.read_team_users(team_id, slice).await
    }

    async fn org_users(&self, org_id: i64, slice: Slice) -> Result<Vec<ManagedUser>, StoreError> {
        self.read_org_users(org_id, slice).await
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<LoggedEvent>, StoreError> {
        self.read_audit_events(query).await
    }

    async fn take_rate(&self, token_id: &str, limit: &RateLimit) -> Result<Quota, StoreError> {
        Ok(self.buckets.take(token_id, limit))
    }
}
