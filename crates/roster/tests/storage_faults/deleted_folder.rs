//! The data folder deleted (`rm -rf`) under a running server.

use std::time::Instant;

use super::readyz;
use crate::support::{RosterProcess, okta_user};

/// Concurrent writers, for writes in flight while the folder goes.
const WRITERS: usize = 4;

/// Not one write sent after the folder is gone is acknowledged: each is refused with 503
/// naming the file, `/readyz` fails, and the log says so once, loudly. Reads of what was
/// acknowledged before go on from the file still open.
#[tokio::test]
async fn writes_into_a_deleted_data_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("roster.db");
    let log = dir.path().join("serve.log");
    let server = RosterProcess::start_logged(&format!("sqlite://{}", db.display()), &[], &log);
    let token = server.token().unwrap();
    server.wait_healthy().await;
    let scim = server.scim("acme", &token);
    let before = scim.create_user("before@example.com").await;

    // Writers that keep creating users while the folder is deleted.
    let deleted_at = std::sync::Arc::new(std::sync::OnceLock::<Instant>::new());
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (scim, deleted_at) = (scim.clone(), deleted_at.clone());
        writers.push(tokio::spawn(async move {
            // (acknowledged before, in flight across the deletion, refused, acknowledged after)
            let mut counts = [0usize; 4];
            for i in 0.. {
                let sent = Instant::now();
                let sent_after = deleted_at.get().is_some_and(|d| sent > *d);
                let r = scim
                    .post("/Users", &okta_user(&format!("w{w}-{i}@example.com")))
                    .await;
                let done_before = deleted_at.get().is_none();
                match r.status.as_u16() {
                    201 if done_before => counts[0] += 1,
                    201 if sent_after => counts[3] += 1,
                    201 => counts[1] += 1,
                    503 => {
                        let r = r.expect_error(503, None);
                        assert!(r.header("retry-after").is_some());
                        assert!(r.text.contains("roster.db"), "names the file: {}", r.text);
                        counts[2] += 1;
                        if sent_after && counts[2] >= 20 {
                            break;
                        }
                    }
                    other => panic!("a write around the deletion got {other}: {}", r.text),
                }
            }
            counts
        }));
    }
    // Once writes are flowing, delete the folder.
    while scim.get("/Users?count=0").await.body["totalResults"]
        .as_u64()
        .unwrap_or(0)
        < 20
    {
        tokio::task::yield_now().await;
    }
    std::fs::remove_dir_all(&data).unwrap();
    deleted_at.set(Instant::now()).unwrap();
    let mut total = [0usize; 4];
    for w in writers {
        let counts = w.await.unwrap();
        for (t, c) in total.iter_mut().zip(counts) {
            *t += c;
        }
    }
    println!(
        "deleted folder: {} writes acknowledged before, {} in flight across the deletion, {} refused, {} acknowledged after",
        total[0], total[1], total[2], total[3]
    );
    assert_eq!(
        total[3], 0,
        "writes sent after the deletion were acknowledged"
    );

    let (status, body) = readyz(&server).await;
    assert_eq!(status, 503, "{body}");
    scim.get(&format!("/Users/{}", before["id"].as_str().unwrap()))
        .await
        .expect(200);
    let logged = std::fs::read_to_string(&log).unwrap();
    let loud = logged.matches("THE DATABASE FILE WAS DELETED").count();
    assert_eq!(loud, 1, "one loud line per episode: {logged}");
}

/// A database file replaced under the server (a backup copied over it): writes are refused
/// naming the file, and the server says it is not ready, rather than writing into the file it
/// still holds, which nobody will open again.
#[tokio::test]
async fn a_database_file_replaced_under_the_server_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("roster.db");
    let server = RosterProcess::start(&db);
    let token = server.token().unwrap();
    server.wait_healthy().await;
    let scim = server.scim("acme", &token);
    scim.create_user("before@example.com").await;

    let other = tempfile::tempdir().unwrap();
    let replacement = other.path().join("roster.db");
    let url = format!("sqlite://{}", replacement.display());
    let created = super::roster_run(
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
    std::fs::rename(&replacement, &db).unwrap();

    let r = scim
        .post("/Users", &okta_user("after@example.com"))
        .await
        .expect_error(503, None);
    assert!(r.header("retry-after").is_some());
    assert!(r.text.contains("was replaced"), "{}", r.text);
    let (status, body) = readyz(&server).await;
    assert_eq!(status, 503, "{body}");
}
