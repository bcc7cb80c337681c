//! Microsoft Entra ID's and PingOne's dialects, from their real request shapes.

use serde_json::{Value, json};

use crate::support::{ENTERPRISE_USER, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA, spawn_app};

/// What Entra's provisioning service POSTs for a new user.
fn entra_user(user_name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER],
        "externalId": "4ce1bd56-a9a0-4b4f-8a0b-0a4a7c1e1d11",
        "userName": user_name,
        "active": true,
        "addresses": [{ "primary": true, "type": "work", "country": "US", "locality": "Redmond" }],
        "displayName": "Barbara Jensen",
        "emails": [{ "primary": true, "type": "work", "value": user_name }],
        "meta": { "resourceType": "User" },
        "name": { "formatted": "Barbara Jensen", "familyName": "Jensen", "givenName": "Barbara" },
        "phoneNumbers": [{ "primary": true, "type": "work", "value": "+1 425 555 0100" }],
        "roles": [],
        "title": "Engineer",
        ENTERPRISE_USER: { "employeeNumber": "701984", "department": "Tour Operations" }
    })
}

#[tokio::test]
async fn test_connection_filter_on_a_random_guid_is_an_empty_list() {
    let app = spawn_app().await;
    let r = app
        .scim
        .get("/Users?filter=id%20eq%20%228b47b1b4-8c37-4d0f-9e0e-3a9d6e7b3c4a%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
    let r = app
        .scim
        .get("/Users?filter=userName+eq+%2239dd5d4b-7b7d-4d6f-9d6a-0e46f8c1a0c5%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
}

#[tokio::test]
async fn entra_create_with_meta_roles_and_extra_schema_urns() {
    let app = spawn_app().await;
    let created = app
        .scim
        .post("/Users", &entra_user("bjensen@contoso.com"))
        .await
        .expect(201)
        .body;
    assert_eq!(created[ENTERPRISE_USER]["employeeNumber"], "701984");
    let group = json!({
        "schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "Group1DisplayName",
        "meta": { "resourceType": "Group" }
    });
    let g = app.scim.post("/Groups", &group).await.expect(201).body;
    assert_eq!(
        g["schemas"],
        json!([GROUP_SCHEMA]),
        "unknown URNs are accepted and not echoed"
    );
    // Entra's lookups: eq on externalId, on a work email, and groups by displayName without members.
    let by_ext = app
        .scim
        .get("/Users?filter=externalId%20eq%20%224ce1bd56-a9a0-4b4f-8a0b-0a4a7c1e1d11%22")
        .await
        .expect(200);
    assert_eq!(by_ext.body["totalResults"], 1);
    let by_email = app
        .scim
        .get("/Users?filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22BJENSEN@contoso.com%22")
        .await
        .expect(200);
    assert_eq!(
        by_email.body["totalResults"], 1,
        "emails.value is case-insensitive"
    );
    let groups = app
        .scim
        .get("/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Group1DisplayName%22")
        .await
        .expect(200);
    assert_eq!(groups.body["totalResults"], 1);
    assert!(groups.body["Resources"][0].get("members").is_none());
}

#[tokio::test]
async fn entra_without_the_flag_capitalised_ops_string_booleans_one_replace_per_attribute() {
    let app = spawn_app().await;
    let u = app
        .scim
        .post("/Users", &entra_user("ryan@contoso.com"))
        .await
        .expect(201)
        .body;
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    let r = app
        .scim
        .patch(
            &path,
            &json!({ "schemas": [PATCH_OP], "Operations": [
                { "op": "Replace", "path": "active", "value": "False" },
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], false);
    app.scim.patch(&path, &json!({ "schemas": [PATCH_OP], "Operations": [
        { "op": "Replace", "path": "displayName", "value": "Ryan Leenay" },
        { "op": "Replace", "path": "name.givenName", "value": "Ryan" },
        { "op": "Add", "path": "roles", "value": [{ "value": "enterprise_owner", "primary": "True" }] },
    ]})).await.expect(200);
    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(got["displayName"], "Ryan Leenay");
    assert_eq!(got["name"]["givenName"], "Ryan");
    assert_eq!(
        got["roles"],
        json!([{ "value": "enterprise_owner", "primary": true }])
    );
    assert_eq!(got["active"], false);
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "Replace", "path": "active", "value": "True" }]),
        )
        .await
        .expect(200);
    assert_eq!(app.scim.get(&path).await.body["active"], true);
}

#[tokio::test]
async fn entra_with_the_flag_flattened_and_urn_qualified_keys() {
    let app = spawn_app().await;
    let u = app
        .scim
        .post("/Users", &entra_user("flat@contoso.com"))
        .await
        .expect(201)
        .body;
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "value": {
                "name.givenName": "Flat",
                "name.familyName": "Keys",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
                "active": false
            }}]),
        )
        .await
        .expect(200);
    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(got["name"]["givenName"], "Flat");
    assert_eq!(got["name"]["familyName"], "Keys");
    assert_eq!(
        got["name"]["formatted"], "Barbara Jensen",
        "other sub-attributes are kept"
    );
    assert_eq!(got[ENTERPRISE_USER]["employeeNumber"], "42");
    assert_eq!(got[ENTERPRISE_USER]["department"], "Tour Operations");
    assert_eq!(got["active"], false);
}

#[tokio::test]
async fn value_paths_that_match_nothing_create_the_element() {
    let app = spawn_app().await;
    let mut body = entra_user("vp@contoso.com");
    body.as_object_mut().unwrap().remove("phoneNumbers");
    let u = app.scim.post("/Users", &body).await.expect(201).body;
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    app.scim
        .patch_ops(&path, json!([
            { "op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0101" },
            { "op": "Replace", "path": "emails[type eq \"home\"].value", "value": "home@example.com" },
        ]))
        .await
        .expect(200);
    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(
        got["phoneNumbers"],
        json!([{ "type": "mobile", "value": "+1 555 0101" }])
    );
    let emails = got["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    assert!(emails.contains(&json!({ "type": "home", "value": "home@example.com" })));
    // Replacing the existing work email's value touches only that element.
    app.scim
        .patch_ops(&path, json!([{ "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com" }]))
        .await
        .expect(200);
    let got = app.scim.get(&path).await.expect(200).body;
    let work: Vec<&Value> = got["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "work")
        .collect();
    assert_eq!(work.len(), 1);
    assert_eq!(work[0]["value"], "new@contoso.com");
    assert_eq!(work[0]["primary"], true);
}

#[tokio::test]
async fn manager_as_bare_id_object_or_list_and_removal_with_an_empty_value() {
    let app = spawn_app().await;
    let boss = app
        .scim
        .post("/Users", &entra_user("boss@contoso.com"))
        .await
        .expect(201)
        .body;
    let boss_id = boss["id"].as_str().unwrap();
    let u = app
        .scim
        .post("/Users", &entra_user("worker@contoso.com"))
        .await
        .expect(201)
        .body;
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    let manager_path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
    for value in [
        json!(boss_id),
        json!({ "value": boss_id }),
        json!([{ "value": boss_id }]),
    ] {
        app.scim
            .patch_ops(
                &path,
                json!([{ "op": "Replace", "path": manager_path, "value": value }]),
            )
            .await
            .expect(200);
        let got = app.scim.get(&path).await.expect(200).body;
        assert_eq!(
            got[ENTERPRISE_USER]["manager"]["value"], boss_id,
            "from {value}"
        );
        assert_eq!(
            got[ENTERPRISE_USER]["manager"]["$ref"],
            app.scim.url(&format!("/Users/{boss_id}")),
            "Entra reads an object with value; $ref points at the manager"
        );
        assert!(
            got[ENTERPRISE_USER]["manager"].get("displayName").is_none(),
            "displayName is returned on request only"
        );
    }
    // Asked for, the manager's displayName comes from the manager's own record.
    let asked = app
        .scim
        .get(&format!(
            "{path}?attributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName"
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(
        asked[ENTERPRISE_USER]["manager"]["displayName"],
        "Barbara Jensen"
    );
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "Replace", "path": manager_path, "value": { "value": "" } }]),
        )
        .await
        .expect(200);
    let got = app.scim.get(&path).await.expect(200).body;
    assert!(got[ENTERPRISE_USER].get("manager").is_none(), "{got}");
}

#[tokio::test]
async fn member_removal_with_a_value_list_removes_only_those() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            app.scim.create_user(&format!("m{i}@contoso.com")).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let g = app
        .scim
        .create_group(
            "Entra Group",
            &ids.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await;
    let gpath = format!("/Groups/{}", g["id"].as_str().unwrap());
    app.scim
        .patch_ops(&gpath, json!([{ "op": "Remove", "path": "members", "value": [{ "value": ids[0] }, { "value": ids[2], "$ref": null }] }]))
        .await
        .expect(204);
    let mut left = vec![ids[1].clone(), ids[3].clone()];
    left.sort();
    assert_eq!(app.scim.member_ids(g["id"].as_str().unwrap()).await, left);
    // Add and remove of the same member in one request: the net result is no member.
    app.scim
        .patch_ops(
            &gpath,
            json!([
                { "op": "Add", "path": "members", "value": [{ "value": ids[0] }] },
                { "op": "Remove", "path": "members", "value": [{ "value": ids[0] }] },
            ]),
        )
        .await
        .expect(204);
    assert_eq!(app.scim.member_ids(g["id"].as_str().unwrap()).await, left);
}

#[tokio::test]
async fn pingone_mixed_case_operators_and_unquoted_values() {
    let app = spawn_app().await;
    let mut body = crate::support::okta_user("jyoung@example.com");
    body["externalId"] = json!("jyoung");
    app.scim.post("/Users", &body).await.expect(201);
    for q in [
        "/Users?filter=username%20Eq%20%22jyoung@example.com%22",
        "/Users?filter=USERNAME+EQ+%22JYoung@Example.com%22",
        "/Users?filter=externalId%20eq%20jyoung",
        "/Users?filter=userName%20sw%20%22jy%22%20and%20not%20(active%20eq%20false)",
    ] {
        let r = app.scim.get(q).await.expect(200);
        assert_eq!(r.body["totalResults"], 1, "{q}");
    }
}
