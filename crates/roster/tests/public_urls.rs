//! Every URL Roster emits (Location, meta.location, $ref, REST urls, Link) follows
//! `--public-url` when it is set, and forwarding headers only from a trusted proxy; a scheme
//! other than http or https is never emitted.

use directory::model::Profile;
use reqwest::Method;
use serde_json::json;
use server::{PublicOrigin, ServerConfig};

use crate::support::*;

fn config(public: PublicOrigin) -> ServerConfig {
    ServerConfig {
        public,
        ..ServerConfig::default()
    }
}

const HOSTILE: [(&str, &str); 3] = [
    ("x-forwarded-proto", "javascript"),
    ("x-forwarded-host", "evil.example"),
    ("host", "evil.example"),
];

#[tokio::test]
async fn with_a_public_url_nothing_a_client_sends_changes_the_urls() {
    let app = spawn_app_with(
        Profile::GithubEmu,
        config(PublicOrigin {
            url: Some(PublicOrigin::parse_url("https://scim.example.com/idp/").unwrap()),
            // Even a trusted proxy's headers lose to the configured URL.
            trusted_proxies: vec![PublicOrigin::parse_proxy("127.0.0.0/8").unwrap()],
        }),
    )
    .await;
    let public = "https://scim.example.com/idp/scim/v2/enterprises/acme";
    let r = app
        .scim
        .send(
            Method::POST,
            "/Users",
            Some(&okta_user("mona@example.com")),
            &HOSTILE,
        )
        .await
        .expect(201);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("{public}/Users/{id}").as_str())
    );
    assert_eq!(
        r.body["meta"]["location"],
        format!("{public}/Users/{id}").as_str()
    );
    let g = app
        .scim
        .send(
            Method::POST,
            "/Groups",
            Some(&json!({ "schemas": [GROUP_SCHEMA], "displayName": "Ops", "members": [{ "value": id }] })),
            &HOSTILE,
        )
        .await
        .expect(201);
    assert_eq!(
        g.body["members"][0]["$ref"],
        format!("{public}/Users/{id}").as_str()
    );
    let spc = app
        .scim
        .send(Method::GET, "/ServiceProviderConfig", None, &HOSTILE)
        .await
        .expect(200);
    assert_eq!(
        spc.body["meta"]["location"],
        format!("{public}/ServiceProviderConfig").as_str()
    );

    // The REST API's urls and its Link header.
    let rest = app.rest().await;
    rest.create_org("octo-org").await;
    let team = rest.create_team("octo-org", "Justice League").await;
    assert_eq!(
        team["url"],
        "https://scim.example.com/idp/api/v3/orgs/octo-org/teams/justice-league"
    );
    let audit = rest
        .http
        .get(format!(
            "{}/enterprises/acme/audit-log?per_page=1",
            rest.base
        ))
        .bearer_auth(&rest.token)
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let link = audit.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.starts_with("<https://scim.example.com/idp/api/v3/enterprises/acme/audit-log?"),
        "{link}"
    );
}

#[tokio::test]
async fn a_trusted_proxy_names_scheme_and_host_but_only_http_or_https() {
    let app = spawn_app_with(
        Profile::GithubEmu,
        config(PublicOrigin {
            url: None,
            trusted_proxies: vec![PublicOrigin::parse_proxy("127.0.0.1").unwrap()],
        }),
    )
    .await;
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "roster.example.com"),
    ];
    let r = app
        .scim
        .send(
            Method::POST,
            "/Users",
            Some(&okta_user("lisa@example.com")),
            &forwarded,
        )
        .await
        .expect(201);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("https://roster.example.com/scim/v2/enterprises/acme/Users/{id}").as_str())
    );

    // A proxy that appends: what the client sent is on the left, the proxy's value last.
    let r = app
        .scim
        .send(
            Method::GET,
            &format!("/Users/{id}"),
            None,
            &[
                ("x-forwarded-proto", "http, https"),
                ("x-forwarded-host", "evil.example, roster.example.com"),
            ],
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["meta"]["location"],
        format!("https://roster.example.com/scim/v2/enterprises/acme/Users/{id}").as_str()
    );

    // A scheme that is not http or https, or a host that is not a host, is not believed.
    let r = app
        .scim
        .send(
            Method::GET,
            &format!("/Users/{id}"),
            None,
            &[
                ("x-forwarded-proto", "javascript"),
                ("x-forwarded-host", "evil.example/phish?"),
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
async fn without_a_trusted_proxy_forwarding_headers_are_ignored() {
    let app = spawn_app().await;
    let r = app
        .scim
        .send(
            Method::POST,
            "/Users",
            Some(&okta_user("eve@example.com")),
            &HOSTILE[..2],
        )
        .await
        .expect(201);
    let location = r.header("location").unwrap().to_string();
    assert!(
        location.starts_with(&format!(
            "http://{}/scim/v2/enterprises/acme/Users/",
            app.addr
        )),
        "{location}"
    );
    // A Host that is no host name never reaches a URL either.
    let r = app
        .scim
        .send(
            Method::GET,
            "/ServiceProviderConfig",
            None,
            &[("host", "evil.example/x")],
        )
        .await
        .expect(200);
    let location = r.body["meta"]["location"].as_str().unwrap();
    assert!(!location.contains("evil"), "{location}");
}

#[test]
fn serve_refuses_an_unusable_public_url_or_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", db_path(&dir).display());
    for (flag, value, needle) in [
        (
            "--public-url",
            "javascript://evil.example",
            "scheme must be http or https",
        ),
        ("--public-url", "https://u:p@evil.example", "host"),
        (
            "--trusted-proxy",
            "everyone",
            "not an IP address or network",
        ),
    ] {
        let out = roster_cli(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            flag,
            value,
        ]);
        assert!(!out.status.success(), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{flag} {value}: {err}");
    }
}
