//! The command line that scripts rely on: `enterprise create`, `token create|list|revoke`.

use serde_json::Value;

use crate::support::{RosterProcess, db_path, roster_cli};

fn json_out(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[tokio::test]
async fn enterprise_create_works_beside_a_running_server_and_its_token_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let url = format!("sqlite://{}", db.display());
    let server = RosterProcess::start(&db);
    server.wait_healthy().await;

    let out = roster_cli(&[
        "enterprise",
        "create",
        "globex",
        "--short-code",
        "glbx",
        "--profile",
        "scim",
        "--database",
        &url,
        "--json",
    ]);
    let created = json_out(&out);
    assert_eq!(created["enterprise"], "globex");
    assert_eq!(created["short_code"], "glbx");
    assert_eq!(created["profile"], "scim");
    assert_eq!(created["setup_user"], "glbx_admin");
    assert_eq!(created["scim_base_path"], "/scim/v2/enterprises/globex");
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("roster_pat_"));

    let scim = server.scim("globex", token);
    scim.get("/Users?startIndex=1&count=2").await.expect(200);
    // The default profile is github-emu.
    let emu = json_out(&roster_cli(&[
        "enterprise",
        "create",
        "initech",
        "--short-code",
        "init",
        "--database",
        &url,
        "--json",
    ]));
    assert_eq!(emu["profile"], "github-emu");
}

#[tokio::test]
async fn enterprise_create_refuses_taken_and_malformed_names() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", db_path(&dir).display());
    json_out(&roster_cli(&[
        "enterprise",
        "create",
        "acme",
        "--short-code",
        "acme",
        "--database",
        &url,
        "--json",
    ]));
    for (args, needle) in [
        (vec!["acme", "--short-code", "other"], "slug already exists"),
        (
            vec!["other", "--short-code", "ACME"],
            "short code already exists",
        ),
        (
            vec!["other", "--short-code", "ab"],
            "3 to 8 letters or digits",
        ),
        (
            vec!["other", "--short-code", "toolongcode"],
            "3 to 8 letters or digits",
        ),
        (
            vec!["other", "--short-code", "a-b-c"],
            "3 to 8 letters or digits",
        ),
        (
            vec!["Bad Slug", "--short-code", "abc"],
            "slug 'Bad Slug' is not valid",
        ),
    ] {
        let mut full = vec!["enterprise", "create"];
        full.extend(args.iter().copied());
        full.extend(["--database", &url]);
        let out = roster_cli(&full);
        assert!(!out.status.success(), "{args:?} should be refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[tokio::test]
async fn tokens_are_created_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let url = format!("sqlite://{}", db.display());
    let server = RosterProcess::start(&db);
    server.wait_healthy().await;

    let created = json_out(&roster_cli(&[
        "token",
        "create",
        "--enterprise",
        "acme",
        "--scope",
        "scim:enterprise",
        "--scope",
        "admin:enterprise",
        "--expires-in",
        "30d",
        "--database",
        &url,
        "--json",
    ]));
    let secret = created["token"].as_str().unwrap().to_string();
    let id = created["token_id"].as_str().unwrap().to_string();
    assert_eq!(
        created["scopes"],
        serde_json::json!(["scim:enterprise", "admin:enterprise"])
    );
    assert!(created["expires_at"].is_string());

    let scim = server.scim("acme", &secret);
    scim.get("/Users").await.expect(200);

    let list = roster_cli(&[
        "token",
        "list",
        "--enterprise",
        "acme",
        "--database",
        &url,
        "--json",
    ]);
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(!text.contains(&secret), "token list never shows secrets");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "the setup token and the new one: {text}");
    let row = rows.iter().find(|r| r["id"] == id.as_str()).unwrap();
    assert!(
        row["last_used_at"].is_string(),
        "last use is recorded: {row}"
    );
    assert_eq!(row["status"], "active");

    // Used again, so the server has it remembered (the first use wrote last_used_at, which
    // makes the server forget it): the revocation below comes from another process.
    scim.get("/Users").await.expect(200);
    scim.get("/Users").await.expect(200);
    let revoked = roster_cli(&["token", "revoke", &id, "--database", &url]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let r = scim.get("/Users").await.expect_error(401, None);
    assert!(r.body["detail"].as_str().unwrap().contains("revoked"));

    let bad = roster_cli(&[
        "token",
        "create",
        "--enterprise",
        "acme",
        "--scope",
        "repo",
        "--database",
        &url,
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scope 'repo'"));
    let unknown = roster_cli(&["token", "revoke", "tok_nope", "--database", &url]);
    assert!(!unknown.status.success());

    // A lifetime past what a clock can hold is refused in words, not a panic (exit code 101).
    for lifetime in ["999999999999999d", "36501d", "99999999999999999999w"] {
        let out = roster_cli(&[
            "token",
            "create",
            "--enterprise",
            "acme",
            "--scope",
            "scim:enterprise",
            "--expires-in",
            lifetime,
            "--database",
            &url,
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{lifetime}: {err}");
        assert!(
            err.contains("longer than the longest lifetime") || err.contains("not a duration"),
            "{lifetime}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn database_urls_are_checked() {
    let out = roster_cli(&["enterprise", "list", "--database", "mysql://x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
}
