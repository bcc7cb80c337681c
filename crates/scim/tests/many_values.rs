//! Item 1 of issue 10: large multi-valued PATCHes cost linear work, and every operation is
//! bounded by the limits in `scim::limits`, named in the `tooMany` error.
//!
//! The 100,000-member test is the regression check for the quadratic de-duplication
//! (`Vec::contains` per element: 5·10⁹ comparisons, minutes in a debug build); linear, it
//! runs in a fraction of a second.

use scim::ScimError;
use scim::definitions::{group_resource_type, user_resource_type};
use scim::limits::{MAX_MEMBERS_PER_OPERATION, MAX_VALUES_PER_ATTRIBUTE};
use scim::normalize::normalize;
use scim::patch::{ExternalChange, PATCH_OP_URN, PatchRequest, apply};
use scim::schema::{Mutability, ResourceType};
use serde_json::{Value, json};

fn user() -> ResourceType {
    user_resource_type(Mutability::Immutable, vec!["user"])
}

fn user_doc() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u-1",
        "userName": "bjensen@example.com",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}]
    })
}

fn group_doc() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g-1", "displayName": "Eng"})
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP_URN], "Operations": ops})
}

fn patch_user(doc: &Value, ops: Value) -> Result<Value, ScimError> {
    let rt = user();
    let req = PatchRequest::parse(&patch(ops), &rt)?;
    let mut d = doc.clone();
    apply(&mut d, &req, &rt, &[])?;
    // What the directory does next: the patched document must still be a valid one.
    normalize(&d, &rt)
}

fn patch_group(ops: Value) -> Result<Vec<ExternalChange>, ScimError> {
    let rt = group_resource_type();
    let req = PatchRequest::parse(&patch(ops), &rt)?;
    let mut d = group_doc();
    apply(&mut d, &req, &rt, &["members"])
}

/// One operation; built by hand, as `json!` would copy a large value through its serializer.
fn op(kind: &str, path: &str, value: Value) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("op".into(), Value::from(kind));
    o.insert("path".into(), Value::from(path));
    o.insert("value".into(), value);
    Value::Object(o)
}

fn members(ids: impl Iterator<Item = usize>) -> Value {
    Value::Array(
        ids.map(|i| json!({"value": format!("user-{i}"), "display": format!("User {i}")}))
            .collect(),
    )
}

#[test]
fn a_100000_member_add_de_duplicates_in_linear_time() {
    // 100,000 members of which 25,000 repeat an earlier one (in another shape).
    let distinct = 75_000;
    let mut value = members(0..distinct);
    if let Value::Array(a) = &mut value {
        a.extend(
            (0..MAX_MEMBERS_PER_OPERATION - distinct)
                .map(|i| json!({"value": format!("user-{}", i * 3)})),
        );
        assert_eq!(a.len(), MAX_MEMBERS_PER_OPERATION);
    }
    let changes = match patch_group(Value::Array(vec![op("add", "members", value)])) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let [ExternalChange::Add { values, .. }] = changes.as_slice() else {
        panic!("one add expected, got {changes:?}");
    };
    assert_eq!(values.len(), distinct);
    assert_eq!(values[0], json!({"value": "user-0"}));
    assert_eq!(
        values[distinct - 1],
        json!({"value": format!("user-{}", distinct - 1)})
    );
}

#[test]
fn members_past_the_bound_are_refused_naming_the_operation_and_the_limit() {
    // The count is checked before anything else, so one member repeated is enough.
    let over = Value::Array(vec![json!({"value": "u"}); MAX_MEMBERS_PER_OPERATION + 1]);
    let e = patch_group(Value::Array(vec![
        op("replace", "displayName", json!("Ops")),
        op("add", "members", over),
    ]))
    .unwrap_err();
    assert_eq!(
        e,
        ScimError::TooMany(
            "Operations[1] (add): 100,001 values for 'members'; at most 100,000 values per operation: split them into several operations or requests".into()
        )
    );
    let e = normalize(
        &json!({"displayName": "Eng", "members": vec![json!({"value": "u"}); MAX_MEMBERS_PER_OPERATION + 1]}),
        &group_resource_type(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ScimError::TooMany(d) if d.contains("100,001") && d.contains("at most 100,000 members per request")),
        "{e:?}"
    );
}

fn emails(range: std::ops::Range<usize>, primary: bool) -> Value {
    Value::Array(
        range
            .map(|i| json!({"value": format!("u{i}@example.com"), "type": "other", "primary": primary}))
            .collect(),
    )
}

#[test]
fn forty_thousand_emails_are_refused_before_any_work() {
    let e = patch_user(
        &user_doc(),
        json!([{"op": "add", "path": "emails", "value": emails(0..40_000, false)}]),
    )
    .unwrap_err();
    assert_eq!(
        e,
        ScimError::TooMany(
            "Operations[0] (add): 40,000 values for 'emails'; at most 1,000 values per operation: split them into several operations or requests".into()
        )
    );
    // The same through a no-path add and a remove by value list.
    let e = patch_user(
        &user_doc(),
        json!([{"op": "add", "value": {"emails": emails(0..40_000, false)}}]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ScimError::TooMany(d) if d.contains("40,000 values for 'emails'")),
        "{e:?}"
    );
    let e = patch_user(
        &user_doc(),
        json!([{"op": "remove", "path": "emails", "value": emails(0..1_001, false)}]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ScimError::TooMany(d) if d.contains("1,001 values for 'emails'")),
        "{e:?}"
    );
}

#[test]
fn a_stored_attribute_holds_at_most_the_bound() {
    // Two adds within the per-operation bound: together over what the attribute may hold.
    let half = MAX_VALUES_PER_ATTRIBUTE / 2 + 1;
    let e = patch_user(
        &user_doc(),
        json!([
            {"op": "add", "path": "emails", "value": emails(0..half, false)},
            {"op": "add", "path": "emails", "value": emails(half..2 * half, false)}
        ]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ScimError::TooMany(d) if d.starts_with("Operations[1] (add): 'emails' would hold 1,003 values") && d.contains("at most 1,000")),
        "{e:?}"
    );
    let e = normalize(
        &json!({"userName": "a", "phoneNumbers": (0..1_001).map(|i| json!({"value": i.to_string()})).collect::<Vec<_>>()}),
        &user(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ScimError::TooMany(d) if d.contains("'phoneNumbers' has 1,001 values")),
        "{e:?}"
    );
}

#[test]
fn adding_primaries_keeps_the_last_one_and_skips_duplicates() {
    // 999 new emails, each primary, plus a repeat of the stored one: the last new one is the
    // only primary, and the repeat (which matched the stored element as it stood) is skipped.
    let mut value = emails(0..998, true);
    if let Value::Array(a) = &mut value {
        a.push(json!({"value": "bjensen@example.com", "type": "work", "primary": true}));
    }
    let d = match patch_user(
        &user_doc(),
        json!([{"op": "add", "path": "emails", "value": value}]),
    ) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let all = d["emails"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        all.len(),
        1_000,
        "the stored one, 998 new, and the repeat once it no longer matches"
    );
    let primaries: Vec<usize> = (0..all.len())
        .filter(|&i| all[i]["primary"] == true)
        .collect();
    assert_eq!(primaries, vec![999]);
    assert_eq!(all[0]["primary"], false);
    assert_eq!(all[998]["value"], "u997@example.com");
}

#[test]
fn removing_by_value_list_ignores_case_where_the_attribute_does() {
    let d = match patch_user(
        &user_doc(),
        json!([
            {"op": "add", "path": "emails", "value": emails(0..900, false)},
            {"op": "remove", "path": "emails", "value": (0..900).step_by(2).map(|i| json!({"value": format!("U{i}@EXAMPLE.COM")})).collect::<Vec<_>>()}
        ]),
    ) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let left = d["emails"].as_array().map_or(0, Vec::len);
    assert_eq!(left, 1 + 450);
    assert_eq!(d["emails"][1]["value"], "u1@example.com");
}
