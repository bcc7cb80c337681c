//! Okta's provisioning flows, request by request, as Okta's SCIM client sends them: Test API
//! Credentials, Push New Users (after a filter miss), Push Profile Update (GET + full PUT),
//! deactivation and reactivation (no-path PATCH and PUT), Push Groups, Import paging, delete.

use std::collections::HashSet;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{GROUP_SCHEMA, Reply, Scim, USER_SCHEMA, id_of, okta_user, spawn_app};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const OKTA_AGENT: (&str, &str) = ("user-agent", "Okta SCIM Client 1.0.0");

/// The `userName eq "…"` lookup Okta makes before pushing a user (encoded with `%20`).
fn user_name_lookup(user_name: &str) -> String {
    format!("/Users?filter=userName%20eq%20%22{user_name}%22&startIndex=1&count=100")
}

async fn okta_get(scim: &Scim, path: &str) -> Reply {
    scim.send(Method::GET, path, None, &[OKTA_AGENT]).await
}

/// A ListResponse's resources (none when `Resources` is absent).
fn resources(list: &Value) -> Vec<Value> {
    list["Resources"].as_array().cloned().unwrap_or_default()
}

#[track_caller]
fn assert_list_shape(list: &Value) {
    assert_eq!(list["schemas"], json!([LIST_RESPONSE]), "{list}");
    for key in ["totalResults", "itemsPerPage", "startIndex"] {
        assert!(list[key].is_u64(), "{key} must be an integer: {list}");
    }
    assert_eq!(
        list["itemsPerPage"].as_u64(),
        Some(resources(list).len() as u64),
        "itemsPerPage is the number returned: {list}"
    );
}

#[tokio::test]
async fn test_api_credentials_lists_the_first_two_users() {
    let app = spawn_app().await;
    for n in ["ann@example.com", "bob@example.com", "cyd@example.com"] {
        app.scim.create_user(n).await;
    }
    let r = okta_get(&app.scim, "/Users?startIndex=1&count=2")
        .await
        .expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_list_shape(&r.body);
    assert_eq!(r.body["totalResults"], 3);
    assert_eq!(r.body["startIndex"], 1);
    assert_eq!(r.body["itemsPerPage"], 2);
    for u in resources(&r.body) {
        assert!(u["id"].is_string() && u["userName"].is_string(), "{u}");
        assert!(u.get("password").is_none(), "{u}");
    }
}

#[tokio::test]
async fn push_new_user_after_a_filter_miss() {
    let app = spawn_app().await;
    let miss = okta_get(&app.scim, &user_name_lookup("mona@example.com"))
        .await
        .expect(200);
    assert_eq!(miss.header("content-type"), Some("application/scim+json"));
    assert_list_shape(&miss.body);
    assert_eq!(miss.body["totalResults"], 0);
    assert_eq!(miss.body["itemsPerPage"], 0);
    assert_eq!(miss.body["startIndex"], 1);

    let mut body = okta_user("mona@example.com");
    // Okta sends `groups` (read-only on a user) and a password; neither is stored.
    body["groups"] = json!([{ "value": "00g1emaKYZTWRYYRRTSK", "display": "Okta group" }]);
    let r = app
        .scim
        .send(Method::POST, "/Users", Some(&body), &[OKTA_AGENT])
        .await
        .expect(201);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    let user = r.body.clone();
    let id = id_of(&user);
    assert!(!id.is_empty());
    assert_eq!(user["schemas"], json!([USER_SCHEMA]));
    assert_eq!(user["userName"], "mona@example.com");
    assert_eq!(user["name"], body["name"]);
    assert_eq!(user["emails"], body["emails"]);
    assert_eq!(user["displayName"], "mona Tester");
    assert_eq!(user["locale"], "en-US");
    assert_eq!(user["externalId"], body["externalId"]);
    assert_eq!(user["active"], true);
    assert!(user.get("password").is_none(), "password echoed: {user}");
    assert!(
        !r.text.contains("Sup3rSecret"),
        "password echoed: {}",
        r.text
    );
    assert!(user.get("groups").is_none(), "groups stored: {user}");

    let meta = &user["meta"];
    assert_eq!(meta["resourceType"], "User");
    assert!(meta["created"].is_string() && meta["lastModified"].is_string());
    let location = meta["location"].as_str().expect("meta.location");
    assert_eq!(location, app.scim.url(&format!("/Users/{id}")));
    assert_eq!(r.header("location"), Some(location));
    assert_eq!(r.header("etag"), meta["version"].as_str());

    // What Okta reads back is what it was given.
    let got = app.scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(got.body, user);
    assert_eq!(got.header("etag"), meta["version"].as_str());
    assert!(got.body.get("groups").is_none(), "{}", got.text);

    let hit = okta_get(&app.scim, &user_name_lookup("mona@example.com"))
        .await
        .expect(200);
    assert_list_shape(&hit.body);
    assert_eq!(hit.body["totalResults"], 1);
    assert_eq!(resources(&hit.body)[0], user);
}

#[tokio::test]
async fn user_name_filter_accepts_plus_encoding_and_any_case() {
    let app = spawn_app().await;
    let user = app.scim.create_user("Mona.Lisa@Example.com").await;
    let id = id_of(&user);
    app.scim.create_user("other@example.com").await;

    for path in [
        "/Users?filter=userName+eq+%22Mona.Lisa%40Example.com%22&startIndex=1&count=100",
        "/Users?filter=userName%20eq%20%22MONA.LISA@EXAMPLE.COM%22&startIndex=1&count=100",
        "/Users?filter=userName%20eq%20%22mona.lisa@example.com%22&startIndex=1&count=100",
        "/Users?filter=USERNAME%20EQ%20%22mona.lisa@example.com%22",
    ] {
        let r = okta_get(&app.scim, path).await.expect(200);
        assert_list_shape(&r.body);
        assert_eq!(r.body["totalResults"], 1, "{path}: {}", r.text);
        let found = &resources(&r.body)[0];
        assert_eq!(found["id"], id.as_str(), "{path}");
        // The original case is kept in responses.
        assert_eq!(found["userName"], "Mona.Lisa@Example.com", "{path}");
    }
}

#[tokio::test]
async fn duplicate_push_is_409_uniqueness_even_in_another_case() {
    let app = spawn_app().await;
    let first = app.scim.create_user("dup@example.com").await;
    app.scim
        .post("/Users", &okta_user("dup@example.com"))
        .await
        .expect_error(409, Some("uniqueness"));
    app.scim
        .post("/Users", &okta_user("DUP@Example.COM"))
        .await
        .expect_error(409, Some("uniqueness"));
    // Sent as application/json, like Okta's SPEC test: the same answer.
    let res = app
        .scim
        .http
        .post(app.scim.url("/Users"))
        .bearer_auth(&app.scim.token)
        .header("content-type", "application/json")
        .body(okta_user("dup@example.com").to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 409);

    let list = app.scim.get("/Users").await.expect(200).body;
    assert_eq!(list["totalResults"], 1);
    assert_eq!(resources(&list)[0], first);
}

#[tokio::test]
async fn push_profile_update_is_get_then_full_put_with_echoed_extras() {
    let app = spawn_app().await;
    let created = app.scim.create_user("pat@example.com").await;
    let id = id_of(&created);
    let path = format!("/Users/{id}");

    let mut body = app.scim.get(&path).await.expect(200).body;
    // Okta's modified object: still carries id, meta (with its own date format), groups and a
    // password.
    body["name"]["familyName"] = json!("Changed");
    body["displayName"] = json!("Pat Changed");
    body["emails"] = json!([{ "primary": true, "value": "pat@example.com", "type": "work" },
                            { "primary": false, "value": "pat@home.example", "type": "home" }]);
    body["meta"] = json!({
        "resourceType": "User",
        "created": "04-12-2018 00:00:00",
        "lastModified": "04-12-2018 00:00:00",
        "location": "https://okta.example/Users/x",
        "version": "W/\"okta\""
    });
    body["groups"] = json!([{ "value": "00gfake", "display": "Everyone" }]);
    body["password"] = json!("An0therSecret!");

    let r = app
        .scim
        .send(Method::PUT, &path, Some(&body), &[OKTA_AGENT])
        .await
        .expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    let updated = r.body.clone();
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["userName"], "pat@example.com");
    assert_eq!(updated["name"]["familyName"], "Changed");
    assert_eq!(updated["displayName"], "Pat Changed");
    assert_eq!(updated["emails"].as_array().map(Vec::len), Some(2));
    assert!(updated.get("password").is_none(), "{updated}");
    assert!(!r.text.contains("An0therSecret"), "{}", r.text);
    assert!(updated.get("groups").is_none(), "groups stored: {updated}");
    // meta is Roster's, not the echoed one.
    assert_eq!(updated["meta"]["created"], created["meta"]["created"]);
    assert_ne!(updated["meta"]["lastModified"], "04-12-2018 00:00:00");
    assert_eq!(
        updated["meta"]["location"],
        app.scim.url(&format!("/Users/{id}")).as_str()
    );
    assert_ne!(updated["meta"]["version"], created["meta"]["version"]);
    assert_eq!(r.header("etag"), updated["meta"]["version"].as_str());

    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(got, updated);

    // Okta re-sending the same object changes nothing (same version).
    let again = app.scim.put(&path, &body).await.expect(200).body;
    assert_eq!(again["meta"]["version"], updated["meta"]["version"]);
}

#[tokio::test]
async fn partial_patch_profile_update_answers_200_with_the_user() {
    let app = spawn_app().await;
    let id = id_of(&app.scim.create_user("pp@example.com").await);
    let r = app
        .scim
        .patch_ops(
            &format!("/Users/{id}"),
            json!([
                { "op": "replace", "path": "name.familyName", "value": "Patched" },
                { "op": "replace", "value": { "displayName": "PP Patched" } }
            ]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["name"]["familyName"], "Patched");
    assert_eq!(r.body["name"]["givenName"], "pp");
    assert_eq!(r.body["displayName"], "PP Patched");
    assert_eq!(r.header("etag"), r.body["meta"]["version"].as_str());
}

async fn is_listed_with(scim: &Scim, id: &str, user_name: &str, active: bool) {
    let all = scim
        .get("/Users?startIndex=1&count=100")
        .await
        .expect(200)
        .body;
    let found: Vec<Value> = resources(&all)
        .into_iter()
        .filter(|u| u["id"] == id)
        .collect();
    assert_eq!(found.len(), 1, "listed once: {all}");
    assert_eq!(found[0]["active"], active);
    let by_name = scim
        .get(&user_name_lookup(user_name))
        .await
        .expect(200)
        .body;
    assert_eq!(by_name["totalResults"], 1, "{by_name}");
    assert_eq!(resources(&by_name)[0]["active"], active);
}

#[tokio::test]
async fn deactivate_and_reactivate_by_no_path_patch() {
    let app = spawn_app().await;
    let created = app.scim.create_user("dee@example.com").await;
    let id = id_of(&created);
    let path = format!("/Users/{id}");

    let r = app
        .scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "value": { "active": false } }]),
        )
        .await
        .expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["userName"], "dee@example.com");
    assert_eq!(r.body["emails"], created["emails"]);
    assert_eq!(r.body["name"], created["name"]);

    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(got["active"], false);
    assert_eq!(got["externalId"], created["externalId"]);
    is_listed_with(&app.scim, &id, "dee@example.com", false).await;
    let inactive = app
        .scim
        .get("/Users?filter=active%20eq%20false")
        .await
        .expect(200)
        .body;
    assert_eq!(inactive["totalResults"], 1);

    let r = app
        .scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "value": { "active": true } }]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], true);
    assert_eq!(app.scim.get(&path).await.expect(200).body["active"], true);
    is_listed_with(&app.scim, &id, "dee@example.com", true).await;
}

#[tokio::test]
async fn deactivate_and_reactivate_by_put() {
    let app = spawn_app().await;
    let id = id_of(&app.scim.create_user("wiz@example.com").await);
    let path = format!("/Users/{id}");

    let mut body = app.scim.get(&path).await.expect(200).body;
    body["active"] = json!(false);
    body["password"] = json!("whatever");
    let r = app.scim.put(&path, &body).await.expect(200);
    assert_eq!(r.body["active"], false);
    assert_eq!(app.scim.get(&path).await.expect(200).body["active"], false);
    is_listed_with(&app.scim, &id, "wiz@example.com", false).await;

    let mut body = app.scim.get(&path).await.expect(200).body;
    body["active"] = json!(true);
    let r = app.scim.put(&path, &body).await.expect(200);
    assert_eq!(r.body["active"], true);
    is_listed_with(&app.scim, &id, "wiz@example.com", true).await;
}

/// Okta's group-push create body: members with `value` and `display`, sometimes `$ref` (to
/// some other host, or null) and `type`.
fn okta_group(name: &str, members: &[(&str, &str)]) -> Value {
    let members: Vec<Value> = members
        .iter()
        .enumerate()
        .map(|(i, (id, display))| {
            if i % 2 == 0 {
                json!({ "value": id, "display": display,
                        "$ref": format!("https://github.example/scim/v2/Users/{id}"),
                        "type": "User" })
            } else {
                json!({ "value": id, "display": display, "$ref": null })
            }
        })
        .collect();
    json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": members })
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn push_group_after_a_filter_miss() {
    let app = spawn_app().await;
    let a = id_of(&app.scim.create_user("ga@example.com").await);
    let b = id_of(&app.scim.create_user("gb@example.com").await);

    let miss = okta_get(
        &app.scim,
        "/Groups?filter=displayName%20eq%20%22Engineering%22&startIndex=1&count=100",
    )
    .await
    .expect(200);
    assert_list_shape(&miss.body);
    assert_eq!(miss.body["totalResults"], 0);

    let r = app
        .scim
        .post(
            "/Groups",
            &okta_group("Engineering", &[(&a, "ga"), (&b, "gb")]),
        )
        .await
        .expect(201);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    let group = r.body.clone();
    let gid = id_of(&group);
    assert_eq!(group["schemas"], json!([GROUP_SCHEMA]));
    assert_eq!(group["displayName"], "Engineering");
    assert_eq!(group["meta"]["resourceType"], "Group");
    let location = group["meta"]["location"].as_str().expect("location");
    assert_eq!(location, app.scim.url(&format!("/Groups/{gid}")));
    assert_eq!(r.header("location"), Some(location));
    assert_eq!(r.header("etag"), group["meta"]["version"].as_str());
    let members = group["members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    for m in members {
        // Roster's own $ref, never the client's host.
        let id = m["value"].as_str().expect("value");
        assert_eq!(
            m["$ref"],
            app.scim.url(&format!("/Users/{id}")).as_str(),
            "{m}"
        );
    }
    assert_eq!(
        app.scim.member_ids(&gid).await,
        sorted(vec![a.clone(), b.clone()])
    );

    let hit = app
        .scim
        .get("/Groups?filter=displayName%20eq%20%22Engineering%22&startIndex=1&count=100")
        .await
        .expect(200)
        .body;
    assert_eq!(hit["totalResults"], 1);
    assert_eq!(resources(&hit)[0]["id"], gid.as_str());

    // The user's read-only `groups` lists it.
    let ua = app.scim.get(&format!("/Users/{a}")).await.expect(200).body;
    assert_eq!(ua["groups"][0]["value"], gid.as_str(), "{ua}");
    assert_eq!(ua["groups"][0]["display"], "Engineering");
}

#[tokio::test]
async fn push_group_membership_changes_with_rename_patches() {
    let app = spawn_app().await;
    let a = id_of(&app.scim.create_user("ma@example.com").await);
    let b = id_of(&app.scim.create_user("mb@example.com").await);
    let c = id_of(&app.scim.create_user("mc@example.com").await);
    let group = app.scim.create_group("Ops", &[&a]).await;
    let gid = id_of(&group);
    let path = format!("/Groups/{gid}");
    let rename =
        |name: &str| json!([{ "op": "replace", "value": { "id": gid, "displayName": name } }]);

    // Add.
    let r = app.scim.patch_ops(&path, rename("Ops")).await.expect(204);
    assert!(r.text.is_empty());
    let r = app
        .scim
        .patch_ops(
            &path,
            json!([{ "op": "add", "path": "members",
                     "value": [{ "value": b, "display": "mb" }, { "value": c, "display": "mc" }] }]),
        )
        .await
        .expect(204);
    assert!(r.text.is_empty(), "{}", r.text);
    assert_eq!(
        app.scim.member_ids(&gid).await,
        sorted(vec![a.clone(), b.clone(), c.clone()])
    );
    // Adding one already there is no error and no duplicate.
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "add", "path": "members", "value": [{ "value": b, "display": "mb" }] }]),
        )
        .await
        .expect(204);
    assert_eq!(app.scim.member_ids(&gid).await.len(), 3);

    // Remove by value filter.
    app.scim.patch_ops(&path, rename("Ops")).await.expect(204);
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "remove", "path": format!("members[value eq \"{b}\"]") }]),
        )
        .await
        .expect(204);
    assert_eq!(
        app.scim.member_ids(&gid).await,
        sorted(vec![a.clone(), c.clone()])
    );
    let ub = app.scim.get(&format!("/Users/{b}")).await.expect(200).body;
    assert!(ub.get("groups").is_none(), "{ub}");

    // Full replace of members, with a rename that carries the group's own id.
    app.scim
        .patch_ops(&path, rename("Operations"))
        .await
        .expect(204);
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "path": "members",
                     "value": [{ "value": b, "display": "mb" }] }]),
        )
        .await
        .expect(204);
    assert_eq!(app.scim.member_ids(&gid).await, vec![b.clone()]);
    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(got["displayName"], "Operations");
    assert_eq!(got["id"], gid.as_str());

    // Wizard apps PUT the whole group.
    let mut whole = got.clone();
    whole["members"] = json!([{ "value": a, "display": "ma" }, { "value": c }]);
    let r = app.scim.put(&path, &whole).await.expect(200);
    assert_eq!(r.body["displayName"], "Operations");
    assert_eq!(app.scim.member_ids(&gid).await, sorted(vec![a, c]));
}

#[tokio::test]
async fn group_patch_answers_200_with_the_projection_when_asked() {
    let app = spawn_app().await;
    let a = id_of(&app.scim.create_user("pa@example.com").await);
    let gid = id_of(&app.scim.create_group("Proj", &[&a]).await);

    let r = app
        .scim
        .patch_ops(
            &format!("/Groups/{gid}?attributes=displayName"),
            json!([{ "op": "replace", "value": { "id": gid, "displayName": "Projected" } }]),
        )
        .await
        .expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_eq!(r.body["id"], gid.as_str());
    assert_eq!(r.body["displayName"], "Projected");
    assert!(r.body.get("members").is_none(), "{}", r.text);
    assert!(r.header("etag").is_some(), "the new version as ETag");

    let r = app
        .scim
        .patch_ops(
            &format!("/Groups/{gid}?excludedAttributes=members"),
            json!([{ "op": "replace", "path": "displayName", "value": "Excluded" }]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["displayName"], "Excluded");
    assert!(r.body.get("members").is_none(), "{}", r.text);

    // Without projection parameters: 204 and no body.
    let r = app
        .scim
        .patch_ops(
            &format!("/Groups/{gid}"),
            json!([{ "op": "replace", "path": "displayName", "value": "Plain" }]),
        )
        .await
        .expect(204);
    assert!(r.text.is_empty());
    assert_eq!(app.scim.member_ids(&gid).await, vec![a]);
}

#[tokio::test]
async fn list_groups_without_paging_parameters() {
    let app = spawn_app().await;
    let a = id_of(&app.scim.create_user("lg@example.com").await);
    app.scim.create_group("One", &[&a]).await;
    app.scim.create_group("Two", &[]).await;
    let r = okta_get(&app.scim, "/Groups").await.expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_list_shape(&r.body);
    assert_eq!(r.body["totalResults"], 2);
    assert_eq!(r.body["startIndex"], 1);
    let names: HashSet<String> = resources(&r.body)
        .iter()
        .map(|g| g["displayName"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, HashSet::from(["One".to_string(), "Two".to_string()]));
}

#[tokio::test]
async fn import_pages_of_100_never_repeat_or_skip() {
    let app = spawn_app().await;
    let mut all = HashSet::new();
    for chunk in (0..250).collect::<Vec<_>>().chunks(50) {
        let created = join_all(chunk.iter().map(|i| {
            let scim = app.scim.clone();
            async move { scim.create_user(&format!("import{i:03}@example.com")).await }
        }))
        .await;
        all.extend(created.iter().map(id_of));
    }
    assert_eq!(all.len(), 250);

    let mut runs = Vec::new();
    for _ in 0..2 {
        let mut order = Vec::new();
        for (start, expected) in [(1, 100), (101, 100), (201, 50)] {
            let page = okta_get(&app.scim, &format!("/Users?startIndex={start}&count=100"))
                .await
                .expect(200)
                .body;
            assert_list_shape(&page);
            assert_eq!(page["totalResults"], 250, "{start}");
            assert_eq!(page["startIndex"], start, "{start}");
            assert_eq!(page["itemsPerPage"], expected, "{start}");
            order.extend(resources(&page).iter().map(id_of));
        }
        let distinct: HashSet<String> = order.iter().cloned().collect();
        assert_eq!(distinct.len(), 250, "no repeats");
        assert_eq!(distinct, all, "no skips");
        runs.push(order);
    }
    assert_eq!(runs[0], runs[1], "the same order every call");

    // count=0 asks for the total only.
    let totals = app.scim.get("/Users?count=0").await.expect(200).body;
    assert_list_shape(&totals);
    assert_eq!(totals["totalResults"], 250);
    assert_eq!(totals["itemsPerPage"], 0);

    let past = app
        .scim
        .get("/Users?startIndex=251&count=100")
        .await
        .expect(200)
        .body;
    assert_list_shape(&past);
    assert_eq!(past["totalResults"], 250);
    assert_eq!(past["itemsPerPage"], 0);
}

#[tokio::test]
async fn delete_user_is_final_and_frees_the_user_name() {
    let app = spawn_app().await;
    let user = app.scim.create_user("gone@example.com").await;
    let id = id_of(&user);
    let keep = id_of(&app.scim.create_user("kept@example.com").await);
    let gid = id_of(&app.scim.create_group("Leavers", &[&id, &keep]).await);

    let r = app.scim.delete(&format!("/Users/{id}")).await.expect(204);
    assert!(r.text.is_empty());
    app.scim
        .get(&format!("/Users/{id}"))
        .await
        .expect_error(404, None);
    app.scim
        .delete(&format!("/Users/{id}"))
        .await
        .expect_error(404, None);
    let list = app.scim.get("/Users").await.expect(200).body;
    assert_eq!(list["totalResults"], 1);
    assert_eq!(resources(&list)[0]["id"], keep.as_str());
    let by_name = app
        .scim
        .get(&user_name_lookup("gone@example.com"))
        .await
        .expect(200)
        .body;
    assert_eq!(by_name["totalResults"], 0);
    assert_eq!(app.scim.member_ids(&gid).await, vec![keep.clone()]);

    let again = app.scim.create_user("gone@example.com").await;
    assert_ne!(id_of(&again), id);
    assert_eq!(again["userName"], "gone@example.com");
    assert!(again.get("groups").is_none(), "{again}");
}

#[tokio::test]
async fn delete_group_leaves_its_users() {
    let app = spawn_app().await;
    let a = id_of(&app.scim.create_user("dg@example.com").await);
    let gid = id_of(&app.scim.create_group("Doomed", &[&a]).await);
    let r = app.scim.delete(&format!("/Groups/{gid}")).await.expect(204);
    assert!(r.text.is_empty());
    app.scim
        .get(&format!("/Groups/{gid}"))
        .await
        .expect_error(404, None);
    assert_eq!(
        app.scim.get("/Groups").await.expect(200).body["totalResults"],
        0
    );
    let user = app.scim.get(&format!("/Users/{a}")).await.expect(200).body;
    assert!(user.get("groups").is_none(), "{user}");
    // The name is free again.
    app.scim.create_group("Doomed", &[]).await;
}

#[tokio::test]
async fn deleting_a_member_gives_its_groups_a_new_version() {
    let app = spawn_app().await;
    let gone = id_of(&app.scim.create_user("member@example.com").await);
    let stays = id_of(&app.scim.create_user("stays@example.com").await);
    let group = app.scim.create_group("Cached", &[&gone, &stays]).await;
    let path = format!("/Groups/{}", id_of(&group));
    let etag = group["meta"]["version"]
        .as_str()
        .expect("version")
        .to_string();

    app.scim.delete(&format!("/Users/{gone}")).await.expect(204);

    // The group's members changed, so a cached copy is stale: no 304, a new ETag, and an
    // If-Match with the old version is refused.
    let r = app
        .scim
        .send(Method::GET, &path, None, &[("if-none-match", &etag)])
        .await
        .expect(200);
    assert_eq!(r.body["members"].as_array().map(Vec::len), Some(1));
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    assert_ne!(r.body["meta"]["version"], group["meta"]["version"]);
    assert_ne!(
        r.body["meta"]["lastModified"],
        group["meta"]["lastModified"]
    );
    app.scim
        .send(Method::DELETE, &path, None, &[("if-match", &etag)])
        .await
        .expect_error(412, None);
    assert_eq!(app.scim.member_ids(&id_of(&group)).await, vec![stays]);
}
