//! The audit log: queries (newest first, keyset on the log's sequence) and retention, as in
//! `sqlite/audit.rs`.

use directory::model::LoggedEvent;
use directory::store::{ActionMatch, AuditQuery, StoreError};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::PgStore;
use super::errors::pg_error;
use super::rows::{AUDIT_COLUMNS, logged_event_from};
use crate::convert::micros;

enum Param {
    Int(i64),
    Text(String),
    Texts(Vec<String>),
}

/// Add a parameter; its placeholder.
fn next(params: &mut Vec<Param>, p: Param) -> String {
    params.push(p);
    format!("${}", params.len())
}

/// The WHERE clause of a query and its parameters (`$1`, `$2`, … in order).
fn condition(q: &AuditQuery) -> (String, Vec<Param>) {
    let mut params = vec![Param::Int(q.enterprise_id)];
    let mut parts = vec!["enterprise_id = $1".to_string()];
    if !q.actions.is_empty() {
        let mut alts = Vec::new();
        for a in &q.actions {
            match a {
                ActionMatch::Exact(name) => {
                    let n = next(&mut params, Param::Text(name.clone()));
                    alts.push(format!("action = {n}"));
                }
                ActionMatch::Category(c) => {
                    // starts_with instead of LIKE: category names may hold `_`, a LIKE wildcard.
                    let n = next(&mut params, Param::Text(format!("{c}.")));
                    alts.push(format!("starts_with(action, {n})"));
                }
            }
        }
        parts.push(format!("({})", alts.join(" OR ")));
    }
    if !q.actors.is_empty() {
        let n = next(&mut params, Param::Texts(q.actors.clone()));
        parts.push(format!("actor = ANY({n})"));
    }
    if let Some(from) = q.from {
        let n = next(&mut params, Param::Int(micros(from)));
        parts.push(format!("at >= {n}"));
    }
    if let Some(until) = q.until {
        let n = next(&mut params, Param::Int(micros(until)));
        parts.push(format!("at < {n}"));
    }
    if let Some(seq) = q.older_than {
        let n = next(&mut params, Param::Int(seq));
        parts.push(format!("seq < {n}"));
    }
    if let Some(seq) = q.newer_than {
        let n = next(&mut params, Param::Int(seq));
        parts.push(format!("seq > {n}"));
    }
    (parts.join(" AND "), params)
}

impl PgStore {
    pub(super) async fn read_audit_events(
        &self,
        q: &AuditQuery,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let (cond, params) = condition(q);
        let order = if q.oldest_first { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE {cond} ORDER BY seq {order} LIMIT ${}",
            params.len() + 1
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for p in params {
            query = match p {
                Param::Int(i) => query.bind(i),
                Param::Text(t) => query.bind(t),
                Param::Texts(t) => query.bind(t),
            };
        }
        let rows = query
            .bind(i64::try_from(q.limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(pg_error)?;
        rows.iter().map(logged_event_from).collect()
    }
}

pub(super) async fn prune_audit(
    tx: &mut sqlx::PgConnection,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM audit_events WHERE at < $1")
        .bind(micros(before))
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
    Ok(done.rows_affected())
}
