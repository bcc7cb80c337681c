//! Reads of organizations, teams and their members (the `Store` side).

use directory::model::{ManagedUser, Organization, Team};
use directory::store::{Slice, StoreError};
use rusqlite::params;

use super::db::{row_of, rows_of};
use super::rows::{organization_from, team_from, user_from};
use super::{SqliteStore, USER_COLUMNS};

pub(crate) const ORG_COLUMNS: &str = "id, enterprise_id, login, created";
pub(crate) const TEAM_COLUMNS: &str =
    "id, org_id, name, slug, description, privacy, parent_id, group_id, created, updated";

fn limit_offset(slice: Slice) -> (i64, i64) {
    (
        i64::try_from(slice.limit).unwrap_or(i64::MAX),
        i64::try_from(slice.offset).unwrap_or(i64::MAX),
    )
}

/// User columns qualified with the alias `u`.
fn user_columns_of_u() -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqliteStore {
    pub(super) fn read_organization_by_login(
        &self,
        login: &str,
    ) -> Result<Option<Organization>, StoreError> {
        self.readers.run(|c| {
            row_of(
                c,
                &format!("SELECT {ORG_COLUMNS} FROM organizations WHERE login_lc = ?"),
                params![login.to_lowercase()],
                organization_from,
            )
        })
    }

    pub(super) fn read_organizations(
        &self,
        enterprise_id: i64,
    ) -> Result<Vec<Organization>, StoreError> {
        self.readers.run(|c| {
            rows_of(
                c,
                &format!(
                    "SELECT {ORG_COLUMNS} FROM organizations WHERE enterprise_id = ? ORDER BY id"
                ),
                params![enterprise_id],
                organization_from,
            )
        })
    }

    pub(super) fn read_teams(&self, org_id: i64) -> Result<Vec<Team>, StoreError> {
        self.readers.run(|c| {
            rows_of(
                c,
                &format!("SELECT {TEAM_COLUMNS} FROM teams WHERE org_id = ? ORDER BY id"),
                params![org_id],
                team_from,
            )
        })
    }

    pub(super) fn read_team_by_slug(
        &self,
        org_id: i64,
        slug: &str,
    ) -> Result<Option<Team>, StoreError> {
        self.readers
            .run(|c| super::orgs_tx::team_by_slug(c, org_id, slug))
    }

    pub(super) fn read_team(&self, id: i64) -> Result<Option<Team>, StoreError> {
        self.readers.run(|c| super::orgs_tx::team(c, id))
    }

    pub(super) fn read_linked_teams(&self, group_id: &str) -> Result<Vec<Team>, StoreError> {
        self.readers
            .run(|c| super::orgs_tx::linked_teams(c, group_id))
    }

    pub(super) async fn read_group_users(
        &self,
        group_id: &str,
    ) -> Result<Vec<ManagedUser>, StoreError> {
        let sql = format!(
            "SELECT {} FROM group_members gm JOIN users u ON u.id = gm.user_id \
             WHERE gm.group_id = ? ORDER BY gm.seq",
            user_columns_of_u()
        );
        let group_id = group_id.to_string();
        self.readers
            .scan(move |c| rows_of(c, &sql, params![group_id], user_from))
            .await
    }

    pub(super) async fn read_team_users(
        &self,
        team_id: i64,
        slice: Slice,
    ) -> Result<Vec<ManagedUser>, StoreError> {
        let (limit, offset) = limit_offset(slice);
        let sql = format!(
            "SELECT {} FROM team_members tm JOIN users u ON u.id = tm.user_id \
             WHERE tm.team_id = ? ORDER BY u.handle_lc LIMIT ? OFFSET ?",
            user_columns_of_u()
        );
        self.readers
            .scan(move |c| rows_of(c, &sql, params![team_id, limit, offset], user_from))
            .await
    }

    pub(super) async fn read_org_users(
        &self,
        org_id: i64,
        slice: Slice,
    ) -> Result<Vec<ManagedUser>, StoreError> {
        let (limit, offset) = limit_offset(slice);
        let sql = format!(
            "SELECT {} FROM org_members om JOIN users u ON u.id = om.user_id \
             WHERE om.org_id = ? ORDER BY u.handle_lc LIMIT ? OFFSET ?",
            user_columns_of_u()
        );
        self.readers
            .scan(move |c| rows_of(c, &sql, params![org_id, limit, offset], user_from))
            .await
    }
}
