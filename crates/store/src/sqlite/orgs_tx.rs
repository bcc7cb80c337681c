//! Writes of organizations and teams (the `Tx` side).

use directory::model::{NewTeam, Organization, SeatChange, Team};
use directory::store::StoreError;
use rusqlite::{Connection, params};
use time::OffsetDateTime;

use super::db::{row_of, rows_of, write_error};
use super::orgs::TEAM_COLUMNS;
use super::rows::{backend, micros, team_from};

pub(super) fn insert_organization(
    tx: &Connection,
    enterprise_id: i64,
    login: &str,
    at: OffsetDateTime,
) -> Result<Organization, StoreError> {
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO organizations (enterprise_id, login, login_lc, created) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .map_err(backend)?
        .query_row(
            params![enterprise_id, login, login.to_lowercase(), micros(at)],
            |r| r.get(0),
        )
        .map_err(write_error)?;
    Ok(Organization {
        id,
        enterprise_id,
        login: login.to_string(),
        created: at,
    })
}

pub(super) fn insert_team(tx: &Connection, t: &NewTeam) -> Result<Team, StoreError> {
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO teams (org_id, name, slug, description, privacy, parent_id, group_id, created, updated) \
             VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?) RETURNING id",
        )
        .map_err(backend)?
        .query_row(
            params![
                t.org_id,
                t.name,
                t.slug,
                t.description,
                t.privacy.as_str(),
                t.parent_id,
                micros(t.created),
                micros(t.created)
            ],
            |r| r.get(0),
        )
        .map_err(write_error)?;
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

pub(super) fn team(tx: &Connection, id: i64) -> Result<Option<Team>, StoreError> {
    row_of(
        tx,
        &format!("SELECT {TEAM_COLUMNS} FROM teams WHERE id = ?"),
        params![id],
        team_from,
    )
}

pub(super) fn team_by_slug(
    tx: &Connection,
    org_id: i64,
    slug: &str,
) -> Result<Option<Team>, StoreError> {
    row_of(
        tx,
        &format!("SELECT {TEAM_COLUMNS} FROM teams WHERE org_id = ? AND slug = ?"),
        params![org_id, slug.to_lowercase()],
        team_from,
    )
}

pub(super) fn has_child_teams(tx: &Connection, team_id: i64) -> Result<bool, StoreError> {
    let n: i64 = tx
        .prepare_cached("SELECT count(*) FROM teams WHERE parent_id = ?")
        .map_err(backend)?
        .query_row(params![team_id], |r| r.get(0))
        .map_err(backend)?;
    Ok(n > 0)
}

pub(super) fn update_team(tx: &Connection, t: &Team) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE teams SET description = ?, privacy = ?, parent_id = ?, updated = ? WHERE id = ?",
    )
    .map_err(backend)?
    .execute(params![
        t.description,
        t.privacy.as_str(),
        t.parent_id,
        micros(t.updated),
        t.id
    ])
    .map_err(backend)?;
    Ok(())
}

pub(super) fn set_team_group(
    tx: &Connection,
    team_id: i64,
    group_id: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE teams SET group_id = ?, updated = ? WHERE id = ?")
        .map_err(backend)?
        .execute(params![group_id, micros(at), team_id])
        .map_err(backend)?;
    Ok(())
}

pub(super) fn linked_teams(tx: &Connection, group_id: &str) -> Result<Vec<Team>, StoreError> {
    rows_of(
        tx,
        &format!("SELECT {TEAM_COLUMNS} FROM teams WHERE group_id = ? ORDER BY id"),
        params![group_id],
        team_from,
    )
}

pub(super) fn delete_team(tx: &Connection, team_id: i64) -> Result<Vec<SeatChange>, StoreError> {
    let leaving = tx
        .prepare_cached(
            "SELECT tm.user_id, u.handle FROM team_members tm LEFT JOIN users u ON u.id = tm.user_id \
             WHERE tm.team_id = ? ORDER BY u.handle_lc",
        )
        .map_err(backend)?
        .query_map(params![team_id], |r| {
            Ok(SeatChange {
                user_id: r.get(0)?,
                login: r.get(1)?,
                joined: false,
            })
        })
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)?;
    tx.prepare_cached("DELETE FROM team_members WHERE team_id = ?")
        .map_err(backend)?
        .execute(params![team_id])
        .map_err(backend)?;
    tx.prepare_cached("DELETE FROM teams WHERE id = ?")
        .map_err(backend)?
        .execute(params![team_id])
        .map_err(backend)?;
    Ok(leaving)
}
