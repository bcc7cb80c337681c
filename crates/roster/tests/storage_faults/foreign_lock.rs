//! Another process (a CLI, a backup tool) holding SQLite's write lock: a write waits at most
//! `--write-timeout` for it and is then refused with 503, and the wait never holds up the
//! server's other requests (SQLite's own busy handler would sleep on an async worker thread).

use std::time::{Duration, Instant};

use super::LIVENESS;
use crate::support::{RosterProcess, db_path, okta_user};

#[tokio::test]
async fn a_write_lock_held_by_another_process_is_waited_for_within_the_write_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let server = RosterProcess::start_with(&db, &["--write-timeout", "1s"]);
    server.wait_healthy().await;
    let token = server.token().expect("first start prints a token");
    let scim = server.scim("acme", &token);
    scim.get("/Users").await.expect(200);

    // Another process takes the write lock and keeps it.
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();

    let writes = (0..4).map(|i| {
        let scim = scim.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let r = scim
                .post("/Users", &okta_user(&format!("locked{i}@example.com")))
                .await;
            (r, started.elapsed())
        })
    });
    let writes: Vec<_> = writes.collect();
    // Meanwhile reads are answered at once, on the same two worker threads.
    let started = Instant::now();
    for _ in 0..20 {
        scim.get("/Users?count=1").await.expect(200);
    }
    let reads = started.elapsed();
    let mut waited = Vec::new();
    for w in writes {
        let (r, took) = tokio::time::timeout(LIVENESS, w).await.unwrap().unwrap();
        let r = r.expect_error(503, None);
        assert!(r.header("retry-after").is_some(), "{}", r.text);
        assert!(r.text.contains("busy"), "{}", r.text);
        waited.push(took);
    }
    println!(
        "with another process holding the write lock: 20 reads in {reads:?}; writes refused after {waited:?}"
    );
    // Liveness, not speed: SQLite's busy handler would have waited its 10 s per write, one
    // write after another.
    assert!(
        waited.iter().all(|w| *w < Duration::from_secs(8)),
        "{waited:?}"
    );

    // Released: writes go through again.
    holder.execute_batch("ROLLBACK").unwrap();
    scim.create_user("unlocked@example.com").await;
}
