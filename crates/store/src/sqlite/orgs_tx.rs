//! Writes of organizations and teams (the `Tx` side).

use directory::model::{NewTeam, Organization, SeatChange, Team};
use directory::store::StoreError;
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;

use super::orgs::TEAM_COLUMNS;
use super::rows::{backend, micros, team_from};
use super::tx::write_error;

/// The write connection, inside the caller's savepoint.
type Tx = sqlx::SqliteConnection;

pub(super) async fn insert_organization(
    tx: &mut Tx,
    enterprise_id: i64,
    login: &str,
    at: OffsetDateTime,
) -> Result<Organization, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO organizations (enterprise_id, login, login_lc, created) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(enterprise_id)
    .bind(login)
    .bind(login.to_lowercase())
    .bind(micros(at))
    .fetch_one(&mut *tx)
    .await
    .map_err(write_error)?
    .try_get(0)
    .map_err(backend)?;
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
         VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?) RETURNING id",
    )
    .bind(t.org_id)
    .bind(&t.name)
    .bind(&t.slug)
    .bind(&t.description)
    .bind(t.privacy.as_str())
    .bind(t.parent_id)
    .bind(micros(t.created))
    .bind(micros(t.created))
    .fetch_one(&mut *tx)
    .await
    .map_err(write_error)?
    .try_get(0)
    .map_err(backend)?;
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
        "SELECT {TEAM_COLUMNS} FROM teams WHERE id = ?"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?;
    row.as_ref().map(team_from).transpose()
}

pub(super) async fn team_by_slug(
    tx: &mut Tx,
    org_id: i64,
    slug: &str,
) -> Result<Option<Team>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE org_id = ? AND slug = ?"
    )))
    .bind(org_id)
    .bind(slug.to_lowercase())
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?;
    row.as_ref().map(team_from).transpose()
}

pub(super) async fn has_child_teams(tx: &mut Tx, team_id: i64) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM teams WHERE parent_id = ?")
        .bind(team_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
    Ok(n > 0)
}

pub(super) async fn update_team(tx: &mut Tx, t: &Team) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE teams SET description = ?, privacy = ?, parent_id = ?, updated = ? WHERE id = ?",
    )
    .bind(&t.description)
    .bind(t.privacy.as_str())
    .bind(t.parent_id)
    .bind(micros(t.updated))
    .bind(t.id)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    Ok(())
}

pub(super) async fn set_team_group(
    tx: &mut Tx,
    team_id: i64,
    group_id: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE teams SET group_id = ?, updated = ? WHERE id = ?")
        .bind(group_id)
        .bind(micros(at))
        .bind(team_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    Ok(())
}

pub(super) async fn linked_teams(tx: &mut Tx, group_id: &str) -> Result<Vec<Team>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE group_id = ? ORDER BY id"
    )))
    .bind(group_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    rows.iter().map(team_from).collect()
}

pub(super) async fn delete_team(tx: &mut Tx, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
    let rows = sqlx::query(
        "SELECT tm.user_id, u.handle FROM team_members tm LEFT JOIN users u ON u.id = tm.user_id \
         WHERE tm.team_id = ? ORDER BY u.handle_lc",
    )
    .bind(team_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    sqlx::query("DELETE FROM team_members WHERE team_id = ?")
        .bind(team_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    sqlx::query("DELETE FROM teams WHERE id = ?")
        .bind(team_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    rows.iter()
        .map(|r| {
            Ok(SeatChange {
                user_id: r.try_get(0).map_err(backend)?,
                login: r.try_get(1).map_err(backend)?,
                joined: false,
            })
        })
        .collect()
}
