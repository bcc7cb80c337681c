//! `roster org`, `roster team`, `roster audit`, the new token scopes and the serve flags for
//! rate limits and audit retention.

use serde_json::Value;

use crate::support::{RosterProcess, db_path, roster_cli, spawn_app};

fn run(args: &[&str]) -> String {
    let out = roster_cli(args);
    assert!(
        out.status.success(),
        "roster {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn fails(args: &[&str]) -> String {
    let out = roster_cli(args);
    assert!(!out.status.success(), "roster {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[tokio::test]
async fn orgs_teams_links_and_the_audit_log_from_the_command_line() {
    let app = spawn_app().await;
    // The server's own database, SQLite or PostgreSQL (ROSTER_TEST_BACKEND).
    let d = app.database_url.as_str();
    let mona = app.scim.create_user("mona@example.com").await;
    let mona = mona["id"].as_str().unwrap();
    let a = app.scim.create_group("A", &[mona]).await;
    let b = app.scim.create_group("B", &[]).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    let org: Value =
        serde_json::from_str(run(&["org", "create", "octo", "--database", d, "--json"]).trim())
            .unwrap();
    assert_eq!(org["login"], "octo");
    assert!(fails(&["org", "create", "OCTO", "--database", d]).contains("already exists"));
    assert!(run(&["org", "list", "--enterprise", "acme", "--database", d]).contains("octo"));
    let team: Value = serde_json::from_str(
        run(&[
            "team",
            "create",
            "Dev Team",
            "--org",
            "octo",
            "--database",
            d,
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(team["slug"], "dev-team");
    run(&["team", "create", "Parent", "--org", "octo", "--database", d]);
    run(&[
        "team",
        "create",
        "Nested",
        "--org",
        "octo",
        "--parent",
        "parent",
        "--database",
        d,
    ]);
    assert!(
        fails(&[
            "team",
            "link",
            "nested",
            a,
            "--org",
            "octo",
            "--database",
            d
        ])
        .contains("nested")
    );
    let linked = run(&[
        "team",
        "link",
        "dev-team",
        a,
        "--org",
        "octo",
        "--database",
        d,
    ]);
    assert!(linked.contains("1 member"), "{linked}");
    let relinked = run(&[
        "team",
        "link",
        "dev-team",
        b,
        "--org",
        "octo",
        "--database",
        d,
    ]);
    assert!(relinked.contains("replaced"), "{relinked}");
    let list = run(&["team", "list", "--org", "octo", "--database", d]);
    assert!(list.contains(b), "{list}");
    assert!(
        run(&[
            "team",
            "unlink",
            "dev-team",
            "--org",
            "octo",
            "--database",
            d
        ])
        .contains("Unlinked")
    );

    let lines = run(&[
        "audit",
        "--database",
        d,
        "--json",
        "--phrase",
        "action:external_group",
    ]);
    let actions: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        &actions[..4],
        [
            "external_group.unlink",
            "external_group.link",
            "external_group.unlink",
            "external_group.link"
        ]
    );
    let text = run(&["audit", "--database", d, "--limit", "2"]);
    assert_eq!(text.lines().count(), 2);
    assert!(fails(&["audit", "--database", d, "--phrase", "nonsense"]).contains("qualifier"));
    // The REST API sees what the CLI did, with the CLI as actor.
    let rest = app.rest().await;
    let events = rest
        .get("/enterprises/acme/audit-log?phrase=action%3Aorg.create")
        .await
        .expect(200);
    assert_eq!(events.body[0]["actor"], "roster-cli");
}

#[tokio::test]
async fn tokens_take_the_new_scopes_and_serve_takes_limits_and_retention() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let server = RosterProcess::start_with(
        &db,
        &[
            "--rate-limit",
            "0.01",
            "--rate-burst",
            "2",
            "--audit-retention-days",
            "30",
        ],
    );
    server.wait_healthy().await;
    let url = format!("sqlite://{}", db.display());
    let out: Value = serde_json::from_str(
        run(&[
            "token",
            "create",
            "--enterprise",
            "acme",
            "--scope",
            "admin:org",
            "--scope",
            "read:audit_log",
            "--database",
            &url,
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(
        out["scopes"],
        serde_json::json!(["admin:org", "read:audit_log"])
    );
    assert!(
        fails(&[
            "token",
            "create",
            "--enterprise",
            "acme",
            "--scope",
            "admin:everything",
            "--database",
            &url
        ])
        .contains("read:audit_log")
    );
    let token = out["token"].as_str().unwrap();
    let http = reqwest::Client::new();
    let get = || {
        http.get(format!(
            "http://{}/api/v3/enterprises/acme/audit-log",
            server.addr
        ))
        .bearer_auth(token)
        .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    assert_eq!(get().await.unwrap().status(), 200);
    let refused = get().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    assert!(
        fails(&[
            "serve",
            "--rate-limit=0",
            "--database",
            &url,
            "--listen",
            "127.0.0.1:0"
        ])
        .contains("rate-limit")
    );
}
