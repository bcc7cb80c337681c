//! Resolved SCIM filters → PostgreSQL `WHERE` conditions with bound parameters. The same
//! structure as the SQLite compiler: indexed columns serve `id`, `userName`, `externalId`,
//! `displayName` and the `meta` times; JSONB expressions serve the rest; multi-valued (and
//! singular complex) attributes become `EXISTS` over `jsonb_array_elements`, and `members` /
//! `groups` `EXISTS` over membership rows.
//!
//! The semantics are those of `scim::eval` (the test oracle): every condition is two-valued
//! (wrapped in `COALESCE(…, false)` or a `CASE`), so `NOT` and `ne` (= `not eq`) mean what
//! they mean in memory. Two PostgreSQL specifics: string order uses `COLLATE "C"` (byte order,
//! as the oracle), and casts of JSON values sit behind `CASE` because PostgreSQL does not
//! promise to short-circuit `AND`.

use directory::store::StoreError;
use scim::filter::{AttrPath, CompareOp, Filter};
use scim::schema::{AttrType, Attribute, ResourceType};
use serde_json::Value;
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::convert::micros;
pub(crate) use crate::table::Table;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
}

impl Param {
    pub(crate) fn bind<'q>(
        &self,
        q: Query<'q, Postgres, PgArguments>,
    ) -> Query<'q, Postgres, PgArguments> {
        match self {
            Param::Text(s) => q.bind(s.clone()),
            Param::Int(i) => q.bind(*i),
            Param::Real(f) => q.bind(*f),
            Param::Bool(b) => q.bind(*b),
        }
    }
}

/// Compile a resolved filter for `table`; its parameters are numbered from `$first`.
pub(crate) fn compile(
    filter: &Filter,
    table: Table,
    rt: &ResourceType,
    first: usize,
) -> Result<(String, Vec<Param>), StoreError> {
    let mut c = Compiler {
        table,
        rt,
        params: Vec::new(),
        first,
        aliases: 0,
    };
    let sql = c.node(filter, &Scope::Root)?;
    Ok((sql, c.params))
}

/// What a sort expression evaluates to, so cursor positions compare as that type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortType {
    /// Byte order (`COLLATE "C"`, as SQLite compares).
    Text,
    /// The `meta` times (BIGINT microseconds).
    Micros,
    Boolean,
    /// JSON numbers, exactly (`numeric`).
    Number,
}

/// The SQL expression to order by for a singular attribute, typed: text orders by bytes
/// (`COLLATE "C"`, as SQLite does), lower-cased when the attribute is not case-exact; booleans
/// and numbers order as booleans and numbers (as SQLite's `json_extract` gives them), and a
/// value of another JSON type counts as absent. Constants (`meta.resourceType`) are typed too:
/// PostgreSQL cannot order by, or turn into JSON, a literal of unknown type.
pub(crate) fn sort_expression(
    path: &AttrPath,
    table: Table,
    rt: &ResourceType,
) -> Result<(String, SortType), StoreError> {
    let mut c = Compiler {
        table,
        rt,
        params: Vec::new(),
        first: 1,
        aliases: 0,
    };
    let op = c.root_operand(path)?.ok_or_else(|| {
        unsupported(format!(
            "cannot sort by the multi-valued attribute '{path}'"
        ))
    })?;
    let json = &op.sql;
    let text = match (op.kind, op.ty) {
        (Kind::Micros, _) => return Ok((op.sql, SortType::Micros)),
        (Kind::Json, AttrType::Boolean) => {
            return Ok((
                format!("(CASE WHEN jsonb_typeof({json}) = 'boolean' THEN ({json})::boolean END)"),
                SortType::Boolean,
            ));
        }
        (Kind::Json, AttrType::Integer | AttrType::Decimal) => {
            return Ok((
                format!("(CASE WHEN jsonb_typeof({json}) = 'number' THEN ({json})::numeric END)"),
                SortType::Number,
            ));
        }
        (Kind::Json, _) => {
            format!("(CASE WHEN jsonb_typeof({json}) = 'string' THEN {json} #>> '{{}}' END)")
        }
        (Kind::Text, _) => format!("({}::text)", op.sql),
    };
    let text = if !op.case_exact && !op.folded {
        format!("lower({text})")
    } else {
        text
    };
    Ok((format!("({text} COLLATE \"C\")"), SortType::Text))
}

fn unsupported(detail: String) -> StoreError {
    StoreError::UnsupportedFilter(detail)
}

/// A SQL string literal (names come from the schema, but quote them properly anyway).
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// What an operand's SQL evaluates to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A JSONB value (SQL NULL when the key is absent).
    Json,
    /// A text column or constant (NULL when absent).
    Text,
    /// A BIGINT microseconds column.
    Micros,
}

struct Operand {
    sql: String,
    kind: Kind,
    ty: AttrType,
    case_exact: bool,
    /// Already lower-cased (the `_lc` columns).
    folded: bool,
}

impl Operand {
    fn text(sql: String, case_exact: bool, folded: bool) -> Operand {
        Operand {
            sql,
            kind: Kind::Text,
            ty: AttrType::String,
            case_exact,
            folded,
        }
    }
}

/// Where the elements of a multi-valued (or complex) attribute come from.
enum Elements {
    /// The elements of a JSON array (or the value itself when it is not an array, as the
    /// oracle treats a singular complex attribute), as `{alias}.v`.
    Json {
        value: String,
        alias: String,
        attr: Attribute,
    },
    /// A user's groups (membership rows joined to groups).
    UserGroups { alias: String, group: String },
    /// A group's members (membership rows joined to users).
    GroupMembers { alias: String, user: String },
}

enum Scope {
    Root,
    Element(Elements),
}

struct Compiler<'a> {
    table: Table,
    rt: &'a ResourceType,
    params: Vec<Param>,
    first: usize,
    aliases: usize,
}

/// `doc -> 'urn' -> 'name' -> 'sub'`.
fn json_path(table: &str, urn: Option<&str>, name: &str, sub: Option<&str>) -> String {
    let mut p = format!("{table}.doc");
    for key in [urn, Some(name), sub].into_iter().flatten() {
        p.push_str(&format!(" -> {}", quote(key)));
    }
    p
}

/// Present in the oracle's sense: not null, "", [], {} (SQL NULL is absent).
fn json_present(e: &str) -> String {
    format!(
        "COALESCE({e} NOT IN ('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb, '{{}}'::jsonb), false)"
    )
}

impl Compiler<'_> {
    fn alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("{prefix}{}", self.aliases)
    }

    fn param(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.first + self.params.len() - 1)
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
                self.exists(elements, Some(filter))
            }
        }
    }

    fn attribute(&self, path: &AttrPath) -> Result<&Attribute, StoreError> {
        self.rt
            .resolve(path.urn.as_deref(), &path.name, None)
            .map(|r| r.attribute)
            .ok_or_else(|| unsupported(format!("unknown attribute '{path}' in filter")))
    }

    fn is_rows(&self, attr: &Attribute) -> bool {
        matches!(
            (self.table, attr.name),
            (Table::Users, "groups") | (Table::Groups, "members")
        )
    }

    /// The element source of the multi-valued (or complex) attribute `path` at the root.
    fn elements(&mut self, path: &AttrPath) -> Result<Elements, StoreError> {
        let attr = self.attribute(path)?.clone();
        match (self.table, path.urn.as_deref(), attr.name) {
            (Table::Users, None, "groups") => Ok(Elements::UserGroups {
                alias: self.alias("gm"),
                group: self.alias("g"),
            }),
            (Table::Groups, None, "members") => Ok(Elements::GroupMembers {
                alias: self.alias("gm"),
                user: self.alias("u"),
            }),
            _ if attr.multi_valued || attr.ty == AttrType::Complex => Ok(Elements::Json {
                value: json_path(self.table.name(), path.urn.as_deref(), attr.name, None),
                alias: self.alias("e"),
                attr,
            }),
            _ => Err(unsupported(format!(
                "'{path}' is not multi-valued or complex; a value filter [..] needs one"
            ))),
        }
    }

    /// `EXISTS` some (non-null) element satisfying `inner`, or any element when `None`.
    fn exists(&mut self, elements: Elements, inner: Option<&Filter>) -> Result<String, StoreError> {
        let table = self.table.name();
        let head = match &elements {
            Elements::Json { value, alias, .. } => format!(
                "SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof({value}) = 'array' THEN {value} ELSE jsonb_build_array({value}) END) AS {alias}(v) \
                 WHERE jsonb_typeof({alias}.v) <> 'null'"
            ),
            Elements::UserGroups { alias, group } => format!(
                "SELECT 1 FROM group_members {alias} JOIN groups {group} ON {group}.id = {alias}.group_id WHERE {alias}.user_id = {table}.id"
            ),
            Elements::GroupMembers { alias, user } => format!(
                "SELECT 1 FROM group_members {alias} JOIN users {user} ON {user}.id = {alias}.user_id WHERE {alias}.group_id = {table}.id"
            ),
        };
        let cond = match (inner, &elements) {
            (Some(f), _) => self.node(f, &Scope::Element(elements))?,
            // A JSON element counts when it is present (not "", [], {}); a row always does.
            (None, Elements::Json { alias, .. }) => json_present(&format!("{alias}.v")),
            (None, _) => "true".into(),
        };
        Ok(format!("EXISTS ({head} AND {cond})"))
    }

    /// The operand for `path` in `scope`, or `None` when the path is multi-valued at the root
    /// (the caller turns that into `EXISTS`).
    fn operand(&mut self, path: &AttrPath, scope: &Scope) -> Result<Option<Operand>, StoreError> {
        match scope {
            Scope::Element(elements) => self.element_operand(&path.name, elements).map(Some),
            Scope::Root => self.root_operand(path),
        }
    }

    fn element_operand(&self, name: &str, elements: &Elements) -> Result<Operand, StoreError> {
        Ok(match elements {
            Elements::Json { alias, attr, .. } => {
                if attr.sub_attributes.is_empty() {
                    // A simple multi-valued attribute: the element is the value.
                    return Ok(Operand {
                        sql: format!("{alias}.v"),
                        kind: Kind::Json,
                        ty: attr.ty,
                        case_exact: attr.case_exact,
                        folded: false,
                    });
                }
                let sub = attr.sub(name).ok_or_else(|| {
                    unsupported(format!("unknown sub-attribute '{name}' of '{}'", attr.name))
                })?;
                Operand {
                    sql: format!("{alias}.v -> {}", quote(sub.name)),
                    kind: Kind::Json,
                    ty: sub.ty,
                    case_exact: sub.case_exact,
                    folded: false,
                }
            }
            Elements::UserGroups { group, .. } => match name.to_ascii_lowercase().as_str() {
                "value" => Operand::text(format!("{group}.id"), true, false),
                "display" => Operand::text(format!("{group}.display_name_lc"), false, true),
                "type" => Operand::text("'direct'".into(), false, false),
                _ => {
                    return Err(unsupported(format!(
                        "filtering on groups.{name} is not supported; use groups.value or groups.display"
                    )));
                }
            },
            Elements::GroupMembers { alias, user } => match name.to_ascii_lowercase().as_str() {
                "value" => Operand::text(format!("{alias}.user_id"), true, false),
                "display" => Operand::text(
                    format!("COALESCE({user}.display_name, {user}.user_name)"),
                    false,
                    false,
                ),
                "type" => Operand::text("'User'".into(), false, false),
                _ => {
                    return Err(unsupported(format!(
                        "filtering on members.{name} is not supported; use members.value or members.display"
                    )));
                }
            },
        })
    }

    fn root_operand(&mut self, path: &AttrPath) -> Result<Option<Operand>, StoreError> {
        let table = self.table.name();
        let attr = self.attribute(path)?.clone();
        let core = path.urn.is_none();
        let col = |c: &str, case_exact: bool, folded: bool| {
            Operand::text(format!("{table}.{c}"), case_exact, folded)
        };
        let micros_col = |c: &str| Operand {
            sql: format!("{table}.{c}"),
            kind: Kind::Micros,
            ty: AttrType::DateTime,
            case_exact: true,
            folded: false,
        };
        let special = match (self.table, core, attr.name, path.sub.as_deref()) {
            (_, true, "id", None) => Some(col("id", true, false)),
            (_, true, "externalId", None) => Some(col("external_id", true, false)),
            (Table::Users, true, "userName", None) => Some(col("user_name_lc", false, true)),
            (_, true, "displayName", None) => Some(col("display_name_lc", false, true)),
            (_, true, "meta", Some("created")) => Some(micros_col("created")),
            (_, true, "meta", Some("lastModified")) => Some(micros_col("last_modified")),
            (_, true, "meta", Some("resourceType")) => {
                let rt = match self.table {
                    Table::Users => "'User'",
                    Table::Groups => "'Group'",
                };
                Some(Operand::text(rt.into(), true, false))
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
        if attr.multi_valued || self.is_rows(&attr) {
            return Ok(None);
        }
        let (ty, case_exact) = match path.sub.as_deref() {
            Some(s) => {
                let sub = attr
                    .sub(s)
                    .ok_or_else(|| unsupported(format!("unknown sub-attribute in '{path}'")))?;
                (sub.ty, sub.case_exact)
            }
            None => (attr.ty, attr.case_exact),
        };
        if ty == AttrType::DateTime {
            return Err(unsupported(format!(
                "filtering on the dateTime attribute '{path}' is not supported yet"
            )));
        }
        Ok(Some(Operand {
            sql: json_path(table, path.urn.as_deref(), attr.name, path.sub.as_deref()),
            kind: Kind::Json,
            ty,
            case_exact,
            folded: false,
        }))
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
        let rel = path.sub.clone().unwrap_or_else(|| "value".into());
        Ok((elements, AttrPath::new(&rel, None)))
    }

    fn present(&mut self, path: &AttrPath, scope: &Scope) -> Result<String, StoreError> {
        if matches!(scope, Scope::Root) {
            let attr = self.attribute(path)?.clone();
            if attr.multi_valued || self.is_rows(&attr) {
                let (elements, rel) = self.multi(path)?;
                return match path.sub {
                    Some(_) => self.exists(elements, Some(&Filter::Present(rel))),
                    None => self.exists(elements, None),
                };
            }
        }
        let Some(op) = self.operand(path, scope)? else {
            return Err(unsupported(format!("cannot test presence of '{path}'")));
        };
        Ok(match op.kind {
            Kind::Json => json_present(&op.sql),
            Kind::Text => format!("COALESCE({} <> '', false)", op.sql),
            Kind::Micros => format!("({} IS NOT NULL)", op.sql),
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
                _ => Ok("false".into()),
            };
        }
        let Some(operand) = self.operand(path, scope)? else {
            let (elements, rel) = self.multi(path)?;
            let inner = Filter::Compare {
                path: rel,
                op,
                value: value.clone(),
            };
            return self.exists(elements, Some(&inner));
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
        let e = &o.sql;
        match o.ty {
            AttrType::String | AttrType::Reference | AttrType::Binary => {
                let Some(lit) = value.as_str() else {
                    return Ok("false".into());
                };
                // Only a JSON string matches a string literal (the oracle compares JSON types).
                let (typed, text) = match o.kind {
                    Kind::Json => (
                        format!("jsonb_typeof({e}) = 'string'"),
                        format!("({e} #>> '{{}}')"),
                    ),
                    Kind::Text => (format!("{e} IS NOT NULL"), e.clone()),
                    Kind::Micros => return Ok("false".into()),
                };
                let (lhs, lit) = if o.case_exact {
                    (text, lit.to_string())
                } else if o.folded {
                    (text, scim::fold::fold(lit))
                } else {
                    (format!("lower({text})"), lit.to_lowercase())
                };
                let n = lit.chars().count();
                let cond = match op {
                    CompareOp::Co | CompareOp::Sw | CompareOp::Ew if n == 0 => "true".to_string(),
                    CompareOp::Co => format!("strpos({lhs}, {}) > 0", self.param(Param::Text(lit))),
                    CompareOp::Sw => {
                        format!("starts_with({lhs}, {})", self.param(Param::Text(lit)))
                    }
                    CompareOp::Ew => {
                        format!("right({lhs}, {n}) = {}", self.param(Param::Text(lit)))
                    }
                    // Equality is the same in every deterministic collation; leaving it bare
                    // lets an index on the column serve it.
                    CompareOp::Eq => format!("{lhs} = {}", self.param(Param::Text(lit))),
                    // Byte order, as the oracle, whatever the database's collation.
                    _ => format!(
                        "{lhs} COLLATE \"C\" {sql_op} {}",
                        self.param(Param::Text(lit))
                    ),
                };
                Ok(match o.kind {
                    // A bare condition on a column keeps its index usable; `AND … IS NOT NULL`
                    // keeps it two-valued (NULL AND false is false).
                    Kind::Text => format!("({cond} AND {typed})"),
                    _ => format!("COALESCE({typed} AND {cond}, false)"),
                })
            }
            AttrType::Boolean => {
                let (Some(b), CompareOp::Eq, Kind::Json) = (value.as_bool(), op, o.kind) else {
                    return Ok("false".into());
                };
                Ok(format!("COALESCE({e} = '{b}'::jsonb, false)"))
            }
            AttrType::Integer | AttrType::Decimal => {
                let (Some(n), false, Kind::Json) = (value.as_f64(), sql_op.is_empty(), o.kind)
                else {
                    return Ok("false".into());
                };
                // Integers compare exactly as numeric; other literals as float8, as the oracle.
                let (cast, p) = match value.as_i64() {
                    Some(i) => ("numeric", self.param(Param::Int(i))),
                    None => ("float8", self.param(Param::Real(n))),
                };
                Ok(format!(
                    "(CASE WHEN jsonb_typeof({e}) = 'number' THEN ({e})::{cast} {sql_op} {p} ELSE false END)"
                ))
            }
            AttrType::DateTime => {
                let Some(t) = value
                    .as_str()
                    .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
                else {
                    return Ok("false".into());
                };
                if sql_op.is_empty() || o.kind != Kind::Micros {
                    return Ok("false".into());
                }
                let p = self.param(Param::Int(micros(t)));
                Ok(format!("COALESCE({e} {sql_op} {p}, false)"))
            }
            AttrType::Complex => Err(unsupported(
                "a complex attribute cannot be compared to a value; name a sub-attribute".into(),
            )),
        }
    }
}
