//! `roster serve` over a PostgreSQL of the test's own (`ScratchServer`: initdb into a
//! temporary directory, a free port), which the test stops, crashes, restarts, crowds out and
//! fills up. Roster must answer every request within its acquire timeout, with 503 and
//! `Retry-After` when nothing changed, 507 on a full disk, "outcome unknown" when a COMMIT went
//! unanswered, never claim "changed nothing" for a write that was saved, keep `/readyz` honest,
//! and recover without a restart of its own. Waits are bounded far below the old 30 s, so the
//! old behaviour fails instead of hanging; elapsed times are printed, never asserted.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use store::scratch_server::{ScratchServer, ServerSetup, Stop};
use tokio::sync::Notify;

use crate::support::{Reply, RosterProcess, Scim, encode, okta_user};

/// Liveness only: far below the 30 s the pool used to wait, far above what a loaded machine
/// needs.
const BOUND: Duration = Duration::from_secs(15);

async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {BOUND:?}"))
}

/// `bounded`, printing how long it took.
async fn timed<T>(what: &str, f: impl Future<Output = T>) -> T {
    let start = Instant::now();
    let out = bounded(what, f).await;
    eprintln!("{what}: answered in {:?}", start.elapsed());
    out
}

struct Setup {
    // Fields drop in this order: Roster stops before its database does.
    roster: RosterProcess,
    scim: Scim,
    _pg: Arc<ScratchServer>,
}

async fn start(setup: ServerSetup, flags: &[&str]) -> (Arc<ScratchServer>, Setup) {
    let pg = Arc::new(
        ScratchServer::start(setup)
            .await
            .expect("scratch PostgreSQL"),
    );
    let roster = RosterProcess::start_url(&pg.url("postgres"), flags);
    roster.wait_healthy().await;
    let token = roster.token().expect("first start prints a token");
    let scim = roster.scim("acme", &token);
    let s = Setup {
        roster,
        scim,
        _pg: pg.clone(),
    };
    (pg, s)
}

async fn readyz(roster: &RosterProcess) -> (u16, Value) {
    let r = reqwest::get(format!("http://{}/readyz", roster.addr))
        .await
        .expect("readyz");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Poll until `/readyz` says 200: the database came back, and Roster noticed by itself.
async fn until_ready(roster: &RosterProcess) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if readyz(roster).await.0 == 200 {
            return;
        }
        assert!(Instant::now() < deadline, "Roster never became ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A 503 that says nothing changed, with `Retry-After`.
#[track_caller]
fn refused(r: Reply) -> Reply {
    let r = r.expect_error(503, None);
    assert!(r.header("retry-after").is_some(), "Retry-After: {r:?}");
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("changed nothing"), "{detail}");
    r
}

#[tokio::test]
async fn requests_fail_fast_while_postgres_is_down_and_recover_when_it_returns() {
    // Roster's defaults: the waits must be short without any flag.
    let (pg, s) = start(ServerSetup::default(), &[]).await;
    let user = s.scim.create_user("mona@example.com").await;
    let path = format!("/Users/{}", user["id"].as_str().expect("id"));
    assert_eq!(readyz(&s.roster).await.0, 200);

    pg.stop(Stop::Fast).await.expect("stop PostgreSQL");
    let hubot = okta_user("hubot@example.com");
    let (read, write, ready) = tokio::join!(
        timed("a read with PostgreSQL down", s.scim.get(&path)),
        timed(
            "a write with PostgreSQL down",
            s.scim.post("/Users", &hubot)
        ),
        timed("/readyz with PostgreSQL down", readyz(&s.roster)),
    );
    refused(read);
    let write = refused(write);
    eprintln!("with PostgreSQL down: {}", write.body["detail"]);
    assert_eq!(ready.0, 503, "not ready: {}", ready.1);

    pg.resume().await.expect("start PostgreSQL again");
    until_ready(&s.roster).await;
    s.scim.get(&path).await.expect(200);
    // The refused write changed nothing: the same user can be created now.
    s.scim.create_user("hubot@example.com").await;
}

#[derive(Debug, Default)]
struct Outcomes {
    created: Vec<String>,
    refused: Vec<String>,
    unknown: Vec<String>,
}

/// Write users one after another until told to stop, sorting each answer.
async fn writer(
    scim: Scim,
    prefix: String,
    stop: Arc<AtomicBool>,
    saved: Arc<(AtomicUsize, Notify)>,
) -> Outcomes {
    let mut out = Outcomes::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let name = format!("{prefix}-{n}@example.com");
        let r = bounded("a write", scim.post("/Users", &okta_user(&name))).await;
        let detail = r.body["detail"].as_str().unwrap_or_default().to_string();
        match r.status.as_u16() {
            201 => {
                out.created.push(name);
                saved.0.fetch_add(1, Ordering::Relaxed);
                saved.1.notify_waiters();
            }
            503 if detail.contains("outcome of this request is unknown") => out.unknown.push(name),
            503 => {
                assert!(r.header("retry-after").is_some(), "{r:?}");
                out.refused.push(name);
            }
            other => panic!("{name}: {other} {}", r.text),
        }
    }
    out
}

/// Every userName the enterprise has.
async fn user_names(scim: &Scim) -> HashSet<String> {
    let mut names = HashSet::new();
    let mut start = 1;
    loop {
        let page = scim
            .get(&format!(
                "/Users?startIndex={start}&count=100&attributes=userName"
            ))
            .await
            .expect(200)
            .body;
        let items = page["Resources"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return names;
        }
        start += items.len();
        names.extend(
            items
                .iter()
                .filter_map(|u| u["userName"].as_str().map(str::to_string)),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_write_saved_during_a_restart_is_answered_changed_nothing() {
    let (pg, s) = start(ServerSetup::default(), &["--pg-acquire-timeout", "2s"]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let saved = Arc::new((AtomicUsize::new(0), Notify::new()));
    let writers: Vec<_> = (0..6)
        .map(|w| {
            tokio::spawn(writer(
                s.scim.clone(),
                format!("w{w}"),
                stop.clone(),
                saved.clone(),
            ))
        })
        .collect();
    let saved_more = |n: usize| {
        let saved = saved.clone();
        async move {
            let target = saved.0.load(Ordering::Relaxed) + n;
            while saved.0.load(Ordering::Relaxed) < target {
                let notified = saved.1.notified();
                if saved.0.load(Ordering::Relaxed) >= target {
                    break;
                }
                let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
            }
        }
    };
    bounded("writes before the first restart", saved_more(20)).await;
    for how in [Stop::Immediate, Stop::Fast, Stop::Immediate, Stop::Fast] {
        pg.restart(how).await.expect("restart PostgreSQL");
        bounded("writes after a restart", saved_more(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut all = Outcomes::default();
    for w in writers {
        let o = w.await.expect("writer");
        all.created.extend(o.created);
        all.refused.extend(o.refused);
        all.unknown.extend(o.unknown);
    }

    let stored = user_names(&s.scim).await;
    let lost: Vec<_> = all
        .created
        .iter()
        .filter(|n| !stored.contains(*n))
        .collect();
    let lied: Vec<_> = all.refused.iter().filter(|n| stored.contains(*n)).collect();
    let unknown_saved = all.unknown.iter().filter(|n| stored.contains(*n)).count();
    eprintln!(
        "writes across 4 PostgreSQL restarts: {} answered 201, {} answered 503 \"changed nothing\", {} answered 503 \"outcome unknown\" ({} of those were saved)",
        all.created.len(),
        all.refused.len(),
        all.unknown.len(),
        unknown_saved
    );
    assert!(lost.is_empty(), "answered 201 but not saved: {lost:?}");
    assert!(
        lied.is_empty(),
        "answered \"changed nothing\" but saved: {lied:?}"
    );
    assert!(
        !all.refused.is_empty() || !all.unknown.is_empty(),
        "the restarts were met by writes in flight"
    );
}

#[tokio::test]
async fn a_replica_without_connection_slots_is_not_ready_and_refuses_fast() {
    let (pg, s) = start(
        ServerSetup {
            max_connections: 8,
            ..ServerSetup::default()
        },
        &["--pg-pool-size", "4", "--pg-acquire-timeout", "1s"],
    )
    .await;
    let user = s.scim.create_user("mona@example.com").await;
    let path = format!("/Users/{}", user["id"].as_str().expect("id"));

    // Roster's sessions end and other clients take every slot before it reconnects.
    let crowd = pg.crowd_out("roster").await.expect("crowd out Roster");
    eprintln!("other clients hold {} connections", crowd.len());
    let (read, ready) = tokio::join!(
        timed("a read without connection slots", s.scim.get(&path)),
        timed("/readyz without connection slots", readyz(&s.roster)),
    );
    refused(read);
    assert_eq!(ready.0, 503, "not ready: {}", ready.1);
    let why = ready.1["detail"].as_str().unwrap_or_default();
    assert!(why.contains("max_connections"), "/readyz says why: {why}");

    crowd.release().await;
    until_ready(&s.roster).await;
    s.scim.get(&path).await.expect(200);
}

#[tokio::test]
async fn a_full_disk_is_507_and_changes_nothing() {
    // No file of the server may grow past 2 MiB (and a bit: a write across the limit is
    // short, which PostgreSQL reports as a full disk).
    let (pg, s) = start(
        ServerSetup {
            file_size_limit: Some(2 * 1024 * 1024 + 512),
            ..ServerSetup::default()
        },
        &[],
    )
    .await;
    let user = s.scim.create_user("mona@example.com").await;
    let path = format!("/Users/{}", user["id"].as_str().expect("id"));
    let filled = pg
        .fill_users("postgres")
        .await
        .expect("fill the users table");
    eprintln!("{filled} users filled the table");

    let mut full = None;
    for n in 0..20 {
        let name = format!("late-{n}@example.com");
        let r = bounded(
            "a write on a full disk",
            s.scim.post("/Users", &okta_user(&name)),
        )
        .await;
        if r.status != 201 {
            full = Some((name, r));
            break;
        }
    }
    let (name, r) = full.expect("a write that needs a new page meets the full disk");
    eprintln!("on a full disk: {}", r.text);
    let r = r.expect_error(507, None);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("full") && detail.contains("changed nothing"),
        "{detail}"
    );
    let found = s
        .scim
        .get(&format!(
            "/Users?filter={}",
            encode(&format!("userName eq \"{name}\""))
        ))
        .await
        .expect(200);
    assert_eq!(
        found.body["totalResults"], 0,
        "the refused write changed nothing"
    );
    s.scim.get(&path).await.expect(200);
}
