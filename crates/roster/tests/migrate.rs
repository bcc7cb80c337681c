//! `roster migrate`: a server's SQLite database copied into PostgreSQL serves the same data
//! with the same token; a second copy into the now non-empty target is refused.

use store::scratch::ScratchDatabase;

use crate::support::{RosterProcess, db_path, roster_cli};

#[tokio::test]
async fn migrate_copies_a_sqlite_server_into_postgres() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = RosterProcess::start(&db_path(&dir));
    let token = sqlite.token().expect("token");
    let scim = sqlite.scim("acme", &token);
    let user = scim.create_user("mona@example.com").await;
    let id = user["id"].as_str().expect("id").to_string();
    scim.create_group("Admins", &[&id]).await;
    assert!(sqlite.terminate().success());

    let db = ScratchDatabase::create().await.expect("scratch database");
    let from = format!("sqlite://{}", db_path(&dir).display());
    let out = roster_cli(&["migrate", "--from", &from, "--to", &db.url]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("users") && stderr.contains('#'),
        "a progress bar: {stderr}"
    );
    assert!(stdout.contains("users          1 rows"), "{stdout}");

    let pg = RosterProcess::start_url(&db.url, &[]);
    assert_eq!(
        pg.token(),
        None,
        "the enterprise came along: {:?}",
        pg.banner
    );
    let scim = pg.scim("acme", &token);
    let read = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(read.body["userName"], "mona@example.com");
    assert_eq!(read.body["groups"][0]["display"], "Admins");
    scim.create_user("octo@example.com").await;

    let again = roster_cli(&["migrate", "--from", &from, "--to", &db.url]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}
