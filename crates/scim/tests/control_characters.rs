//! Item 3 of issue 10: NUL and control characters are refused once, in the protocol layer,
//! so both backends store the same thing (PostgreSQL cannot store NUL at all). NUL is refused
//! in every value, attribute name, PATCH path and filter literal; other controls in every
//! value, except tab and line breaks in free text.

use scim::ScimError;
use scim::definitions::{ENTERPRISE_USER_SCHEMA, group_resource_type, user_resource_type};
use scim::filter;
use scim::normalize::normalize;
use scim::patch::{PATCH_OP_URN, PatchRequest, apply};
use scim::schema::{Mutability, ResourceType};
use serde_json::{Value, json};

fn user() -> ResourceType {
    user_resource_type(Mutability::Immutable, vec!["user"])
}

fn refused(body: Value) -> String {
    match normalize(&body, &user()) {
        Err(ScimError::InvalidValue(d)) => d,
        other => panic!("expected invalidValue for {body}, got {other:?}"),
    }
}

fn patched(ops: Value) -> Result<Value, ScimError> {
    let rt = user();
    let req = PatchRequest::parse(&json!({"schemas": [PATCH_OP_URN], "Operations": ops}), &rt)?;
    let mut doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u-1", "userName": "a"});
    apply(&mut doc, &req, &rt, &[])?;
    normalize(&doc, &rt)
}

#[test]
fn nul_in_any_value_of_a_document_is_refused_naming_the_attribute() {
    let d = refused(json!({"userName": "bjensen\u{0}"}));
    assert_eq!(
        d,
        "'userName' contains the NUL character (U+0000) at character 8; remove it (only tab, line feed and carriage return are allowed)"
    );
    let d = refused(json!({"userName": "a", "emails": [{"value": "a@x"}, {"value": "b\u{0}@x"}]}));
    assert!(
        d.starts_with("'emails[1].value' contains the NUL character"),
        "{d}"
    );
    let d = refused(json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {"department": "\u{0}"}}));
    assert!(
        d.starts_with(&format!("'{ENTERPRISE_USER_SCHEMA}.department' contains")),
        "{d}"
    );
    // even where the value would have been dropped
    let d = refused(json!({"userName": "a", "password": "x\u{0}"}));
    assert!(d.starts_with("'password' contains the NUL"), "{d}");
}

#[test]
fn nul_in_an_attribute_name_is_refused() {
    let d = refused(json!({"userName": "a", "name": {"given\u{0}Name": "x"}}));
    assert!(
        d.starts_with("the attribute name \"given\\0Name\" in 'name' contains the NUL character"),
        "{d}"
    );
}

#[test]
fn control_characters_are_refused_but_free_text_keeps_line_breaks() {
    let d = refused(json!({"userName": "a", "displayName": "Babs\u{7}"}));
    assert_eq!(
        d,
        "attribute 'displayName' contains the control character U+0007 at character 5; remove it (only tab, line feed and carriage return are allowed)"
    );
    for c in ['\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
        let d = refused(json!({"userName": "a", "title": format!("x{c}")}));
        assert!(d.contains(&format!("U+{:04X}", c as u32)), "{d}");
    }
    // free text keeps tab, LF and CR
    let doc = match normalize(
        &json!({"userName": "a", "addresses": [{"formatted": "1 Main St\r\nSpringfield\tUSA"}]}),
        &user(),
    ) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        doc["addresses"][0]["formatted"],
        "1 Main St\r\nSpringfield\tUSA"
    );
    // identifiers are one line
    let d = refused(json!({"userName": "a\nb"}));
    assert!(
        d.starts_with("attribute 'userName' contains a line feed (U+000A) at character 2"),
        "{d}"
    );
    assert!(d.contains("single line"), "{d}");
    let d = refused(json!({"userName": "a", "externalId": "x\ty"}));
    assert!(
        d.starts_with("attribute 'externalId' contains a tab"),
        "{d}"
    );
    let d = refused(json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": "m\n1"}}));
    assert!(
        d.starts_with("attribute 'manager.value' contains a line feed"),
        "{d}"
    );
    match normalize(
        &json!({"displayName": "G", "members": [{"value": "u\r1"}]}),
        &group_resource_type(),
    ) {
        Err(ScimError::InvalidValue(d)) => assert!(
            d.starts_with("attribute 'members.value' contains a carriage return"),
            "{d}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn patch_refuses_nul_in_paths_and_values_naming_the_operation() {
    let e = patched(json!([
        {"op": "replace", "path": "displayName", "value": "ok"},
        {"op": "replace", "path": "display\u{0}Name", "value": "x"}
    ]))
    .unwrap_err();
    assert_eq!(
        e,
        ScimError::InvalidPath(
            "Operations[1]: \"path\" contains the NUL character (U+0000) at character 8; remove it (only tab, line feed and carriage return are allowed)".into()
        )
    );
    let e = patched(
        json!([{"op": "add", "path": "emails[type eq \"work\u{0}\"].value", "value": "x"}]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ScimError::InvalidPath(d) if d.starts_with("Operations[0]: \"path\" contains the NUL")),
        "{e:?}"
    );
    let e = patched(
        json!([{"op": "add", "path": "emails", "value": [{"value": "a@x"}, {"value": "\u{0}"}]}]),
    )
    .unwrap_err();
    assert_eq!(
        e,
        ScimError::InvalidValue(
            "Operations[0]: \"value\": 'emails[1].value' contains the NUL character (U+0000) at character 1; remove it (only tab, line feed and carriage return are allowed)".into()
        )
    );
    let e = patched(json!([{"op": "replace", "value": {"name": {"givenName": "B\u{0}"}}}]))
        .unwrap_err();
    assert!(
        matches!(&e, ScimError::InvalidValue(d) if d.starts_with("Operations[0]: \"value\": 'name.givenName' contains the NUL")),
        "{e:?}"
    );
    let e = patched(json!([{"op": "replace", "value": {"nick\u{0}Name": "B"}}])).unwrap_err();
    assert!(
        matches!(&e, ScimError::InvalidValue(d) if d.starts_with("Operations[0]: \"value\": the attribute name \"nick\\0Name\" contains the NUL")),
        "{e:?}"
    );
}

#[test]
fn whitespace_in_a_patch_path_is_still_whitespace() {
    let doc = match patched(
        json!([{"op": "add", "path": "emails[type\teq\r\n\"work\"].value", "value": "w@x"}]),
    ) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(doc["emails"], json!([{"type": "work", "value": "w@x"}]));
    let e = patched(
        json!([{"op": "add", "path": "emails[type eq \"work\u{7}\"].value", "value": "w@x"}]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ScimError::InvalidPath(d) if d.contains("control character U+0007")),
        "{e:?}"
    );
}

#[test]
fn patch_refuses_control_characters_in_values_and_keeps_line_breaks() {
    let e =
        patched(json!([{"op": "replace", "path": "title", "value": "x\u{1b}[31m"}])).unwrap_err();
    assert!(
        matches!(&e, ScimError::InvalidValue(d) if d.starts_with("Operations[0]: \"value\": 'title' contains the control character U+001B")),
        "{e:?}"
    );
    let doc = match patched(
        json!([{"op": "add", "path": "addresses", "value": [{"formatted": "a\nb"}]}]),
    ) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(doc["addresses"][0]["formatted"], "a\nb");
    // a line break where it cannot belong, with the operation named
    let e = patched(json!([{"op": "replace", "path": "externalId", "value": "a\nb"}])).unwrap_err();
    assert!(
        matches!(&e, ScimError::InvalidValue(d) if d.starts_with("Operations[0] (replace): attribute 'externalId' contains a line feed")),
        "{e:?}"
    );
    let e = patched(json!([{"op": "add", "value": {"userName": "a\tb"}}])).unwrap_err();
    assert!(
        matches!(&e, ScimError::InvalidValue(d) if d.starts_with("Operations[0] (add): attribute 'userName' contains a tab")),
        "{e:?}"
    );
}

#[test]
fn filters_refuse_nul_raw_or_escaped() {
    for f in [
        "userName eq \"a\u{0}\"",
        "userName eq \"a\\u0000\"",
        "userName eq a\u{0}b",
        "user\u{0}Name eq \"a\"",
    ] {
        match filter::parse(f) {
            Err(ScimError::InvalidFilter(d)) => {
                assert!(d.contains("NUL character (U+0000"), "{f:?}: {d}")
            }
            other => panic!("{f:?}: expected invalidFilter, got {other:?}"),
        }
    }
    // other control characters can be searched for (they match nothing stored)
    assert!(filter::parse("title co \"\\t\"").is_ok());
}
