//! Reads of organizations, teams and their members (the `Store` side), as in
//! `sqlite/orgs.rs`. Member listings order by handle in byte order (`COLLATE "C"`, as SQLite
//! compares), missing handles first (SQLite's place for NULL).

use directory::model::{ManagedUser, Organization, Team};
use directory::store::{Slice, StoreError};
use sqlx::AssertSqlSafe;

use super::PgStore;
use super::errors::pg_error;
use super::rows::{
    ORG_COLUMNS, TEAM_COLUMNS, organization_from, team_from, user_columns_of_u, user_from,
};

fn limit_offset(slice: Slice) -> (i64, i64) {
    (
        i64::try_from(slice.limit).unwrap_or(i64::MAX),
        i64::try_from(slice.offset).unwrap_or(i64::MAX),
    )
}

impl PgStore {
    pub(super) async fn read_organization_by_login(
        &self,
        login: &str,
    ) -> Result<Option<Organization>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS} FROM organizations WHERE login_lc = $1"
        )))
        .bind(login.to_lowercase())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        row.as_ref().map(organization_from).transpose()
    }

    pub(super) async fn read_organizations(
        &self,
        enterprise_id: i64,
    ) -> Result<Vec<Organization>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORG_COLUMNS} FROM organizations WHERE enterprise_id = $1 ORDER BY id"
        )))
        .bind(enterprise_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter().map(organization_from).collect()
    }

    pub(super) async fn read_teams(&self, org_id: i64) -> Result<Vec<Team>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TEAM_COLUMNS} FROM teams WHERE org_id = $1 ORDER BY id"
        )))
        .bind(org_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter().map(team_from).collect()
    }

    pub(super) async fn read_team_by_slug(
        &self,
        org_id: i64,
        slug: &str,
    ) -> Result<Option<Team>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TEAM_COLUMNS} FROM teams WHERE org_id = $1 AND slug = $2"
        )))
        .bind(org_id)
        .bind(slug.to_lowercase())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        row.as_ref().map(team_from).transpose()
    }

    pub(super) async fn read_team(&self, id: i64) -> Result<Option<Team>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        row.as_ref().map(team_from).transpose()
    }

    pub(super) async fn read_linked_teams(&self, group_id: &str) -> Result<Vec<Team>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TEAM_COLUMNS} FROM teams WHERE group_id = $1 ORDER BY id"
        )))
        .bind(group_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter().map(team_from).collect()
    }

    pub(super) async fn read_group_users(
        &self,
        group_id: &str,
    ) -> Result<Vec<ManagedUser>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM group_members gm JOIN users u ON u.id = gm.user_id \
             WHERE gm.group_id = $1 ORDER BY gm.seq",
            user_columns_of_u()
        )))
        .bind(group_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter().map(user_from).collect()
    }

    pub(super) async fn read_team_users(
        &self,
        team_id: i64,
        slice: Slice,
    ) -> Result<Vec<ManagedUser>, StoreError> {
        let (limit, offset) = limit_offset(slice);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM team_members tm JOIN users u ON u.id = tm.user_id \
             WHERE tm.team_id = $1 ORDER BY u.handle_lc COLLATE \"C\", u.id LIMIT $2 OFFSET $3",
            user_columns_of_u()
        )))
        .bind(team_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter().map(user_from).collect()
    }

    pub(super) async fn read_org_users(
        &self,
        org_id: i64,
        slice: Slice,
    ) -> Result<Vec<ManagedUser>, StoreError> {
        let (limit, offset) = limit_offset(slice);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM org_members om JOIN users u ON u.id = om.user_id \
             WHERE om.org_id = $1 ORDER BY u.handle_lc COLLATE \"C\", u.id LIMIT $2 OFFSET $3",
            user_columns_of_u()
        )))
        .bind(org_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(pg_error)?;
        rows.iter().map(user_from).collect()
    }
}
