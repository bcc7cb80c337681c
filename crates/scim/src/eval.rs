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
    let keyed = matches!(scope, Scope::Root { .. }) && is_folded_key(path);
    let (values, attr) = lookup(scope, path);
    if literal.is_null() {
        return op == CompareOp::Eq && !values.into_iter().any(is_present);
    }
    values
        .into_iter()
        .any(|v| compare_one(v, op, literal, attr, keyed))
}

/// The attributes the stores keep a `scim::fold` key of (userName, displayName, a user's
/// groups' display): they compare folded, as the stores' key columns do. Every other
/// case-insensitive value compares lower-cased, as the stores' `lower()` does, so the
/// evaluator and SQL give the same answer (DESIGN.md, Storage).
fn is_folded_key(path: &AttrPath) -> bool {
    let core = path
        .urn
        .as_deref()
        .is_none_or(|u| !u.contains(":extension:"));
    core && match (path.name.as_str(), path.sub.as_deref()) {
        (n, None) => n.eq_ignore_ascii_case("userName") || n.eq_ignore_ascii_case("displayName"),
        (n, Some(s)) => n.eq_ignore_ascii_case("groups") && s.eq_ignore_ascii_case("display"),
    }
}

/// The object that holds `path.name` and the attribute's definition (with `sub`, the
/// sub-attribute's definition is found by [`lookup`]).
fn container_of<'a>(
    scope: Scope<'a>,
    path: &AttrPath,
) -> (Option<&'a Value>, Option<&'a Attribute>) {
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
        Scope::Element { elem, parent } => (Some(elem), parent.and_then(|p| p.sub(&path.name))),
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

fn compare_one(
    stored: &Value,
    op: CompareOp,
    literal: &Value,
    attr: Option<&Attribute>,
    keyed: bool,
) -> bool {
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
            if matches!(
                ty,
                Some(AttrType::Boolean | AttrType::Integer | AttrType::Decimal)
            ) {
                return false;
            }
            let case_exact = attr.is_none_or(|a| a.case_exact);
            let (a, b) = if case_exact {
                (s.clone(), l.clone())
            } else if keyed {
                (crate::fold::fold(s), crate::fold::fold(l))
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
                _ => a
                    .as_f64()
                    .zip(b.as_f64())
                    .and_then(|(x, y)| x.partial_cmp(&y)),
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

#[cfg(test)]
mod tests {
    use crate::filter::fixtures::{ENTERPRISE_URN, TEST_URN, group, user};
    use crate::filter::{AttrPath, CompareOp, Filter, parse};
    use serde_json::{Value, json};

    fn doc() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_URN],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "Ext-42",
            "userName": "Barbara.Jensen@Example.com",
            "displayName": "Babs Jensen",
            "active": true,
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "roles": [],
            "meta": {
                "created": "2024-01-10T08:00:00Z",
                "lastModified": "2024-03-01T12:30:00+02:00"
            },
            ENTERPRISE_URN: {"employeeNumber": "701984", "department": "Tour Operations",
                             "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}},
            TEST_URN: {"loginCount": 12, "score": 2.5, "code": "AbC"}
        })
    }

    fn m(filter: &str) -> bool {
        let f = parse(filter)
            .and_then(|f| f.resolve(&user()))
            .unwrap_or_else(|e| panic!("{filter}: {e:?}"));
        f.matches(&doc(), &user())
    }

    #[test]
    fn strings_respect_case_exact() {
        assert!(m(r#"userName eq "barbara.jensen@example.com""#));
        assert!(m(r#"USERNAME EQ "BARBARA.JENSEN@EXAMPLE.COM""#));
        assert!(m(r#"externalId eq "Ext-42""#));
        assert!(!m(r#"externalId eq "ext-42""#));
        assert!(m(r#"displayName co "bs je""#));
        assert!(m(r#"displayName sw "BABS""#));
        assert!(m(r#"displayName ew "JENSEN""#));
        assert!(!m(r#"displayName ew "Babs""#));
        assert!(m(&format!("{TEST_URN}:code sw \"Ab\"")));
        assert!(!m(&format!("{TEST_URN}:code sw \"ab\"")));
    }

    #[test]
    fn unicode_case_folding() {
        let rt = user();
        let d = json!({"displayName": "ÉCOLE Straße"});
        let f = parse(r#"displayName eq "école straße""#)
            .unwrap()
            .resolve(&rt)
            .unwrap();
        assert!(f.matches(&d, &rt));
    }

    #[test]
    fn keyed_attributes_fold_and_others_lower_case_as_the_stores_do() {
        let rt = user();
        let d = json!({"userName": "STRASSE@x", "displayName": "İSTANBUL", "nickName": "STRASSE"});
        let matches = |filter: &str| {
            parse(filter)
                .unwrap()
                .resolve(&rt)
                .unwrap()
                .matches(&d, &rt)
        };
        assert!(matches(r#"userName eq "straße@x""#));
        assert!(matches(r#"displayName eq "istanbul""#));
        // Not a key column: compared lower-cased, like SQL's lower() (issue 15 folds them all).
        assert!(matches(r#"nickName eq "strasse""#));
        assert!(!matches(r#"nickName eq "straße""#));
    }

    #[test]
    fn string_ordering_is_bytewise_on_folded_strings() {
        assert!(m(r#"userName gt "BARBARA""#));
        assert!(m(r#"userName lt "c""#));
        assert!(m(r#"userName ge "barbara.jensen@example.com""#));
        assert!(m(r#"userName le "barbara.jensen@example.com""#));
        assert!(!m(r#"userName gt "barbara.jensen@example.com""#));
        // caseExact: 'E' (0x45) < 'e' (0x65)
        assert!(m(r#"externalId lt "ext""#));
    }

    #[test]
    fn multi_valued_any_element() {
        assert!(m(r#"emails.value eq "babs@jensen.org""#));
        assert!(m(r#"emails eq "BJENSEN@example.com""#));
        assert!(m(r#"emails.type eq "home""#));
        assert!(m(r#"emails co "jensen""#));
        assert!(!m(r#"emails.value eq "nobody@example.com""#));
    }

    #[test]
    fn ne_is_not_eq() {
        // some element is "home", so "ne home" is false even though another is "work"
        assert!(!m(r#"emails.type ne "home""#));
        assert!(m(r#"emails.type ne "mobile""#));
        assert!(m(r#"nickName ne "x""#));
        assert!(m(r#"roles.value ne "admin""#));
        assert!(!m(r#"userName ne "BARBARA.jensen@example.com""#));
        // mismatched JSON type: eq false, ne true
        assert!(m(&format!("{TEST_URN}:code ne \"12\"")));
        let rt = user();
        let d = json!({"userName": 5});
        let f = parse(r#"userName eq "5""#).unwrap().resolve(&rt).unwrap();
        assert!(!f.matches(&d, &rt));
        let f = parse(r#"userName ne "5""#).unwrap().resolve(&rt).unwrap();
        assert!(f.matches(&d, &rt));
    }

    #[test]
    fn missing_attributes() {
        for op in ["eq", "co", "sw", "ew", "gt", "ge", "lt", "le"] {
            assert!(!m(&format!("nickName {op} \"x\"")), "{op}");
            assert!(!m(&format!("roles.value {op} \"x\"")), "{op}");
        }
        assert!(m(r#"nickName ne "x""#));
        assert!(!m("nickName pr"));
        assert!(!m("roles pr"));
    }

    #[test]
    fn present_rules() {
        let rt = user();
        let cases = [
            (json!({"nickName": "x"}), true),
            (json!({"nickName": ""}), false),
            (json!({"nickName": null}), false),
            (json!({}), false),
        ];
        for (d, want) in cases {
            let f = parse("nickName pr").unwrap().resolve(&rt).unwrap();
            assert_eq!(f.matches(&d, &rt), want, "{d}");
            let f = parse("nickName eq null").unwrap().resolve(&rt).unwrap();
            assert_eq!(f.matches(&d, &rt), !want, "{d}");
            let f = parse("nickName ne null").unwrap().resolve(&rt).unwrap();
            assert_eq!(f.matches(&d, &rt), want, "{d}");
        }
        for (d, want) in [
            (json!({"emails": []}), false),
            (json!({"emails": [{}]}), false),
            (json!({"emails": [{"value": "a"}]}), true),
            (json!({"name": {}}), false),
            (json!({"name": {"givenName": "x"}}), true),
        ] {
            let f = parse("emails pr or name pr").unwrap().resolve(&rt).unwrap();
            assert_eq!(f.matches(&d, &rt), want, "{d}");
        }
        assert!(m("emails.primary pr"));
        assert!(m(&format!("{ENTERPRISE_URN}:manager pr")));
        // "" is an ordinary value for comparisons
        let d = json!({"nickName": ""});
        let f = parse(r#"nickName eq """#).unwrap().resolve(&rt).unwrap();
        assert!(f.matches(&d, &rt));
    }

    #[test]
    fn booleans() {
        assert!(m("active eq true"));
        assert!(m(r#"active eq "True""#));
        assert!(!m("active eq false"));
        assert!(m("active ne false"));
        assert!(m(r#"emails[primary eq true and type eq "work"]"#));
        assert!(!m(r#"emails[primary eq true and type eq "home"]"#));
    }

    #[test]
    fn date_times_compare_as_instants() {
        // 12:30+02:00 is 10:30Z
        assert!(m(r#"meta.lastModified eq "2024-03-01T10:30:00Z""#));
        assert!(m(r#"meta.lastModified gt "2024-03-01T10:29:59.999Z""#));
        assert!(!m(r#"meta.lastModified gt "2024-03-01T11:00:00Z""#));
        assert!(m(
            r#"meta.created lt "2024-01-10T08:00:01Z" and meta.created ge "2024-01-10T08:00:00Z""#
        ));
        let rt = user();
        let d = json!({"meta": {"created": "04-12-2018 00:00:00"}});
        for (f, want) in [
            (r#"meta.created eq "2018-04-12T00:00:00Z""#, false),
            (r#"meta.created lt "2099-01-01T00:00:00Z""#, false),
            (r#"meta.created gt "1970-01-01T00:00:00Z""#, false),
            (r#"meta.created ne "2018-04-12T00:00:00Z""#, true),
        ] {
            let f = parse(f).unwrap().resolve(&rt).unwrap();
            assert_eq!(f.matches(&d, &rt), want);
        }
    }

    #[test]
    fn numbers_compare_numerically() {
        assert!(m(&format!("{TEST_URN}:loginCount gt 9")));
        assert!(m(&format!("{TEST_URN}:loginCount eq 12.0")));
        assert!(m(&format!("{TEST_URN}:loginCount le 12")));
        assert!(!m(&format!("{TEST_URN}:loginCount lt 12")));
        assert!(m(&format!(
            "{TEST_URN}:score gt 2.25 and {TEST_URN}:score lt 3"
        )));
    }

    #[test]
    fn extension_attributes() {
        assert!(m(&format!("{ENTERPRISE_URN}:employeeNumber eq \"701984\"")));
        assert!(m(r#"department sw "tour""#));
        assert!(m(&format!(
            "{ENTERPRISE_URN}:manager eq \"26118915-6090-4610-87e4-49d8ca9f808d\""
        )));
        assert!(!m(&format!("{TEST_URN}:badge pr")));
    }

    #[test]
    fn logic_and_precedence() {
        assert!(m(
            r#"userName eq "nope" or active eq true and displayName pr"#
        ));
        assert!(!m(
            r#"(userName eq "nope" or active eq true) and nickName pr"#
        ));
        assert!(m(r#"not (nickName pr)"#));
        assert!(!m(r#"not (userName pr) or not (active eq true)"#));
        assert!(m(r#"not (not (active eq true))"#));
    }

    #[test]
    fn value_paths() {
        assert!(m(r#"emails[type eq "work" and value co "example"]"#));
        // the two conditions must hold on the SAME element
        assert!(!m(r#"emails[type eq "home" and value co "example"]"#));
        assert!(m(r#"emails[type eq "home" or value co "nothing"]"#));
        assert!(m(r#"emails[not (type eq "work")]"#));
        assert!(m(r#"emails[type ne "work"]"#));
        assert!(!m(r#"roles[value pr]"#));
        // Entra's form
        assert!(m(
            r#"emails[type eq "work"].value eq "BJensen@example.com""#
        ));
        assert!(!m(
            r#"emails[type eq "home"].value eq "bjensen@example.com""#
        ));
        assert!(m(r#"emails[type eq "home"].value pr"#));
        // a singular complex attribute is one element
        assert!(m(r#"name[givenName eq "barbara" and familyName pr]"#));
        assert!(!m(r#"not (emails[type eq "work"])"#));
    }

    #[test]
    fn group_members() {
        let rt = group();
        let d = json!({"displayName": "Admins", "members": [{"value": "u1"}, {"value": "U2"}]});
        let t = |s: &str| parse(s).unwrap().resolve(&rt).unwrap().matches(&d, &rt);
        assert!(t(r#"members[value eq "u1"]"#));
        assert!(t(r#"members eq "u2""#));
        assert!(t(r#"displayName eq "admins""#));
        assert!(!t(r#"members.value eq "u3""#));
    }

    #[test]
    fn unresolved_paths_compare_by_json_type() {
        let rt = user();
        let f = Filter::Compare {
            path: AttrPath::new("custom", None),
            op: CompareOp::Eq,
            value: json!("X"),
        };
        assert!(f.matches(&json!({"custom": "X"}), &rt));
        assert!(!f.matches(&json!({"custom": "x"}), &rt));
    }
}
