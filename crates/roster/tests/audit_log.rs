//! The audit log over the REST API: every SCIM write under GitHub's event names (refusals as
//! `*.scim_api_failure`), phrase search, cursor paging with a Link header, retention.

use serde_json::{Value, json};

use crate::support::{GROUP_SCHEMA, PATCH_OP, encode, spawn_app};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn every_scim_write_is_in_the_audit_log_under_githubs_names() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    let mona = id(&scim.create_user("mona@example.com").await);
    let hubot = id(&scim.create_user("hubot@example.com").await);
    let user = |active: bool| json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": active } }] });
    scim.patch(&format!("/Users/{mona}"), &user(false))
        .await
        .expect(200);
    scim.patch(&format!("/Users/{mona}"), &user(true))
        .await
        .expect(200);
    scim.patch_ops(
        &format!("/Users/{mona}"),
        json!([{ "op": "add", "path": "roles", "value": [{ "value": "enterprise_owner" }] }]),
    )
    .await
    .expect(200);
    scim.patch_ops(
        &format!("/Users/{mona}"),
        json!([{ "op": "remove", "path": "roles" }]),
    )
    .await
    .expect(200);
    let gid = id(&scim.create_group("Developers", &[&mona]).await);
    scim.patch_ops(
        &format!("/Groups/{gid}"),
        json!([{ "op": "add", "path": "members", "value": [{ "value": hubot }] }]),
    )
    .await
    .expect(204);
    scim.patch_ops(
        &format!("/Groups/{gid}"),
        json!([{ "op": "remove", "path": format!("members[value eq \"{hubot}\"]") }]),
    )
    .await
    .expect(204);
    scim.put(
        &format!("/Groups/{gid}"),
        &json!({ "schemas": [GROUP_SCHEMA], "displayName": "Devs", "members": [{ "value": mona }] }),
    )
    .await
    .expect(200);
    scim.delete(&format!("/Groups/{gid}")).await.expect(204);
    scim.delete(&format!("/Users/{hubot}")).await.expect(204);
    let mut actions = rest.actions("").await;
    actions.reverse();
    let expected = [
        "user.create",
        "external_identity.provision",
        "user.create",
        "external_identity.provision",
        "external_identity.update",
        "user.suspend",
        "external_identity.update",
        "user.unsuspend",
        "external_identity.update",
        "business.add_admin",
        "external_identity.update",
        "business.remove_admin",
        "external_group.provision",
        "external_group.add_member",
        "external_group.add_member",
        "external_group.remove_member",
        "external_group.update",
        "external_group.remove_member",
        "external_group.delete",
        "external_identity.deprovision",
        "user.delete",
    ];
    let scim_actions: Vec<&str> = actions
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("business.create") && !a.starts_with("personal_access_token"))
        .collect();
    assert_eq!(scim_actions, expected);
}

#[tokio::test]
async fn events_carry_githubs_fields_actor_token_and_request_id() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let r = app
        .scim
        .send(
            reqwest::Method::POST,
            "/Users",
            Some(&crate::support::okta_user("mona@example.com")),
            &[("x-request-id", "req-12345")],
        )
        .await
        .expect(201);
    let user_id = id(&r.body);
    let page = rest
        .get("/enterprises/acme/audit-log?phrase=action:external_identity.provision")
        .await
        .expect(200);
    assert_eq!(
        page.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let e = &page.body[0];
    assert_eq!(e["action"], "external_identity.provision");
    assert_eq!(e["actor"], "acme_admin");
    assert_eq!(e["request_id"], "req-12345");
    assert!(e["token_id"].as_str().unwrap().starts_with("tok_"));
    assert_eq!(e["user"], "mona_acme");
    assert_eq!(e["user_id"], user_id.as_str());
    assert_eq!(e["business"], "acme");
    let ts = e["@timestamp"].as_i64().expect("@timestamp in ms");
    assert_eq!(e["created_at"].as_i64(), Some(ts));
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    assert!((now_ms - ts).abs() < 60_000, "{ts} is milliseconds of now");
    assert!(e["_document_id"].as_str().is_some_and(|d| !d.is_empty()));
    // Team and org events name the team as org/slug, the org and the user.
    rest.create_org("octo").await;
    rest.create_team("octo", "Devs").await;
    let gid = id(&app.scim.create_group("Developers", &[&user_id]).await);
    rest.link("octo", "devs", &gid).await;
    let page = rest
        .get("/enterprises/acme/audit-log?phrase=action:team.add_member")
        .await
        .expect(200);
    let e = &page.body[0];
    assert_eq!(e["team"], "octo/devs");
    assert_eq!(e["org"], "octo");
    assert_eq!(e["user"], "mona_acme");
    let page = rest
        .get("/enterprises/acme/audit-log?phrase=action:external_group.link")
        .await
        .expect(200);
    let e = &page.body[0];
    assert_eq!(e["external_group_id"], gid.as_str());
    assert_eq!(e["external_group_name"], "Developers");
    assert_eq!(e["team"], "octo/devs");
}

#[tokio::test]
async fn refused_scim_writes_are_recorded_as_scim_api_failures() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    let scim = &app.scim;
    scim.create_user("mona@example.com").await;
    scim.post("/Users", &crate::support::okta_user("mona@example.com"))
        .await
        .expect(409);
    scim.patch_ops(
        "/Groups/nope",
        json!([{ "op": "remove", "path": "members" }]),
    )
    .await
    .expect(404);
    scim.send(
        reqwest::Method::POST,
        "/Groups",
        None,
        &[("content-type", "application/scim+json")],
    )
    .await
    .expect(400);
    // Reads and searches are not writes; a refused read records nothing.
    scim.get("/Users/nope").await.expect(404);
    let page = rest
        .get(&format!(
            "/enterprises/acme/audit-log?phrase={}",
            encode(
                "action:external_identity.scim_api_failure action:external_group.scim_api_failure"
            )
        ))
        .await
        .expect(200);
    let events = page.body.as_array().unwrap();
    assert_eq!(events.len(), 3, "{}", page.text);
    let users = &events[2];
    assert_eq!(users["action"], "external_identity.scim_api_failure");
    assert_eq!(users["method"], "POST");
    assert_eq!(users["path"], "/scim/v2/enterprises/acme/Users");
    assert_eq!(users["status"], 409);
    assert!(
        users["detail"].as_str().unwrap().contains("userName"),
        "{}",
        page.text
    );
    assert_eq!(users["actor"], "acme_admin");
    let groups = &events[1];
    assert_eq!(groups["action"], "external_group.scim_api_failure");
    assert_eq!(groups["method"], "PATCH");
    assert_eq!(groups["status"], 404);
    assert_eq!(events[0]["status"], 400);
}

#[tokio::test]
async fn refused_writes_are_recorded_short_and_bounded_per_token() {
    use directory::Limits;
    use directory::rate_limit::RateLimit;
    let app = crate::support::spawn_app_limited(
        directory::model::Profile::GithubEmu,
        server::ServerConfig::default(),
        Limits {
            failure_events: RateLimit {
                per_second: 0.000_01,
                burst: 5,
            },
            ..Limits::default()
        },
    )
    .await;
    let rest = app.rest().await;
    let user = id(&app.scim.create_user("mona@example.com").await);
    // 60 KB of attribute name in a PATCH path: refused, and the answer does not echo it.
    let huge = "x".repeat(60_000);
    for _ in 0..20 {
        let r = app
            .scim
            .patch_ops(
                &format!("/Users/{user}"),
                json!([{ "op": "replace", "path": huge, "value": "v" }]),
            )
            .await;
        assert_eq!(r.status, 400, "{}", &r.text[..200.min(r.text.len())]);
        assert!(r.text.len() < 3_000, "an answer of {} bytes", r.text.len());
    }
    // Another token of the enterprise has a budget of its own.
    let other = app
        .scim
        .with_token(&app.token(&[directory::model::Scope::ScimEnterprise]).await);
    other
        .post("/Users", &crate::support::okta_user("mona@example.com"))
        .await
        .expect(409);
    let page = rest
        .get(&format!(
            "/enterprises/acme/audit-log?per_page=100&phrase={}",
            encode("action:external_identity.scim_api_failure")
        ))
        .await
        .expect(200);
    let events = page.body.as_array().unwrap();
    assert_eq!(
        events.len(),
        6,
        "5 of the first token's 20, 1 of the other's"
    );
    for e in events {
        let detail = e["detail"].as_str().unwrap();
        assert!(detail.chars().count() < 600, "{detail}");
    }
    assert!(
        page.text.len() < 20_000,
        "{} bytes of audit log",
        page.text.len()
    );
}

#[tokio::test]
async fn the_phrase_selects_by_action_actor_and_date() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    app.scim.create_user("mona@example.com").await;
    app.scim.create_user("hubot@example.com").await;
    let get = |phrase: &str| {
        let rest = rest.clone();
        let phrase = encode(phrase);
        async move {
            rest.get(&format!("/enterprises/acme/audit-log?phrase={phrase}"))
                .await
                .expect(200)
                .body
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(get("action:user.create").await, 2);
    assert_eq!(get("action:user").await, 2);
    assert_eq!(
        get("action:user.create action:external_identity.provision").await,
        4
    );
    assert_eq!(get("action:user.create actor:acme_admin").await, 2);
    assert_eq!(get("action:user.create actor:someone-else").await, 0);
    let today = time::OffsetDateTime::now_utc().date();
    let tomorrow = today.next_day().unwrap();
    let yesterday = today.previous_day().unwrap();
    assert_eq!(
        get(&format!("action:user.create created:>={today}")).await,
        2
    );
    assert_eq!(get(&format!("action:user.create created:{today}")).await, 2);
    assert_eq!(
        get(&format!("action:user.create created:>{today}")).await,
        0
    );
    assert_eq!(
        get(&format!("action:user.create created:<{today}")).await,
        0
    );
    assert_eq!(
        get(&format!("action:user.create created:<={today}")).await,
        2
    );
    assert_eq!(
        get(&format!("action:user.create created:<{tomorrow}")).await,
        2
    );
    assert_eq!(
        get(&format!("action:user.create created:{yesterday}..{today}")).await,
        2
    );
    assert_eq!(
        get("action:user.create created:2020-01-01..2020-02-01").await,
        0
    );
    let bad = rest
        .get("/enterprises/acme/audit-log?phrase=repo%3Ax")
        .await
        .expect(422);
    assert!(
        bad.body["message"].as_str().unwrap().contains("action:"),
        "{}",
        bad.text
    );
    rest.get("/enterprises/acme/audit-log?phrase=created%3A%3E%3Dsoon")
        .await
        .expect(422);
    rest.get("/enterprises/acme/audit-log?per_page=101")
        .await
        .expect(422);
    rest.get("/enterprises/acme/audit-log?after=bogus")
        .await
        .expect(422);
}

#[tokio::test]
async fn pages_follow_cursors_newest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    for i in 0..7 {
        app.scim.create_user(&format!("user{i}@example.com")).await;
    }
    let all: Vec<String> = rest
        .get("/enterprises/acme/audit-log?phrase=action%3Auser.create")
        .await
        .expect(200)
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["user"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0], "user6_acme", "newest first");
    let mut seen = Vec::new();
    let mut url = format!(
        "{}/enterprises/acme/audit-log?phrase=action%3Auser.create&per_page=3",
        rest.base
    );
    let mut pages = 0;
    loop {
        pages += 1;
        let path = url.strip_prefix(&rest.base).unwrap().to_string();
        let r = rest.get(&path).await.expect(200);
        seen.extend(
            r.body
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["user"].as_str().unwrap().to_string()),
        );
        let next = r.header("link").and_then(|l| {
            l.split(", ")
                .find(|p| p.ends_with("rel=\"next\""))
                .map(|p| {
                    p.trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap()
                        .to_string()
                })
        });
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all);
    // Going back from the second page gives the first again.
    let first = rest
        .get("/enterprises/acme/audit-log?phrase=action%3Auser.create&per_page=3")
        .await;
    let link = first.header("link").unwrap().to_string();
    let second_url = link.trim_start_matches('<').split('>').next().unwrap();
    let second = rest.get(second_url.strip_prefix(&rest.base).unwrap()).await;
    let prev = second
        .header("link")
        .unwrap()
        .split(", ")
        .find(|p| p.ends_with("rel=\"prev\""))
        .map(|p| {
            p.trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_string()
        })
        .expect("a prev link");
    let back = rest
        .get(prev.strip_prefix(&rest.base).unwrap())
        .await
        .expect(200);
    assert_eq!(back.body, first.body);
}

#[tokio::test]
async fn retention_deletes_only_old_events_and_the_api_cannot_delete_any() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    app.scim.create_user("mona@example.com").await;
    rest.delete("/enterprises/acme/audit-log").await.expect(405);
    rest.post("/enterprises/acme/audit-log", &json!({}))
        .await
        .expect(405);
    assert_eq!(app.directory.prune_audit_log(30).await.unwrap(), 0);
    assert!(!rest.actions("").await.is_empty());
    assert!(app.directory.prune_audit_log(0).await.unwrap() > 0);
    assert!(rest.actions("action:user.create").await.is_empty());
}
