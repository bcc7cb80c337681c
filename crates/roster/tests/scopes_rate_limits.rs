//! Scopes (403 naming the missing scope, SCIM-shaped on SCIM paths, GitHub-shaped on REST
//! paths) and per-token rate limits (429 with Retry-After and X-RateLimit-*).

use directory::Limits;
use directory::model::{Profile, Scope};
use directory::rate_limit::RateLimit;
use serde_json::json;
use server::ServerConfig;

use crate::support::{spawn_app, spawn_app_limited};

#[tokio::test]
async fn each_api_needs_its_scope_and_the_refusal_names_it() {
    let app = spawn_app().await;
    let scim_only = app.rest_with(&app.scim.token);
    let r = scim_only
        .get("/enterprises/acme/organizations")
        .await
        .expect(403);
    assert!(
        r.body["message"].as_str().unwrap().contains("admin:org"),
        "{}",
        r.text
    );
    assert!(r.body["documentation_url"].as_str().is_some());
    let r = scim_only
        .get("/enterprises/acme/audit-log")
        .await
        .expect(403);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("read:audit_log"),
        "{}",
        r.text
    );

    let org_admin = app.rest_with(&app.token(&[Scope::AdminOrg]).await);
    org_admin.create_org("octo").await;
    org_admin.create_team("octo", "Devs").await;
    org_admin.get("/orgs/octo/members").await.expect(200);
    let r = org_admin
        .get("/enterprises/acme/audit-log")
        .await
        .expect(403);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("read:audit_log")
    );
    let r = app
        .scim
        .with_token(&org_admin.token)
        .get("/Users")
        .await
        .expect_error(403, None);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("scim:enterprise"),
        "{}",
        r.text
    );

    let auditor = app.rest_with(&app.token(&[Scope::ReadAuditLog]).await);
    auditor.get("/enterprises/acme/audit-log").await.expect(200);
    let r = auditor
        .post("/orgs/octo/teams", &json!({ "name": "x" }))
        .await
        .expect(403);
    assert!(r.body["message"].as_str().unwrap().contains("admin:org"));

    let admin = app.rest().await;
    admin.get("/enterprises/acme/audit-log").await.expect(200);
    admin.get("/orgs/octo/teams").await.expect(200);
    app.scim
        .with_token(&admin.token)
        .get("/Users")
        .await
        .expect(200);

    let nobody = app.rest_with("roster_pat_wrong");
    let r = nobody.get("/orgs/octo/teams").await.expect(401);
    assert!(r.body["message"].as_str().is_some());
    assert!(r.header("www-authenticate").is_some());
}

#[tokio::test]
async fn another_enterprises_organizations_are_out_of_reach() {
    let app = spawn_app().await;
    let rest = app.rest().await;
    rest.create_org("octo").await;
    let globex = app.enterprise("globex", "glx", Profile::GithubEmu).await;
    let token = app
        .directory
        .create_token("globex", vec![Scope::AdminEnterprise], None)
        .await
        .unwrap()
        .secret;
    let theirs = app.rest_with(&token);
    theirs.get("/orgs/octo/teams").await.expect(404);
    let r = theirs
        .get("/enterprises/acme/organizations")
        .await
        .expect(403);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("another enterprise")
    );
    // Logins are unique across the server.
    theirs
        .post(
            "/enterprises/globex/organizations",
            &json!({ "login": "OCTO" }),
        )
        .await
        .expect(422);
    let _ = globex;
}

async fn limited_app(burst: u32) -> crate::support::TestApp {
    spawn_app_limited(
        Profile::GithubEmu,
        ServerConfig::default(),
        Limits {
            rate_limit: Some(RateLimit {
                per_second: 0.01,
                burst,
            }),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn over_the_limit_scim_answers_429_with_headers_and_a_scim_error() {
    let app = limited_app(3).await;
    let first = app.scim.get("/Users").await.expect(200);
    assert_eq!(first.header("x-ratelimit-limit"), Some("3"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("2"));
    let reset: u64 = first.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    assert!(reset > now, "reset {reset} is in the future of {now}");
    app.scim.get("/Users").await.expect(200);
    app.scim.get("/Users").await.expect(200);
    let refused = app.scim.get("/Users").await.expect_error(429, None);
    assert!(
        refused
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(refused.header("x-ratelimit-limit"), Some("3"));
    assert!(refused.header("x-ratelimit-reset").is_some());
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("rate limit")
    );
    // A refused request changes nothing and is not recorded as a failure.
    app.scim
        .post("/Users", &crate::support::okta_user("mona@example.com"))
        .await
        .expect_error(429, None);
    // Another token of the same enterprise has its own bucket.
    let other = app
        .scim
        .with_token(&app.token(&[Scope::ScimEnterprise]).await);
    other.get("/Users").await.expect(200);
    let users = other.get("/Users").await.expect(200);
    assert_eq!(users.body["totalResults"], 0);
    let auditor = app.rest_with(&app.token(&[Scope::ReadAuditLog]).await);
    let actions = auditor.actions("").await;
    assert!(
        !actions.iter().any(|a| a.ends_with("scim_api_failure")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn over_the_limit_rest_answers_429_with_githubs_error_json() {
    let app = limited_app(1).await;
    let rest = app.rest().await;
    let ok = rest
        .get("/enterprises/acme/organizations")
        .await
        .expect(200);
    assert_eq!(ok.header("x-ratelimit-remaining"), Some("0"));
    let refused = rest
        .get("/enterprises/acme/organizations")
        .await
        .expect(429);
    assert_eq!(
        refused.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("rate limit"),
        "{}",
        refused.text
    );
    assert!(
        refused.body["documentation_url"]
            .as_str()
            .unwrap()
            .contains("rate-limits")
    );
    assert!(refused.header("retry-after").is_some());
    assert_eq!(refused.header("x-ratelimit-limit"), Some("1"));
    // The SCIM token is unaffected.
    app.scim.get("/Users").await.expect(200);
}

#[tokio::test]
async fn without_a_configured_limit_there_are_no_rate_limit_headers() {
    let app = spawn_app().await;
    for _ in 0..20 {
        let r = app.scim.get("/Users").await.expect(200);
        assert!(r.header("x-ratelimit-limit").is_none());
    }
}
