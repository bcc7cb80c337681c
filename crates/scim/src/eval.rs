//! The in-memory filter evaluator: the reference semantics that the SQL compilers in `store`
//! must reproduce exactly (it is their test oracle).
//!
//! [`Filter::matches`] takes a filter that went through [`Filter::resolve`] and a stored
//! document: core attributes at the top level, extension attributes under the key that is the
//! extension's URN (`doc["urn:…:enterprise:2.0:User"]["employeeNumber"]`). Documents are stored
//! in canonical case, so keys are looked up exactly as the resolved paths spell them.
//!
//! # Semantics
//!
//! **Values of a path.** The values of `attr` are its elements when it is an array, else the
//! value itself; the values of `attr.sub` are `sub` of each element (or of the object). JSON
//! `null`s are dropped. A path with no values is *missing* (absent, null, or an empty array).
//!
//! **Comparisons** `path op literal` (`op` ≠ `ne`) are true iff SOME value `v` of the path
//! satisfies `v op literal`:
//! - string / reference / binary attributes: both sides must be JSON strings. When the
//!   attribute's `caseExact` is false both sides are Unicode-lower-cased
//!   (`str::to_lowercase`) first. `eq` equality, `co` contains, `sw` prefix, `ew` suffix,
//!   `gt`/`ge`/`lt`/`le` byte-wise lexicographic order of the (folded) strings.
//! - dateTime attributes: both sides are parsed as RFC 3339 and compared as instants; a stored
//!   value that does not parse never satisfies anything. `co`/`sw`/`ew` are never true.
//! - integer / decimal: both must be JSON numbers, compared numerically (exactly for integers,
//!   as `f64` otherwise). `co`/`sw`/`ew` are never true.
//! - boolean: both must be JSON booleans; only `eq` can be true.
//! - a stored value of another JSON type than the literal (number vs string, object…) never
//!   satisfies anything.
//! - The empty string is an ordinary string here (`eq ""` matches a stored `""`).
//! - A path whose attribute the resource type does not know (only for unresolved filters) is
//!   compared by JSON type, case-exactly.
//!
//! **`ne`** is defined as `not (path eq literal)`: true when the attribute is missing, and on a
//! multi-valued attribute true iff NO element equals the literal.
//!
//! **`null` literals**: `path eq null` ≡ `not (path pr)`; `path ne null` ≡ `path pr`. Other
//! operators with `null` are never true (resolve refuses them).
//!
//! **`pr`** is true iff some value of the path is not null, not `""`, not `[]` and not `{}`.
//!
//! **`and`, `or`, `not`** are the boolean connectives (two-valued: no SQL-style unknown).
//!
//! **`attr[filter]`** is true iff some element of `attr` (each element of the array, or the
//! object itself for a singular complex attribute) satisfies `filter`, evaluated with the same
//! rules on that element, its paths naming sub-attributes.

use std::cmp::Ordering;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::filter::{AttrPath, CompareOp, Filter};
use crate::schema::{AttrType, Attribute, ResourceType};

/// Where paths are looked up: the resource document, or one element of a multi-valued
/// attribute inside a value filter.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Root {
        doc: &'a Value,
        rt: &'a ResourceType,
    },
    Element {
        elem: &'a Value,
        parent: Option<&'a Attribute>,
    },
}

impl Filter {
    /// Does the stored document `doc` satisfy this resolved filter? See the module
    /// documentation for the exact semantics.
    pub fn matches(&self, doc: &Value, rt: &ResourceType) -> bool {
        eval(self, Scope::Root { doc, rt })
    }
}

/// Does one element of the multi-valued attribute `parent` satisfy `filter` (paths relative to
/// the element)? Used for `attr[filter]` here and by PATCH value-filter paths.
pub(crate) fn matches_element(filter: &Filter, elem: &Value, parent: &Attribute) -> bool {
    eval(
        filter,
        Scope::Element {
            elem,
            parent: Some(parent),
        },
    )
}

fn eval(f: &Filter, scope: Scope<'_>) -> bool {
    match f {
        Filter::And(a, b) => eval(a, scope) && eval(b, scope),
        Filter::Or(a, b) => eval(a, scope) || eval(b, scope),
        Filter::Not(a) => !eval(a, scope),
        Filter::Present(path) => {
            let (values, _) = lookup(scope, path);
            values.into_iter().any(is_present)
        }
        Filter::Compare { path, op, value } => compare(scope, path, *op, value),
        Filter::ValuePath { path, filter } => {
            let (container, attr) = container_of(scope, path);
            let Some(v) = container.and_then(|c| c.get(&path.name)) else {
                return false;
            };
            let elem_scope = |elem| Scope::Element { elem, parent: attr };
            match v {
                Value::Array(items) => items
                    .iter()
                    .filter(|e| !e.is_null())
                    .any(|e| eval(filter, elem_scope(e))),
                Value::Null => false,
                other => eval(filter, elem_scope(other)),
            }
        }
    }
}

fn compare(scope: Scope<'_>, path: &AttrPath, op: CompareOp, literal: &Value) -> bool {
    if op == CompareOp::Ne {
        return !compare(scope, path, CompareOp::Eq, literal);
    }
    let (values, attr) = lookup(scope, path);
    if literal.is_null() {
        return op == CompareOp::Eq && !values.into_iter().any(is_present);
    }
    values
        .into_iter()
        .any(|v| compare_one(v, op, literal, attr))
}

/// The object that holds `path.name` and the attribute's definition (with `sub`, the
/// sub-attribute's definition is found by [`lookup`]).
fn container_of<'a>(scope: Scope<'a>, path: &AttrPath) -> (Option<&'a Value>, Option<&'a Attribute>) {
    match scope {
        Scope::Root { doc, rt } => {
            let container = match &path.urn {
                Some(urn) => doc.get(urn.as_str()),
                None => Some(doc),
            };
            let attr = rt
                .resolve(path.urn.as_deref(), &path.name, None)
                .map(|r| r.attribute);
            (container, attr)
        }
        Scope::Element { elem, parent } => {
            (Some(elem), parent.and_then(|p| p.sub(&path.name)))
        }
    }
}

/// The non-null values of `path` and the definition of what it names.
fn lookup<'a>(scope: Scope<'a>, path: &AttrPath) -> (Vec<&'a Value>, Option<&'a Attribute>) {
    let (container, attr) = container_of(scope, path);
    let target = match &path.sub {
        Some(s) => attr.and_then(|a| a.sub(s)),
        None => attr,
    };
    let mut out = Vec::new();
    if let Some(v) = container.and_then(|c| c.get(&path.name)) {
        match v {
            Value::Array(items) => {
                for item in items {
                    push_values(item, path.sub.as_deref(), &mut out);
                }
            }
            other => push_values(other, path.sub.as_deref(), &mut out),
        }
    }
    (out, target)
}

fn push_values<'a>(v: &'a Value, sub: Option<&str>, out: &mut Vec<&'a Value>) {
    let v = match sub {
        Some(s) => match v.get(s) {
            Some(x) => x,
            None => return,
        },
        None => v,
    };
    match v {
        Value::Null => {}
        Value::Array(items) => out.extend(items.iter().filter(|x| !x.is_null())),
        other => out.push(other),
    }
}

/// Present: not null, not "", not [], not {}.
pub(crate) fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn compare_one(stored: &Value, op: CompareOp, literal: &Value, attr: Option<&Attribute>) -> bool {
    let ty = attr.map(|a| a.ty);
    match (stored, literal) {
        (Value::String(s), Value::String(l)) => {
            if ty == Some(AttrType::DateTime) {
                if op == CompareOp::Co || op == CompareOp::Sw || op == CompareOp::Ew {
                    return false;
                }
                let (Ok(a), Ok(b)) = (
                    OffsetDateTime::parse(s, &Rfc3339),
                    OffsetDateTime::parse(l, &Rfc3339),
                ) else {
                    return false;
                };
                return ordered(op, a.cmp(&b));
            }
            if matches!(ty, Some(AttrType::Boolean | AttrType::Integer | AttrType::Decimal)) {
                return false;
            }
            let case_exact = attr.is_none_or(|a| a.case_exact);
            let (a, b) = if case_exact {
                (s.clone(), l.clone())
            } else {
                (s.to_lowercase(), l.to_lowercase())
            };
            match op {
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                _ => ordered(op, a.as_bytes().cmp(b.as_bytes())),
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            if matches!(ty, Some(t) if t != AttrType::Integer && t != AttrType::Decimal) {
                return false;
            }
            let ord = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => Some(x.cmp(&y)),
                (_, _, Some(x), Some(y)) => Some(x.cmp(&y)),
                _ => a.as_f64().zip(b.as_f64()).and_then(|(x, y)| x.partial_cmp(&y)),
            };
            ord.is_some_and(|o| ordered(op, o))
        }
        (Value::Bool(a), Value::Bool(b)) => {
            op == CompareOp::Eq && ty.is_none_or(|t| t == AttrType::Boolean) && a == b
        }
        _ => false,
    }
}

/// `op` (eq or an ordering) applied to the ordering of stored vs literal.
fn ordered(op: CompareOp, o: Ordering) -> bool {
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}
