//! Listing order and keyset positions for PostgreSQL: creation order (`seq`), or a sort
//! attribute with `seq` breaking ties and resources without a value last — the same order
//! and the same cursor positions as the SQLite store.

use directory::store::{ListQuery, Position, StoreError};
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::errors::pg_error;
use super::filter_sql::{Param, SortType, Table, sort_expression};

struct Key {
    sql: String,
    ty: SortType,
    descending: bool,
}

pub(crate) struct Order {
    key: Option<Key>,
}

impl Order {
    pub(crate) fn new(query: &ListQuery<'_>, table: Table) -> Result<Order, StoreError> {
        let key = match query.sort {
            None => None,
            Some(k) => {
                let (sql, ty) = sort_expression(&k.path, table, query.resource_type)?;
                Some(Key {
                    sql,
                    ty,
                    descending: k.descending,
                })
            }
        };
        Ok(Order { key })
    }

    pub(crate) fn order_by(&self) -> String {
        match &self.key {
            None => "seq".into(),
            Some(Key {
                sql, descending, ..
            }) => format!(
                "({sql}) IS NULL, {sql} {}, seq",
                if *descending { "DESC" } else { "ASC" }
            ),
        }
    }

    /// The sort value of a row as JSON text (`null` when unsorted or absent).
    pub(crate) fn key_json(&self) -> String {
        match &self.key {
            None => "'null'".into(),
            Some(Key { sql, .. }) => format!("COALESCE(to_jsonb({sql})::text, 'null')"),
        }
    }

    /// The condition "comes after `after`", with parameters numbered from `$first`.
    pub(crate) fn after(&self, after: Option<&Position>, first: usize) -> (String, Vec<Param>) {
        let Some(p) = after else {
            return ("true".into(), Vec::new());
        };
        let seq = Param::Int(p.seq);
        let Some(key) = &self.key else {
            return (format!("seq > ${first}"), vec![seq]);
        };
        let sql = &key.sql;
        // A value of another type than the sort's can only come from an edited cursor: it
        // counts as "no value", as a cursor naming a null does.
        let value = p.key.as_ref().and_then(|k| typed_param(key.ty, k, first));
        match value {
            None => (format!("(({sql}) IS NULL AND seq > ${first})"), vec![seq]),
            Some((value, k)) => {
                let cmp = if key.descending { "<" } else { ">" };
                let b = first + 1;
                (
                    format!(
                        "(({sql}) IS NULL OR {sql} {cmp} {value} OR ({sql} = {value} AND seq > ${b}))"
                    ),
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

/// A cursor's sort value as parameter `$n` of the sort expression's type; `None` for a null
/// or a value of another type. Numbers travel as text cast to `numeric`, so a number keeps
/// every digit it had.
fn typed_param(ty: SortType, key: &Value, n: usize) -> Option<(String, Param)> {
    let p = format!("${n}");
    Some(match (ty, key) {
        (_, Value::Null) => return None,
        (SortType::Micros, v) => (p, Param::Int(v.as_i64()?)),
        (SortType::Text, Value::String(s)) => (p, Param::Text(s.clone())),
        (SortType::Text, other) => (p, Param::Text(other.to_string())),
        (SortType::Boolean, Value::Bool(b)) => (p, Param::Bool(*b)),
        (SortType::Number, Value::Number(x)) => {
            (format!("{p}::numeric"), Param::Text(x.to_string()))
        }
        _ => return None,
    })
}
