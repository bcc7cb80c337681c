//! Resolved SCIM filters → SQLite `WHERE` conditions with bound parameters. Indexed columns
//! serve the attributes IdPs look up (`id`, `userName`, `externalId`, `displayName`, `meta`
//! times); JSON expressions serve the rest; multi-valued attributes become `EXISTS` over their
//! elements, and `members` / `groups` `EXISTS` over membership rows.
//!
//! The semantics are those of `scim::eval` (the test oracle): every condition produced here is
//! two-valued (never SQL NULL), so `NOT` and `ne` (= `not eq`) mean what they mean in memory.
//! One known difference: SQLite's `lower()` folds ASCII only, so a case-insensitive match on
//! a JSON attribute (not on the indexed `userName`/`displayName`) treats non-ASCII letters
//! case-exactly.

use directory::store::StoreError;
use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};
use scim::filter::{AttrPath, CompareOp, Filter};
use scim::schema::{AttrType, Attribute, ResourceType};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::rows::micros;
pub(crate) use crate::table::Table;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Real(f64),
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Text(s) => ValueRef::Text(s.as_bytes()),
            Param::Int(i) => ValueRef::Integer(*i),
            Param::Real(f) => ValueRef::Real(*f),
        }))
    }
}

/// Compile a resolved filter for `table`.
pub(crate) fn compile(
    filter: &Filter,
    table: Table,
    rt: &ResourceType,
) -> Result<(String, Vec<Param>), StoreError> {
    let mut c = Compiler {
        table,
        rt,
        params: Vec::new(),
        aliases: 0,
    };
    let sql = c.node(filter, &Scope::Root)?;
    Ok((sql, c.params))
}

/// The SQL expression to order by for a singular attribute (lower-cased when the attribute is
/// not case-exact, so the order matches what case-insensitive comparison means).
pub(crate) fn sort_expression(
    path: &AttrPath,
    table: Table,
    rt: &ResourceType,
) -> Result<String, StoreError> {
    let mut c = Compiler {
        table,
        rt,
        params: Vec::new(),
        aliases: 0,
    };
    let op = c.operand(path, &Scope::Root)?.ok_or_else(|| {
        unsupported(format!(
            "cannot sort by the multi-valued attribute '{path}'"
        ))
    })?;
    let text = matches!(
        op.ty,
        AttrType::String | AttrType::Reference | AttrType::Binary
    );
    Ok(if text && !op.case_exact && !op.folded {
        format!("lower({})", op.sql)
    } else {
        op.sql
    })
}

fn unsupported(detail: String) -> StoreError {
    StoreError::UnsupportedFilter(detail)
}

/// What a value expression is: SQL for it, its type, and whether it needs lower-casing for a
/// case-insensitive comparison (`false` for the `_lc` columns, which are lower-cased already).
struct Operand {
    sql: String,
    ty: AttrType,
    case_exact: bool,
    folded: bool,
    /// A text column of the table (indexed), not a JSON expression or a constant.
    column: bool,
}

/// Where the elements of a multi-valued attribute come from.
enum Elements {
    /// `json_each` over a JSON array (or the object itself for a singular complex attribute).
    Json {
        from: String,
        alias: String,
        single: bool,
        attr: Attribute,
    },
    /// A user's groups (membership rows joined to groups).
    UserGroups { alias: String, group: String },
    /// A group's members (membership rows joined to users).
    GroupMembers { alias: String, user: String },
}

/// Whether a resolved filter finds its rows by an equality on a key column (`id`,
/// `externalId`, a user's `userName`, a group's `displayName`): an index lookup that returns a
/// few rows, never a scan, so the listing may run on the request's own thread.
pub(crate) fn selective(filter: &Filter, table: Table) -> bool {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(_),
        } if path.urn.is_none() && path.sub.is_none() => matches!(
            (table, path.name.as_str()),
            (_, "id" | "externalId") | (Table::Users, "userName") | (Table::Groups, "displayName")
        ),
        Filter::And(a, b) => selective(a, table) || selective(b, table),
        _ => false,
    }
}

enum Scope {
    Root,
    Element(Elements),
}

struct Compiler<'a> {
    table: Table,
    rt: &'a ResourceType,
    params: Vec<Param>,
    aliases: usize,
}

fn json_path(urn: Option<&str>, name: &str, sub: Option<&str>) -> String {
    let mut p = String::from("$");
    if let Some(u) = urn {
        p.push_str(&format!(".\"{u}\""));
    }
    p.push_str(&format!(".\"{name}\""));
    if let Some(s) = sub {
        p.push_str(&format!(".\"{s}\""));
    }
    p
}

impl Compiler<'_> {
    fn alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("{prefix}{}", self.aliases)
    }

    fn param(&mut self, p: Param) -> &'static str {
        self.params.push(p);
        "?"
    }

    fn node(&mut self, f: &Filter, scope: &Scope) -> Result<String, StoreError> {
        match f {
            Filter::And(a, b) => Ok(format!(
                "({} AND {})",
                self.node(a, scope)?,
                self.node(b, scope)?
            )),
            Filter::Or(a, b) => Ok(format!(
                "({} OR {})",
                self.node(a, scope)?,
                self.node(b, scope)?
            )),
            Filter::Not(a) => Ok(format!("(NOT {})", self.node(a, scope)?)),
            Filter::Present(path) => self.present(path, scope),
            Filter::Compare { path, op, value } => self.compare(path, *op, value, scope),
            Filter::ValuePath { path, filter } => {
                let elements = self.elements(path)?;
                self.exists(elements, filter)
            }
        }
    }

    fn attribute(&self, path: &AttrPath) -> Result<&Attribute, StoreError> {
        self.rt
            .resolve(path.urn.as_deref(), &path.name, None)
            .map(|r| r.attribute)
            .ok_or_else(|| unsupported(format!("unknown attribute '{path}' in filter")))
    }

    /// The element source of the multi-valued (or complex) attribute `path` at the root.
    fn elements(&mut self, path: &AttrPath) -> Result<Elements, StoreError> {
        let attr = self.attribute(path)?.clone();
        let table = self.table.name();
        match (self.table, path.urn.as_deref(), attr.name) {
            (Table::Users, None, "groups") => Ok(Elements::UserGroups {
                alias: self.alias("gm"),
                group: self.alias("g"),
            }),
            (Table::Groups, None, "members") => Ok(Elements::GroupMembers {
                alias: self.alias("gm"),
                user: self.alias("u"),
            }),
            _ if attr.multi_valued || attr.ty == AttrType::Complex => {
                let alias = self.alias("e");
                let jp = json_path(path.urn.as_deref(), attr.name, None);
                Ok(Elements::Json {
                    from: format!("json_each({table}.doc, '{jp}')"),
                    alias,
                    single: !attr.multi_valued,
                    attr,
                })
            }
            _ => Err(unsupported(format!(
                "'{path}' is not multi-valued or complex; a value filter [..] needs one"
            ))),
        }
    }

    /// `EXISTS` some element satisfying `inner`.
    fn exists(&mut self, elements: Elements, inner: &Filter) -> Result<String, StoreError> {
        let table = self.table.name();
        let head = match &elements {
            Elements::Json {
                from,
                alias,
                single: false,
                ..
            } => format!("SELECT 1 FROM {from} AS {alias}"),
            // A singular complex attribute is its own only element: a one-row source.
            Elements::Json {
                alias,
                single: true,
                ..
            } => format!("SELECT 1 FROM (SELECT 1) AS {alias}"),
            Elements::UserGroups { alias, group } => format!(
                "SELECT 1 FROM group_members {alias} JOIN groups {group} ON {group}.id = {alias}.group_id WHERE {alias}.user_id = {table}.id"
            ),
            Elements::GroupMembers { alias, user } => format!(
                "SELECT 1 FROM group_members {alias} JOIN users {user} ON {user}.id = {alias}.user_id WHERE {alias}.group_id = {table}.id"
            ),
        };
        let joiner = if head.contains(" WHERE ") {
            "AND"
        } else {
            "WHERE"
        };
        let cond = self.node(inner, &Scope::Element(elements))?;
        Ok(format!("EXISTS ({head} {joiner} {cond})"))
    }

    /// The operand for `path` in `scope`, or `None` when the path is multi-valued at the root
    /// (the caller turns that into `EXISTS`).
    fn operand(&mut self, path: &AttrPath, scope: &Scope) -> Result<Option<Operand>, StoreError> {
        let table = self.table.name();
        match scope {
            Scope::Element(elements) => {
                let name = path.name.as_str();
                let op = match elements {
                    Elements::Json {
                        alias,
                        single,
                        attr,
                        ..
                    } => {
                        let sub = attr.sub(name).ok_or_else(|| {
                            unsupported(format!(
                                "unknown sub-attribute '{name}' of '{}'",
                                attr.name
                            ))
                        })?;
                        let sql = if *single {
                            // The element is the object at the root path itself.
                            let _ = alias;
                            return Err(unsupported("value filters on singular complex attributes are not supported; use attr.sub instead".into()));
                        } else if attr.sub_attributes.is_empty() {
                            format!("{alias}.value")
                        } else {
                            format!("json_extract({alias}.value, '$.\"{}\"')", sub.name)
                        };
                        Operand {
                            sql,
                            ty: sub.ty,
                            case_exact: sub.case_exact,
                            folded: false,
                            column: false,
                        }
                    }
                    Elements::UserGroups { group, .. } => {
                        match name.to_ascii_lowercase().as_str() {
                            "value" => Operand {
                                sql: format!("{group}.id"),
                                ty: AttrType::String,
                                case_exact: true,
                                folded: false,
                                column: false,
                            },
                            "display" => Operand {
                                sql: format!("{group}.display_name_lc"),
                                ty: AttrType::String,
                                case_exact: false,
                                folded: true,
                                column: false,
                            },
                            "type" => Operand {
                                sql: "'direct'".into(),
                                ty: AttrType::String,
                                case_exact: false,
                                folded: false,
                                column: false,
                            },
                            _ => {
                                return Err(unsupported(format!(
                                    "filtering on groups.{name} is not supported; use groups.value or groups.display"
                                )));
                            }
                        }
                    }
                    Elements::GroupMembers { alias, user } => {
                        match name.to_ascii_lowercase().as_str() {
                            "value" => Operand {
                                sql: format!("{alias}.user_id"),
                                ty: AttrType::String,
                                case_exact: true,
                                folded: false,
                                column: false,
                            },
                            "display" => Operand {
                                sql: format!("COALESCE({user}.display_name, {user}.user_name)"),
                                ty: AttrType::String,
                                case_exact: false,
                                folded: false,
                                column: false,
                            },
                            "type" => Operand {
                                sql: "'User'".into(),
                                ty: AttrType::String,
                                case_exact: false,
                                folded: false,
                                column: false,
                            },
                            _ => {
                                return Err(unsupported(format!(
                                    "filtering on members.{name} is not supported; use members.value or members.display"
                                )));
                            }
                        }
                    }
                };
                Ok(Some(op))
            }
            Scope::Root => {
                let attr = self.attribute(path)?.clone();
                let core = path.urn.is_none();
                let col = |sql: &str, case_exact: bool, folded: bool| Operand {
                    column: true,
                    sql: format!("{table}.{sql}"),
                    ty: AttrType::String,
                    case_exact,
                    folded,
                };
                let special = match (self.table, core, attr.name, path.sub.as_deref()) {
                    (_, true, "id", None) => Some(col("id", true, false)),
                    (_, true, "externalId", None) => Some(col("external_id", true, false)),
                    (Table::Users, true, "userName", None) => {
                        Some(col("user_name_lc", false, true))
                    }
                    (_, true, "displayName", None) => Some(col("display_name_lc", false, true)),
                    (_, true, "meta", Some("created")) => Some(Operand {
                        sql: format!("{table}.created"),
                        ty: AttrType::DateTime,
                        case_exact: true,
                        folded: false,
                        column: false,
                    }),
                    (_, true, "meta", Some("lastModified")) => Some(Operand {
                        sql: format!("{table}.last_modified"),
                        ty: AttrType::DateTime,
                        case_exact: true,
                        folded: false,
                        column: false,
                    }),
                    (_, true, "meta", Some("resourceType")) => {
                        let rt = if self.table == Table::Users {
                            "'User'"
                        } else {
                            "'Group'"
                        };
                        Some(Operand {
                            sql: rt.into(),
                            ty: AttrType::String,
                            case_exact: true,
                            folded: false,
                            column: false,
                        })
                    }
                    (_, true, "meta", _) => {
                        return Err(unsupported(format!(
                            "filtering on '{path}' is not supported; meta.created, meta.lastModified and meta.resourceType are"
                        )));
                    }
                    _ => None,
                };
                if special.is_some() {
                    return Ok(special);
                }
                if attr.multi_valued
                    || (self.table == Table::Users && attr.name == "groups")
                    || (self.table == Table::Groups && attr.name == "members")
                {
                    return Ok(None);
                }
                let (ty, case_exact) = match path.sub.as_deref() {
                    Some(s) => {
                        let sub = attr.sub(s).ok_or_else(|| {
                            unsupported(format!("unknown sub-attribute in '{path}'"))
                        })?;
                        (sub.ty, sub.case_exact)
                    }
                    None => (attr.ty, attr.case_exact),
                };
                if ty == AttrType::DateTime {
                    return Err(unsupported(format!(
                        "filtering on the dateTime attribute '{path}' is not supported yet"
                    )));
                }
                let jp = json_path(path.urn.as_deref(), attr.name, path.sub.as_deref());
                Ok(Some(Operand {
                    sql: format!("json_extract({table}.doc, '{jp}')"),
                    ty,
                    case_exact,
                    folded: false,
                    column: false,
                }))
            }
        }
    }

    /// Split a root path on a multi-valued attribute into its elements and the path relative
    /// to an element (`emails.value` → elements of `emails`, `value`).
    fn multi(&mut self, path: &AttrPath) -> Result<(Elements, AttrPath), StoreError> {
        let attr = self.attribute(path)?.clone();
        let elements = self.elements(&AttrPath {
            urn: path.urn.clone(),
            name: attr.name.to_string(),
            sub: None,
        })?;
        let rel = match (&path.sub, attr.sub_attributes.is_empty()) {
            (Some(s), _) => s.clone(),
            (None, true) => "value".into(),
            (None, false) => "value".into(),
        };
        Ok((
            elements,
            AttrPath {
                urn: None,
                name: rel,
                sub: None,
            },
        ))
    }

    fn present(&mut self, path: &AttrPath, scope: &Scope) -> Result<String, StoreError> {
        if matches!(scope, Scope::Root) {
            let attr = self.attribute(path)?.clone();
            let is_rows = matches!(
                (self.table, attr.name),
                (Table::Users, "groups") | (Table::Groups, "members")
            );
            if attr.multi_valued || is_rows {
                let elements = self.elements(&AttrPath {
                    urn: path.urn.clone(),
                    name: attr.name.to_string(),
                    sub: None,
                })?;
                return match &path.sub {
                    Some(s) => self.exists(
                        elements,
                        &Filter::Present(AttrPath {
                            urn: None,
                            name: s.clone(),
                            sub: None,
                        }),
                    ),
                    None if attr.sub_attributes.is_empty() || is_rows => self.exists_any(elements),
                    // An element of a complex attribute is present when it is a non-empty object.
                    None => self.exists_any(elements),
                };
            }
        }
        let Some(op) = self.operand(path, scope)? else {
            return Err(unsupported(format!("cannot test presence of '{path}'")));
        };
        Ok(format!(
            "COALESCE({e} IS NOT NULL AND (typeof({e}) <> 'text' OR {e} <> ''), 0)",
            e = op.sql
        ))
    }

    fn exists_any(&mut self, elements: Elements) -> Result<String, StoreError> {
        let table = self.table.name();
        Ok(match elements {
            Elements::Json { from, alias, .. } => {
                format!("EXISTS (SELECT 1 FROM {from} AS {alias})")
            }
            Elements::UserGroups { alias, .. } => format!(
                "EXISTS (SELECT 1 FROM group_members {alias} WHERE {alias}.user_id = {table}.id)"
            ),
            Elements::GroupMembers { alias, .. } => format!(
                "EXISTS (SELECT 1 FROM group_members {alias} WHERE {alias}.group_id = {table}.id)"
            ),
        })
    }

    fn compare(
        &mut self,
        path: &AttrPath,
        op: CompareOp,
        value: &Value,
        scope: &Scope,
    ) -> Result<String, StoreError> {
        if op == CompareOp::Ne {
            return Ok(format!(
                "(NOT {})",
                self.compare(path, CompareOp::Eq, value, scope)?
            ));
        }
        if value.is_null() {
            return match op {
                CompareOp::Eq => Ok(format!("(NOT {})", self.present(path, scope)?)),
                _ => Ok("0".into()),
            };
        }
        let Some(operand) = self.operand(path, scope)? else {
            let (elements, rel) = self.multi(path)?;
            return self.exists(
                elements,
                &Filter::Compare {
                    path: rel,
                    op,
                    value: value.clone(),
                },
            );
        };
        self.comparison(&operand, op, value)
    }

    fn comparison(
        &mut self,
        o: &Operand,
        op: CompareOp,
        value: &Value,
    ) -> Result<String, StoreError> {
        let sql_op = match op {
            CompareOp::Eq => "=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            _ => "",
        };
        match o.ty {
            AttrType::String | AttrType::Reference | AttrType::Binary => {
                let Some(lit) = value.as_str() else {
                    return Ok("0".into());
                };
                let (lhs, lit) = if o.case_exact {
                    (o.sql.clone(), lit.to_string())
                } else if o.folded {
                    (o.sql.clone(), scim::fold::fold(lit))
                } else {
                    (format!("lower({})", o.sql), lit.to_lowercase())
                };
                // Only text matches a string literal (the oracle compares JSON types).
                let typed = format!("typeof({}) = 'text'", o.sql);
                let n = lit.chars().count();
                let cond = match op {
                    CompareOp::Co if n == 0 => "1".to_string(),
                    CompareOp::Sw | CompareOp::Ew if n == 0 => "1".to_string(),
                    CompareOp::Co => format!("instr({lhs}, {}) > 0", self.param(Param::Text(lit))),
                    CompareOp::Sw => {
                        format!("substr({lhs}, 1, {n}) = {}", self.param(Param::Text(lit)))
                    }
                    CompareOp::Ew => {
                        format!("substr({lhs}, -{n}) = {}", self.param(Param::Text(lit)))
                    }
                    _ => format!("{lhs} {sql_op} {}", self.param(Param::Text(lit))),
                };
                if o.column {
                    // A bare condition on a column keeps its index usable; `AND … IS NOT
                    // NULL` keeps it two-valued (NULL AND 0 is 0). Columns only hold text.
                    return Ok(format!("({cond} AND {} IS NOT NULL)", o.sql));
                }
                Ok(format!("COALESCE({typed} AND {cond}, 0)"))
            }
            AttrType::Boolean => {
                let (Some(b), CompareOp::Eq) = (value.as_bool(), op) else {
                    return Ok("0".into());
                };
                let p = self.param(Param::Int(i64::from(b)));
                Ok(format!(
                    "COALESCE(typeof({e}) = 'integer' AND {e} = {p}, 0)",
                    e = o.sql
                ))
            }
            AttrType::Integer | AttrType::Decimal => {
                let (Some(n), false) = (value.as_f64(), sql_op.is_empty()) else {
                    return Ok("0".into());
                };
                let p = match value.as_i64() {
                    Some(i) => self.param(Param::Int(i)),
                    None => self.param(Param::Real(n)),
                };
                Ok(format!(
                    "COALESCE(typeof({e}) IN ('integer', 'real') AND {e} {sql_op} {p}, 0)",
                    e = o.sql
                ))
            }
            AttrType::DateTime => {
                let Some(t) = value
                    .as_str()
                    .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
                else {
                    return Ok("0".into());
                };
                if sql_op.is_empty() {
                    return Ok("0".into());
                }
                let p = self.param(Param::Int(micros(t)));
                Ok(format!("COALESCE({} {sql_op} {p}, 0)", o.sql))
            }
            AttrType::Complex => Err(unsupported(
                "a complex attribute cannot be compared to a value; name a sub-attribute".into(),
            )),
        }
    }
}
