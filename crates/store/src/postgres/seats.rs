//! Team and organization memberships derived from IdP groups, as in `sqlite/seats.rs`: rows
//! recomputed by set operations scoped to one team, one user, or a few users of one
//! organization. A team's members are its linked group's active members; an organization's
//! members are the union of its teams' members.
//!
//! SQLite has a single writer, so a sync there never overlaps another. Here transactions run
//! concurrently (READ COMMITTED), and two of them may recompute the same seats at once (a link
//! change and a group membership change feeding the same team, a user suspended while its
//! group changes, two teams of one organization changing). So each sync first locks the row
//! it is scoped to: the team (`sync_team_seats`), the user (`sync_user_seats`), the
//! organization (`sync_org_seats`). Syncs of one scope then take turns, and each statement
//! after the lock reads what the previous holder committed, so the last one to run computes
//! from the final state. Rows are added with `ON CONFLICT DO NOTHING` and removed with
//! `DELETE … RETURNING`, and only the rows a statement actually inserted or deleted are
//! reported: where scopes overlap (a team sync and a user sync both adding the same seat),
//! the work done twice is harmless and each change is reported once.

use directory::model::{SeatChange, TeamSeatChange};
use directory::store::StoreError;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Row};

use super::errors::pg_error;

/// The transaction's connection.
type Tx = sqlx::PgConnection;

/// The active members of team `$1`'s linked group, as `gm.user_id` rows.
const TEAM_WANTED: &str = "SELECT gm.user_id FROM teams t \
     JOIN group_members gm ON gm.group_id = t.group_id \
     JOIN users a ON a.id = gm.user_id AND a.active WHERE t.id = $1";

/// The teams user `$1` should be in, as `t.id` rows.
const USER_WANTED: &str = "SELECT t.id FROM group_members gm \
     JOIN teams t ON t.group_id = gm.group_id \
     JOIN users a ON a.id = gm.user_id AND a.active WHERE gm.user_id = $1";

/// Users by handle in byte order, missing handles first: SQLite's order for `u.handle_lc`.
const BY_HANDLE: &str = "u.handle_lc COLLATE \"C\" NULLS FIRST";

/// `(user_id, handle)` rows as seat changes.
pub(super) fn seat_changes(rows: &[PgRow], joined: bool) -> Result<Vec<SeatChange>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(SeatChange {
                user_id: r.try_get(0).map_err(pg_error)?,
                login: r.try_get(1).map_err(pg_error)?,
                joined,
            })
        })
        .collect()
}

fn team_seat_changes(rows: &[PgRow], joined: bool) -> Result<Vec<TeamSeatChange>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(TeamSeatChange {
                team_id: r.try_get(0).map_err(pg_error)?,
                org_id: r.try_get(1).map_err(pg_error)?,
                joined,
            })
        })
        .collect()
}

pub(super) async fn sync_team_seats(
    tx: &mut Tx,
    team_id: i64,
) -> Result<Vec<SeatChange>, StoreError> {
    // Concurrent syncs of this team take turns (see the module comment). A team that does not
    // exist has no wanted members: its member rows, if any, go, as on SQLite.
    sqlx::query("SELECT id FROM teams WHERE id = $1 FOR UPDATE")
        .bind(team_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(pg_error)?;
    let leaving = sqlx::query(AssertSqlSafe(format!(
        "WITH gone AS (DELETE FROM team_members WHERE team_id = $1 \
         AND user_id NOT IN ({TEAM_WANTED}) RETURNING user_id) \
         SELECT g.user_id, u.handle FROM gone g LEFT JOIN users u ON u.id = g.user_id \
         ORDER BY {BY_HANDLE}, g.user_id"
    )))
    .bind(team_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(pg_error)?;
    let joining = sqlx::query(AssertSqlSafe(format!(
        "WITH added AS (INSERT INTO team_members (team_id, user_id) \
         SELECT $1, w.user_id FROM ({TEAM_WANTED}) w ON CONFLICT DO NOTHING RETURNING user_id) \
         SELECT a.user_id, u.handle FROM added a JOIN users u ON u.id = a.user_id \
         ORDER BY {BY_HANDLE}, a.user_id"
    )))
    .bind(team_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(pg_error)?;
    let mut out = seat_changes(&leaving, false)?;
    out.extend(seat_changes(&joining, true)?);
    Ok(out)
}

pub(super) async fn sync_user_seats(
    tx: &mut Tx,
    user_id: &str,
) -> Result<Vec<TeamSeatChange>, StoreError> {
    // Concurrent syncs of this user take turns (see the module comment). An erased user has no
    // row to lock; it has no wanted teams either, so the sync only deletes, which is harmless
    // to repeat.
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(pg_error)?;
    let leaving = sqlx::query(AssertSqlSafe(format!(
        "WITH gone AS (DELETE FROM team_members WHERE user_id = $1 \
         AND team_id NOT IN ({USER_WANTED}) RETURNING team_id) \
         SELECT g.team_id, t.org_id FROM gone g JOIN teams t ON t.id = g.team_id ORDER BY g.team_id"
    )))
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(pg_error)?;
    let joining = sqlx::query(AssertSqlSafe(format!(
        "WITH added AS (INSERT INTO team_members (team_id, user_id) \
         SELECT DISTINCT w.id, $1 FROM ({USER_WANTED}) w ON CONFLICT DO NOTHING RETURNING team_id) \
         SELECT a.team_id, t.org_id FROM added a JOIN teams t ON t.id = a.team_id ORDER BY a.team_id"
    )))
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(pg_error)?;
    let mut out = team_seat_changes(&leaving, false)?;
    out.extend(team_seat_changes(&joining, true)?);
    Ok(out)
}

pub(super) async fn sync_org_seats(
    tx: &mut Tx,
    org_id: i64,
    user_ids: &[String],
) -> Result<Vec<SeatChange>, StoreError> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Concurrent syncs of this organization take turns (see the module comment): membership
    // depends on every team of the organization, which other transactions may be changing.
    sqlx::query("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE")
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(pg_error)?;
    let leaving = sqlx::query(AssertSqlSafe(format!(
        "WITH gone AS (DELETE FROM org_members om WHERE om.org_id = $1 AND om.user_id = ANY($2) \
         AND NOT EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id \
         WHERE t.org_id = om.org_id AND tm.user_id = om.user_id) RETURNING om.user_id) \
         SELECT g.user_id, u.handle FROM gone g LEFT JOIN users u ON u.id = g.user_id \
         ORDER BY {BY_HANDLE}, g.user_id"
    )))
    .bind(org_id)
    .bind(user_ids)
    .fetch_all(&mut *tx)
    .await
    .map_err(pg_error)?;
    let joining = sqlx::query(AssertSqlSafe(format!(
        "WITH added AS (INSERT INTO org_members (org_id, user_id) \
         SELECT DISTINCT $1::bigint, tm.user_id FROM team_members tm JOIN teams t ON t.id = tm.team_id \
         WHERE t.org_id = $1 AND tm.user_id = ANY($2) ON CONFLICT DO NOTHING RETURNING user_id) \
         SELECT a.user_id, u.handle FROM added a LEFT JOIN users u ON u.id = a.user_id \
         ORDER BY {BY_HANDLE}, a.user_id"
    )))
    .bind(org_id)
    .bind(user_ids)
    .fetch_all(&mut *tx)
    .await
    .map_err(pg_error)?;
    let mut out = seat_changes(&leaving, false)?;
    out.extend(seat_changes(&joining, true)?);
    Ok(out)
}
