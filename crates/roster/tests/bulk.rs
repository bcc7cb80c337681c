//! `POST /Bulk` (RFC 7644 §3.7).

use serde_json::json;

use crate::support::{GROUP_SCHEMA, USER_SCHEMA, spawn_app, spawn_app_with};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

#[tokio::test]
async fn a_user_and_a_group_containing_it_in_one_request() {
    let app = crate::support::spawn_app().await;
    let r = app
        .scim
        .post("/Bulk", &json!({ "schemas": [BULK], "Operations": [
            { "method": "POST", "path": "/Groups", "bulkId": "g1", "data": { "schemas": [GROUP_SCHEMA], "displayName": "Tour Guides", "members": [{ "value": "bulkId:u1" }] } },
            { "method": "POST", "path": "/Users", "bulkId": "u1", "data": { "schemas": [USER_SCHEMA], "userName": "alice@example.com" } },
        ]}))
        .await
        .expect(200);
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    assert_eq!(ops.len(), 2);
    assert!(ops.iter().all(|o| o["status"] == "201"), "{}", r.text);
    let user_loc = ops.iter().find(|o| o["bulkId"] == "u1").unwrap()["location"]
        .as_str()
        .unwrap();
    let user_id = user_loc.rsplit('/').next().unwrap();
    let group_loc = ops.iter().find(|o| o["bulkId"] == "g1").unwrap()["location"]
        .as_str()
        .unwrap();
    let group_id = group_loc.rsplit('/').next().unwrap();
    assert_eq!(
        app.scim.member_ids(group_id).await,
        vec![user_id.to_string()]
    );
}

#[tokio::test]
async fn fail_on_errors_stops_and_errors_carry_scim_bodies() {
    let app = crate::support::spawn_app().await;
    app.scim.create_user("taken@example.com").await;
    let r = app
        .scim
        .post("/Bulk", &json!({ "schemas": [BULK], "failOnErrors": 1, "Operations": [
            { "method": "POST", "path": "/Users", "bulkId": "a", "data": { "userName": "taken@example.com" } },
            { "method": "POST", "path": "/Users", "bulkId": "b", "data": { "userName": "fresh@example.com" } },
        ]}))
        .await
        .expect(200);
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "stopped after the first error: {}", r.text);
    assert_eq!(ops[0]["status"], "409");
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    let list = app
        .scim
        .get("/Users?filter=userName%20eq%20%22fresh@example.com%22")
        .await
        .expect(200);
    assert_eq!(list.body["totalResults"], 0);

    // Without failOnErrors every operation runs; an unresolvable bulkId is reported.
    let r = app
        .scim
        .post("/Bulk", &json!({ "schemas": [BULK], "Operations": [
            { "method": "POST", "path": "/Users", "bulkId": "a", "data": { "userName": "taken@example.com" } },
            { "method": "POST", "path": "/Groups", "bulkId": "g", "data": { "displayName": "G", "members": [{ "value": "bulkId:a" }] } },
            { "method": "POST", "path": "/Users", "bulkId": "b", "data": { "userName": "fresh@example.com" } },
        ]}))
        .await
        .expect(200);
    let statuses: Vec<&str> = r.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["409", "400", "201"], "{}", r.text);
}

#[tokio::test]
async fn put_patch_delete_with_versions() {
    let app = crate::support::spawn_app().await;
    let u = app.scim.create_user("bulky@example.com").await;
    let id = u["id"].as_str().unwrap();
    let r = app
        .scim
        .post("/Bulk", &json!({ "schemas": [BULK], "Operations": [
            { "method": "PATCH", "path": format!("/Users/{id}"), "version": "W/\"1\"", "data": { "Operations": [{ "op": "replace", "value": { "active": false } }] } },
            { "method": "PATCH", "path": format!("/Users/{id}"), "version": "W/\"1\"", "data": { "Operations": [{ "op": "replace", "value": { "active": true } }] } },
            { "method": "DELETE", "path": format!("/Users/{id}") },
        ]}))
        .await
        .expect(200);
    let statuses: Vec<&str> = r.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["200", "412", "204"], "{}", r.text);
    app.scim
        .get(&format!("/Users/{id}"))
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn limits_are_advertised_and_enforced() {
    let app = spawn_app_with(
        directory::model::Profile::GithubEmu,
        server::ServerConfig {
            max_body_bytes: 4096,
            ..server::ServerConfig::default()
        },
    )
    .await;
    let spc = app
        .scim
        .get("/ServiceProviderConfig")
        .await
        .expect(200)
        .body;
    assert_eq!(spc["bulk"]["supported"], true);
    assert_eq!(spc["bulk"]["maxPayloadSize"], 4096);
    let max = spc["bulk"]["maxOperations"].as_u64().unwrap();
    let op = json!({ "method": "DELETE", "path": "/Users/x" });
    let too_many = json!({ "schemas": [BULK], "Operations": vec![op; max as usize + 1] });
    // Over the payload size first: 413 either way.
    app.scim
        .post("/Bulk", &too_many)
        .await
        .expect_error(413, None);
}

/// Issue 10, item 7: two operations with one bulkId make `bulkId:X` ambiguous; the request is
/// refused before anything runs.
#[tokio::test]
async fn duplicate_bulk_ids_are_refused_before_anything_runs() {
    let app = spawn_app().await;
    let post = |id: &str, user: &str| json!({ "method": "POST", "path": "/Users", "bulkId": id, "data": { "schemas": [USER_SCHEMA], "userName": user } });
    let r = app
        .scim
        .post(
            "/Bulk",
            &json!({ "schemas": [BULK], "Operations": [
                post("u1", "first@example.com"),
                post("u2", "second@example.com"),
                post("u1", "third@example.com"),
                { "method": "POST", "path": "/Groups", "bulkId": "g1", "data": { "displayName": "G", "members": [{ "value": "bulkId:u1" }] } }
            ] }),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert_eq!(
        r.body["detail"],
        "bulkId \"u1\" is used by Operations[0], Operations[2]; each operation needs a bulkId of its own, so that \"bulkId:u1\" names one resource"
    );
    assert_eq!(
        app.scim.get("/Users").await.expect(200).body["totalResults"],
        0
    );
    assert_eq!(
        app.scim.get("/Groups").await.expect(200).body["totalResults"],
        0
    );
}
