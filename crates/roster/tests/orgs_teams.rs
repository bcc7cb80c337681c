//! Organizations and teams over the REST API, and team/organization membership following IdP
//! groups whatever order the IdP sends things in.

use serde_json::{Value, json};

use crate::support::{PATCH_OP, spawn_app};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn deactivate(scim: &crate::support::Scim, user: &str, active: bool) {
    scim.patch(
        &format!("/Users/{user}"),
        &json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": active } }] }),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn organizations_are_created_listed_and_unique_case_insensitively() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let org = rest.create_org("Octo-Org").await;
    assert_eq!(org["login"], "Octo-Org");
    assert!(
        org["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v3/orgs/Octo-Org")
    );
    let dup = rest
        .post(
            "/enterprises/acme/organizations",
            &json!({ "login": "octo-org" }),
        )
        .await
        .expect(422);
    assert!(
        dup.body["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{}",
        dup.text
    );
    assert!(dup.body["documentation_url"].as_str().is_some());
    assert_eq!(
        dup.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    for bad in ["-x", "a--b", "has space", &"a".repeat(40)] {
        let r = rest
            .post("/enterprises/acme/organizations", &json!({ "login": bad }))
            .await
            .expect(422);
        assert!(
            r.body["message"]
                .as_str()
                .unwrap()
                .contains("single hyphens"),
            "{}",
            r.text
        );
    }
    rest.post("/enterprises/acme/organizations", &json!({}))
        .await
        .expect(422);
    rest.post("/enterprises/acme/organizations", &json!("not an object"))
        .await
        .expect(422);
    let list = rest
        .get("/enterprises/acme/organizations")
        .await
        .expect(200);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    // Another enterprise cannot see or reuse the login.
    let other = app
        .enterprise("globex", "glx", directory::model::Profile::GithubEmu)
        .await;
    let _ = other;
    rest.get("/orgs/nope/teams").await.expect(404);
    rest.get("/orgs/octo-org/unknown").await.expect(404);
    rest.delete("/enterprises/acme/organizations")
        .await
        .expect(405);
}

#[tokio::test]
async fn teams_get_github_slugs_and_json() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    rest.create_org("octo").await;
    let team = rest
        .post(
            "/orgs/octo/teams",
            &json!({ "name": "Justice League", "description": "heroes" }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(team["slug"], "justice-league");
    assert_eq!(team["name"], "Justice League");
    assert_eq!(team["privacy"], "secret");
    assert_eq!(team["parent"], Value::Null);
    assert!(
        team["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v3/orgs/octo/teams/justice-league")
    );
    assert!(
        team["members_url"]
            .as_str()
            .unwrap()
            .ends_with("/members{/member}")
    );
    assert!(team["id"].as_i64().is_some());
    let got = rest
        .get("/orgs/octo/teams/justice-league")
        .await
        .expect(200);
    assert_eq!(got.body["id"], team["id"]);
    rest.post("/orgs/octo/teams", &json!({ "name": "justice  league!" }))
        .await
        .expect(422);
    rest.post("/orgs/octo/teams", &json!({ "name": "***" }))
        .await
        .expect(422);
    rest.post(
        "/orgs/octo/teams",
        &json!({ "name": "x", "privacy": "public" }),
    )
    .await
    .expect(422);
    let list = rest.get("/orgs/octo/teams").await.expect(200);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    rest.delete("/orgs/octo/teams/justice-league")
        .await
        .expect(204);
    rest.get("/orgs/octo/teams/justice-league")
        .await
        .expect(404);
    let missing = rest
        .delete("/orgs/octo/teams/justice-league")
        .await
        .expect(404);
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .contains("no team")
    );
}

#[tokio::test]
async fn linked_teams_cannot_be_nested() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    rest.create_org("octo").await;
    let parent = rest.create_team("octo", "Parent").await;
    let child = rest
        .post(
            "/orgs/octo/teams",
            &json!({ "name": "Child", "parent_team_id": parent["id"] }),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(child["parent"]["slug"], "parent");
    assert_eq!(child["privacy"], "closed");
    let group = app.scim.create_group("Engineering", &[]).await;
    let gid = id(&group);
    // A team with a parent, or with children, cannot be linked.
    for slug in ["child", "parent"] {
        let r = rest
            .patch(
                &format!("/orgs/octo/teams/{slug}/external-groups"),
                &json!({ "group_id": gid }),
            )
            .await
            .expect(422);
        assert!(
            r.body["message"].as_str().unwrap().contains("nested"),
            "{}",
            r.text
        );
    }
    // A linked team cannot take a parent, nor be one.
    let solo = rest.create_team("octo", "Solo").await;
    rest.link("octo", "solo", &gid).await;
    let r = rest
        .patch(
            "/orgs/octo/teams/solo",
            &json!({ "parent_team_id": parent["id"] }),
        )
        .await
        .expect(422);
    assert!(
        r.body["message"].as_str().unwrap().contains("linked"),
        "{}",
        r.text
    );
    let r = rest
        .post(
            "/orgs/octo/teams",
            &json!({ "name": "Under solo", "parent_team_id": solo["id"] }),
        )
        .await
        .expect(422);
    assert!(
        r.body["message"].as_str().unwrap().contains("linked"),
        "{}",
        r.text
    );
    // A parent from nowhere, and cycles, are refused.
    rest.post(
        "/orgs/octo/teams",
        &json!({ "name": "Lost", "parent_team_id": 9999 }),
    )
    .await
    .expect(422);
    rest.patch(
        "/orgs/octo/teams/parent",
        &json!({ "parent_team_id": child["id"] }),
    )
    .await
    .expect(422);
    // A parent with children cannot be deleted; moving the child away frees it.
    rest.delete("/orgs/octo/teams/parent").await.expect(422);
    let moved = rest
        .patch("/orgs/octo/teams/child", &json!({ "parent_team_id": null }))
        .await
        .expect(200);
    assert_eq!(moved.body["parent"], Value::Null);
    rest.delete("/orgs/octo/teams/parent").await.expect(204);
}

#[tokio::test]
async fn a_linked_team_has_the_groups_active_members_and_they_join_the_org() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    rest.create_org("octo").await;
    rest.create_team("octo", "Devs").await;
    let mona = id(&scim.create_user("mona@example.com").await);
    let hubot = id(&scim.create_user("hubot@example.com").await);
    let group = scim.create_group("Developers", &[&mona, &hubot]).await;
    let gid = id(&group);
    deactivate(scim, &hubot, false).await;
    let linked = rest.link("octo", "devs", &gid).await;
    assert_eq!(linked["group_id"], gid.as_str());
    assert_eq!(linked["group_name"], "Developers");
    assert_eq!(linked["teams"][0]["team_name"], "Devs");
    assert_eq!(linked["members"].as_array().unwrap().len(), 2);
    let m = linked["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member_login"] == "mona_acme")
        .expect("mona listed");
    assert_eq!(m["member_email"], "mona@example.com");
    assert_eq!(m["member_name"], "mona Tester");
    assert_eq!(m["member_id"], mona.as_str());
    assert_eq!(rest.team_logins("octo", "devs").await, ["mona_acme"]);
    assert_eq!(rest.org_logins("octo").await, ["mona_acme"]);
    let shown = rest
        .get("/orgs/octo/teams/devs/external-groups")
        .await
        .expect(200);
    assert_eq!(shown.body["groups"][0]["group_id"], gid.as_str());
    let one = rest
        .get(&format!("/orgs/octo/external-group/{gid}"))
        .await
        .expect(200);
    assert_eq!(
        one.body["teams"][0]["team_id"],
        rest.get("/orgs/octo/teams/devs").await.body["id"]
    );
    let all = rest.get("/orgs/octo/external-groups").await.expect(200);
    assert_eq!(all.body["groups"].as_array().unwrap().len(), 1);
    let filtered = rest
        .get("/orgs/octo/external-groups?display_name=nomatch")
        .await
        .expect(200);
    assert_eq!(filtered.body["groups"].as_array().unwrap().len(), 0);
    rest.get("/orgs/octo/external-group/no-such-group")
        .await
        .expect(404);
    let r = rest
        .patch(
            "/orgs/octo/teams/devs/external-groups",
            &json!({ "group_id": "nope" }),
        )
        .await
        .expect(404);
    assert!(r.body["message"].as_str().unwrap().contains("no IdP group"));
    rest.patch("/orgs/octo/teams/devs/external-groups", &json!({}))
        .await
        .expect(422);
}

#[tokio::test]
async fn linking_another_group_replaces_the_link_and_says_so() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    rest.create_org("octo").await;
    rest.create_team("octo", "Devs").await;
    let mona = id(&scim.create_user("mona@example.com").await);
    let hubot = id(&scim.create_user("hubot@example.com").await);
    let a = id(&scim.create_group("A", &[&mona]).await);
    let b = id(&scim.create_group("B", &[&hubot]).await);
    let first = rest.link("octo", "devs", &a).await;
    assert!(first.get("replaced_group_id").is_none());
    let again = rest.link("octo", "devs", &a).await;
    assert!(again.get("replaced_group_id").is_none());
    let second = rest.link("octo", "devs", &b).await;
    assert_eq!(second["replaced_group_id"], a.as_str());
    assert!(second["message"].as_str().unwrap().contains("replaced"));
    assert_eq!(rest.team_logins("octo", "devs").await, ["hubot_acme"]);
    assert_eq!(rest.org_logins("octo").await, ["hubot_acme"]);
    // One group may feed many teams.
    rest.create_team("octo", "Ops").await;
    rest.link("octo", "ops", &b).await;
    let g = rest
        .get(&format!("/orgs/octo/external-group/{b}"))
        .await
        .expect(200);
    assert_eq!(g.body["teams"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_group_pushed_before_its_team_exists_fills_the_team_on_link() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    let mona = id(&scim.create_user("mona@example.com").await);
    let gid = id(&scim.create_group("Early", &[&mona]).await);
    rest.create_org("octo").await;
    rest.create_team("octo", "Late").await;
    assert!(rest.team_logins("octo", "late").await.is_empty());
    rest.link("octo", "late", &gid).await;
    assert_eq!(rest.team_logins("octo", "late").await, ["mona_acme"]);
    assert_eq!(rest.org_logins("octo").await, ["mona_acme"]);
}

#[tokio::test]
async fn members_added_and_removed_after_the_link_follow_in_the_same_request() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    rest.create_org("octo").await;
    rest.create_team("octo", "Devs").await;
    let gid = id(&scim.create_group("Developers", &[]).await);
    rest.link("octo", "devs", &gid).await;
    let mona = id(&scim.create_user("mona@example.com").await);
    let hubot = id(&scim.create_user("hubot@example.com").await);
    scim.patch_ops(
        &format!("/Groups/{gid}"),
        json!([{ "op": "add", "path": "members", "value": [{ "value": mona }, { "value": hubot }] }]),
    )
    .await
    .expect(204);
    assert_eq!(
        rest.team_logins("octo", "devs").await,
        ["hubot_acme", "mona_acme"]
    );
    assert_eq!(rest.org_logins("octo").await, ["hubot_acme", "mona_acme"]);
    scim.patch_ops(
        &format!("/Groups/{gid}"),
        json!([{ "op": "remove", "path": format!("members[value eq \"{mona}\"]") }]),
    )
    .await
    .expect(204);
    assert_eq!(rest.team_logins("octo", "devs").await, ["hubot_acme"]);
    assert_eq!(rest.org_logins("octo").await, ["hubot_acme"]);
    // A full replace (PUT) of the member list.
    scim.put(
        &format!("/Groups/{gid}"),
        &json!({ "schemas": [crate::support::GROUP_SCHEMA], "displayName": "Developers", "members": [{ "value": mona }] }),
    )
    .await
    .expect(200);
    assert_eq!(rest.team_logins("octo", "devs").await, ["mona_acme"]);
    assert_eq!(rest.org_logins("octo").await, ["mona_acme"]);
    let actions = rest.actions("action:team").await;
    assert_eq!(
        actions.iter().filter(|a| *a == "team.add_member").count(),
        3
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "team.remove_member")
            .count(),
        2
    );
    let actions = rest.actions("action:org").await;
    assert!(actions.contains(&"org.add_member".to_string()));
    assert!(actions.contains(&"org.remove_member".to_string()));
}

#[tokio::test]
async fn suspension_empties_teams_and_orgs_and_reactivation_restores_them() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    rest.create_org("octo").await;
    rest.create_team("octo", "Devs").await;
    rest.create_team("octo", "Ops").await;
    let mona = id(&scim.create_user("mona@example.com").await);
    let devs = id(&scim.create_group("Developers", &[&mona]).await);
    let ops = id(&scim.create_group("Operators", &[&mona]).await);
    rest.link("octo", "devs", &devs).await;
    rest.link("octo", "ops", &ops).await;
    deactivate(scim, &mona, false).await;
    assert!(rest.team_logins("octo", "devs").await.is_empty());
    assert!(rest.team_logins("octo", "ops").await.is_empty());
    assert!(rest.org_logins("octo").await.is_empty());
    // The group still lists the suspended member (it is the IdP's list).
    assert_eq!(scim.member_ids(&devs).await, vec![mona.to_string()]);
    // A membership change while suspended does not seat the user.
    scim.patch_ops(
        &format!("/Groups/{devs}"),
        json!([{ "op": "add", "path": "members", "value": [{ "value": mona }] }]),
    )
    .await
    .expect(204);
    assert!(rest.team_logins("octo", "devs").await.is_empty());
    deactivate(scim, &mona, true).await;
    assert_eq!(rest.team_logins("octo", "devs").await, ["mona_acme"]);
    assert_eq!(rest.team_logins("octo", "ops").await, ["mona_acme"]);
    assert_eq!(rest.org_logins("octo").await, ["mona_acme"]);
    let actions = rest.actions("action:org").await;
    assert_eq!(
        actions,
        [
            "org.add_member",
            "org.remove_member",
            "org.add_member",
            "org.create"
        ]
    );
}

#[tokio::test]
async fn leaving_one_of_two_teams_keeps_the_org_and_leaving_both_does_not() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    rest.create_org("octo").await;
    rest.create_org("other").await;
    rest.create_team("octo", "Devs").await;
    rest.create_team("octo", "Ops").await;
    rest.create_team("other", "Elsewhere").await;
    let mona = id(&scim.create_user("mona@example.com").await);
    let devs = id(&scim.create_group("Developers", &[&mona]).await);
    let ops = id(&scim.create_group("Operators", &[&mona]).await);
    rest.link("octo", "devs", &devs).await;
    rest.link("octo", "ops", &ops).await;
    rest.link("other", "elsewhere", &ops).await;
    assert_eq!(rest.org_logins("other").await, ["mona_acme"]);
    scim.patch_ops(
        &format!("/Groups/{devs}"),
        json!([{ "op": "remove", "path": format!("members[value eq \"{mona}\"]") }]),
    )
    .await
    .expect(204);
    assert!(rest.team_logins("octo", "devs").await.is_empty());
    assert_eq!(rest.org_logins("octo").await, ["mona_acme"]);
    // Unlinking the second team empties it and takes her out of the organization; the other
    // organization still has her through the same group.
    rest.delete("/orgs/octo/teams/ops/external-groups")
        .await
        .expect(204);
    assert!(rest.team_logins("octo", "ops").await.is_empty());
    assert!(rest.org_logins("octo").await.is_empty());
    assert_eq!(rest.org_logins("other").await, ["mona_acme"]);
    let shown = rest
        .get("/orgs/octo/teams/ops/external-groups")
        .await
        .expect(200);
    assert_eq!(shown.body["groups"], json!([]));
    // Unlinking again changes nothing.
    rest.delete("/orgs/octo/teams/ops/external-groups")
        .await
        .expect(204);
}

#[tokio::test]
async fn deleting_a_group_empties_the_teams_it_fed() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    rest.create_org("octo").await;
    rest.create_team("octo", "Devs").await;
    let mona = id(&scim.create_user("mona@example.com").await);
    let gid = id(&scim.create_group("Developers", &[&mona]).await);
    rest.link("octo", "devs", &gid).await;
    scim.delete(&format!("/Groups/{gid}")).await.expect(204);
    assert!(rest.team_logins("octo", "devs").await.is_empty());
    assert!(rest.org_logins("octo").await.is_empty());
    let team = rest.get("/orgs/octo/teams/devs").await.expect(200);
    assert_eq!(team.body["external_group_id"], Value::Null);
    let actions = rest.actions("").await;
    let pos = |a: &str| {
        actions
            .iter()
            .position(|x| x == a)
            .unwrap_or_else(|| panic!("{a} in {actions:?}"))
    };
    assert!(pos("external_group.delete") < pos("external_group.unlink"));
    assert!(pos("team.remove_member") < pos("external_group.link"));
    assert!(pos("org.remove_member") < pos("org.add_member"));
}

#[tokio::test]
async fn deleting_a_user_or_a_team_removes_their_seats() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    rest.create_org("octo").await;
    rest.create_team("octo", "Devs").await;
    rest.create_team("octo", "Ops").await;
    let mona = id(&scim.create_user("mona@example.com").await);
    let hubot = id(&scim.create_user("hubot@example.com").await);
    let devs = id(&scim.create_group("Developers", &[&mona, &hubot]).await);
    rest.link("octo", "devs", &devs).await;
    scim.delete(&format!("/Users/{mona}")).await.expect(204);
    assert_eq!(rest.team_logins("octo", "devs").await, ["hubot_acme"]);
    assert_eq!(rest.org_logins("octo").await, ["hubot_acme"]);
    let removed = rest.actions("action:org.remove_member").await;
    assert_eq!(removed.len(), 1);
    rest.delete("/orgs/octo/teams/devs").await.expect(204);
    assert!(rest.org_logins("octo").await.is_empty());
    let actions = rest.actions("action:team").await;
    assert_eq!(actions[0], "team.destroy");
}

#[tokio::test]
async fn control_characters_and_overlong_text_are_refused_everywhere_alike() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    rest.create_org("octo-org").await;
    // In a body field, a query parameter, a path: the same answer on every backend (PostgreSQL
    // cannot store or compare U+0000), and nothing changes.
    let r = rest
        .post("/orgs/octo-org/teams", &json!({ "name": "a\u{0}b" }))
        .await
        .expect(422);
    assert!(
        r.body["message"].as_str().unwrap().contains("U+0000"),
        "{}",
        r.text
    );
    rest.post(
        "/orgs/octo-org/teams",
        &json!({ "name": "ok", "description": "x".repeat(1025) }),
    )
    .await
    .expect(422);
    // Newlines are fine in a description.
    rest.post(
        "/orgs/octo-org/teams",
        &json!({ "name": "Multi Line", "description": "first\nsecond" }),
    )
    .await
    .expect(201);
    let r = rest
        .get("/orgs/octo-org/external-groups?display_name=a%00b")
        .await
        .expect(422);
    assert!(r.body["message"].as_str().unwrap().contains("display_name"));
    rest.patch(
        "/orgs/octo-org/teams/multi-line/external-groups",
        &json!({ "group_id": "\u{0}x" }),
    )
    .await
    .expect(422);
    let r = rest.get("/orgs/octo%00org/teams").await.expect(400);
    assert!(r.body["documentation_url"].is_string(), "{}", r.text);
    app.scim.get("/Users/a%00b").await.expect_error(400, None);
    app.scim.delete("/Groups/%0A").await.expect_error(400, None);
    let teams = rest.get("/orgs/octo-org/teams").await.expect(200).body;
    assert_eq!(teams.as_array().unwrap().len(), 1);
}
