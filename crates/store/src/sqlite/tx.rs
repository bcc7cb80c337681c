//! A write transaction on the single write connection.

use async_trait::async_trait;
use directory::model::{
    AuditEvent, Enterprise, IdpGroup, ManagedUser, NewTeam, Organization, SeatChange, Team,
    TeamSeatChange, Token,
};
use directory::store::{NewEnterprise, StoreError, Tx};
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use std::sync::Arc;

use super::auth_cache::AuthCache;
use super::db::{placeholders, write_error};
use super::filter_sql::Table;
use super::group_commit::{Keep, WriteTurn};
use super::listing_cache::{ListingCache, ListingKey};
use super::rows::{backend, group_from, micros, scopes_to_text, token_from, user_from};
use super::{GROUP_COLUMNS, USER_COLUMNS, audit, orgs_tx, seats};

pub(crate) struct SqliteTx {
    pub(crate) turn: WriteTurn,
    pub(crate) announced: Announced,
    pub(crate) auth: AuthChange,
}

/// Whether this transaction changes tokens or enterprises, which the authentication cache
/// hears when this is dropped: once the COMMIT has resolved (the writer keeps it until then),
/// or at a rollback, where forgetting is merely unnecessary.
pub(crate) struct AuthChange {
    pub(crate) cache: Arc<AuthCache>,
    pub(crate) changed: bool,
}

impl Drop for AuthChange {
    fn drop(&mut self) {
        if self.changed {
            self.cache.changed();
        }
    }
}

/// The listings this transaction writes, announced to the listing cache before each statement
/// and ended when the transaction has committed or gone (see `listing_cache`).
pub(crate) struct Announced {
    pub(crate) cache: Arc<ListingCache>,
    pub(crate) writes: Vec<(ListingKey, bool)>,
}

impl Announced {
    fn announce(&mut self, key: ListingKey, delete: bool) {
        self.cache.write_started(key, delete);
        self.writes.push((key, delete));
    }
}

impl Drop for Announced {
    fn drop(&mut self) {
        for (key, delete) in self.writes.drain(..) {
            self.cache.write_ended(key, delete);
        }
    }
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// The stored key of a case-insensitive value that users are told apart by (userName, handle,
/// displayName): the one folding function both backends share.
fn fold(s: &str) -> String {
    scim::fold::fold(s)
}

/// A user's columns that a write sets, insert or update alike (with `user_state`).
const USER_STATE_COLUMNS: &str = "user_name, user_name_lc, handle, handle_lc, external_id, display_name, display_name_lc, active, doc, version, last_modified";
const USER_STATE_LEN: usize = 11;

/// The values of `USER_STATE_COLUMNS` for `u`, in that order.
fn user_state(u: &ManagedUser) -> [rusqlite::types::Value; USER_STATE_LEN] {
    use rusqlite::types::Value;
    let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::Text);
    [
        Value::Text(u.user_name.clone()),
        Value::Text(fold(&u.user_name)),
        Value::Text(u.handle.clone()),
        Value::Text(fold(&u.handle)),
        text(&u.external_id),
        text(&u.display_name),
        text(&u.display_name.as_deref().map(fold)),
        Value::Integer(i64::from(u.active)),
        Value::Text(u.doc.to_string()),
        Value::Integer(u.version),
        Value::Integer(micros(u.last_modified)),
    ]
}

/// Rows a statement loop may touch on the request's own thread: beyond this (a group's
/// 100,000 new members, their audit events) it runs on the blocking pool, so a big write never
/// holds up the requests that share an async worker thread.
const ON_THREAD_ROWS: usize = 1_000;

/// Which of `ids` are live users of the enterprise.
fn existing_users(
    conn: &rusqlite::Connection,
    enterprise_id: i64,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        let mut stmt = conn
            .prepare_cached(&format!(
                // `+enterprise_id` keeps SQLite from reading every user of the enterprise
                // through (enterprise_id, …) indexes instead of looking up each id.
                "SELECT id FROM users WHERE +enterprise_id = ? AND id IN ({})",
                placeholders(chunk.len())
            ))
            .map_err(backend)?;
        let args = std::iter::once(&enterprise_id as &dyn rusqlite::ToSql)
            .chain(chunk.iter().map(|id| id as &dyn rusqlite::ToSql));
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(0))
            .map_err(backend)?;
        for r in rows {
            found.push(r.map_err(backend)?);
        }
    }
    Ok(found)
}

/// Run `sql` (taking a group id and a user id) for each user; the users it changed a row for.
fn each_member(
    conn: &rusqlite::Connection,
    sql: &str,
    group_id: &str,
    user_ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut changed = Vec::new();
    for id in user_ids {
        if stmt.execute(params![group_id, id]).map_err(backend)? == 1 {
            changed.push(id.clone());
        }
    }
    Ok(changed)
}

fn append_audit(conn: &rusqlite::Connection, events: &[AuditEvent]) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO audit_events (enterprise_id, action, actor, token_id, request_id, target_type, target_id, target_name, at, data) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .map_err(backend)?;
    for e in events {
        stmt.execute(params![
            e.enterprise_id,
            e.action,
            e.actor,
            e.token_id,
            e.request_id,
            e.target_type,
            e.target_id,
            e.target_name,
            micros(e.at),
            e.data.to_string()
        ])
        .map_err(backend)?;
    }
    Ok(())
}

impl SqliteTx {
    /// `each_member` on this turn: here when the list is short, on the blocking pool when long.
    async fn each_member(
        &mut self,
        sql: &'static str,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if user_ids.len() <= ON_THREAD_ROWS {
            return each_member(self.turn.conn()?, sql, group_id, user_ids);
        }
        let (group_id, user_ids) = (group_id.to_string(), user_ids.to_vec());
        self.turn
            .off_thread(move |c| each_member(c, sql, &group_id, &user_ids))
            .await
    }
}

#[async_trait]
impl Tx for SqliteTx {
    async fn insert_enterprise(&mut self, e: &NewEnterprise) -> Result<Enterprise, StoreError> {
        self.auth.changed = true;
        let id: i64 = self
            .turn
            .conn()?
            .prepare_cached("INSERT INTO enterprises (slug, short_code, short_code_lc, profile, created) VALUES (?, ?, ?, ?, ?) RETURNING id")
            .map_err(backend)?
            .query_row(
                params![
                    e.slug,
                    e.short_code,
                    lower(&e.short_code),
                    e.profile.as_str(),
                    micros(e.created)
                ],
                |r| r.get(0),
            )
            .map_err(write_error)?;
        Ok(Enterprise {
            id,
            slug: e.slug.clone(),
            short_code: e.short_code.clone(),
            profile: e.profile,
            created: e.created,
        })
    }

    async fn insert_token(&mut self, t: &Token, secret_hash: &str) -> Result<(), StoreError> {
        self.auth.changed = true;
        self.turn
            .conn()?
            .prepare_cached("INSERT INTO tokens (id, enterprise_id, owner, secret_hash, scopes, created, expires_at, revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)")
            .map_err(backend)?
            .execute(params![
                t.id,
                t.enterprise_id,
                t.owner,
                secret_hash,
                scopes_to_text(&t.scopes),
                micros(t.created),
                t.expires_at.map(micros)
            ])
            .map_err(write_error)?;
        Ok(())
    }

    async fn revoke_token(
        &mut self,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Option<Token>, StoreError> {
        self.auth.changed = true;
        let mut stmt = self
            .turn
            .conn()?
            .prepare_cached("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING id, enterprise_id, owner, scopes, created, expires_at, revoked_at, last_used_at")
            .map_err(backend)?;
        let mut rows = stmt.query(params![micros(at), id]).map_err(backend)?;
        match rows.next().map_err(backend)? {
            Some(r) => Ok(Some(token_from(r)?)),
            None => Ok(None),
        }
    }

    async fn touch_token(&mut self, id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.auth.changed = true;
        self.turn
            .conn()?
            .prepare_cached("UPDATE tokens SET last_used_at = ? WHERE id = ?")
            .map_err(backend)?
            .execute(params![micros(at), id])
            .map_err(backend)?;
        Ok(())
    }

    async fn user(
        &mut self,
        enterprise_id: i64,
        id: &str,
    ) -> Result<Option<ManagedUser>, StoreError> {
        let mut stmt = self
            .turn
            .conn()?
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE enterprise_id = ? AND id = ?"
            ))
            .map_err(backend)?;
        let mut rows = stmt.query(params![enterprise_id, id]).map_err(backend)?;
        match rows.next().map_err(backend)? {
            Some(r) => Ok(Some(user_from(r)?)),
            None => Ok(None),
        }
    }

    async fn insert_user(&mut self, u: &ManagedUser) -> Result<(), StoreError> {
        self.announced
            .announce((u.enterprise_id, Table::Users), false);
        let sql = format!(
            "INSERT INTO users (id, enterprise_id, created, {USER_STATE_COLUMNS}) VALUES (?, ?, ?, {})",
            placeholders(USER_STATE_LEN)
        );
        let head: [&dyn rusqlite::ToSql; 3] = [&u.id, &u.enterprise_id, &micros(u.created)];
        let state = user_state(u);
        self.turn
            .conn()?
            .prepare_cached(&sql)
            .map_err(backend)?
            .execute(rusqlite::params_from_iter(
                head.into_iter()
                    .chain(state.iter().map(|v| v as &dyn rusqlite::ToSql)),
            ))
            .map_err(write_error)?;
        Ok(())
    }

    async fn update_user(
        &mut self,
        u: &ManagedUser,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE users SET ({USER_STATE_COLUMNS}) = ({}) WHERE enterprise_id = ? AND id = ? AND version = ?",
            placeholders(USER_STATE_LEN)
        );
        let tail: [&dyn rusqlite::ToSql; 3] = [&u.enterprise_id, &u.id, &expected_version];
        let state = user_state(u);
        let done = self
            .turn
            .conn()?
            .prepare_cached(&sql)
            .map_err(backend)?
            .execute(rusqlite::params_from_iter(
                state.iter().map(|v| v as &dyn rusqlite::ToSql).chain(tail),
            ))
            .map_err(write_error)?;
        Ok(done == 1)
    }

    async fn erase_user(
        &mut self,
        enterprise_id: i64,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<String>, StoreError> {
        self.announced.announce((enterprise_id, Table::Users), true);
        let conn = self.turn.conn()?;
        let groups = conn
            .prepare_cached("DELETE FROM group_members WHERE user_id = ? RETURNING group_id")
            .map_err(backend)?
            .query_map(params![id], |r| r.get(0))
            .map_err(backend)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(backend)?;
        conn.prepare_cached("DELETE FROM users WHERE enterprise_id = ? AND id = ?")
            .map_err(backend)?
            .execute(params![enterprise_id, id])
            .map_err(backend)?;
        conn.prepare_cached(
            "INSERT OR IGNORE INTO erased_users (id, enterprise_id, erased_at) VALUES (?, ?, ?)",
        )
        .map_err(backend)?
        .execute(params![id, enterprise_id, micros(at)])
        .map_err(backend)?;
        Ok(groups)
    }

    async fn existing_users(
        &mut self,
        enterprise_id: i64,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if ids.len() <= ON_THREAD_ROWS {
            return existing_users(self.turn.conn()?, enterprise_id, ids);
        }
        let ids = ids.to_vec();
        self.turn
            .off_thread(move |c| existing_users(c, enterprise_id, &ids))
            .await
    }

    async fn group(
        &mut self,
        enterprise_id: i64,
        id: &str,
    ) -> Result<Option<IdpGroup>, StoreError> {
        self.turn
            .conn()?
            .prepare_cached(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups WHERE enterprise_id = ? AND id = ?"
            ))
            .map_err(backend)?
            .query_row(params![enterprise_id, id], |r| Ok(group_from(r)))
            .optional()
            .map_err(backend)?
            .transpose()
    }

    async fn insert_group(&mut self, g: &IdpGroup) -> Result<(), StoreError> {
        self.announced
            .announce((g.enterprise_id, Table::Groups), false);
        self.turn
            .conn()?
            .prepare_cached(
                "INSERT INTO groups (id, enterprise_id, display_name, display_name_lc, external_id, doc, version, created, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .map_err(backend)?
            .execute(params![
                g.id,
                g.enterprise_id,
                g.display_name,
                fold(&g.display_name),
                g.external_id,
                g.doc.to_string(),
                g.version,
                micros(g.created),
                micros(g.last_modified)
            ])
            .map_err(write_error)?;
        Ok(())
    }

    async fn update_group(
        &mut self,
        g: &IdpGroup,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let done = self
            .turn
            .conn()?
            .prepare_cached(
                "UPDATE groups SET display_name = ?, display_name_lc = ?, external_id = ?, doc = ?, version = ?, last_modified = ? \
                 WHERE enterprise_id = ? AND id = ? AND version = ?",
            )
            .map_err(backend)?
            .execute(params![
                g.display_name,
                fold(&g.display_name),
                g.external_id,
                g.doc.to_string(),
                g.version,
                micros(g.last_modified),
                g.enterprise_id,
                g.id,
                expected_version
            ])
            .map_err(write_error)?;
        Ok(done == 1)
    }

    async fn delete_group(&mut self, enterprise_id: i64, id: &str) -> Result<(), StoreError> {
        self.announced
            .announce((enterprise_id, Table::Groups), true);
        // Deleting a group deletes its membership rows: possibly a hundred thousand.
        let id = id.to_string();
        self.turn
            .off_thread(move |conn| {
                conn.prepare_cached("DELETE FROM group_members WHERE group_id = ?")
                    .map_err(backend)?
                    .execute(params![id])
                    .map_err(backend)?;
                conn.prepare_cached("DELETE FROM groups WHERE enterprise_id = ? AND id = ?")
                    .map_err(backend)?
                    .execute(params![enterprise_id, id])
                    .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn add_members(
        &mut self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        const ADD: &str =
            "INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
        self.each_member(ADD, group_id, user_ids).await
    }

    async fn remove_members(
        &mut self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        const REMOVE: &str = "DELETE FROM group_members WHERE group_id = ? AND user_id = ?";
        self.each_member(REMOVE, group_id, user_ids).await
    }

    async fn member_ids(&mut self, group_id: &str) -> Result<Vec<String>, StoreError> {
        // A group may have a hundred thousand members.
        let group_id = group_id.to_string();
        self.turn
            .off_thread(move |c| {
                c.prepare_cached(
                    "SELECT user_id FROM group_members WHERE group_id = ? ORDER BY seq",
                )
                .map_err(backend)?
                .query_map(params![group_id], |r| r.get(0))
                .map_err(backend)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(backend)
            })
            .await
    }

    async fn append_audit(&mut self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.len() <= ON_THREAD_ROWS {
            return append_audit(self.turn.conn()?, events);
        }
        let events = events.to_vec();
        self.turn
            .off_thread(move |c| append_audit(c, &events))
            .await
    }

    async fn insert_organization(
        &mut self,
        enterprise_id: i64,
        login: &str,
        at: OffsetDateTime,
    ) -> Result<Organization, StoreError> {
        orgs_tx::insert_organization(self.turn.conn()?, enterprise_id, login, at)
    }

    async fn insert_team(&mut self, team: &NewTeam) -> Result<Team, StoreError> {
        orgs_tx::insert_team(self.turn.conn()?, team)
    }

    async fn team(&mut self, id: i64) -> Result<Option<Team>, StoreError> {
        orgs_tx::team(self.turn.conn()?, id)
    }

    async fn team_by_slug(&mut self, org_id: i64, slug: &str) -> Result<Option<Team>, StoreError> {
        orgs_tx::team_by_slug(self.turn.conn()?, org_id, slug)
    }

    async fn has_child_teams(&mut self, team_id: i64) -> Result<bool, StoreError> {
        orgs_tx::has_child_teams(self.turn.conn()?, team_id)
    }

    async fn update_team(&mut self, team: &Team) -> Result<(), StoreError> {
        orgs_tx::update_team(self.turn.conn()?, team)
    }

    async fn set_team_group(
        &mut self,
        team_id: i64,
        group_id: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        orgs_tx::set_team_group(self.turn.conn()?, team_id, group_id, at)
    }

    async fn linked_teams(&mut self, group_id: &str) -> Result<Vec<Team>, StoreError> {
        orgs_tx::linked_teams(self.turn.conn()?, group_id)
    }

    async fn delete_team(&mut self, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
        self.turn
            .off_thread(move |c| orgs_tx::delete_team(c, team_id))
            .await
    }

    async fn sync_team_seats(&mut self, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
        // A team linked to a large group: a set difference over all its members.
        self.turn
            .off_thread(move |c| seats::sync_team_seats(c, team_id))
            .await
    }

    async fn sync_user_seats(&mut self, user_id: &str) -> Result<Vec<TeamSeatChange>, StoreError> {
        seats::sync_user_seats(self.turn.conn()?, user_id)
    }

    async fn sync_org_seats(
        &mut self,
        org_id: i64,
        user_ids: &[String],
    ) -> Result<Vec<SeatChange>, StoreError> {
        // After a team link or unlink these are all of the team's members.
        let user_ids = user_ids.to_vec();
        self.turn
            .off_thread(move |c| seats::sync_org_seats(c, org_id, &user_ids))
            .await
    }

    async fn prune_audit(&mut self, before: OffsetDateTime) -> Result<u64, StoreError> {
        audit::prune_audit(self.turn.conn()?, before)
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let SqliteTx {
            turn,
            announced,
            auth,
        } = *self;
        // The listing cache must hear that these writes ended, and the authentication cache
        // that tokens changed, only once the COMMIT that makes them visible has resolved, even
        // if the request is dropped meanwhile: the writer keeps both until then.
        let keep: Option<Keep> = if announced.writes.is_empty() && !auth.changed {
            None
        } else {
            Some(Box::new((announced, auth)))
        };
        turn.commit(keep).await
    }
}
