//! A file system that turns read-only: under a running server (as ext4 does after a disk
//! error), and at start.

use super::{readyz, refused, roster_run};
use crate::support::mounts::Mount;
use crate::support::{RosterProcess, okta_user};

/// Reads go on (including with a token whose first use cannot be recorded), every write is
/// refused with 503 and `Retry-After`, and the server says it is not ready.
#[tokio::test]
async fn a_file_system_turned_read_only_refuses_writes_and_keeps_reads() {
    let fs = Mount::ext4(32);
    let db = fs.path.join("roster.db");
    let url = format!("sqlite://{}", db.display());
    let server = RosterProcess::start(&db);
    let token = server.token().unwrap();
    server.wait_healthy().await;
    let scim = server.scim("acme", &token);
    let user = scim.create_user("before@example.com").await;
    let id = user["id"].as_str().unwrap().to_string();
    // A token never used yet: its first use is a write (last use).
    let created = roster_run(
        &[
            "token",
            "create",
            "--enterprise",
            "acme",
            "--scope",
            "scim:enterprise",
            "--json",
            "--database",
            &url,
        ],
        None,
    )
    .await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let fresh: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let fresh = server.scim("acme", fresh["token"].as_str().unwrap());

    fs.fail_ext4();

    for client in [&scim, &fresh] {
        let got = client.get(&format!("/Users/{id}")).await.expect(200);
        assert_eq!(got.body["userName"], "before@example.com");
        client
            .get("/Users?filter=userName%20eq%20%22before@example.com%22")
            .await
            .expect(200);
    }
    let mut details = Vec::new();
    for i in 0..5 {
        let r = scim
            .post("/Users", &okta_user(&format!("after{i}@example.com")))
            .await
            .expect_error(503, None);
        assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
        details.push(r.body["detail"].as_str().unwrap_or_default().to_string());
    }
    println!("read-only file system: 5 of 5 writes refused with 503; details: {details:#?}");
    assert!(
        details.last().is_some_and(|d| d.contains("read-only")),
        "once known, the refusal says why: {details:?}"
    );
    let (status, body) = readyz(&server).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("read-only"), "{body}");
    // Nothing of the refused writes is there.
    let list = scim.get("/Users?count=0").await.expect(200);
    assert_eq!(list.body["totalResults"], 1, "{}", list.text);
}

/// A database on a read-only file system is refused at start with its name and what to do;
/// the server never starts listening.
#[tokio::test]
async fn serve_on_a_read_only_file_system_is_refused_naming_it() {
    let fs = Mount::ext4(16);
    let db = fs.path.join("roster.db");
    let url = format!("sqlite://{}", db.display());
    let created = roster_run(
        &[
            "enterprise",
            "create",
            "acme",
            "--short-code",
            "acme",
            "--database",
            &url,
        ],
        None,
    )
    .await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    fs.remount_read_only();
    let stderr = refused(
        &["serve", "--listen", "127.0.0.1:0", "--database", &url],
        None,
    )
    .await;
    assert!(stderr.contains("read-only"), "{stderr}");
    assert!(
        stderr.contains(&fs.path.display().to_string()),
        "names where: {stderr}"
    );
    assert!(stderr.contains("writable"), "says what to do: {stderr}");
}
