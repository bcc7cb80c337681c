//! What the fuzz targets share: the resource types, stored documents to run against, a filter
//! printer (to check that what parses prints and parses back the same), and the invariants
//! that hold of every stored document.

use scim::definitions::{group_resource_type, user_resource_type};
use scim::filter::{AttrPath, Filter};
use scim::schema::{Mutability, ResourceType};
use serde_json::{Value, json};

/// The user type as github-emu serves it (immutable userName, GitHub's roles), as the scim
/// profile serves it, and the group type.
pub fn resource_types() -> [ResourceType; 3] {
    [
        user_resource_type(
            Mutability::Immutable,
            vec!["user", "guest_collaborator", "enterprise_owner", "billing_manager"],
        ),
        user_resource_type(Mutability::ReadWrite, vec![]),
        group_resource_type(),
    ]
}

pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A stored user as Entra and Okta leave one.
pub fn user_doc() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
        "id": "8b47b1b4-8c37-4d0f-9e0e-3a9d6e7b3c4a",
        "externalId": "00u1abcd",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Barbara Jensen"},
        "displayName": "Babs Jensen",
        "title": "Engineer",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@home.example", "type": "home"}
        ],
        "phoneNumbers": [{"value": "+1 425 555 0100", "type": "work"}],
        "addresses": [{"type": "work", "formatted": "1 Main St\nRedmond", "country": "US"}],
        "roles": [{"value": "user", "primary": true}],
        ENTERPRISE_USER: {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": "m-1"}},
        "meta": {"resourceType": "User", "created": "2024-01-10T08:00:00Z", "lastModified": "2024-01-10T08:00:00Z", "version": "W/\"1\""}
    })
}

/// A stored group (members are rows, never in the document).
pub fn group_doc() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Engineering",
        "externalId": "8aa1a0c0",
        "meta": {"resourceType": "Group", "created": "2024-01-10T08:00:00Z"}
    })
}

/// The stored document for `rt` (users for both user types).
pub fn doc_for(rt: &ResourceType) -> Value {
    if rt.name == "Group" {
        group_doc()
    } else {
        user_doc()
    }
}

/// The filter as text that [`scim::filter::parse`] reads back as the same filter. Parentheses
/// only where precedence needs them (`and` binds tighter than `or`, both associate left).
pub fn print_filter(f: &Filter) -> String {
    match f {
        Filter::Compare { path, op, value } => format!("{} {op} {}", path_text(path), literal(value)),
        Filter::Present(path) => format!("{} pr", path_text(path)),
        Filter::And(a, b) => format!("{} and {}", operand(a, Prec::And, false), operand(b, Prec::And, true)),
        Filter::Or(a, b) => format!("{} or {}", operand(a, Prec::Or, false), operand(b, Prec::Or, true)),
        Filter::Not(a) => format!("not ({})", print_filter(a)),
        Filter::ValuePath { path, filter } => format!("{}[{}]", path_text(path), print_filter(filter)),
    }
}

#[derive(PartialEq, PartialOrd)]
enum Prec {
    Or,
    And,
}

fn operand(f: &Filter, parent: Prec, right: bool) -> String {
    let own = match f {
        Filter::Or(..) => Some(Prec::Or),
        Filter::And(..) => Some(Prec::And),
        _ => None,
    };
    let text = print_filter(f);
    match own {
        // Lower precedence, or the same on the right (a or (b or c)), needs parentheses.
        Some(p) if p < parent || (p == parent && right) => format!("({text})"),
        _ => text,
    }
}

fn path_text(p: &AttrPath) -> String {
    p.to_string()
}

fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// The first string or key in `v` with a character no stored value may carry: NUL anywhere,
/// other C0 controls but tab and line breaks, DEL and C1 controls.
pub fn forbidden_text(v: &Value) -> Option<String> {
    let bad = |s: &str| {
        s.chars().any(|c| {
            matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        })
    };
    match v {
        Value::String(s) if bad(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(forbidden_text),
        Value::Object(o) => o.iter().find_map(|(k, x)| {
            if k.contains('\0') {
                Some(k.clone())
            } else {
                forbidden_text(x)
            }
        }),
        _ => None,
    }
}

/// Is `part` made only of what `whole` has: the same scalars, objects with a subset of the
/// keys (each a part of the other's), arrays whose elements are parts of `whole`'s elements,
/// in order?
pub fn is_part_of(part: &Value, whole: &Value) -> bool {
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => {
            p.iter().all(|(k, v)| w.get(k).is_some_and(|x| is_part_of(v, x)))
        }
        (Value::Array(p), Value::Array(w)) => {
            let mut rest = w.iter();
            p.iter().all(|e| rest.any(|x| is_part_of(e, x)))
        }
        _ => part == whole,
    }
}

/// The counts the limits bound: no multi-valued attribute of a stored document over its bound.
pub fn longest_array(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.len().max(a.iter().map(longest_array).max().unwrap_or(0)),
        Value::Object(o) => o.values().map(longest_array).max().unwrap_or(0),
        _ => 0,
    }
}
