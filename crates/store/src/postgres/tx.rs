//! A write transaction (READ COMMITTED). Concurrent writers of one resource serialize on its
//! row: `user`/`group` read it `FOR UPDATE`, and updates are compare-and-swap on `version`.
//! Membership changes are set operations, so concurrent adds and removes lose nothing.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use directory::model::{
    AuditEvent, Enterprise, IdpGroup, ManagedUser, NewTeam, Organization, SeatChange, Team,
    TeamSeatChange, Token,
};
use directory::store::{NewEnterprise, StoreError, Tx};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};
use time::OffsetDateTime;

use super::errors::{commit_error, pg_error};
use super::rows::{GROUP_COLUMNS, TOKEN_COLUMNS, USER_COLUMNS, group_from, token_from, user_from};
use super::{audit, orgs_tx, seats};
use crate::convert::{micros, scopes_to_text};

pub(crate) struct PgTx {
    pub(crate) tx: Transaction<'static, Postgres>,
    /// "PostgreSQL at host:port", for a COMMIT that was not confirmed.
    pub(crate) server: Arc<str>,
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// The stored key of a case-insensitive value that users are told apart by (userName, handle,
/// displayName): the one folding function both backends share.
fn fold(s: &str) -> String {
    scim::fold::fold(s)
}

/// `wanted` (first occurrences, in order) restricted to `got`: the driver returns rows of a
/// set operation in no promised order, the trait promises the caller's.
fn in_order(wanted: &[String], got: Vec<String>) -> Vec<String> {
    let got: HashSet<String> = got.into_iter().collect();
    let mut seen = HashSet::new();
    wanted
        .iter()
        .filter(|id| got.contains(*id) && seen.insert(id.as_str()))
        .cloned()
        .collect()
}

#[async_trait]
impl Tx for PgTx {
    async fn insert_enterprise(&mut self, e: &NewEnterprise) -> Result<Enterprise, StoreError> {
        let id: i64 = sqlx::query("INSERT INTO enterprises (slug, short_code, short_code_lc, profile, created) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(&e.slug)
            .bind(&e.short_code)
            .bind(lower(&e.short_code))
            .bind(e.profile.as_str())
            .bind(micros(e.created))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(pg_error)?
            .try_get(0)
            .map_err(pg_error)?;
        Ok(Enterprise {
            id,
            slug: e.slug.clone(),
            short_code: e.short_code.clone(),
            profile: e.profile,
            created: e.created,
        })
    }

    async fn insert_token(&mut self, t: &Token, secret_hash: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tokens (id, enterprise_id, owner, secret_hash, scopes, created, expires_at, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)")
            .bind(&t.id)
            .bind(t.enterprise_id)
            .bind(&t.owner)
            .bind(secret_hash)
            .bind(scopes_to_text(&t.scopes))
            .bind(micros(t.created))
            .bind(t.expires_at.map(micros))
            .execute(&mut *self.tx)
            .await
            .map_err(pg_error)?;
        Ok(())
    }

    async fn revoke_token(
        &mut self,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Option<Token>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING {TOKEN_COLUMNS}"
        )))
        .bind(micros(at))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        row.as_ref().map(token_from).transpose()
    }

    async fn touch_token(&mut self, id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
            .bind(micros(at))
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(pg_error)?;
        Ok(())
    }

    async fn user(
        &mut self,
        enterprise_id: i64,
        id: &str,
    ) -> Result<Option<ManagedUser>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE enterprise_id = $1 AND id = $2 FOR UPDATE"
        )))
        .bind(enterprise_id)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        row.as_ref().map(user_from).transpose()
    }

    async fn insert_user(&mut self, u: &ManagedUser) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (id, enterprise_id, user_name, user_name_lc, handle, handle_lc, external_id, display_name, display_name_lc, active, doc, version, created, last_modified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&u.id)
        .bind(u.enterprise_id)
        .bind(&u.user_name)
        .bind(fold(&u.user_name))
        .bind(&u.handle)
        .bind(fold(&u.handle))
        .bind(&u.external_id)
        .bind(&u.display_name)
        .bind(u.display_name.as_deref().map(fold))
        .bind(u.active)
        .bind(Json(&u.doc))
        .bind(u.version)
        .bind(micros(u.created))
        .bind(micros(u.last_modified))
        .execute(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        Ok(())
    }

    async fn update_user(
        &mut self,
        u: &ManagedUser,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET user_name = $1, user_name_lc = $2, handle = $3, handle_lc = $4, external_id = $5, display_name = $6, display_name_lc = $7, \
             active = $8, doc = $9, version = $10, last_modified = $11 WHERE enterprise_id = $12 AND id = $13 AND version = $14",
        )
        .bind(&u.user_name)
        .bind(fold(&u.user_name))
        .bind(&u.handle)
        .bind(fold(&u.handle))
        .bind(&u.external_id)
        .bind(&u.display_name)
        .bind(u.display_name.as_deref().map(fold))
        .bind(u.active)
        .bind(Json(&u.doc))
        .bind(u.version)
        .bind(micros(u.last_modified))
        .bind(u.enterprise_id)
        .bind(&u.id)
        .bind(expected_version)
        .execute(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn erase_user(
        &mut self,
        enterprise_id: i64,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<String>, StoreError> {
        let groups: Vec<String> =
            sqlx::query_scalar("DELETE FROM group_members WHERE user_id = $1 RETURNING group_id")
                .bind(id)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(pg_error)?;
        sqlx::query("DELETE FROM users WHERE enterprise_id = $1 AND id = $2")
            .bind(enterprise_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(pg_error)?;
        sqlx::query(
            "INSERT INTO erased_users (id, enterprise_id, erased_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(enterprise_id)
        .bind(micros(at))
        .execute(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        Ok(groups)
    }

    async fn existing_users(
        &mut self,
        enterprise_id: i64,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT id FROM users WHERE enterprise_id = $1 AND id = ANY($2)")
            .bind(enterprise_id)
            .bind(ids)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(pg_error)
    }

    async fn group(
        &mut self,
        enterprise_id: i64,
        id: &str,
    ) -> Result<Option<IdpGroup>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE enterprise_id = $1 AND id = $2 FOR UPDATE"
        )))
        .bind(enterprise_id)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        row.as_ref().map(group_from).transpose()
    }

    async fn insert_group(&mut self, g: &IdpGroup) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO groups (id, enterprise_id, display_name, display_name_lc, external_id, doc, version, created, last_modified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&g.id)
        .bind(g.enterprise_id)
        .bind(&g.display_name)
        .bind(fold(&g.display_name))
        .bind(&g.external_id)
        .bind(Json(&g.doc))
        .bind(g.version)
        .bind(micros(g.created))
        .bind(micros(g.last_modified))
        .execute(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        Ok(())
    }

    async fn update_group(
        &mut self,
        g: &IdpGroup,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE groups SET display_name = $1, display_name_lc = $2, external_id = $3, doc = $4, version = $5, last_modified = $6 \
             WHERE enterprise_id = $7 AND id = $8 AND version = $9",
        )
        .bind(&g.display_name)
        .bind(fold(&g.display_name))
        .bind(&g.external_id)
        .bind(Json(&g.doc))
        .bind(g.version)
        .bind(micros(g.last_modified))
        .bind(g.enterprise_id)
        .bind(&g.id)
        .bind(expected_version)
        .execute(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_group(&mut self, enterprise_id: i64, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(pg_error)?;
        sqlx::query("DELETE FROM groups WHERE enterprise_id = $1 AND id = $2")
            .bind(enterprise_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(pg_error)?;
        Ok(())
    }

    async fn add_members(
        &mut self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        // One statement whatever the count; ORDER BY ord gives new rows `seq` in the caller's
        // order, which is the order `member_ids` lists them in.
        let added: Vec<String> = sqlx::query_scalar(
            "INSERT INTO group_members (group_id, user_id) \
             SELECT $1, u FROM unnest($2::text[]) WITH ORDINALITY AS t(u, ord) ORDER BY ord \
             ON CONFLICT DO NOTHING RETURNING user_id",
        )
        .bind(group_id)
        .bind(user_ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        Ok(in_order(user_ids, added))
    }

    async fn remove_members(
        &mut self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let removed: Vec<String> = sqlx::query_scalar(
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = ANY($2) RETURNING user_id",
        )
        .bind(group_id)
        .bind(user_ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(pg_error)?;
        Ok(in_order(user_ids, removed))
    }

    async fn member_ids(&mut self, group_id: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY seq")
            .bind(group_id)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(pg_error)
    }

    async fn append_audit(&mut self, events: &[AuditEvent]) -> Result<(), StoreError> {
        for e in events {
            sqlx::query(
                "INSERT INTO audit_events (enterprise_id, action, actor, token_id, request_id, target_type, target_id, target_name, at, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
            .bind(Json(&e.data))
            .execute(&mut *self.tx)
            .await
            .map_err(pg_error)?;
        }
        Ok(())
    }

    // Organizations and teams (orgs_tx.rs); memberships derived from IdP groups (seats.rs);
    // audit retention (audit.rs).

    async fn insert_organization(
        &mut self,
        enterprise_id: i64,
        login: &str,
        at: OffsetDateTime,
    ) -> Result<Organization, StoreError> {
        orgs_tx::insert_organization(&mut self.tx, enterprise_id, login, at).await
    }

    async fn insert_team(&mut self, team: &NewTeam) -> Result<Team, StoreError> {
        orgs_tx::insert_team(&mut self.tx, team).await
    }

    async fn team(&mut self, id: i64) -> Result<Option<Team>, StoreError> {
        orgs_tx::team(&mut self.tx, id).await
    }

    async fn team_by_slug(&mut self, org_id: i64, slug: &str) -> Result<Option<Team>, StoreError> {
        orgs_tx::team_by_slug(&mut self.tx, org_id, slug).await
    }

    async fn has_child_teams(&mut self, team_id: i64) -> Result<bool, StoreError> {
        orgs_tx::has_child_teams(&mut self.tx, team_id).await
    }

    async fn update_team(&mut self, team: &Team) -> Result<(), StoreError> {
        orgs_tx::update_team(&mut self.tx, team).await
    }

    async fn set_team_group(
        &mut self,
        team_id: i64,
        group_id: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        orgs_tx::set_team_group(&mut self.tx, team_id, group_id, at).await
    }

    async fn linked_teams(&mut self, group_id: &str) -> Result<Vec<Team>, StoreError> {
        orgs_tx::linked_teams(&mut self.tx, group_id).await
    }

    async fn delete_team(&mut self, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
        orgs_tx::delete_team(&mut self.tx, team_id).await
    }

    async fn sync_team_seats(&mut self, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
        seats::sync_team_seats(&mut self.tx, team_id).await
    }

    async fn sync_user_seats(&mut self, user_id: &str) -> Result<Vec<TeamSeatChange>, StoreError> {
        seats::sync_user_seats(&mut self.tx, user_id).await
    }

    async fn sync_org_seats(
        &mut self,
        org_id: i64,
        user_ids: &[String],
    ) -> Result<Vec<SeatChange>, StoreError> {
        seats::sync_org_seats(&mut self.tx, org_id, user_ids).await
    }

    async fn prune_audit(&mut self, before: OffsetDateTime) -> Result<u64, StoreError> {
        audit::prune_audit(&mut self.tx, before).await
    }

    /// Until here a failure rolled everything back; from the moment COMMIT is sent, a broken
    /// connection leaves the outcome unknown. A failed transaction's connection goes back to the
    /// pool only if it answers a ping (sqlx tests it on release), so a broken one is dropped.
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let server = self.server;
        self.tx.commit().await.map_err(|e| commit_error(e, &server))
    }
}
