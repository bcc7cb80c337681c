//! The SQLite store: WAL mode, one write connection (SQLite admits one writer; queueing on it
//! is cheaper than lock retries), a pool of readers that run in parallel with it, and
//! `synchronous=FULL` so an acknowledged write is on disk.

mod audit;
mod auth_cache;
mod database_file;
mod db;
mod errors;
mod filter_sql;
mod group_commit;
mod listing;
mod listing_cache;
mod order;
mod orgs;
mod orgs_tx;
mod owner;
mod rows;
mod schema;
mod seats;
mod tx;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use directory::model::{
    Enterprise, IdpGroup, LoggedEvent, ManagedUser, Member, Membership, Organization, Page, Team,
    Token,
};
use directory::rate_limit::{LocalBuckets, Quota, RateLimit};
use directory::store::{AuditQuery, ListQuery, Slice, Store, StoreError, Tx};
use rusqlite::params;

use crate::{OpenMode, OpenOptions};
use auth_cache::AuthCache;
use database_file::DatabaseFile;
use db::{Readers, row_of, rows_of};
use filter_sql::Table;
use group_commit::Writer;
use listing_cache::ListingCache;
use owner::Owner;
use rows::{backend, enterprise_from, group_from, token_from, user_from};

const ENTERPRISE_COLUMNS: &str = "id, slug, short_code, profile, created";
const TOKEN_COLUMNS: &str =
    "id, enterprise_id, owner, scopes, created, expires_at, revoked_at, last_used_at";
pub(crate) const USER_COLUMNS: &str = "id, enterprise_id, user_name, handle, external_id, display_name, active, doc, version, created, last_modified";
pub(crate) const GROUP_COLUMNS: &str =
    "id, enterprise_id, display_name, external_id, doc, version, created, last_modified";

pub struct SqliteStore {
    writer: Arc<Writer>,
    readers: Arc<Readers>,
    /// Tokens as requests authenticate them (see `auth_cache`).
    auth: Arc<AuthCache>,
    /// Totals and page starts of unfiltered listings (see `listing_cache`).
    listings: Arc<ListingCache>,
    /// Rate-limit buckets in this process's memory: one process owns an SQLite file (replicas
    /// need PostgreSQL), so every request of a token passes here, and writing a row per request
    /// would queue rate limiting behind the single writer for nothing.
    buckets: LocalBuckets,
    /// The file as opened, checked before writes (see `database_file`).
    file: Arc<DatabaseFile>,
    /// The claim of `roster serve` on this file (see `owner`).
    _owner: Option<Owner>,
}

impl SqliteStore {
    /// Open the database file as `options.mode` allows: `Serve` and `Create` create it (and
    /// its folder) and migrate it, `Serve` also claims it for this process; `Existing` opens
    /// a database that is there and has this binary's schema.
    pub async fn open(path: &Path, options: &OpenOptions) -> Result<SqliteStore, StoreError> {
        let mode = options.mode;
        if mode == OpenMode::Existing {
            if !path.exists() {
                return Err(StoreError::Unavailable(format!(
                    "no database at {}; start `roster serve` or `roster enterprise create` first (or name another database with --database)",
                    shown(path)
                )));
            }
        } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create the folder {}: {e}", shown(dir)))
            })?;
        }
        let owner = match mode {
            OpenMode::Serve => Some(Owner::claim(path)?),
            _ => None,
        };
        let owned = path.to_path_buf();
        let database = format!("sqlite://{}", path.display());
        let conn = tokio::task::spawn_blocking(move || {
            let mut conn = db::open_writer(&owned, mode)?;
            schema::prepare(&mut conn, mode, &database)?;
            Ok::<_, StoreError>(conn)
        })
        .await
        .map_err(backend)??;
        let auth = AuthCache::new(path);
        let file = Arc::new(DatabaseFile::opened(path, auth.marker().to_path_buf())?);
        Ok(SqliteStore {
            writer: Writer::new(
                conn,
                file.clone(),
                options.write_timeout,
                options.commit_timeout,
            ),
            readers: Readers::new(path, file.clone()),
            auth: Arc::new(auth),
            buckets: LocalBuckets::default(),
            listings: Arc::new(ListingCache::default()),
            file,
            _owner: owner,
        })
    }

    /// The read connections, for copying this database elsewhere (`crate::copy`).
    pub(crate) fn readers(&self) -> &Arc<Readers> {
        &self.readers
    }
}

/// A path as an operator finds it: absolute, since a relative one depends on where the
/// command ran.
fn shown(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        let turn = self.writer.begin().await?;
        Ok(Box::new(tx::SqliteTx {
            turn,
            auth: tx::AuthChange {
                cache: self.auth.clone(),
                changed: false,
            },
            announced: tx::Announced {
                cache: self.listings.clone(),
                writes: Vec::new(),
            },
        }))
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.file.check()?;
        self.file.check_writable()?;
        self.readers
            .run(|c| row_of(c, "SELECT 1", [], |_| Ok(())))
            .map(|_| ())
    }

    async fn enterprise_by_slug(&self, slug: &str) -> Result<Option<Enterprise>, StoreError> {
        self.readers.run(|c| {
            row_of(
                c,
                &format!("SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE slug = ?"),
                params![slug],
                enterprise_from,
            )
        })
    }

    async fn enterprises(&self) -> Result<Vec<Enterprise>, StoreError> {
        self.readers.run(|c| {
            rows_of(
                c,
                &format!("SELECT {ENTERPRISE_COLUMNS} FROM enterprises ORDER BY id"),
                [],
                enterprise_from,
            )
        })
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<(Token, Enterprise)>, StoreError> {
        let lookup = match self.auth.get(hash) {
            Ok(found) => return Ok(Some(found)),
            Err(lookup) => lookup,
        };
        let found = self.readers.run(|c| {
            row_of(
                c,
                "SELECT t.id, t.enterprise_id, t.owner, t.scopes, t.created, t.expires_at, t.revoked_at, t.last_used_at, \
                 e.id AS e_id, e.slug, e.short_code, e.profile, e.created AS e_created \
                 FROM tokens t JOIN enterprises e ON e.id = t.enterprise_id WHERE t.secret_hash = ?",
                params![hash],
                |r| Ok((token_from(r)?, rows::enterprise_from_prefixed(r)?)),
            )
        })?;
        if let Some(found) = &found {
            self.auth.remember(hash, lookup, found);
        }
        Ok(found)
    }

    async fn tokens(&self, enterprise_id: Option<i64>) -> Result<Vec<Token>, StoreError> {
        self.readers.run(|c| {
            rows_of(
                c,
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE ? IS NULL OR enterprise_id = ? ORDER BY created, id"),
                params![enterprise_id, enterprise_id],
                token_from,
            )
        })
    }

    async fn user(&self, enterprise_id: i64, id: &str) -> Result<Option<ManagedUser>, StoreError> {
        self.readers.run(|c| {
            row_of(
                c,
                &format!("SELECT {USER_COLUMNS} FROM users WHERE enterprise_id = ? AND id = ?"),
                params![enterprise_id, id],
                user_from,
            )
        })
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
        // The groups of one page of users: bounded by the page, read here.
        self.readers.run(|c| {
            let mut out = Vec::new();
            for chunk in user_ids.chunks(500) {
                let sql = format!(
                    // CROSS JOIN fixes the join order: from these users' membership rows to
                    // their groups, never from every group of the enterprise.
                    "SELECT gm.user_id, g.id, g.display_name FROM group_members gm CROSS JOIN groups g ON g.id = gm.group_id \
                     WHERE gm.user_id IN ({}) AND g.enterprise_id = ? ORDER BY g.seq",
                    db::placeholders(chunk.len())
                );
                let args = chunk
                    .iter()
                    .map(|id| id as &dyn rusqlite::ToSql)
                    .chain(std::iter::once(&enterprise_id as &dyn rusqlite::ToSql));
                out.extend(rows_of(
                    c,
                    &sql,
                    rusqlite::params_from_iter(args),
                    |r| {
                        Ok(Membership {
                            user_id: r.get(0).map_err(backend)?,
                            group_id: r.get(1).map_err(backend)?,
                            group_display: r.get(2).map_err(backend)?,
                        })
                    },
                )?);
            }
            Ok(out)
        })
    }

    async fn group(&self, enterprise_id: i64, id: &str) -> Result<Option<IdpGroup>, StoreError> {
        self.readers.run(|c| {
            row_of(
                c,
                &format!("SELECT {GROUP_COLUMNS} FROM groups WHERE enterprise_id = ? AND id = ?"),
                params![enterprise_id, id],
                group_from,
            )
        })
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
        // A group may have a hundred thousand members: on the blocking pool.
        let group_id = group_id.to_string();
        self.readers
            .scan(move |c| {
                rows_of(
                    c,
                    "SELECT gm.user_id, COALESCE(u.display_name, u.user_name) FROM group_members gm \
                     JOIN users u ON u.id = gm.user_id WHERE gm.group_id = ? ORDER BY gm.seq",
                    params![group_id],
                    |r| {
                        Ok(Member {
                            user_id: r.get(0).map_err(backend)?,
                            display: r.get(1).map_err(backend)?,
                        })
                    },
                )
            })
            .await
    }

    async fn organization_by_login(&self, login: &str) -> Result<Option<Organization>, StoreError> {
        self.read_organization_by_login(login)
    }

    async fn organizations(&self, enterprise_id: i64) -> Result<Vec<Organization>, StoreError> {
        self.read_organizations(enterprise_id)
    }

    async fn teams(&self, org_id: i64) -> Result<Vec<Team>, StoreError> {
        self.read_teams(org_id)
    }

    async fn team_by_slug(&self, org_id: i64, slug: &str) -> Result<Option<Team>, StoreError> {
        self.read_team_by_slug(org_id, slug)
    }

    async fn team(&self, id: i64) -> Result<Option<Team>, StoreError> {
        self.read_team(id)
    }

    async fn linked_teams(&self, group_id: &str) -> Result<Vec<Team>, StoreError> {
        self.read_linked_teams(group_id)
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
