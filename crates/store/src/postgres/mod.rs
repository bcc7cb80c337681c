//! The PostgreSQL store: a connection pool shared by every request of one replica; several
//! replicas over one database stay consistent because every rule that spans requests is the
//! database's (unique indexes, row locks, compare-and-swap on `version`), never process memory.

mod audit;
mod errors;
mod filter_sql;
mod migrate;
mod order;
mod orgs;
mod orgs_tx;
mod pool;
mod rows;
pub mod scratch_server;
mod seats;
mod tx;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use directory::model::{
    Enterprise, IdpGroup, LoggedEvent, ManagedUser, Member, Membership, Organization, Page, Team,
    Token,
};
use directory::rate_limit::{Quota, RateLimit};
use directory::store::{AuditQuery, ListQuery, Slice, Store, StoreError, Tx};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgRow};
use sqlx::{AssertSqlSafe, ConnectOptions, Postgres, Row, Transaction};

use crate::OpenMode;

pub(crate) use errors::pg_error;
use filter_sql::{Table, compile};
use order::Order;
pub use pool::PgOptions;
use rows::{
    ENTERPRISE_COLUMNS, GROUP_COLUMNS, TOKEN_COLUMNS, USER_COLUMNS, enterprise_from, group_from,
    token_from, user_from,
};

pub struct PgStore {
    pool: PgPool,
    settings: PgOptions,
    /// "PostgreSQL at host:port", for messages.
    server: Arc<str>,
    /// The last diagnosis of a failed readiness check, and when it was made: one direct
    /// connection attempt at a time and at most every few seconds, however often an
    /// (unauthenticated) client asks `/readyz` while the database struggles.
    diagnosis: tokio::sync::Mutex<Option<(std::time::Instant, StoreError)>>,
}

/// How long a readiness diagnosis is reused.
const DIAGNOSIS_FRESH: Duration = Duration::from_secs(5);

/// Where a URL points, without its password, for messages.
pub(crate) fn describe(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    )
}

impl PgStore {
    /// Connect with the default pool settings and migrate.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        PgStore::open_as(url, OpenMode::Create).await
    }

    /// `connect` with the default pool settings.
    pub async fn open_as(url: &str, mode: OpenMode) -> Result<PgStore, StoreError> {
        PgStore::connect(url, &PgOptions::default(), mode).await
    }

    /// Connect, then migrate (under an advisory lock, so replicas starting together take
    /// turns), or (`Existing`) only check that the schema is this binary's.
    pub async fn connect(
        url: &str,
        settings: &PgOptions,
        mode: OpenMode,
    ) -> Result<PgStore, StoreError> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?
            .log_statements(tracing::log::LevelFilter::Debug);
        // Shows in pg_stat_activity, so an operator can tell Roster's sessions from others.
        if options.get_application_name().is_none() {
            options = options.application_name("roster");
        }
        let cannot = |e: StoreError| {
            StoreError::Unavailable(format!(
                "cannot connect to PostgreSQL at {}: {}",
                describe(&options),
                errors::reason(e)
            ))
        };
        let setup = pool::setup_pool(&options, settings).await.map_err(cannot)?;
        let migrated = migrate::prepare(&setup, mode, &describe(&options)).await;
        setup.close().await;
        migrated?;
        Ok(PgStore {
            server: pool::server_name(&options).into(),
            pool: pool::serving_pool(options, settings),
            settings: settings.clone(),
            diagnosis: tokio::sync::Mutex::new(None),
        })
    }

    /// A connection of the pool, or a refusal that says whose connections ran out.
    async fn conn(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        self.pool
            .acquire()
            .await
            .map_err(|e| pool::acquire_failed(e, &self.pool, &self.settings, &self.server))
    }

    /// The pool, for copying a database into this one (`crate::copy`).
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Close every connection (tests drop their database afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn list<T>(
        &self,
        table: Table,
        enterprise_id: i64,
        query: &ListQuery<'_>,
        columns: &str,
        from_row: fn(&PgRow) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        // $1 is the enterprise; the filter's parameters follow.
        let (condition, params) = match query.filter {
            Some(f) => compile(f, table, query.resource_type, 2)?,
            None => ("true".to_string(), Vec::new()),
        };
        let name = table.name();
        let count_sql =
            format!("SELECT count(*) FROM {name} WHERE enterprise_id = $1 AND ({condition})");
        let mut count = sqlx::query(AssertSqlSafe(count_sql)).bind(enterprise_id);
        for p in &params {
            count = p.bind(count);
        }
        let total: i64 = count
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(pg_error)?
            .try_get(0)
            .map_err(pg_error)?;
        let total = u64::try_from(total).unwrap_or(0);
        if query.count == 0 {
            return Ok(Page {
                total,
                items: Vec::new(),
                next: None,
            });
        }
        let order = Order::new(query, table)?;
        let (after_sql, after_params) = order.after(query.after, params.len() + 2);
        let n = params.len() + after_params.len() + 2;
        let sql = format!(
            "SELECT {columns}, seq AS list_seq, {key} AS list_key FROM {name} \
             WHERE enterprise_id = $1 AND ({condition}) AND {after_sql} \
             ORDER BY {order_by} LIMIT ${n} OFFSET ${}",
            n + 1,
            key = order.key_json(),
            order_by = order.order_by(),
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(enterprise_id);
        for p in params.iter().chain(after_params.iter()) {
            q = p.bind(q);
        }
        let offset = if query.after.is_some() {
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
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(pg_error)?;
        let more = rows.len() as u64 > query.count;
        rows.truncate(usize::try_from(query.count).unwrap_or(usize::MAX));
        let next = match (more, rows.last()) {
            (true, Some(last)) => Some(order.position(last)?),
            _ => None,
        };
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { total, items, next })
    }
}

#[async_trait]
impl Store for PgStore {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        let tx = Transaction::begin(self.conn().await?, None)
            .await
            .map_err(pg_error)?;
        Ok(Box::new(tx::PgTx {
            tx,
            server: self.server.clone(),
        }))
    }

    /// A connection and an answer within `ready_timeout`, which is shorter than a request's
    /// wait: a replica whose requests would queue for connections is not ready either.
    async fn ready(&self) -> Result<(), StoreError> {
        let waited = self.settings.ready_timeout;
        let probe = async {
            let mut conn = self.pool.acquire().await?;
            sqlx::query("SELECT 1").execute(&mut *conn).await
        };
        match tokio::time::timeout(waited, probe).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(sqlx::Error::PoolTimedOut)) | Err(_) => {
                let mut last = self.diagnosis.lock().await;
                if let Some((at, why)) = last.as_ref()
                    && at.elapsed() < DIAGNOSIS_FRESH
                {
                    return Err(why.clone());
                }
                let why = pool::starved(&self.pool, &self.settings, &self.server, waited).await;
                *last = Some((std::time::Instant::now(), why.clone()));
                Err(why)
            }
            Ok(Err(e)) => Err(pg_error(e)),
        }
    }

    async fn enterprise_by_slug(&self, slug: &str) -> Result<Option<Enterprise>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE slug = $1"
        )))
        .bind(slug)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        row.as_ref().map(enterprise_from).transpose()
    }

    async fn enterprises(&self) -> Result<Vec<Enterprise>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTERPRISE_COLUMNS} FROM enterprises ORDER BY id"
        )))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter().map(enterprise_from).collect()
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<(Token, Enterprise)>, StoreError> {
        let row = sqlx::query(
            "SELECT t.id, t.enterprise_id, t.owner, t.scopes, t.created, t.expires_at, t.revoked_at, t.last_used_at, \
             e.id AS e_id, e.slug, e.short_code, e.profile, e.created AS e_created \
             FROM tokens t JOIN enterprises e ON e.id = t.enterprise_id WHERE t.secret_hash = $1",
        )
        .bind(hash)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((token_from(&r)?, rows::enterprise_from_prefixed(&r)?))),
        }
    }

    async fn tokens(&self, enterprise_id: Option<i64>) -> Result<Vec<Token>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE $1::bigint IS NULL OR enterprise_id = $1 ORDER BY created, id"
        )))
        .bind(enterprise_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter().map(token_from).collect()
    }

    async fn user(&self, enterprise_id: i64, id: &str) -> Result<Option<ManagedUser>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE enterprise_id = $1 AND id = $2"
        )))
        .bind(enterprise_id)
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
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
        let rows = sqlx::query(
            "SELECT gm.user_id, g.id, g.display_name FROM group_members gm JOIN groups g ON g.id = gm.group_id \
             WHERE g.enterprise_id = $1 AND gm.user_id = ANY($2) ORDER BY g.seq",
        )
        .bind(enterprise_id)
        .bind(user_ids)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    user_id: r.try_get(0).map_err(pg_error)?,
                    group_id: r.try_get(1).map_err(pg_error)?,
                    group_display: r.try_get(2).map_err(pg_error)?,
                })
            })
            .collect()
    }

    async fn group(&self, enterprise_id: i64, id: &str) -> Result<Option<IdpGroup>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE enterprise_id = $1 AND id = $2"
        )))
        .bind(enterprise_id)
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
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
             JOIN users u ON u.id = gm.user_id WHERE gm.group_id = $1 ORDER BY gm.seq",
        )
        .bind(group_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.try_get(0).map_err(pg_error)?,
                    display: r.try_get(1).map_err(pg_error)?,
                })
            })
            .collect()
    }

    // Organizations, teams, their members, the audit log (orgs.rs, audit.rs).

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
        // `Bucket::take` in one statement, so concurrent requests through any replica serialize
        // on the token's row and none is lost. Time is the database's clock, not the replica's:
        // replicas with skewed clocks then agree on how much has refilled. EXCLUDED.at is "now";
        // $2 is the burst, $3 the rate per second; `taken` says whether this request got one.
        let row = sqlx::query(
            "INSERT INTO rate_buckets AS b (token_id, tokens, at, taken) \
             VALUES ($1, $2 - 1, extract(epoch FROM clock_timestamp())::float8, true) \
             ON CONFLICT (token_id) DO UPDATE SET \
               tokens = least($2, b.tokens + greatest(0, EXCLUDED.at - b.at) * $3) \
                 - CASE WHEN least($2, b.tokens + greatest(0, EXCLUDED.at - b.at) * $3) >= 1 \
                   THEN 1 ELSE 0 END, \
               taken = least($2, b.tokens + greatest(0, EXCLUDED.at - b.at) * $3) >= 1, \
               at = EXCLUDED.at \
             RETURNING tokens, taken",
        )
        .bind(token_id)
        .bind(f64::from(limit.burst))
        .bind(limit.per_second)
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        let tokens: f64 = row.try_get("tokens").map_err(pg_error)?;
        let taken: bool = row.try_get("taken").map_err(pg_error)?;
        Ok(Quota::after_take(limit, tokens, taken))
    }
}
