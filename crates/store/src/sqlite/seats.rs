//! Team and organization memberships derived from IdP groups, kept as rows and recomputed by
//! set operations scoped to one team, one user, or a few users of one organization: never by
//! reading a whole table. A team's members are its linked group's active members; an
//! organization's members are the union of its teams' members.

use directory::model::{SeatChange, TeamSeatChange};
use directory::store::StoreError;
use sqlx::{AssertSqlSafe, Row};

use super::rows::backend;

/// The write connection, inside the caller's savepoint.
type Tx = sqlx::SqliteConnection;

/// The active members of team `?`'s linked group, as `gm.user_id` rows.
const TEAM_WANTED: &str = "SELECT gm.user_id FROM teams t \
     JOIN group_members gm ON gm.group_id = t.group_id \
     JOIN users a ON a.id = gm.user_id AND a.active = 1 WHERE t.id = ?";

/// The teams user `?` should be in, as `t.id` rows.
const USER_WANTED: &str = "SELECT t.id FROM group_members gm \
     JOIN teams t ON t.group_id = gm.group_id \
     JOIN users a ON a.id = gm.user_id AND a.active = 1 WHERE gm.user_id = ?";

fn seat_changes(
    rows: &[sqlx::sqlite::SqliteRow],
    joined: bool,
) -> Result<Vec<SeatChange>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(SeatChange {
                user_id: r.try_get(0).map_err(backend)?,
                login: r.try_get(1).map_err(backend)?,
                joined,
            })
        })
        .collect()
}

pub(super) async fn sync_team_seats(
    tx: &mut Tx,
    team_id: i64,
) -> Result<Vec<SeatChange>, StoreError> {
    let leaving = sqlx::query(AssertSqlSafe(format!(
        "SELECT tm.user_id, u.handle FROM team_members tm LEFT JOIN users u ON u.id = tm.user_id \
         WHERE tm.team_id = ? AND tm.user_id NOT IN ({TEAM_WANTED}) ORDER BY u.handle_lc"
    )))
    .bind(team_id)
    .bind(team_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM team_members WHERE team_id = ? AND user_id NOT IN ({TEAM_WANTED})"
    )))
    .bind(team_id)
    .bind(team_id)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    let joining = sqlx::query(AssertSqlSafe(format!(
        "SELECT w.user_id, u.handle FROM ({TEAM_WANTED}) w JOIN users u ON u.id = w.user_id \
         WHERE w.user_id NOT IN (SELECT user_id FROM team_members WHERE team_id = ?) ORDER BY u.handle_lc"
    )))
    .bind(team_id)
    .bind(team_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    sqlx::query(AssertSqlSafe(format!(
        "INSERT OR IGNORE INTO team_members (team_id, user_id) SELECT ?, w.user_id FROM ({TEAM_WANTED}) w"
    )))
    .bind(team_id)
    .bind(team_id)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    let mut out = seat_changes(&leaving, false)?;
    out.extend(seat_changes(&joining, true)?);
    Ok(out)
}

fn team_seat_changes(
    rows: &[sqlx::sqlite::SqliteRow],
    joined: bool,
) -> Result<Vec<TeamSeatChange>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(TeamSeatChange {
                team_id: r.try_get(0).map_err(backend)?,
                org_id: r.try_get(1).map_err(backend)?,
                joined,
            })
        })
        .collect()
}

pub(super) async fn sync_user_seats(
    tx: &mut Tx,
    user_id: &str,
) -> Result<Vec<TeamSeatChange>, StoreError> {
    let leaving = sqlx::query(AssertSqlSafe(format!(
        "SELECT tm.team_id, t.org_id FROM team_members tm JOIN teams t ON t.id = tm.team_id \
         WHERE tm.user_id = ? AND tm.team_id NOT IN ({USER_WANTED}) ORDER BY tm.team_id"
    )))
    .bind(user_id)
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM team_members WHERE user_id = ? AND team_id NOT IN ({USER_WANTED})"
    )))
    .bind(user_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    let joining = sqlx::query(AssertSqlSafe(format!(
        "SELECT DISTINCT t.id, t.org_id FROM teams t WHERE t.id IN ({USER_WANTED}) \
         AND t.id NOT IN (SELECT team_id FROM team_members WHERE user_id = ?) ORDER BY t.id"
    )))
    .bind(user_id)
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    sqlx::query(AssertSqlSafe(format!(
        "INSERT OR IGNORE INTO team_members (team_id, user_id) SELECT w.id, ? FROM ({USER_WANTED}) w"
    )))
    .bind(user_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    let mut out = team_seat_changes(&leaving, false)?;
    out.extend(team_seat_changes(&joining, true)?);
    Ok(out)
}

pub(super) async fn sync_org_seats(
    tx: &mut Tx,
    org_id: i64,
    user_ids: &[String],
) -> Result<Vec<SeatChange>, StoreError> {
    let mut out = Vec::new();
    for chunk in user_ids.chunks(400) {
        let marks = vec!["?"; chunk.len()].join(",");
        let in_a_team = "SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id \
                         WHERE t.org_id = om.org_id AND tm.user_id = om.user_id";
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT om.user_id, u.handle FROM org_members om LEFT JOIN users u ON u.id = om.user_id \
             WHERE om.org_id = ? AND om.user_id IN ({marks}) AND NOT EXISTS ({in_a_team}) ORDER BY u.handle_lc"
        )))
        .bind(org_id);
        for id in chunk {
            q = q.bind(id);
        }
        let leaving = q.fetch_all(&mut *tx).await.map_err(backend)?;
        for r in &leaving {
            let id: String = r.try_get(0).map_err(backend)?;
            sqlx::query("DELETE FROM org_members WHERE org_id = ? AND user_id = ?")
                .bind(org_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT DISTINCT tm.user_id, u.handle FROM team_members tm JOIN teams t ON t.id = tm.team_id \
             LEFT JOIN users u ON u.id = tm.user_id \
             WHERE t.org_id = ? AND tm.user_id IN ({marks}) \
             AND tm.user_id NOT IN (SELECT user_id FROM org_members WHERE org_id = t.org_id) ORDER BY u.handle_lc"
        )))
        .bind(org_id);
        for id in chunk {
            q = q.bind(id);
        }
        let joining = q.fetch_all(&mut *tx).await.map_err(backend)?;
        for r in &joining {
            let id: String = r.try_get(0).map_err(backend)?;
            sqlx::query("INSERT OR IGNORE INTO org_members (org_id, user_id) VALUES (?, ?)")
                .bind(org_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        out.extend(seat_changes(&leaving, false)?);
        out.extend(seat_changes(&joining, true)?);
    }
    Ok(out)
}
