//! Listing order and keyset positions for PostgreSQL: creation order (`seq`), or a sort
//! attribute with `seq` breaking ties and resources without a value last — the same order
//! and the same cursor positions as the SQLite store.

use directory::store::{ListQuery, Position, StoreError};
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::errors::pg_error;
use super::filter_sql::{Param, Table, sort_expression};

pub(crate) struct Order {
    /// The sort expression, whether it is a BIGINT, and whether it is descending.
    key: Option<(String, bool, bool)>,
}

impl Order {
    pub(crate) fn new(query: &ListQuery<'_>, table: Table) -> Result<Order, StoreError> {
        let key = match query.sort {
            None => None,
            Some(k) => {
                let (e, int) = sort_expression(&k.path, table, query.resource_type)?;
                Some((e, int, k.descending))
            }
        };
        Ok(Order { key })
    }

    pub(crate) fn order_by(&self) -> String {
        match &self.key {
            None => "seq".into(),
            Some((e, _, desc)) => format!(
                "({e}) IS NULL, {e} {}, seq",
                if *desc { "DESC" } else { "ASC" }
            ),
        }
    }

    /// The sort value of a row as JSON text (`null` when unsorted or absent).
    pub(crate) fn key_json(&self) -> String {
        match &self.key {
            None => "'null'".into(),
            Some((e, _, _)) => format!("COALESCE(to_jsonb({e})::text, 'null')"),
        }
    }

    /// The condition "comes after `after`", with parameters numbered from `$first`.
    pub(crate) fn after(&self, after: Option<&Position>, first: usize) -> (String, Vec<Param>) {
        let Some(p) = after else {
            return ("true".into(), Vec::new());
        };
        let seq = Param::Int(p.seq);
        let key = p.key.as_ref().filter(|k| !k.is_null());
        match (&self.key, key) {
            (None, _) => (format!("seq > ${first}"), vec![seq]),
            (Some((e, _, _)), None) => (format!("(({e}) IS NULL AND seq > ${first})"), vec![seq]),
            (Some((e, int, desc)), Some(k)) => {
                let cmp = if *desc { "<" } else { ">" };
                let k = match (int, k) {
                    (true, v) => Param::Int(v.as_i64().unwrap_or(0)),
                    (false, Value::String(s)) => Param::Text(s.clone()),
                    (false, other) => Param::Text(other.to_string()),
                };
                let (a, b) = (first, first + 1);
                (
                    format!("(({e}) IS NULL OR {e} {cmp} ${a} OR ({e} = ${a} AND seq > ${b}))"),
                    vec![k, seq],
                )
            }
        }
    }

    /// The position of a row fetched with `list_seq` and `list_key` columns.
    pub(crate) fn position(&self, row: &PgRow) -> Result<Position, StoreError> {
        let seq: i64 = row.try_get("list_seq").map_err(pg_error)?;
        let key = match &self.key {
            None => None,
            Some(_) => {
                let text: String = row.try_get("list_key").map_err(pg_error)?;
                Some(serde_json::from_str(&text).map_err(|e| StoreError::Backend(e.to_string()))?)
            }
        };
        Ok(Position { seq, key })
    }
}
