//! Turning a client's body into the stored document (RFC 7643 §2, RFC 7644 §3.3, §3.5.1).
//!
//! IdPs send more than a resource: server-owned attributes echoed back (`id`, `meta`, `groups`),
//! passwords, other vendors' schema URNs, attribute names in any case, booleans as strings.
//! `normalize` keeps what the client may set, under its canonical name, checked against the
//! schema's types, and drops the rest silently; it refuses only what cannot be stored truthfully.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::controls;
use crate::definitions::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA};
use crate::error::ScimError;
use crate::limits::{MAX_MEMBERS_PER_OPERATION, MAX_VALUES_PER_ATTRIBUTE, thousands};
use crate::schema::{AttrType, Attribute, Mutability, ResourceType, Returned, Schema};

/// Normalize a POST or PUT body (or a document after PATCH) into the stored document: an object
/// with `schemas` (the core URN plus each extension present), core attributes at top level and
/// extension attributes under their URN, every name in its canonical case.
pub fn normalize(input: &Value, rt: &ResourceType) -> Result<Value, ScimError> {
    let Value::Object(body) = input else {
        return Err(ScimError::InvalidSyntax(format!(
            "The request body must be a JSON object representing a {}, got {}.",
            rt.name,
            kind(input)
        )));
    };
    if let Some(refusal) = controls::nul_refusal(input, "") {
        return Err(ScimError::InvalidValue(refusal));
    }

    let schemas: Vec<&Schema> = std::iter::once(&rt.core)
        .chain(rt.extensions.iter())
        .collect();
    // Raw values per schema (same index as `schemas`), keyed by canonical attribute name.
    let mut raw: Vec<Map<String, Value>> = vec![Map::new(); schemas.len()];

    for (key, value) in body {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let (urn, rest) = rt.split_urn(key);
        match urn {
            Some(urn) => {
                let Some(idx) = schemas.iter().position(|s| s.id == urn) else {
                    continue;
                };
                if rest.is_empty() {
                    match value {
                        Value::Null => {}
                        Value::Object(ext) => {
                            for (k, v) in ext {
                                place(&mut raw[idx], schemas[idx], k, v);
                            }
                        }
                        other => {
                            return Err(ScimError::InvalidValue(format!(
                                "'{urn}' must be a JSON object holding that schema's attributes, \
                                 got {}.",
                                kind(other)
                            )));
                        }
                    }
                } else {
                    place(&mut raw[idx], schemas[idx], rest, value);
                }
            }
            // An unknown URN key (another vendor's extension) is not ours to store.
            None if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) => {}
            None => place(&mut raw[0], schemas[0], key, value),
        }
    }

    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(Vec::new()));
    let mut present = vec![Value::String(rt.core.id.into())];
    for (idx, schema) in schemas.iter().enumerate() {
        let mut obj = Map::new();
        for attr in &schema.attributes {
            if let Some(v) = raw[idx].get(attr.name)
                && let Some(nv) = normalize_attribute(schema, attr, v)?
            {
                obj.insert(attr.name.into(), nv);
            }
        }
        let is_extension = idx > 0;
        if !is_extension || !obj.is_empty() {
            for attr in &schema.attributes {
                if attr.required
                    && attr.mutability != Mutability::ReadOnly
                    && !obj.contains_key(attr.name)
                {
                    return Err(ScimError::InvalidValue(format!(
                        "{} is required: every {} needs a non-empty {} ({}).",
                        attr.name,
                        rt.name,
                        attr.name,
                        expected(attr)
                    )));
                }
            }
        }
        if is_extension {
            if !obj.is_empty() {
                present.push(Value::String(schema.id.into()));
                out.insert(schema.id.into(), Value::Object(obj));
            }
        } else {
            out.extend(obj);
        }
    }
    out.insert("schemas".into(), Value::Array(present));
    Ok(Value::Object(out))
}

/// Put `value` under the canonical name of `key` (`attr` or `attr.sub`) in `raw`, if the schema
/// knows it; a dotted key merges into the complex attribute's object.
fn place(raw: &mut Map<String, Value>, schema: &Schema, key: &str, value: &Value) {
    let (attr_name, sub_name) = match key.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (key, None),
    };
    let Some(attr) = schema.attribute(attr_name) else {
        return;
    };
    match sub_name {
        None => {
            raw.insert(attr.name.into(), value.clone());
        }
        Some(sub_name) => {
            let Some(sub) = attr.sub(sub_name) else {
                return;
            };
            if attr.multi_valued {
                // `emails.value` names a sub-attribute of every element: not something a
                // resource body can set.
                return;
            }
            let entry = raw
                .entry(attr.name)
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(m) = entry {
                m.insert(sub.name.into(), value.clone());
            }
        }
    }
}

/// Whether clients may set this attribute at all; everything else is dropped silently.
fn settable(attr: &Attribute) -> bool {
    !matches!(
        attr.mutability,
        Mutability::ReadOnly | Mutability::WriteOnly
    ) && attr.returned != Returned::Never
}

fn is_manager(schema: &Schema, attr: &Attribute) -> bool {
    schema.id == ENTERPRISE_USER_SCHEMA && attr.name == "manager"
}

fn is_group_members(schema: &Schema, attr: &Attribute) -> bool {
    schema.id == GROUP_SCHEMA && attr.name == "members"
}

/// The normalized value of one top-level attribute, or `None` when it is unassigned (null,
/// empty) or not the client's to set.
fn normalize_attribute(
    schema: &Schema,
    attr: &Attribute,
    value: &Value,
) -> Result<Option<Value>, ScimError> {
    if !settable(attr) || value.is_null() {
        return Ok(None);
    }
    if is_manager(schema, attr) {
        return normalize_manager(schema, attr, value);
    }
    if !attr.multi_valued {
        return normalize_single(schema, attr, value, attr.name, false);
    }
    let elements: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    check_count(schema, attr, elements.len())?;
    let mut out = Vec::with_capacity(elements.len());
    for element in elements {
        if let Some(v) = normalize_single(schema, attr, element, attr.name, true)? {
            out.push(v);
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    let primaries = out
        .iter()
        .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
        .count();
    if primaries > 1 {
        return Err(ScimError::InvalidValue(format!(
            "attribute '{}' has {primaries} values with \"primary\": true; at most one value \
             may be primary.",
            attr.name
        )));
    }
    Ok(Some(Value::Array(out)))
}

/// Refuse more values than a multi-valued attribute may hold (see [`crate::limits`]).
fn check_count(schema: &Schema, attr: &Attribute, count: usize) -> Result<(), ScimError> {
    if is_group_members(schema, attr) {
        if count > MAX_MEMBERS_PER_OPERATION {
            return Err(ScimError::TooMany(format!(
                "'{}' has {} values; a group can be created or replaced with at most {} members per request: send the rest with PATCH \"add\"",
                attr.name,
                thousands(count),
                thousands(MAX_MEMBERS_PER_OPERATION)
            )));
        }
    } else if count > MAX_VALUES_PER_ATTRIBUTE {
        return Err(ScimError::TooMany(format!(
            "'{}' has {} values; a multi-valued attribute may hold at most {} values",
            attr.name,
            thousands(count),
            thousands(MAX_VALUES_PER_ATTRIBUTE)
        )));
    }
    Ok(())
}

/// Entra sends the manager as a bare id, an object with `value`, or a list of those; removal is
/// `{"value": ""}` or `""`. Stored as `{"value": id}` (plus `$ref` if given) or absent.
fn normalize_manager(
    schema: &Schema,
    attr: &Attribute,
    value: &Value,
) -> Result<Option<Value>, ScimError> {
    match value {
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => {
            controls::check_text(attr, "manager.value", s)?;
            let mut m = Map::new();
            m.insert("value".into(), Value::String(s.clone()));
            Ok(Some(Value::Object(m)))
        }
        Value::Array(items) => match items.first() {
            None => Ok(None),
            Some(Value::Array(_)) => Err(type_error(attr.name, &expected(attr), value)),
            Some(first) => normalize_manager(schema, attr, first),
        },
        other => normalize_single(schema, attr, other, attr.name, false),
    }
}

/// One value of `attr` (an element, when `attr` is multi-valued).
fn normalize_single(
    schema: &Schema,
    attr: &Attribute,
    value: &Value,
    path: &str,
    element: bool,
) -> Result<Option<Value>, ScimError> {
    if attr.ty != AttrType::Complex {
        return normalize_scalar(attr, value, path);
    }
    let Value::Object(input) = value else {
        if value.is_null() {
            return Ok(None);
        }
        let what = if element {
            format!("each value of '{path}' must be {}", expected_one(attr))
        } else {
            format!("attribute '{path}' must be {}", expected_one(attr))
        };
        return Err(ScimError::InvalidValue(format!(
            "{what}, got {}.",
            kind(value)
        )));
    };
    let members = is_group_members(schema, attr);
    let mut out = Map::new();
    for sub in &attr.sub_attributes {
        if !settable(sub) || (members && sub.name != "value") {
            continue;
        }
        // Last one wins when a client sends the same name in two cases.
        let Some(v) = input
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(sub.name))
            .map(|(_, v)| v)
        else {
            continue;
        };
        let sub_path = format!("{path}.{}", sub.name);
        let normalized = if sub.multi_valued {
            let items: Vec<&Value> = match v {
                Value::Array(items) => items.iter().collect(),
                single => vec![single],
            };
            check_count(schema, sub, items.len())?;
            let mut vals = Vec::new();
            for item in items {
                if let Some(n) = normalize_scalar(sub, item, &sub_path)? {
                    vals.push(n);
                }
            }
            (!vals.is_empty()).then_some(Value::Array(vals))
        } else {
            normalize_scalar(sub, v, &sub_path)?
        };
        if let Some(n) = normalized {
            out.insert(sub.name.into(), n);
        }
    }
    if members && !out.contains_key("value") {
        return Err(ScimError::InvalidValue(format!(
            "each value of '{path}' needs a non-empty \"value\" holding the id of a User or \
             Group; got {}.",
            Value::Object(input.clone())
        )));
    }
    if out.is_empty() {
        return Ok(None);
    }
    Ok(Some(Value::Object(out)))
}

/// A simple (non-complex) value, type-checked; empty strings are unassigned (RFC 7643 §2.5).
fn normalize_scalar(
    attr: &Attribute,
    value: &Value,
    path: &str,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    if let Value::String(s) = value
        && s.is_empty()
    {
        return Ok(None);
    }
    let ok = match (attr.ty, value) {
        (AttrType::String | AttrType::Reference | AttrType::Binary, Value::String(s)) => {
            controls::check_text(attr, path, s)?;
            Some(value.clone())
        }
        (AttrType::Boolean, Value::Bool(_)) => Some(value.clone()),
        // Entra ID without aadOptscim062020 sends "True" / "False".
        (AttrType::Boolean, Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => {
            Some(Value::Bool(true))
        }
        (AttrType::Boolean, Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => {
            Some(Value::Bool(false))
        }
        (AttrType::Decimal, Value::Number(_)) => Some(value.clone()),
        (AttrType::Integer, Value::Number(n)) => {
            if n.is_i64() || n.is_u64() {
                Some(value.clone())
            } else {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| Value::from(f as i64))
            }
        }
        (AttrType::DateTime, Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .map(|_| value.clone()),
        (AttrType::Complex, Value::Object(_)) => Some(value.clone()),
        _ => None,
    };
    match ok {
        Some(v) => Ok(Some(v)),
        None => Err(type_error(path, &expected_one(attr), value)),
    }
}

fn type_error(path: &str, expected: &str, got: &Value) -> ScimError {
    let got = match got {
        Value::String(s) => format!("the string \"{s}\""),
        other => kind(other).to_string(),
    };
    ScimError::InvalidValue(format!("attribute '{path}' must be {expected}, got {got}."))
}

/// What one value of `attr` must look like, in words.
fn expected_one(attr: &Attribute) -> String {
    match attr.ty {
        AttrType::String => "a string".into(),
        AttrType::Boolean => "a boolean (true or false)".into(),
        AttrType::Decimal => "a number".into(),
        AttrType::Integer => "an integer".into(),
        AttrType::DateTime => {
            "an RFC 3339 date-time string such as \"2024-05-01T12:00:00Z\"".into()
        }
        AttrType::Reference => "a string holding a URI".into(),
        AttrType::Binary => "a base64-encoded string".into(),
        AttrType::Complex => {
            let subs: Vec<&str> = attr.sub_attributes.iter().map(|s| s.name).collect();
            format!("a JSON object with sub-attributes {}", subs.join(", "))
        }
    }
}

/// What `attr` as a whole must look like, in words.
fn expected(attr: &Attribute) -> String {
    if attr.multi_valued {
        format!("an array whose values are each {}", expected_one(attr))
    } else {
        expected_one(attr)
    }
}

/// `a number`, `an object`… for error details.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::{USER_SCHEMA, group_resource_type, user_resource_type};
    use serde_json::json;

    fn user() -> ResourceType {
        user_resource_type(Mutability::Immutable, vec!["user"])
    }

    fn norm(v: Value) -> Value {
        match normalize(&v, &user()) {
            Ok(d) => d,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    fn err(v: Value) -> ScimError {
        match normalize(&v, &user()) {
            Ok(d) => panic!("expected an error, got {d}"),
            Err(e) => e,
        }
    }

    fn group_err(v: Value) -> ScimError {
        match normalize(&v, &group_resource_type()) {
            Ok(d) => panic!("expected an error, got {d}"),
            Err(e) => e,
        }
    }

    #[test]
    fn okta_create_is_canonicalized_and_server_fields_dropped() {
        let doc = norm(json!({
            "schemas": [USER_SCHEMA],
            "userName": "isa@example.com",
            "name": {"givenName": "Isa", "familyName": "Ruiz"},
            "emails": [{"primary": true, "value": "isa@example.com", "type": "work"}],
            "displayName": "Isa Ruiz",
            "locale": "en-US",
            "externalId": "00u1",
            "groups": [],
            "password": "hunter2",
            "active": true
        }));
        assert_eq!(
            doc,
            json!({
                "schemas": [USER_SCHEMA],
                "externalId": "00u1",
                "userName": "isa@example.com",
                "name": {"familyName": "Ruiz", "givenName": "Isa"},
                "displayName": "Isa Ruiz",
                "locale": "en-US",
                "active": true,
                "emails": [{"value": "isa@example.com", "type": "work", "primary": true}]
            })
        );
    }

    #[test]
    fn names_are_case_insensitive_and_canonical_in_output() {
        let doc = norm(json!({
            "USERNAME": "a",
            "Emails": [{"Value": "a@x", "TYPE": "work"}],
            "NAME": {"GIVENNAME": "A"},
            "Active": false
        }));
        assert_eq!(doc["userName"], "a");
        assert_eq!(doc["emails"], json!([{"value": "a@x", "type": "work"}]));
        assert_eq!(doc["name"], json!({"givenName": "A"}));
        assert_eq!(doc["active"], false);
        assert!(doc.get("USERNAME").is_none());
    }

    #[test]
    fn okta_put_echoing_id_meta_groups_password_keeps_only_settable() {
        let doc = norm(json!({
            "id": "123",
            "meta": {"created": "04-12-2018 00:00:00", "resourceType": "User"},
            "groups": [{"value": "g1", "display": "Eng"}],
            "password": "x",
            "userName": "a",
            "unknownThing": 5,
            "schemas": [USER_SCHEMA, "urn:example:other"]
        }));
        assert_eq!(doc, json!({"schemas": [USER_SCHEMA], "userName": "a"}));
    }

    #[test]
    fn nulls_empty_strings_and_empty_arrays_are_unassigned() {
        let doc = norm(json!({
            "userName": "a",
            "displayName": "",
            "title": null,
            "roles": [],
            "emails": [{"value": "", "type": null}],
            "name": {"givenName": ""}
        }));
        assert_eq!(doc, json!({"schemas": [USER_SCHEMA], "userName": "a"}));
    }

    #[test]
    fn extension_object_and_urn_qualified_keys_fold_together() {
        let doc = norm(json!({
            "userName": "a",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "Department": "R&D",
                "bogus": 1
            },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:manager.value": "m1"
        }));
        assert_eq!(
            doc,
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
                "userName": "a",
                ENTERPRISE_USER_SCHEMA: {
                    "employeeNumber": "42",
                    "department": "R&D",
                    "manager": {"value": "m1"}
                }
            })
        );
    }

    #[test]
    fn empty_extension_and_unknown_urns_are_dropped() {
        let doc = norm(json!({
            "userName": "a",
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            ENTERPRISE_USER_SCHEMA: {"department": ""},
            "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User": {"x": 1},
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User": {}
        }));
        assert_eq!(doc, json!({"schemas": [USER_SCHEMA], "userName": "a"}));
    }

    #[test]
    fn core_urn_qualified_keys_are_core_attributes() {
        let doc = norm(json!({
            "urn:ietf:params:scim:schemas:core:2.0:User:userName": "a",
            "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName": "G"
        }));
        assert_eq!(doc["userName"], "a");
        assert_eq!(doc["name"], json!({"givenName": "G"}));
    }

    #[test]
    fn string_attribute_given_a_number() {
        let e = err(json!({"userName": "a", "displayName": 5}));
        assert_eq!(
            e,
            ScimError::InvalidValue(
                "attribute 'displayName' must be a string, got a number.".into()
            )
        );
    }

    #[test]
    fn sub_attribute_type_error_names_the_path() {
        let e = err(json!({"userName": "a", "emails": [{"value": true}]}));
        assert_eq!(
            e.detail(),
            "attribute 'emails.value' must be a string, got a boolean."
        );
        let e = err(json!({"userName": "a", "name": {"givenName": ["x"]}}));
        assert_eq!(
            e.detail(),
            "attribute 'name.givenName' must be a string, got an array."
        );
    }

    #[test]
    fn user_name_of_wrong_type() {
        let e = err(json!({"userName": 12}));
        assert_eq!(
            e.detail(),
            "attribute 'userName' must be a string, got a number."
        );
    }

    #[test]
    fn entra_string_booleans() {
        for (given, want) in [
            ("True", true),
            ("False", false),
            ("TRUE", true),
            ("false", false),
        ] {
            let doc = norm(json!({"userName": "a", "active": given}));
            assert_eq!(doc["active"], want, "{given}");
        }
        let doc = norm(json!({"userName": "a", "emails": [{"value": "a@x", "primary": "True"}]}));
        assert_eq!(doc["emails"][0]["primary"], true);
    }

    #[test]
    fn boolean_errors() {
        let e = err(json!({"userName": "a", "active": "yes"}));
        assert_eq!(
            e.detail(),
            "attribute 'active' must be a boolean (true or false), got the string \"yes\"."
        );
        let e = err(json!({"userName": "a", "active": 1}));
        assert_eq!(
            e.detail(),
            "attribute 'active' must be a boolean (true or false), got a number."
        );
    }

    #[test]
    fn reference_and_binary_errors() {
        let e = err(json!({"userName": "a", "profileUrl": 3}));
        assert_eq!(
            e.detail(),
            "attribute 'profileUrl' must be a string holding a URI, got a number."
        );
        let e = err(json!({"userName": "a", "x509Certificates": [{"value": {}}]}));
        assert_eq!(
            e.detail(),
            "attribute 'x509Certificates.value' must be a base64-encoded string, got an object."
        );
    }

    #[test]
    fn complex_must_be_object() {
        let e = err(json!({"userName": "a", "name": "Isa Ruiz"}));
        assert!(
            e.detail().starts_with(
                "attribute 'name' must be a JSON object with sub-attributes formatted, familyName"
            ),
            "{}",
            e.detail()
        );
        assert!(e.detail().ends_with("got a string."));
        let e = err(json!({"userName": "a", "emails": ["a@x"]}));
        assert!(
            e.detail()
                .starts_with("each value of 'emails' must be a JSON object"),
            "{}",
            e.detail()
        );
    }

    #[test]
    fn single_value_for_multi_valued_is_one_element_array() {
        let doc = norm(json!({"userName": "a", "emails": {"value": "a@x"}}));
        assert_eq!(doc["emails"], json!([{"value": "a@x"}]));
    }

    #[test]
    fn required_user_name() {
        for body in [
            json!({}),
            json!({"userName": ""}),
            json!({"userName": null}),
            json!({"displayName": "x"}),
        ] {
            let e = err(body);
            assert!(matches!(e, ScimError::InvalidValue(_)));
            assert!(
                e.detail().starts_with("userName is required"),
                "{}",
                e.detail()
            );
        }
    }

    #[test]
    fn required_group_display_name() {
        let e = group_err(json!({"members": []}));
        assert!(e.detail().starts_with("displayName is required"));
        assert!(e.detail().contains("Group"));
    }

    #[test]
    fn more_than_one_primary() {
        let e = err(json!({"userName": "a", "emails": [
            {"value": "a@x", "primary": true},
            {"value": "b@x", "primary": "True"}
        ]}));
        assert!(matches!(e, ScimError::InvalidValue(_)));
        assert!(e.detail().contains("'emails'"));
        assert!(e.detail().contains("at most one"));
        // One primary and one not is fine.
        norm(json!({"userName": "a", "emails": [
            {"value": "a@x", "primary": true},
            {"value": "b@x", "primary": false}
        ]}));
    }

    #[test]
    fn non_object_body_is_invalid_syntax() {
        for body in [json!([]), json!("x"), json!(null), json!(1)] {
            assert!(matches!(
                normalize(&body, &user()),
                Err(ScimError::InvalidSyntax(_))
            ));
        }
    }

    #[test]
    fn non_object_extension_is_invalid_value() {
        let e = err(json!({"userName": "a", ENTERPRISE_USER_SCHEMA: "x"}));
        assert!(matches!(e, ScimError::InvalidValue(_)));
        assert!(e.detail().contains(ENTERPRISE_USER_SCHEMA));
    }

    fn manager_of(m: Value) -> Value {
        let doc = norm(json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": m}}));
        doc.get(ENTERPRISE_USER_SCHEMA)
            .and_then(|e| e.get("manager"))
            .cloned()
            .unwrap_or(Value::Null)
    }

    #[test]
    fn manager_forms() {
        assert_eq!(manager_of(json!("m1")), json!({"value": "m1"}));
        assert_eq!(manager_of(json!({"value": "m1"})), json!({"value": "m1"}));
        assert_eq!(
            manager_of(json!({"Value": "m1", "displayName": "Boss", "$ref": "../Users/m1"})),
            json!({"value": "m1", "$ref": "../Users/m1"})
        );
        assert_eq!(manager_of(json!(["m1", "m2"])), json!({"value": "m1"}));
        assert_eq!(manager_of(json!([{"value": "m2"}])), json!({"value": "m2"}));
        assert_eq!(manager_of(json!({"value": ""})), Value::Null);
        assert_eq!(manager_of(json!("")), Value::Null);
        assert_eq!(manager_of(json!([])), Value::Null);
        assert_eq!(manager_of(json!(null)), Value::Null);
        // Manager as the only extension attribute and removed: the extension disappears.
        let doc =
            norm(json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": {"value": ""}}}));
        assert_eq!(doc, json!({"schemas": [USER_SCHEMA], "userName": "a"}));
        let e = err(json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": 7}}));
        assert!(
            e.detail()
                .starts_with("attribute 'manager' must be a JSON object")
        );
    }

    #[test]
    fn canonical_values_are_not_enforced() {
        let doc = norm(json!({"userName": "a", "roles": [{"value": "astronaut"}],
            "emails": [{"value": "a@x", "type": "carrier-pigeon"}]}));
        assert_eq!(doc["roles"], json!([{"value": "astronaut"}]));
        assert_eq!(doc["emails"][0]["type"], "carrier-pigeon");
    }

    #[test]
    fn group_members_keep_only_value() {
        let doc = match normalize(
            &json!({
                "schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "DisplayName": "Eng",
                "id": "g1",
                "meta": {"resourceType": "Group"},
                "members": [
                    {"value": "u1", "display": "Isa", "$ref": "https://x/Users/u1", "type": "User"},
                    {"VALUE": "u2"}
                ]
            }),
            &group_resource_type(),
        ) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            doc,
            json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Eng",
                "members": [{"value": "u1"}, {"value": "u2"}]
            })
        );
    }

    #[test]
    fn group_member_without_value_is_refused() {
        let e = group_err(json!({"displayName": "Eng", "members": [{"display": "Isa"}]}));
        assert!(matches!(e, ScimError::InvalidValue(_)));
        assert!(e.detail().contains("'members'"));
        let e = group_err(json!({"displayName": "Eng", "members": [{"value": 5}]}));
        assert_eq!(
            e.detail(),
            "attribute 'members.value' must be a string, got a number."
        );
    }

    #[test]
    fn date_time_checks() {
        // No writable dateTime attribute exists in the RFC schemas, so check the scalar rule.
        let a = Attribute {
            name: "hired",
            ty: AttrType::DateTime,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: crate::schema::Uniqueness::None,
            canonical_values: vec![],
            reference_types: vec![],
            description: "",
            sub_attributes: vec![],
        };
        assert_eq!(
            normalize_scalar(&a, &json!("2024-05-01T12:00:00Z"), "hired"),
            Ok(Some(json!("2024-05-01T12:00:00Z")))
        );
        assert_eq!(
            normalize_scalar(&a, &json!("2024-05-01T12:00:00.123+02:00"), "hired"),
            Ok(Some(json!("2024-05-01T12:00:00.123+02:00")))
        );
        let e = normalize_scalar(&a, &json!("04-12-2018 00:00:00"), "hired");
        assert_eq!(
            e,
            Err(ScimError::InvalidValue(
                "attribute 'hired' must be an RFC 3339 date-time string such as \
                 \"2024-05-01T12:00:00Z\", got the string \"04-12-2018 00:00:00\"."
                    .into()
            ))
        );
        let int = Attribute {
            ty: AttrType::Integer,
            ..a.clone()
        };
        assert_eq!(normalize_scalar(&int, &json!(3), "n"), Ok(Some(json!(3))));
        assert_eq!(normalize_scalar(&int, &json!(3.0), "n"), Ok(Some(json!(3))));
        assert_eq!(
            normalize_scalar(&int, &json!(3.5), "n").map_err(|e| e.detail().to_string()),
            Err("attribute 'n' must be an integer, got a number.".into())
        );
        assert_eq!(
            normalize_scalar(&int, &json!("3"), "n").map_err(|e| e.detail().to_string()),
            Err("attribute 'n' must be an integer, got the string \"3\".".into())
        );
        let dec = Attribute {
            ty: AttrType::Decimal,
            ..a
        };
        assert_eq!(
            normalize_scalar(&dec, &json!(2.5), "d"),
            Ok(Some(json!(2.5)))
        );
        assert!(normalize_scalar(&dec, &json!(true), "d").is_err());
    }

    #[test]
    fn normalize_is_idempotent() {
        let once = norm(json!({
            "userName": "a",
            "emails": {"value": "a@x", "primary": "true"},
            ENTERPRISE_USER_SCHEMA: {"manager": "m"}
        }));
        assert_eq!(norm(once.clone()), once);
    }
}
