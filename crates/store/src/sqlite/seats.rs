//! Team and organization memberships derived from IdP groups, kept as rows and recomputed by
//! set operations scoped to one team, one user, or a few users of one organization: never by
//! reading a whole table. A team's members are its linked group's active members; an
//! organization's members are the union of its teams' members.

use directory::model::{SeatChange, TeamSeatChange};
use directory::store::StoreError;
use rusqlite::{Connection, params};

use super::rows::backend;

/// The active members of team `?`'s linked group, as `gm.user_id` rows.
const TEAM_WANTED: &str = "SELECT gm.user_id FROM teams t \
     JOIN group_members gm ON gm.group_id = t.group_id \
     JOIN users a ON a.id = gm.user_id AND a.active = 1 WHERE t.id = ?";

/// The teams user `?` should be in, as `t.id` rows.
const USER_WANTED: &str = "SELECT t.id FROM group_members gm \
     JOIN teams t ON t.group_id = gm.group_id \
     JOIN users a ON a.id = gm.user_id AND a.active = 1 WHERE gm.user_id = ?";

/// The (user, login) rows `sql` selects, as seat changes.
fn seat_changes(
    tx: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    joined: bool,
) -> Result<Vec<SeatChange>, StoreError> {
    tx.prepare_cached(sql)
        .map_err(backend)?
        .query_map(args, |r| {
            Ok(SeatChange {
                user_id: r.get(0)?,
                login: r.get(1)?,
                joined,
            })
        })
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)
}

/// The (team, organization) rows `sql` selects, as team seat changes.
fn team_seat_changes(
    tx: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    joined: bool,
) -> Result<Vec<TeamSeatChange>, StoreError> {
    tx.prepare_cached(sql)
        .map_err(backend)?
        .query_map(args, |r| {
            Ok(TeamSeatChange {
                team_id: r.get(0)?,
                org_id: r.get(1)?,
                joined,
            })
        })
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)
}

fn execute(tx: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<(), StoreError> {
    tx.prepare_cached(sql)
        .map_err(backend)?
        .execute(args)
        .map_err(backend)?;
    Ok(())
}

pub(super) fn sync_team_seats(
    tx: &Connection,
    team_id: i64,
) -> Result<Vec<SeatChange>, StoreError> {
    let leaving = seat_changes(
        tx,
        &format!(
            "SELECT tm.user_id, u.handle FROM team_members tm LEFT JOIN users u ON u.id = tm.user_id \
             WHERE tm.team_id = ? AND tm.user_id NOT IN ({TEAM_WANTED}) ORDER BY u.handle_lc"
        ),
        params![team_id, team_id],
        false,
    )?;
    execute(
        tx,
        &format!("DELETE FROM team_members WHERE team_id = ? AND user_id NOT IN ({TEAM_WANTED})"),
        params![team_id, team_id],
    )?;
    let joining = seat_changes(
        tx,
        &format!(
            "SELECT w.user_id, u.handle FROM ({TEAM_WANTED}) w JOIN users u ON u.id = w.user_id \
             WHERE w.user_id NOT IN (SELECT user_id FROM team_members WHERE team_id = ?) ORDER BY u.handle_lc"
        ),
        params![team_id, team_id],
        true,
    )?;
    execute(
        tx,
        &format!(
            "INSERT OR IGNORE INTO team_members (team_id, user_id) SELECT ?, w.user_id FROM ({TEAM_WANTED}) w"
        ),
        params![team_id, team_id],
    )?;
    let mut out = leaving;
    out.extend(joining);
    Ok(out)
}

pub(super) fn sync_user_seats(
    tx: &Connection,
    user_id: &str,
) -> Result<Vec<TeamSeatChange>, StoreError> {
    let leaving = team_seat_changes(
        tx,
        &format!(
            "SELECT tm.team_id, t.org_id FROM team_members tm JOIN teams t ON t.id = tm.team_id \
             WHERE tm.user_id = ? AND tm.team_id NOT IN ({USER_WANTED}) ORDER BY tm.team_id"
        ),
        params![user_id, user_id],
        false,
    )?;
    execute(
        tx,
        &format!("DELETE FROM team_members WHERE user_id = ? AND team_id NOT IN ({USER_WANTED})"),
        params![user_id, user_id],
    )?;
    let joining = team_seat_changes(
        tx,
        &format!(
            "SELECT DISTINCT t.id, t.org_id FROM teams t WHERE t.id IN ({USER_WANTED}) \
             AND t.id NOT IN (SELECT team_id FROM team_members WHERE user_id = ?) ORDER BY t.id"
        ),
        params![user_id, user_id],
        true,
    )?;
    execute(
        tx,
        &format!(
            "INSERT OR IGNORE INTO team_members (team_id, user_id) SELECT w.id, ? FROM ({USER_WANTED}) w"
        ),
        params![user_id, user_id],
    )?;
    let mut out = leaving;
    out.extend(joining);
    Ok(out)
}

pub(super) fn sync_org_seats(
    tx: &Connection,
    org_id: i64,
    user_ids: &[String],
) -> Result<Vec<SeatChange>, StoreError> {
    let mut out = Vec::new();
    for chunk in user_ids.chunks(400) {
        let marks = vec!["?"; chunk.len()].join(",");
        let args = || {
            std::iter::once(&org_id as &dyn rusqlite::ToSql)
                .chain(chunk.iter().map(|id| id as &dyn rusqlite::ToSql))
        };
        let in_a_team = "SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id \
                         WHERE t.org_id = om.org_id AND tm.user_id = om.user_id";
        let leaving = seat_changes(
            tx,
            &format!(
                "SELECT om.user_id, u.handle FROM org_members om LEFT JOIN users u ON u.id = om.user_id \
                 WHERE om.org_id = ? AND om.user_id IN ({marks}) AND NOT EXISTS ({in_a_team}) ORDER BY u.handle_lc"
            ),
            rusqlite::params_from_iter(args()),
            false,
        )?;
        for s in &leaving {
            execute(
                tx,
                "DELETE FROM org_members WHERE org_id = ? AND user_id = ?",
                params![org_id, s.user_id],
            )?;
        }
        let joining = seat_changes(
            tx,
            &format!(
                "SELECT DISTINCT tm.user_id, u.handle FROM team_members tm JOIN teams t ON t.id = tm.team_id \
                 LEFT JOIN users u ON u.id = tm.user_id \
                 WHERE t.org_id = ? AND tm.user_id IN ({marks}) \
                 AND NOT EXISTS (SELECT 1 FROM org_members om WHERE om.org_id = t.org_id AND om.user_id = tm.user_id) \
                 ORDER BY u.handle_lc"
            ),
            rusqlite::params_from_iter(args()),
            true,
        )?;
        for s in &joining {
            execute(
                tx,
                "INSERT OR IGNORE INTO org_members (org_id, user_id) VALUES (?, ?)",
                params![org_id, s.user_id],
            )?;
        }
        out.extend(leaving);
        out.extend(joining);
    }
    Ok(out)
}
