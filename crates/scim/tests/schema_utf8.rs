//! Keys with multi-byte characters near a schema URN's length must not panic anywhere a
//! request's attribute names are matched against URNs.

use scim::definitions::{USER_SCHEMA, user_resource_type};
use scim::normalize::normalize;
use scim::project::project;
use scim::schema::Mutability;
use serde_json::{Value, json};

fn tricky_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for cut in 0..USER_SCHEMA.len() + 2 {
        let prefix: String = USER_SCHEMA.chars().take(cut).collect();
        keys.push(format!("{prefix}é"));
        keys.push(format!("{prefix}éé:userName"));
        keys.push(format!("{prefix}😀"));
    }
    keys.push("é".into());
    keys.push("éé".into());
    keys
}

#[test]
fn multibyte_keys_do_not_panic() {
    let rt = user_resource_type(Mutability::Immutable, vec![]);
    for key in tricky_keys() {
        let mut body = serde_json::Map::new();
        body.insert("userName".into(), json!("a"));
        body.insert(key.clone(), json!("x"));
        let doc = normalize(&Value::Object(body), &rt);
        assert!(doc.is_ok(), "{key}");
        let _ = project(
            &json!({"id": "1", "userName": "a"}),
            &rt,
            std::slice::from_ref(&key),
            std::slice::from_ref(&key),
        );
    }
}
