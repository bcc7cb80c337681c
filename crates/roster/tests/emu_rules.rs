//! GitHub EMU's rules (DESIGN.md), observed through the SCIM API: handles (through their
//! collisions and length limit), immutable userName, roles, suspension, hard delete, group
//! names, and `/Schemas` telling the truth for each profile.

use directory::model::Profile;
use serde_json::{Value, json};

use crate::support::{GROUP_SCHEMA, Scim, TestApp, id_of, okta_user, spawn_app};

const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

async fn total_users(scim: &Scim) -> u64 {
    scim.get("/Users").await.expect(200).body["totalResults"]
        .as_u64()
        .expect("totalResults")
}

async fn scim_enterprise(app: &TestApp) -> Scim {
    app.enterprise("plain", "plain", Profile::Scim).await
}

fn with_roles(user_name: &str, roles: Value) -> Value {
    let mut body = okta_user(user_name);
    body["roles"] = roles;
    body
}

#[tokio::test]
async fn user_names_with_the_same_handle_collide() {
    let app = spawn_app().await;
    let first = app.scim.create_user("mona.lisa@a.com").await;
    // Both normalize to `mona-lisa_acme`.
    let r = app
        .scim
        .post("/Users", &okta_user("mona_lisa@b.com"))
        .await
        .expect_error(409, Some("uniqueness"));
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("handle")),
        "{}",
        r.text
    );
    for other in ["Mona--Lisa@c.com", "-mona lisa-@d.com", "CORP\\mona.lisa"] {
        app.scim
            .post("/Users", &okta_user(other))
            .await
            .expect_error(409, Some("uniqueness"));
    }
    assert_eq!(total_users(&app.scim).await, 1);
    assert_eq!(
        app.scim
            .get(&format!("/Users/{}", id_of(&first)))
            .await
            .expect(200)
            .body,
        first
    );
    // Differing in a letter is another handle.
    app.scim.create_user("mona.lisb@a.com").await;
}

#[tokio::test]
async fn handles_are_per_enterprise() {
    let app = spawn_app().await;
    let other = app.enterprise("globex", "globex", Profile::GithubEmu).await;
    app.scim.create_user("mona.lisa@a.com").await;
    // `mona-lisa_globex` is another handle than `mona-lisa_acme`.
    other.create_user("mona.lisa@a.com").await;
    other
        .post("/Users", &okta_user("mona_lisa@b.com"))
        .await
        .expect_error(409, Some("uniqueness"));
}

#[tokio::test]
async fn handle_length_is_limited_to_39_with_the_suffix() {
    let app = spawn_app().await;
    // 34 + "_acme" = 39.
    let exact = format!("{}@example.com", "a".repeat(34));
    app.scim.create_user(&exact).await;
    let over = format!("{}@example.com", "b".repeat(35));
    let r = app
        .scim
        .post("/Users", &okta_user(&over))
        .await
        .expect_error(400, Some("invalidValue"));
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("39")));
    assert_eq!(total_users(&app.scim).await, 1);
    // What counts is the handle, not the userName: punctuation collapses.
    // 37 characters before the `@`, but `....` collapses to one `-`: a 34-character base.
    let collapsing = format!("{}....yyy@example.com", "x".repeat(30));
    let r = app
        .scim
        .post("/Users", &okta_user(&collapsing))
        .await
        .expect(201);
    assert_eq!(r.body["userName"], collapsing.as_str());
    // 35 characters that stay 35: over.
    let dotted = format!("{}c@example.com", "c.".repeat(17));
    app.scim
        .post("/Users", &okta_user(&dotted))
        .await
        .expect_error(400, Some("invalidValue"));
    assert_eq!(total_users(&app.scim).await, 2);

    // A userName with nothing to build a handle from.
    app.scim
        .post("/Users", &okta_user("@@@"))
        .await
        .expect_error(400, Some("invalidValue"));

    // The scim profile has no length limit.
    let plain = scim_enterprise(&app).await;
    let long = format!("{}@example.com", "d".repeat(60));
    plain.create_user(&long).await;
}

#[tokio::test]
async fn domain_backslash_user_keeps_the_part_after_the_backslash() {
    let app = spawn_app().await;
    let user = app.scim.create_user("CORP\\jdoe").await;
    assert_eq!(user["userName"], "CORP\\jdoe");
    // `jdoe_acme` is taken, whichever form produces it.
    for other in ["jdoe@example.com", "OTHER\\jdoe", "JDOE"] {
        app.scim
            .post("/Users", &okta_user(other))
            .await
            .expect_error(409, Some("uniqueness"));
    }
    let found = app
        .scim
        .get("/Users?filter=userName%20eq%20%22corp%5C%5Cjdoe%22")
        .await
        .expect(200)
        .body;
    assert_eq!(found["totalResults"], 1, "{found}");
}

#[tokio::test]
async fn user_name_is_immutable_under_github_emu() {
    let app = spawn_app().await;
    let created = app.scim.create_user("fixed@example.com").await;
    let id = id_of(&created);
    let path = format!("/Users/{id}");

    let mut body = created.clone();
    body["userName"] = json!("renamed@example.com");
    body["displayName"] = json!("Also changed");
    let r = app
        .scim
        .put(&path, &body)
        .await
        .expect_error(400, Some("mutability"));
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("userName"))
    );

    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "path": "userName", "value": "renamed@example.com" }]),
        )
        .await
        .expect_error(400, Some("mutability"));
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "value": { "userName": "renamed@example.com" } }]),
        )
        .await
        .expect_error(400, Some("mutability"));
    // A valid op before the refused one does not apply either.
    app.scim
        .patch_ops(
            &path,
            json!([
                { "op": "replace", "path": "displayName", "value": "Sneaky" },
                { "op": "replace", "path": "userName", "value": "renamed@example.com" }
            ]),
        )
        .await
        .expect_error(400, Some("mutability"));

    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(got, created, "nothing changed");
    let renamed = app
        .scim
        .get("/Users?filter=userName%20eq%20%22renamed@example.com%22")
        .await
        .expect(200)
        .body;
    assert_eq!(renamed["totalResults"], 0);

    // The same userName (unchanged) in a PUT is fine.
    let mut same = created.clone();
    same["displayName"] = json!("Changed");
    let r = app.scim.put(&path, &same).await.expect(200);
    assert_eq!(r.body["displayName"], "Changed");
}

#[tokio::test]
async fn user_name_may_change_under_the_scim_profile() {
    let app = spawn_app().await;
    let plain = scim_enterprise(&app).await;
    let created = plain.create_user("old@example.com").await;
    let id = id_of(&created);
    let path = format!("/Users/{id}");

    let mut body = created.clone();
    body["userName"] = json!("new@example.com");
    let r = plain.put(&path, &body).await.expect(200);
    assert_eq!(r.body["userName"], "new@example.com");
    let r = plain
        .patch_ops(
            &path,
            json!([{ "op": "replace", "path": "userName", "value": "newer@example.com" }]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["userName"], "newer@example.com");
    assert_eq!(
        plain.get(&path).await.expect(200).body["userName"],
        "newer@example.com"
    );
    let found = plain
        .get("/Users?filter=userName%20eq%20%22newer@example.com%22")
        .await
        .expect(200)
        .body;
    assert_eq!(found["totalResults"], 1);
    // The old name and its handle are free again (the handle followed the userName).
    plain.create_user("old@example.com").await;
    // A userName whose handle another user has is accepted under `scim`: its handle is made
    // distinct (GitHub's handle rules are github-emu's, and must never refuse an RFC userName).
    let other = plain
        .post("/Users", &okta_user("newer@other.example"))
        .await
        .expect(201)
        .body;
    let handle_of = |id: String| {
        let directory = app.directory.clone();
        async move {
            let e = directory.enterprise("plain").await.unwrap().unwrap();
            directory
                .store()
                .user(e.id, &id)
                .await
                .unwrap()
                .unwrap()
                .handle
        }
    };
    assert_eq!(handle_of(id.clone()).await, "newer_plain");
    let distinct = handle_of(id_of(&other)).await;
    assert!(
        distinct.starts_with("newer-") && distinct.ends_with("_plain"),
        "{distinct}"
    );
    // A rename onto another user's userName (compared case-insensitively) is refused, and
    // changes nothing.
    let current = plain.get(&path).await.expect(200).body;
    let mut body = current.clone();
    body["userName"] = json!("OLD@example.com");
    plain
        .put(&path, &body)
        .await
        .expect_error(409, Some("uniqueness"));
    plain
        .patch_ops(
            &path,
            json!([{ "op": "replace", "path": "userName", "value": "OLD@example.com" }]),
        )
        .await
        .expect_error(409, Some("uniqueness"));
    assert_eq!(plain.get(&path).await.expect(200).body, current);
    // A rename onto a userName whose plain handle is taken takes the distinct one.
    let r = plain
        .patch_ops(
            &path,
            json!([{ "op": "replace", "path": "userName", "value": "old@elsewhere.example" }]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["userName"], "old@elsewhere.example");
    let renamed = handle_of(id.clone()).await;
    assert!(
        renamed.starts_with("old-") && renamed.ends_with("_plain"),
        "{renamed}"
    );
}

#[tokio::test]
async fn every_github_role_spelling_is_accepted_and_returned_as_sent() {
    let app = spawn_app().await;
    let spellings = [
        "user",
        "enterprise_owner",
        "Enterprise Owner",
        "guest_collaborator",
        "billing_manager",
        "Billing Manager",
        "981df190-8801-4618-a08a-d91f6206c954",
        "27d9891d-2c17-4f45-a262-781a0e55c80a",
        "1ebc4a02-e56c-43a6-92a5-02ee09b90824",
        "0e338b8c-cc7f-498a-928d-ea3470d7e7e3",
    ];
    for (i, role) in spellings.iter().enumerate() {
        let roles = json!([{ "value": role, "primary": true }]);
        let r = app
            .scim
            .post(
                "/Users",
                &with_roles(&format!("role{i}@example.com"), roles),
            )
            .await
            .expect(201);
        assert_eq!(r.body["roles"][0]["value"], *role, "{}", r.text);
        let got = app
            .scim
            .get(&format!("/Users/{}", id_of(&r.body)))
            .await
            .expect(200)
            .body;
        assert_eq!(got["roles"][0]["value"], *role);
    }
    // Several roles: accepted (the most privileged one holds).
    let r = app
        .scim
        .post(
            "/Users",
            &with_roles(
                "multi@example.com",
                json!([{ "value": "user" }, { "value": "enterprise_owner" }]),
            ),
        )
        .await
        .expect(201);
    assert_eq!(r.body["roles"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn unknown_roles_are_refused_under_github_emu_only() {
    let app = spawn_app().await;
    app.scim
        .post(
            "/Users",
            &with_roles("boss@example.com", json!([{ "value": "admin" }])),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    app.scim
        .post(
            "/Users",
            &with_roles(
                "boss@example.com",
                json!([{ "value": "user" }, { "value": "superuser" }]),
            ),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    assert_eq!(total_users(&app.scim).await, 0);

    // Through PATCH and PUT too, and nothing changes.
    let created = app
        .scim
        .post(
            "/Users",
            &with_roles("boss@example.com", json!([{ "value": "user" }])),
        )
        .await
        .expect(201)
        .body;
    let path = format!("/Users/{}", id_of(&created));
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "add", "path": "roles", "value": [{ "value": "admin" }] }]),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    let mut body = created.clone();
    body["roles"] = json!([{ "value": "root" }]);
    app.scim
        .put(&path, &body)
        .await
        .expect_error(400, Some("invalidValue"));
    assert_eq!(app.scim.get(&path).await.expect(200).body, created);

    // Under the scim profile role values are stored as given.
    let plain = scim_enterprise(&app).await;
    let r = plain
        .post(
            "/Users",
            &with_roles("boss@example.com", json!([{ "value": "admin" }])),
        )
        .await
        .expect(201);
    assert_eq!(r.body["roles"], json!([{ "value": "admin" }]));
}

#[tokio::test]
async fn groups_have_no_roles() {
    let app = spawn_app().await;
    let r = app
        .scim
        .post(
            "/Groups",
            &json!({ "schemas": [GROUP_SCHEMA], "displayName": "Roleless",
                     "roles": [{ "value": "enterprise_owner" }] }),
        )
        .await
        .expect(201);
    assert!(r.body.get("roles").is_none(), "{}", r.text);
}

#[tokio::test]
async fn suspension_keeps_everything_and_reactivation_restores() {
    let app = spawn_app().await;
    let mut body = okta_user("sus@example.com");
    body["roles"] = json!([{ "value": "enterprise_owner" }]);
    let created = app.scim.post("/Users", &body).await.expect(201).body;
    let id = id_of(&created);
    let path = format!("/Users/{id}");
    let gid = id_of(&app.scim.create_group("Team", &[&id]).await);

    let r = app
        .scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "value": { "active": false } }]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], false);
    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(got["active"], false);
    for key in [
        "userName",
        "name",
        "emails",
        "displayName",
        "externalId",
        "roles",
    ] {
        assert_eq!(got[key], created[key], "{key} kept while suspended");
    }
    // Still listed, still found, still a member of its IdP group.
    let listed = app
        .scim
        .get("/Users?filter=active%20eq%20false")
        .await
        .expect(200)
        .body;
    assert_eq!(listed["totalResults"], 1);
    assert_eq!(listed["Resources"][0]["id"], id.as_str());
    assert_eq!(app.scim.member_ids(&gid).await, vec![id.clone()]);
    // Its handle stays reserved: a colliding userName is still refused.
    app.scim
        .post("/Users", &okta_user("sus@other.example"))
        .await
        .expect_error(409, Some("uniqueness"));

    let r = app
        .scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "value": { "active": true } }]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], true);
    let got = app.scim.get(&path).await.expect(200).body;
    assert_eq!(got["active"], true);
    assert_eq!(got["emails"], created["emails"]);
    assert_eq!(got["roles"], created["roles"]);
}

#[tokio::test]
async fn entra_string_booleans_suspend_too() {
    let app = spawn_app().await;
    let id = id_of(&app.scim.create_user("entra@example.com").await);
    let r = app
        .scim
        .patch_ops(
            &format!("/Users/{id}"),
            json!([{ "op": "Replace", "path": "active", "value": "False" }]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], false);
}

#[tokio::test]
async fn hard_delete_frees_the_user_name_and_handle() {
    let app = spawn_app().await;
    let first = app.scim.create_user("once@example.com").await;
    app.scim
        .delete(&format!("/Users/{}", id_of(&first)))
        .await
        .expect(204);
    // The same userName, and another that gives the same handle, may be provisioned again.
    let again = app.scim.create_user("ONCE@example.com").await;
    assert_ne!(again["id"], first["id"]);
    app.scim
        .delete(&format!("/Users/{}", id_of(&again)))
        .await
        .expect(204);
    app.scim.create_user("once@elsewhere.example").await;
    assert_eq!(total_users(&app.scim).await, 1);
}

#[tokio::test]
async fn group_display_name_is_unique_per_enterprise_case_insensitively() {
    let app = spawn_app().await;
    let eng = app.scim.create_group("Engineering", &[]).await;
    for name in ["Engineering", "engineering", "ENGINEERING"] {
        app.scim
            .post(
                "/Groups",
                &json!({ "schemas": [GROUP_SCHEMA], "displayName": name }),
            )
            .await
            .expect_error(409, Some("uniqueness"));
    }
    // A rename onto a taken name, by PATCH and PUT.
    let other = app.scim.create_group("Sales", &[]).await;
    let path = format!("/Groups/{}", id_of(&other));
    app.scim
        .patch_ops(
            &path,
            json!([{ "op": "replace", "path": "displayName", "value": "engineering" }]),
        )
        .await
        .expect_error(409, Some("uniqueness"));
    app.scim
        .put(
            &path,
            &json!({ "schemas": [GROUP_SCHEMA], "displayName": "ENGINEERING" }),
        )
        .await
        .expect_error(409, Some("uniqueness"));
    assert_eq!(
        app.scim.get(&path).await.expect(200).body["displayName"],
        "Sales"
    );
    assert_eq!(
        app.scim.get("/Groups").await.expect(200).body["totalResults"],
        2
    );
    // A group may change the case of its own name.
    let r = app
        .scim
        .patch_ops(
            &format!("/Groups/{}?attributes=displayName", id_of(&eng)),
            json!([{ "op": "replace", "path": "displayName", "value": "engineering" }]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["displayName"], "engineering");
    // Another enterprise may use the name.
    let other_ent = app.enterprise("globex", "globex", Profile::GithubEmu).await;
    other_ent.create_group("Engineering", &[]).await;
}

/// The User schema's attribute `name` from `/Schemas/{urn}`.
async fn user_attribute(scim: &Scim, name: &str) -> Value {
    let schema = scim
        .get(&format!("/Schemas/{CORE_USER}"))
        .await
        .expect(200)
        .body;
    schema["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("no attribute {name} in {schema}"))
}

#[tokio::test]
async fn schemas_tell_the_truth_for_each_profile() {
    let app = spawn_app().await;
    let plain = scim_enterprise(&app).await;

    let user_name = user_attribute(&app.scim, "userName").await;
    assert_eq!(user_name["mutability"], "immutable");
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["caseExact"], false);
    let plain_user_name = user_attribute(&plain, "userName").await;
    assert_eq!(plain_user_name["mutability"], "readWrite");

    // The same truth in the list.
    let all = app.scim.get("/Schemas").await.expect(200).body;
    let listed = all["Resources"]
        .as_array()
        .and_then(|r| r.iter().find(|s| s["id"] == CORE_USER))
        .cloned()
        .expect("User schema listed");
    let listed_user_name = listed["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "userName"))
        .cloned()
        .expect("userName");
    assert_eq!(listed_user_name["mutability"], "immutable");

    let roles = user_attribute(&app.scim, "roles").await;
    let value = roles["subAttributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "value"))
        .cloned()
        .expect("roles.value");
    let mut canonical: Vec<String> = value["canonicalValues"]
        .as_array()
        .expect("canonicalValues under github-emu")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    canonical.sort();
    assert_eq!(
        canonical,
        [
            "billing_manager",
            "enterprise_owner",
            "guest_collaborator",
            "user"
        ]
    );
    let plain_roles = user_attribute(&plain, "roles").await;
    let plain_value = plain_roles["subAttributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "value"))
        .cloned()
        .expect("roles.value");
    assert!(
        plain_value
            .get("canonicalValues")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty),
        "{plain_value}"
    );
}
