//! Writes of organizations and teams (the `Tx` side), as in `sqlite/orgs_tx.rs`.

use directory::model::{NewTeam, Organization, SeatChange, Team};
use directory::store::StoreError;
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;

use super::errors::pg_error;
use super::rows::{TEAM_COLUMNS, team_from};
use super::seats::seat_changes;
use crate::convert::micros;

/// The transaction's connection.
type Tx = sqlx::PgConnection;

pub(super) async fn insert_organization(
    tx: &mut Tx,
    enterprise_id: i64,
    login: &str,
    at: OffsetDateTime,
) -> Result<Organization, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO organizations (enterprise_id, login, login_lc, created) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(enterprise_id)
    .bind(login)
    .bind(login.to_lowercase())
    .bind(micros(at))
    .fetch_one(&mut *tx)
    .await
    .map_err(pg_error)?
    .try_get(0)
    .map_err(pg_error)?;
    Ok(Organization {
        id,
        enterprise_id,
        login: login.to_string(),
        created: at,
    })
}

pub(super) async fn insert_team(tx: &mut Tx, t: &NewTeam) -> Result<Team, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO teams (org_id, name, slug, description, privacy, parent_id, group_id, created, updated) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $7) RETURNING id",
    )
    .bind(t.org_id)
    .bind(&t.name)
    .bind(&t.slug)
    .bind(&t.description)
    .bind(t.privacy.as_str())
    .bind(t.parent_id)
    .bind(micros(t.created))
    .fetch_one(&mut *tx)
    .await
    .map_err(pg_error)?
    .try_get(0)
    .map_err(pg_error)?;
    Ok(Team {
        id,
        org_id: t.org_id,
        name: t.name.clone(),
        slug: t.slug.clone(),
        description: t.description.clone(),
        privacy: t.privacy,
        parent_id: t.parent_id,
        group_id: None,
        created: t.created,
        updated: t.created,
    })
}

pub(super) async fn team(tx: &mut Tx, id: i64) -> Result<Option<Team>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(pg_error)?;
    row.as_ref().map(team_from).transpose()
}

pub(super) async fn team_by_slug(
    tx: &mut Tx,
    org_id: i64,
    slug: &str,
) -> Result<Option<Team>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE org_id = $1 AND slug = $2"
    )))
    .bind(org_id)
    .bind(slug.to_lowercase())
    .fetch_optional(&mut *tx)
    .await
    .map_err(pg_error)?;
    row.as_ref().map(team_from).transpose()
}

pub(super) async fn has_child_teams(tx: &mut Tx, team_id: i64) -> Result<bool, StoreError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM teams WHERE parent_id = $1)")
        .bind(team_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(pg_error)
}

pub(super) async fn update_team(tx: &mut Tx, t: &Team) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE teams SET description = $1, privacy = $2, parent_id = $3, updated = $4 WHERE id = $5",
    )
    .bind(&t.description)
    .bind(t.privacy.as_str())
    .bind(t.parent_id)
    .bind(micros(t.updated))
    .bind(t.id)
    .execute(&mut *tx)
    .await
    .map_err(pg_error)?;
    Ok(())
}

pub(super) async fn set_team_group(
    tx: &mut Tx,
    team_id: i64,
    group_id: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE teams SET group_id = $1, updated = $2 WHERE id = $3")
        .bind(group_id)
        .bind(micros(at))
        .bind(team_id)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
    Ok(())
}

pub(super) async fn linked_teams(tx: &mut Tx, group_id: &str) -> Result<Vec<Team>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE group_id = $1 ORDER BY id"
    )))
    .bind(group_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(pg_error)?;
    rows.iter().map(team_from).collect()
}

/// The member rows go with `DELETE … RETURNING`, so a member a concurrent sync removed first
/// is not reported twice.
pub(super) async fn delete_team(tx: &mut Tx, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
    let rows = sqlx::query(
        "WITH gone AS (DELETE FROM team_members WHERE team_id = $1 RETURNING user_id) \
         SELECT g.user_id, u.handle FROM gone g LEFT JOIN users u ON u.id = g.user_id \
         ORDER BY u.handle_lc COLLATE \"C\" NULLS FIRST, g.user_id",
    )
    .bind(team_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(pg_error)?;
    sqlx::query("DELETE FROM teams WHERE id = $1")
        .bind(team_id)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
    seat_changes(&rows, false)
}
