//! Inputs the fuzz targets (fuzz/) found that broke an invariant, kept as regression tests.

use scim::filter::{self, Filter};
use serde_json::Value;

fn literal(f: &str) -> Value {
    match filter::parse(f) {
        Ok(Filter::Compare { value, .. }) => value,
        other => panic!("{f:?}: {other:?}"),
    }
}

#[test]
fn a_number_parses_to_the_same_float_however_it_is_spelled() {
    // Without correctly rounded parsing the first gave 3.33e68 and the second, its printed
    // form, 3.3299999999999996e68.
    let long = literal("userName eq 333000000000000006830523030426004138e33");
    let short = literal("userName eq 3.33e+68");
    assert_eq!(long, short);
    assert_eq!(literal(&format!("userName eq {short}")), short);
}

mod patch_then_normalize {
    //! The patch target's invariant: a PATCH that apply accepts yields a document normalize
    //! accepts. Each of these was accepted by apply and refused afterwards.

    use scim::ScimError;
    use scim::definitions::user_resource_type;
    use scim::normalize::normalize;
    use scim::patch::{PATCH_OP_URN, PatchRequest, apply};
    use scim::schema::{Mutability, ResourceType};
    use serde_json::{Value, json};

    fn user() -> ResourceType {
        user_resource_type(Mutability::ReadWrite, vec![])
    }

    fn stored() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u-1",
            "userName": "bjensen@example.com",
            "displayName": "Babs",
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@home.example", "type": "home"}
            ]
        })
    }

    /// Apply must refuse what normalize would, so the refusal names the operation.
    fn refused_by_apply(ops: Value) -> ScimError {
        let rt = user();
        let req = match PatchRequest::parse(
            &json!({"schemas": [PATCH_OP_URN], "Operations": ops}),
            &rt,
        ) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        let mut doc = stored();
        match apply(&mut doc, &req, &rt, &[]) {
            Err(e) => {
                assert_eq!(doc, stored());
                e
            }
            Ok(_) => panic!(
                "apply accepted it; normalize says {:?}",
                normalize(&doc, &rt)
            ),
        }
    }

    #[test]
    fn an_empty_required_value_is_a_removal() {
        let e = refused_by_apply(json!([{"op": "replace", "path": "userName", "value": ""}]));
        assert!(
            matches!(&e, ScimError::InvalidValue(d) if d.contains("userName is required")),
            "{e:?}"
        );
    }

    #[test]
    fn every_element_primary_is_refused() {
        let e =
            refused_by_apply(json!([{"op": "replace", "path": "emails.primary", "value": true}]));
        assert!(
            matches!(&e, ScimError::InvalidValue(d) if d.contains("all 2 elements of 'emails' primary")),
            "{e:?}"
        );
    }

    #[test]
    fn a_line_break_in_an_identifier_is_refused() {
        let e = refused_by_apply(json!([{"op": "replace", "path": "externalId", "value": "a\nb"}]));
        assert!(
            matches!(&e, ScimError::InvalidValue(d) if d.contains("'externalId' contains a line feed")),
            "{e:?}"
        );
    }
}

mod value_path_creation {
    //! Found by the patch target: a value path that matches nothing creates the element from
    //! the filter's literals, and a literal may spell a control character as a JSON escape
    //! (`"\b"`) that the path text itself does not show.

    use scim::ScimError;
    use scim::definitions::user_resource_type;
    use scim::patch::{PATCH_OP_URN, PatchRequest, apply};
    use scim::schema::Mutability;
    use serde_json::json;

    #[test]
    fn an_escaped_control_character_in_a_created_element_is_refused() {
        let rt = user_resource_type(Mutability::Immutable, vec![]);
        let body = json!({"schemas": [PATCH_OP_URN], "Operations": [
            {"op": "Add", "path": "phoneNumbers[type eq \"\\bile\"].value", "value": "+1 555 0101"}
        ]});
        let req = match PatchRequest::parse(&body, &rt) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        let mut doc = json!({"id": "u-1", "userName": "a"});
        let e = apply(&mut doc, &req, &rt, &[]).unwrap_err();
        assert!(
            matches!(&e, ScimError::InvalidValue(d) if d.starts_with("Operations[0] (add): attribute 'phoneNumbers.type' contains the control character U+0008")),
            "{e:?}"
        );
        assert_eq!(doc, json!({"id": "u-1", "userName": "a"}));
    }
}
