//! The audit log: queries (newest first, keyset on the log's sequence) and retention.

use directory::model::LoggedEvent;
use directory::store::{ActionMatch, AuditQuery, StoreError};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, params};
use time::OffsetDateTime;

use super::SqliteStore;
use super::db::rows_of;
use super::rows::{backend, logged_event_from, micros};

enum Param {
    Int(i64),
    Text(String),
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Int(i) => ValueRef::Integer(*i),
            Param::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

/// The WHERE clause of a query and its parameters.
fn condition(q: &AuditQuery) -> (String, Vec<Param>) {
    let mut parts = vec!["enterprise_id = ?".to_string()];
    let mut params = vec![Param::Int(q.enterprise_id)];
    if !q.actions.is_empty() {
        let mut alts = Vec::new();
        for a in &q.actions {
            match a {
                ActionMatch::Exact(name) => {
                    alts.push("action = ?");
                    params.push(Param::Text(name.clone()));
                }
                ActionMatch::Category(c) => {
                    // substr instead of LIKE: category names may hold `_`, a LIKE wildcard.
                    alts.push("substr(action, 1, ?) = ?");
                    let prefix = format!("{c}.");
                    params.push(Param::Int(prefix.chars().count() as i64));
                    params.push(Param::Text(prefix));
                }
            }
        }
        parts.push(format!("({})", alts.join(" OR ")));
    }
    if !q.actors.is_empty() {
        parts.push(format!(
            "actor IN ({})",
            vec!["?"; q.actors.len()].join(",")
        ));
        params.extend(q.actors.iter().cloned().map(Param::Text));
    }
    if let Some(from) = q.from {
        parts.push("at >= ?".into());
        params.push(Param::Int(micros(from)));
    }
    if let Some(until) = q.until {
        parts.push("at < ?".into());
        params.push(Param::Int(micros(until)));
    }
    if let Some(seq) = q.older_than {
        parts.push("seq < ?".into());
        params.push(Param::Int(seq));
    }
    if let Some(seq) = q.newer_than {
        parts.push("seq > ?".into());
        params.push(Param::Int(seq));
    }
    (parts.join(" AND "), params)
}

impl SqliteStore {
    pub(super) async fn read_audit_events(
        &self,
        q: &AuditQuery,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let (cond, mut params) = condition(q);
        let order = if q.oldest_first { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT seq, enterprise_id, action, actor, token_id, request_id, target_type, target_id, target_name, at, data \
             FROM audit_events WHERE {cond} ORDER BY seq {order} LIMIT ?"
        );
        params.push(Param::Int(i64::try_from(q.limit).unwrap_or(i64::MAX)));
        self.readers
            .scan(move |conn| {
                rows_of(
                    conn,
                    &sql,
                    rusqlite::params_from_iter(params.iter()),
                    logged_event_from,
                )
            })
            .await
    }
}

pub(super) fn prune_audit(tx: &Connection, before: OffsetDateTime) -> Result<u64, StoreError> {
    let done = tx
        .prepare_cached("DELETE FROM audit_events WHERE at < ?")
        .map_err(backend)?
        .execute(params![micros(before)])
        .map_err(backend)?;
    Ok(done as u64)
}
