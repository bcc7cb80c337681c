//! Authentication and isolation: bearer tokens of the enterprise's setup user, revoked and
//! expired tokens, tokens of another enterprise, GitHub's two URL prefixes, and scopes.

use directory::model::{Profile, Scope};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{GROUP_SCHEMA, Reply, Scim, TestApp, id_of, okta_user, spawn_app};

#[track_caller]
fn expect_401(r: Reply) {
    let r = r.expect_error(401, None);
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.to_ascii_lowercase().starts_with("bearer"),
        "WWW-Authenticate: {challenge:?}"
    );
}

/// A request with exactly this `Authorization` header (none when `None`).
async fn with_authorization(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut req = app.scim.http.request(method, app.scim.url(path));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

#[tokio::test]
async fn missing_wrong_and_malformed_credentials_are_401() {
    let app = spawn_app().await;
    let user = app.scim.create_user("auth@example.com").await;
    let path = format!("/Users/{}", id_of(&user));
    let wrong = format!("Bearer {}x", app.scim.token);
    let basic = format!("Basic {}", "YWRtaW46cGFzc3dvcmQ=");
    let no_scheme = app.scim.token.clone();
    for authorization in [
        None,
        Some(wrong.as_str()),
        Some("Bearer roster_pat_0000000000000000000000000000000000000000000000000000000000000000"),
        Some("Bearer"),
        Some("Bearer "),
        Some(basic.as_str()),
        Some(no_scheme.as_str()),
        Some(""),
    ] {
        for (method, p, body) in [
            (Method::GET, "/Users".to_string(), None),
            (Method::GET, path.clone(), None),
            (
                Method::POST,
                "/Users".to_string(),
                Some(okta_user("in@example.com")),
            ),
            (
                Method::PATCH,
                path.clone(),
                Some(
                    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                             "Operations": [{ "op": "replace", "value": { "active": false } }] }),
                ),
            ),
            (Method::DELETE, path.clone(), None),
            (Method::GET, "/ServiceProviderConfig".to_string(), None),
        ] {
            let r = with_authorization(&app, method, &p, authorization, body.as_ref()).await;
            expect_401(r);
        }
    }
    // Nothing changed.
    assert_eq!(app.scim.get(&path).await.expect(200).body, user);
    assert_eq!(
        app.scim.get("/Users").await.expect(200).body["totalResults"],
        1
    );
}

#[tokio::test]
async fn bearer_and_token_schemes_in_any_case_are_accepted() {
    let app = spawn_app().await;
    for scheme in ["Bearer", "bearer", "BEARER", "token"] {
        let auth = format!("{scheme} {}", app.scim.token);
        with_authorization(&app, Method::GET, "/Users", Some(&auth), None)
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn a_revoked_token_is_401() {
    let app = spawn_app().await;
    let issued = app
        .directory
        .create_token("acme", vec![Scope::ScimEnterprise], None)
        .await
        .expect("token");
    let scim = app.scim.with_token(&issued.secret);
    // Used more than once, so the server has it remembered.
    scim.get("/Users").await.expect(200);
    scim.get("/Users").await.expect(200);
    scim.get("/Users").await.expect(200);
    app.directory
        .revoke_token(&issued.token.id)
        .await
        .expect("revoke");
    expect_401(scim.get("/Users").await);
    expect_401(scim.post("/Users", &okta_user("late@example.com")).await);
    // The other token still works and nothing was created.
    assert_eq!(
        app.scim.get("/Users").await.expect(200).body["totalResults"],
        0
    );
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let app = spawn_app().await;
    let issued = app
        .directory
        .create_token(
            "acme",
            vec![Scope::ScimEnterprise],
            Some(time::Duration::seconds(1)),
        )
        .await
        .expect("token");
    let scim = app.scim.with_token(&issued.secret);
    scim.get("/Users").await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = scim.get("/Users").await;
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired")),
        "{}",
        r.text
    );
    expect_401(r);
    expect_401(scim.post("/Users", &okta_user("late@example.com")).await);
    assert_eq!(
        app.scim.get("/Users").await.expect(200).body["totalResults"],
        0
    );
}

#[tokio::test]
async fn the_admin_enterprise_scope_is_accepted_for_scim() {
    let app = spawn_app().await;
    let issued = app
        .directory
        .create_token("acme", vec![Scope::AdminEnterprise], None)
        .await
        .expect("token");
    let scim = app.scim.with_token(&issued.secret);
    let user = scim.create_user("admin-scope@example.com").await;
    scim.get(&format!("/Users/{}", id_of(&user)))
        .await
        .expect(200);
    scim.create_group("Admins", &[&id_of(&user)]).await;
    scim.get("/Schemas").await.expect(200);
}

#[tokio::test]
async fn another_enterprise_token_never_sees_or_changes_this_one() {
    let app = spawn_app().await;
    let user = app.scim.create_user("mine@example.com").await;
    let uid = id_of(&user);
    let group = app.scim.create_group("Mine", &[&uid]).await;
    let gid = id_of(&group);
    let user = app
        .scim
        .get(&format!("/Users/{uid}"))
        .await
        .expect(200)
        .body;

    let other = app.enterprise("globex", "globex", Profile::GithubEmu).await;
    let theirs = other.create_user("theirs@example.com").await;
    let their_group = other.create_group("Theirs", &[]).await;

    // Their token on our URL: 403, for reads and writes alike.
    let intruder = app.scim.with_token(&other.token);
    for (method, path, body) in [
        (Method::GET, "/Users".to_string(), None),
        (Method::GET, format!("/Users/{uid}"), None),
        (
            Method::PATCH,
            format!("/Users/{uid}"),
            Some(
                json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                         "Operations": [{ "op": "replace", "value": { "active": false } }] }),
            ),
        ),
        (
            Method::PUT,
            format!("/Users/{uid}"),
            Some(okta_user("mine@example.com")),
        ),
        (Method::DELETE, format!("/Users/{uid}"), None),
        (
            Method::POST,
            "/Users".to_string(),
            Some(okta_user("planted@example.com")),
        ),
        (Method::GET, "/Groups".to_string(), None),
        (Method::GET, format!("/Groups/{gid}"), None),
        (Method::DELETE, format!("/Groups/{gid}"), None),
        (
            Method::POST,
            "/Groups".to_string(),
            Some(json!({ "schemas": [GROUP_SCHEMA], "displayName": "Planted" })),
        ),
    ] {
        let r = intruder
            .send(method.clone(), &path, body.as_ref(), &[])
            .await;
        assert!(
            !r.text.contains("mine@example.com"),
            "{method} {path} leaked: {}",
            r.text
        );
        r.expect_error(403, None);
    }

    // Their token on their URL with our ids: 404, never our data.
    for (method, path, body) in [
        (Method::GET, format!("/Users/{uid}"), None),
        (
            Method::PATCH,
            format!("/Users/{uid}"),
            Some(
                json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                         "Operations": [{ "op": "replace", "value": { "active": false } }] }),
            ),
        ),
        (
            Method::PUT,
            format!("/Users/{uid}"),
            Some(okta_user("mine@example.com")),
        ),
        (Method::DELETE, format!("/Users/{uid}"), None),
        (Method::GET, format!("/Groups/{gid}"), None),
        (
            Method::PATCH,
            format!("/Groups/{gid}"),
            Some(
                json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                         "Operations": [{ "op": "replace", "path": "displayName", "value": "x" }] }),
            ),
        ),
        (Method::DELETE, format!("/Groups/{gid}"), None),
    ] {
        other
            .send(method.clone(), &path, body.as_ref(), &[])
            .await
            .expect_error(404, None);
    }
    // Their lists and filters show only theirs.
    let their_users = other.get("/Users").await.expect(200).body;
    assert_eq!(their_users["totalResults"], 1);
    assert_eq!(their_users["Resources"][0]["id"], theirs["id"]);
    let lookup = other
        .get("/Users?filter=userName%20eq%20%22mine@example.com%22")
        .await
        .expect(200)
        .body;
    assert_eq!(lookup["totalResults"], 0);
    let their_groups = other.get("/Groups").await.expect(200).body;
    assert_eq!(their_groups["totalResults"], 1);
    assert_eq!(their_groups["Resources"][0]["id"], their_group["id"]);
    let everything = other
        .post(
            "/.search",
            &json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"] }),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(everything["totalResults"], 2);
    // Our user cannot join their group.
    other
        .patch_ops(
            &format!("/Groups/{}", id_of(&their_group)),
            json!([{ "op": "add", "path": "members", "value": [{ "value": uid }] }]),
        )
        .await
        .expect_error(400, Some("invalidValue"));

    // Ours are untouched.
    assert_eq!(
        app.scim
            .get(&format!("/Users/{uid}"))
            .await
            .expect(200)
            .body,
        user
    );
    assert_eq!(app.scim.member_ids(&gid).await, vec![uid]);
    let ours = app.scim.get("/Users").await.expect(200).body;
    assert_eq!(ours["totalResults"], 1);
    assert_eq!(
        app.scim.get("/Groups").await.expect(200).body["totalResults"],
        1
    );
}

#[tokio::test]
async fn an_unknown_enterprise_is_not_reachable_with_a_valid_token() {
    let app = spawn_app().await;
    let elsewhere = Scim {
        base: format!("{}/scim/v2/enterprises/nosuch", app.root()),
        ..app.scim.clone()
    };
    let r = elsewhere.get("/Users").await;
    assert!(
        r.status == 403 || r.status == 404,
        "unknown enterprise: {} {}",
        r.status,
        r.text
    );
    let code = r.status.as_u16();
    r.expect_error(code, None);
    expect_401(elsewhere.with_token("nope").get("/Users").await);
}

#[tokio::test]
async fn both_url_prefixes_work_and_locations_follow_the_one_used() {
    let app = spawn_app().await;
    let ghes = Scim {
        base: format!("{}/api/v3/scim/v2/enterprises/acme", app.root()),
        ..app.scim.clone()
    };
    let r = ghes
        .post("/Users", &okta_user("ghes@example.com"))
        .await
        .expect(201);
    let id = id_of(&r.body);
    let ghes_location = ghes.url(&format!("/Users/{id}"));
    assert_eq!(r.body["meta"]["location"], ghes_location.as_str());
    assert_eq!(r.header("location"), Some(ghes_location.as_str()));
    assert_eq!(
        ghes.get(&format!("/Users/{id}")).await.expect(200).body["meta"]["location"],
        ghes_location.as_str()
    );

    // The same user through the other prefix: its location there.
    let got = app.scim.get(&format!("/Users/{id}")).await.expect(200).body;
    assert_eq!(
        got["meta"]["location"],
        app.scim.url(&format!("/Users/{id}")).as_str()
    );

    // Lists, groups and discovery documents too.
    let list = ghes.get("/Users").await.expect(200).body;
    assert_eq!(
        list["Resources"][0]["meta"]["location"],
        ghes_location.as_str()
    );
    let group = ghes.create_group("Ghes", &[&id]).await;
    let gid = id_of(&group);
    assert_eq!(
        group["meta"]["location"],
        ghes.url(&format!("/Groups/{gid}")).as_str()
    );
    assert_eq!(
        group["members"][0]["$ref"],
        ghes.url(&format!("/Users/{id}")).as_str()
    );
    let spc = ghes.get("/ServiceProviderConfig").await.expect(200).body;
    assert_eq!(
        spc["meta"]["location"],
        ghes.url("/ServiceProviderConfig").as_str()
    );

    // Forwarding headers from a peer nobody named as a proxy change nothing (see
    // public_urls.rs for trusted proxies and --public-url).
    let r = app
        .scim
        .send(
            Method::GET,
            &format!("/Users/{id}"),
            None,
            &[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "roster.example.com"),
            ],
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["meta"]["location"],
        app.scim.url(&format!("/Users/{id}")).as_str()
    );
}

#[tokio::test]
async fn unknown_paths_are_404_even_without_a_token() {
    let app = spawn_app().await;
    let r = with_authorization(&app, Method::GET, "/Nonsense", None, None).await;
    r.expect_error(404, None);
}
