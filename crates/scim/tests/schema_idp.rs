//! IdP-shaped bodies (see /work/shared/reference/idp-traffic.md) through normalize → stored
//! document → project, and the discovery documents agreeing with what normalize accepts.

use scim::ScimError;
use scim::definitions::{
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, group_resource_type, user_resource_type,
};
use scim::discovery::schema_json;
use scim::list::{SearchRequest, list_response};
use scim::normalize::normalize;
use scim::project::{parse_attribute_list, project};
use scim::schema::{Mutability, ResourceType};
use serde_json::{Value, json};

fn user() -> ResourceType {
    user_resource_type(
        Mutability::Immutable,
        vec![
            "user",
            "guest_collaborator",
            "enterprise_owner",
            "billing_manager",
        ],
    )
}

fn ok<T>(r: Result<T, ScimError>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// What the server does after normalize: add the server-owned attributes.
fn stored(mut doc: Value, id: &str, resource_type: &str) -> Value {
    if let Some(o) = doc.as_object_mut() {
        o.insert("id".into(), json!(id));
        o.insert(
            "meta".into(),
            json!({"resourceType": resource_type, "created": "2024-05-01T12:00:00Z",
                   "lastModified": "2024-05-01T12:00:00Z", "version": "W/\"1\""}),
        );
    }
    doc
}

#[test]
fn entra_create_user() {
    let body = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA,
                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"],
        "externalId": "8f1c",
        "userName": "Isa.Ruiz@contoso.com",
        "active": "True",
        "displayName": "Isa Ruiz",
        "emails": [{"primary": true, "type": "work", "value": "Isa.Ruiz@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Isa Ruiz", "familyName": "Ruiz", "givenName": "Isa"},
        "roles": [],
        ENTERPRISE_USER_SCHEMA: {"employeeNumber": "701984", "department": "R&D",
                                 "manager": "26118915-6090-4610-87e4-49d8ca9f808d"}
    });
    let doc = ok(normalize(&body, &user()));
    assert_eq!(doc["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
    assert_eq!(doc["active"], true);
    assert!(doc.get("meta").is_none());
    assert!(doc.get("roles").is_none());
    assert_eq!(
        doc[ENTERPRISE_USER_SCHEMA]["manager"],
        json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d"})
    );

    // Entra's later lookup: filter by userName with excluded nothing, then GET.
    let shown = project(&stored(doc, "u1", "User"), &user(), &[], &[]);
    assert_eq!(shown["id"], "u1");
    assert_eq!(shown["userName"], "Isa.Ruiz@contoso.com");
    assert_eq!(shown["meta"]["resourceType"], "User");
    assert_eq!(
        shown["schemas"],
        json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA])
    );
}

#[test]
fn okta_put_round_trips_to_the_same_document() {
    let created = ok(normalize(
        &json!({
            "schemas": [USER_SCHEMA],
            "userName": "isa@example.com",
            "name": {"givenName": "Isa", "familyName": "Ruiz"},
            "emails": [{"primary": true, "value": "isa@example.com", "type": "work"}],
            "displayName": "Isa Ruiz",
            "locale": "en-US",
            "externalId": "00u1",
            "groups": [],
            "password": "pw",
            "active": true
        }),
        &user(),
    ));
    // Okta GETs, modifies, PUTs the whole thing back with id, meta (non-ISO dates), groups, password.
    let mut echoed = project(&stored(created.clone(), "u1", "User"), &user(), &[], &[]);
    if let Some(o) = echoed.as_object_mut() {
        o.insert("meta".into(), json!({"created": "04-12-2018 00:00:00"}));
        o.insert("groups".into(), json!([{"value": "g1"}]));
        o.insert("password".into(), json!("pw"));
    }
    let again = ok(normalize(&echoed, &user()));
    assert_eq!(again, created);
}

#[test]
fn okta_group_with_members_and_entra_excluded_members() {
    let g = ok(normalize(
        &json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Engineering",
            "members": [{"value": "u1", "display": "isa@example.com"},
                        {"value": "u2", "$ref": "https://example.com/Users/u2"}]
        }),
        &group_resource_type(),
    ));
    assert_eq!(g["members"], json!([{"value": "u1"}, {"value": "u2"}]));
    let stored = stored(g, "g1", "Group");
    let excluded = parse_attribute_list("members");
    let shown = project(&stored, &group_resource_type(), &[], &excluded);
    assert!(shown.get("members").is_none());
    assert_eq!(shown["displayName"], "Engineering");
    let page = list_response(vec![shown], 1, 1);
    assert_eq!(page["itemsPerPage"], 1);
}

#[test]
fn okta_paging_query() {
    let pairs: Vec<(String, String)> = [("startIndex", "101"), ("count", "100")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let r = ok(SearchRequest::from_query(&pairs));
    assert_eq!((r.start_index, r.count), (101, Some(100)));
}

#[test]
fn every_writable_attribute_in_schemas_is_accepted_by_normalize() {
    // A value of the advertised type for each attribute /Schemas says is writable must survive.
    fn sample(attr: &Value) -> Value {
        match attr["type"].as_str() {
            Some("boolean") => json!(true),
            Some("integer") => json!(1),
            Some("decimal") => json!(1.5),
            Some("dateTime") => json!("2024-05-01T12:00:00Z"),
            Some("complex") => {
                let mut m = serde_json::Map::new();
                for sub in attr["subAttributes"].as_array().into_iter().flatten() {
                    if let Some(n) = sub["name"].as_str() {
                        m.insert(n.into(), sample(sub));
                    }
                }
                Value::Object(m)
            }
            _ => json!("x"),
        }
    }
    let rt = user();
    for schema in std::iter::once(&rt.core).chain(rt.extensions.iter()) {
        let doc = schema_json(schema, "https://h/scim/v2");
        for attr in doc["attributes"].as_array().into_iter().flatten() {
            let name = attr["name"].as_str().unwrap_or_default();
            let writable = !matches!(attr["mutability"].as_str(), Some("readOnly" | "writeOnly"));
            let mut body = json!({"userName": "a"});
            let key = if schema.id == USER_SCHEMA {
                name.to_string()
            } else {
                format!("{}:{name}", schema.id)
            };
            body[key.as_str()] = sample(attr);
            let out = ok(normalize(&body, &rt));
            let holder = if schema.id == USER_SCHEMA {
                &out
            } else {
                &out[schema.id]
            };
            assert_eq!(holder.get(name).is_some(), writable, "{name}");
        }
    }
}
