//! Clients that hang up while their creates wait for SQLite's one write connection.

use std::time::Duration;

use store::{DatabaseUrl, OpenMode, OpenOptions};

use super::{LIVENESS, roster_run, terminate};
use crate::support::{RosterProcess, db_path, okta_user};

/// Rounds of load: in each, creates whose clients wait, then creates whose clients all hang
/// up together after the same short patience, longer in each round, so that in some round
/// they hang up while queued behind the waiting ones.
const ROUNDS: u64 = 120;
const WAITING: usize = 8;
const HANGING_UP: usize = 32;

/// Many creates whose clients give up after a few milliseconds, behind creates whose clients
/// wait: every waiting client gets its answer, every acknowledged create is readable without
/// any further write, no transaction is left holding the write lock (the CLI can write), and
/// SIGTERM exits.
#[tokio::test]
async fn creates_whose_clients_hang_up_while_queued_leave_no_write_unanswered() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let server = RosterProcess::start(&db);
    let token = server.token().unwrap();
    server.wait_healthy().await;
    let scim = server.scim("acme", &token);
    let impatient = reqwest::Client::new();

    let mut acknowledged = Vec::new();
    let mut hung_up = 0;
    for round in 0..ROUNDS {
        let patience = Duration::from_micros(1000 + 750 * (round % 40));
        let mut waiting = Vec::new();
        for i in 0..WAITING {
            let scim = scim.clone();
            let user = okta_user(&format!("kept{round}-{i}@example.com"));
            waiting.push(tokio::spawn(async move {
                tokio::time::timeout(LIVENESS, scim.post("/Users", &user)).await
            }));
        }
        let mut hanging_up = Vec::new();
        for i in 0..HANGING_UP {
            let (http, url, token) = (impatient.clone(), scim.url("/Users"), token.clone());
            let body = okta_user(&format!("gone{round}-{i}@example.com")).to_string();
            hanging_up.push(tokio::spawn(async move {
                http.post(url)
                    .bearer_auth(token)
                    .header("content-type", "application/scim+json")
                    .body(body)
                    .timeout(patience)
                    .send()
                    .await
                    .is_err()
            }));
        }
        for t in hanging_up {
            hung_up += usize::from(t.await.unwrap());
        }
        for t in waiting {
            let Ok(r) = t.await.unwrap() else {
                panic!(
                    "a create whose client waited got no answer within {LIVENESS:?} (round {round})"
                );
            };
            let r = r.expect(201);
            acknowledged.push(r.body["id"].as_str().unwrap().to_string());
        }
    }
    println!(
        "abandoned writers: {hung_up} of {} clients hung up; {} waiting creates all answered",
        ROUNDS as usize * HANGING_UP,
        acknowledged.len()
    );
    assert!(hung_up > 0, "no client hung up: the test exercised nothing");

    // Committed, and visible to a separate reader of the file, with no write since.
    let reader = store::open_with(
        &DatabaseUrl::Sqlite(db.clone()),
        &OpenOptions::new(OpenMode::Existing),
    )
    .await
    .unwrap();
    let enterprise = reader.enterprise_by_slug("acme").await.unwrap().unwrap();
    for id in &acknowledged {
        assert!(
            reader.user(enterprise.id, id).await.unwrap().is_some(),
            "acknowledged create {id} is not in the database"
        );
    }
    drop(reader);

    // No transaction keeps SQLite's write lock: another process can write.
    let url = format!("sqlite://{}", db.display());
    let cli = roster_run(
        &[
            "token",
            "create",
            "--enterprise",
            "acme",
            "--scope",
            "scim:enterprise",
            "--database",
            &url,
        ],
        None,
    )
    .await;
    assert!(
        cli.status.success(),
        "the CLI could not write beside the server: {}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert_eq!(terminate(server).await.code(), Some(0));
}
