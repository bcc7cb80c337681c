//! A write transaction on the single write connection.

use async_trait::async_trait;
use directory::model::{
    AuditEvent, Enterprise, IdpGroup, ManagedUser, NewTeam, Organization, SeatChange, Team,
    TeamSeatChange, Token,
};
use directory::store::{NewEnterprise, StoreError, Tx, UniqueKey};
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;

use std::sync::Arc;

use super::filter_sql::Table;
use super::group_commit::WriteTurn;
use super::listing_cache::{ListingCache, ListingKey};
use super::rows::{backend, group_from, micros, scopes_to_text, token_from, user_from};
use super::{GROUP_COLUMNS, USER_COLUMNS, audit, orgs_tx, seats};

pub(crate) struct SqliteTx {
    pub(crate) turn: WriteTurn,
    pub(crate) announced: Announced,
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

/// Translate a uniqueness violation into the rule it broke; other errors stay backend errors.
pub(super) fn write_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        let msg = db.message();
        let key = if msg.contains("users.user_name_lc") {
            UniqueKey::UserName
        } else if msg.contains("users.handle_lc") {
            UniqueKey::Handle
        } else if msg.contains("groups.display_name_lc") {
            UniqueKey::GroupDisplayName
        } else if msg.contains("enterprises.slug") {
            UniqueKey::EnterpriseSlug
        } else if msg.contains("enterprises.short_code_lc") {
            UniqueKey::EnterpriseShortCode
        } else if msg.contains("organizations.login_lc") {
            UniqueKey::OrganizationLogin
        } else if msg.contains("teams.org_id, teams.slug") || msg.contains("teams.slug") {
            UniqueKey::TeamSlug
        } else {
            UniqueKey::Other
        };
        return StoreError::Unique(key);
    }
    backend(e)
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

#[async_trait]
impl Tx for SqliteTx {
    async fn insert_enterprise(&mut self, e: &NewEnterprise) -> Result<Enterprise, StoreError> {
        let id: i64 = sqlx::query("INSERT INTO enterprises (slug, short_code, short_code_lc, profile, created) VALUES (?, ?, ?, ?, ?) RETURNING id")
            .bind(&e.slug)
            .bind(&e.short_code)
            .bind(lower(&e.short_code))
            .bind(e.profile.as_str())
            .bind(micros(e.created))
            .fetch_one(self.turn.conn()?)
            .await
            .map_err(write_error)?
            .try_get(0)
            .map_err(backend)?;
        Ok(Enterprise {
            id,
            slug: e.slug.clone(),
            short_code: e.short_code.clone(),
            profile: e.profile,
            created: e.created,
        })
    }

    async fn insert_token(&mut self, t: &Token, secret_hash: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tokens (id, enterprise_id, owner, secret_hash, scopes, created, expires_at, revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)")
            .bind(&t.id)
            .bind(t.enterprise_id)
            .bind(&t.owner)
            .bind(secret_hash)
            .bind(scopes_to_text(&t.scopes))
            .bind(micros(t.created))
            .bind(t.expires_at.map(micros))
            .execute(self.turn.conn()?)
            .await
            .map_err(write_error)?;
        Ok(())
    }

    async fn revoke_token(
        &mut self,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Option<Token>, StoreError> {
        let row = sqlx::query("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING id, enterprise_id, owner, scopes, created, expires_at, revoked_at, last_used_at")
            .bind(micros(at))
            .bind(id)
            .fetch_optional(self.turn.conn()?)
            .await
            .map_err(backend)?;
        row.as_ref().map(token_from).transpose()
    }

    async fn touch_token(&mut self, id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET last_used_at = ? WHERE id = ?")
            .bind(micros(at))
            .bind(id)
            .execute(self.turn.conn()?)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn user(
        &mut self,
        enterprise_id: i64,
        id: &str,
    ) -> Result<Option<ManagedUser>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE enterprise_id = ? AND id = ?"
        )))
        .bind(enterprise_id)
        .bind(id)
        .fetch_optional(self.turn.conn()?)
        .await
        .map_err(backend)?;
        row.as_ref().map(user_from).transpose()
    }

    async fn insert_user(&mut self, u: &ManagedUser) -> Result<(), StoreError> {
        self.announced
            .announce((u.enterprise_id, Table::Users), false);
        sqlx::query(
            "INSERT INTO users (id, enterprise_id, user_name, user_name_lc, handle, handle_lc, external_id, display_name, display_name_lc, active, doc, version, created, last_modified) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&u.id)
        .bind(u.enterprise_id)
        .bind(&u.user_name)
        .bind(lower(&u.user_name))
        .bind(&u.handle)
        .bind(lower(&u.handle))
        .bind(&u.external_id)
        .bind(&u.display_name)
        .bind(u.display_name.as_deref().map(lower))
        .bind(u.active)
        .bind(u.doc.to_string())
        .bind(u.version)
        .bind(micros(u.created))
        .bind(micros(u.last_modified))
        .execute(self.turn.conn()?)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn update_user(
        &mut self,
        u: &ManagedUser,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET user_name = ?, user_name_lc = ?, handle = ?, handle_lc = ?, external_id = ?, display_name = ?, display_name_lc = ?, \
             active = ?, doc = ?, version = ?, last_modified = ? WHERE enterprise_id = ? AND id = ? AND version = ?",
        )
        .bind(&u.user_name)
        .bind(lower(&u.user_name))
        .bind(&u.handle)
        .bind(lower(&u.handle))
        .bind(&u.external_id)
        .bind(&u.display_name)
        .bind(u.display_name.as_deref().map(lower))
        .bind(u.active)
        .bind(u.doc.to_string())
        .bind(u.version)
        .bind(micros(u.last_modified))
        .bind(u.enterprise_id)
        .bind(&u.id)
        .bind(expected_version)
        .execute(self.turn.conn()?)
        .await
        .map_err(write_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn erase_user(
        &mut self,
        enterprise_id: i64,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<String>, StoreError> {
        self.announced.announce((enterprise_id, Table::Users), true);
        let groups: Vec<String> =
            sqlx::query_scalar("DELETE FROM group_members WHERE user_id = ? RETURNING group_id")
                .bind(id)
                .fetch_all(self.turn.conn()?)
                .await
                .map_err(backend)?;
        sqlx::query("DELETE FROM users WHERE enterprise_id = ? AND id = ?")
            .bind(enterprise_id)
            .bind(id)
            .execute(self.turn.conn()?)
            .await
            .map_err(backend)?;
        sqlx::query(
            "INSERT OR IGNORE INTO erased_users (id, enterprise_id, erased_at) VALUES (?, ?, ?)",
        )
        .bind(id)
        .bind(enterprise_id)
        .bind(micros(at))
        .execute(self.turn.conn()?)
        .await
        .map_err(backend)?;
        Ok(groups)
    }

    async fn existing_users(
        &mut self,
        enterprise_id: i64,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(500) {
            let mut q = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT id FROM users WHERE enterprise_id = ? AND id IN ({})",
                placeholders(chunk.len())
            )))
            .bind(enterprise_id);
            for id in chunk {
                q = q.bind(id);
            }
            let rows: Vec<String> = q.fetch_all(self.turn.conn()?).await.map_err(backend)?;
            found.extend(rows);
        }
        Ok(found)
    }

    async fn group(
        &mut self,
        enterprise_id: i64,
        id: &str,
    ) -> Result<Option<IdpGroup>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE enterprise_id = ? AND id = ?"
        )))
        .bind(enterprise_id)
        .bind(id)
        .fetch_optional(self.turn.conn()?)
        .await
        .map_err(backend)?;
        row.as_ref().map(group_from).transpose()
    }

    async fn insert_group(&mut self, g: &IdpGroup) -> Result<(), StoreError> {
        self.announced
            .announce((g.enterprise_id, Table::Groups), false);
        sqlx::query(
            "INSERT INTO groups (id, enterprise_id, display_name, display_name_lc, external_id, doc, version, created, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&g.id)
        .bind(g.enterprise_id)
        .bind(&g.display_name)
        .bind(lower(&g.display_name))
        .bind(&g.external_id)
        .bind(g.doc.to_string())
        .bind(g.version)
        .bind(micros(g.created))
        .bind(micros(g.last_modified))
        .execute(self.turn.conn()?)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn update_group(
        &mut self,
        g: &IdpGroup,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE groups SET display_name = ?, display_name_lc = ?, external_id = ?, doc = ?, version = ?, last_modified = ? \
             WHERE enterprise_id = ? AND id = ? AND version = ?",
        )
        .bind(&g.display_name)
        .bind(lower(&g.display_name))
        .bind(&g.external_id)
        .bind(g.doc.to_string())
        .bind(g.version)
        .bind(micros(g.last_modified))
        .bind(g.enterprise_id)
        .bind(&g.id)
        .bind(expected_version)
        .execute(self.turn.conn()?)
        .await
        .map_err(write_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_group(&mut self, enterprise_id: i64, id: &str) -> Result<(), StoreError> {
        self.announced
            .announce((enterprise_id, Table::Groups), true);
        sqlx::query("DELETE FROM group_members WHERE group_id = ?")
            .bind(id)
            .execute(self.turn.conn()?)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM groups WHERE enterprise_id = ? AND id = ?")
            .bind(enterprise_id)
            .bind(id)
            .execute(self.turn.conn()?)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn add_members(
        &mut self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut added = Vec::new();
        for id in user_ids {
            let done = sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
                .bind(group_id)
                .bind(id)
                .execute(self.turn.conn()?)
                .await
                .map_err(backend)?;
            if done.rows_affected() == 1 {
                added.push(id.clone());
            }
        }
        Ok(added)
    }

    async fn remove_members(
        &mut self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut removed = Vec::new();
        for id in user_ids {
            let done = sqlx::query("DELETE FROM group_members WHERE group_id = ? AND user_id = ?")
                .bind(group_id)
                .bind(id)
                .execute(self.turn.conn()?)
                .await
                .map_err(backend)?;
            if done.rows_affected() == 1 {
                removed.push(id.clone());
            }
        }
        Ok(removed)
    }

    async fn member_ids(&mut self, group_id: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT user_id FROM group_members WHERE group_id = ? ORDER BY seq")
            .bind(group_id)
            .fetch_all(self.turn.conn()?)
            .await
            .map_err(backend)
    }

    async fn append_audit(&mut self, events: &[AuditEvent]) -> Result<(), StoreError> {
        for e in events {
            sqlx::query(
                "INSERT INTO audit_events (enterprise_id, action, actor, token_id, request_id, target_type, target_id, target_name, at, data) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(e.enterprise_id)
            .bind(e.action)
            .bind(&e.actor)
            .bind(&e.token_id)
            .bind(&e.request_id)
            .bind(e.target_type)
            .bind(&e.target_id)
            .bind(&e.target_name)
            .bind(micros(e.at))
            .bind(e.data.to_string())
            .execute(self.turn.conn()?)
            .await
            .map_err(backend)?;
        }
        Ok(())
    }

    async fn insert_organization(
        &mut self,
        enterprise_id: i64,
        login: &str,
        at: OffsetDateTime,
    ) -> Result<Organization, StoreError> {
        orgs_tx::insert_organization(self.turn.conn()?, enterprise_id, login, at).await
    }

    async fn insert_team(&mut self, team: &NewTeam) -> Result<Team, StoreError> {
        orgs_tx::insert_team(self.turn.conn()?, team).await
    }

    async fn team(&mut self, id: i64) -> Result<Option<Team>, StoreError> {
        orgs_tx::team(self.turn.conn()?, id).await
    }

    async fn team_by_slug(&mut self, org_id: i64, slug: &str) -> Result<Option<Team>, StoreError> {
        orgs_tx::team_by_slug(self.turn.conn()?, org_id, slug).await
    }

    async fn has_child_teams(&mut self, team_id: i64) -> Result<bool, StoreError> {
        orgs_tx::has_child_teams(self.turn.conn()?, team_id).await
    }

    async fn update_team(&mut self, team: &Team) -> Result<(), StoreError> {
        orgs_tx::update_team(self.turn.conn()?, team).await
    }

    async fn set_team_group(
        &mut self,
        team_id: i64,
        group_id: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        orgs_tx::set_team_group(self.turn.conn()?, team_id, group_id, at).await
    }

    async fn linked_teams(&mut self, group_id: &str) -> Result<Vec<Team>, StoreError> {
        orgs_tx::linked_teams(self.turn.conn()?, group_id).await
    }

    async fn delete_team(&mut self, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
        orgs_tx::delete_team(self.turn.conn()?, team_id).await
    }

    async fn sync_team_seats(&mut self, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
        seats::sync_team_seats(self.turn.conn()?, team_id).await
    }

    async fn sync_user_seats(&mut self, user_id: &str) -> Result<Vec<TeamSeatChange>, StoreError> {
        seats::sync_user_seats(self.turn.conn()?, user_id).await
    }

    async fn sync_org_seats(
        &mut self,
        org_id: i64,
        user_ids: &[String],
    ) -> Result<Vec<SeatChange>, StoreError> {
        seats::sync_org_seats(self.turn.conn()?, org_id, user_ids).await
    }

    async fn prune_audit(&mut self, before: OffsetDateTime) -> Result<u64, StoreError> {
        audit::prune_audit(self.turn.conn()?, before).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let SqliteTx { turn, announced } = *self;
        if announced.writes.is_empty() {
            return turn.commit().await;
        }
        // The listing cache must hear that these writes ended only once the COMMIT that makes
        // them visible has happened, even if the request is dropped meanwhile: a task of its
        // own waits for it.
        let waited = tokio::spawn(async move {
            let result = turn.commit().await;
            drop(announced);
            result
        });
        waited
            .await
            .map_err(|e| StoreError::Backend(format!("the commit task failed: {e}")))?
    }
}
