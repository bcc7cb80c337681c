//! Listing order and keyset positions: creation order (`seq`), or a sort attribute with `seq`
//! breaking ties, resources without a value last. A cursor position is (sort value, seq), so
//! the next page starts right after the last row served, whatever was added or removed since.

use directory::store::{ListQuery, Position, StoreError};
use rusqlite::Row;
use serde_json::Value;

use super::filter_sql::{Param, Table, sort_expression};
use super::rows::{backend, get};

pub(crate) struct Order {
    /// The sort expression and whether it is descending.
    key: Option<(String, bool)>,
}

fn param(v: &Value) -> Param {
    match v {
        Value::String(s) => Param::Text(s.clone()),
        Value::Bool(b) => Param::Int(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Param::Int(i),
            None => Param::Real(n.as_f64().unwrap_or(0.0)),
        },
        other => Param::Text(other.to_string()),
    }
}

impl Order {
    pub(crate) fn new(query: &ListQuery<'_>, table: Table) -> Result<Order, StoreError> {
        let key = match query.sort {
            None => None,
            Some(k) => Some((
                sort_expression(&k.path, table, query.resource_type)?,
                k.descending,
            )),
        };
        Ok(Order { key })
    }

    pub(crate) fn order_by(&self) -> String {
        match &self.key {
            None => "seq".into(),
            Some((e, desc)) => format!(
                "({e}) IS NULL, {e} {}, seq",
                if *desc { "DESC" } else { "ASC" }
            ),
        }
    }

    /// The sort value of a row as JSON text (`null` when unsorted or absent).
    pub(crate) fn key_json(&self) -> String {
        match &self.key {
            None => "'null'".into(),
            Some((e, _)) => format!("json_quote({e})"),
        }
    }

    /// The condition "comes after `after`" in this order.
    pub(crate) fn after(&self, after: Option<&Position>) -> (String, Vec<Param>) {
        let Some(p) = after else {
            return ("1".into(), Vec::new());
        };
        let seq = Param::Int(p.seq);
        match (&self.key, p.key.as_ref().filter(|k| !k.is_null())) {
            (None, _) => ("seq > ?".into(), vec![seq]),
            // After a row without a value: only later rows without a value.
            (Some((e, _)), None) => (format!("(({e}) IS NULL AND seq > ?)"), vec![seq]),
            (Some((e, desc)), Some(k)) => {
                let cmp = if *desc { "<" } else { ">" };
                (
                    format!("(({e}) IS NULL OR {e} {cmp} ? OR ({e} = ? AND seq > ?))"),
                    vec![param(k), param(k), seq],
                )
            }
        }
    }

    /// The position of a row fetched with `list_seq` and `list_key` columns.
    pub(crate) fn position(&self, row: &Row<'_>) -> Result<Position, StoreError> {
        let seq: i64 = get(row, "list_seq")?;
        let key = match &self.key {
            None => None,
            Some(_) => {
                let text: String = get(row, "list_key")?;
                Some(serde_json::from_str(&text).map_err(backend)?)
            }
        };
        Ok(Position { seq, key })
    }
}
