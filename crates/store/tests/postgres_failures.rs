//! PostgreSQL only: the pool waits no longer than it was told, a connection that broke in a
//! transaction is not handed out again, and each failure is named for what it means to the
//! client (unavailable: nothing changed; outcome unknown: the COMMIT went out unanswered;
//! retryable: a lost race the directory runs again).
//! Waits are bounded by generous timeouts, so old behaviour (30-second waits) fails the test
//! instead of hanging it; nothing here asserts a speed.

use std::str::FromStr;
use std::time::{Duration, Instant};

use directory::model::Profile;
use directory::store::{NewEnterprise, Store, StoreError};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use store::scratch::ScratchDatabase;
use store::{PgOptions, PgStore};

use crate::support::{now, user};

/// Long enough for a loaded machine, far shorter than the 30 s the pool used to wait.
const BOUND: Duration = Duration::from_secs(15);

async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    let start = Instant::now();
    let out = tokio::time::timeout(BOUND, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not answer within {BOUND:?}"));
    eprintln!("{what}: answered in {:?}", start.elapsed());
    out
}

fn one_connection() -> PgOptions {
    PgOptions {
        pool_size: 1,
        acquire_timeout: Duration::from_millis(500),
        ready_timeout: Duration::from_millis(300),
        ..PgOptions::default()
    }
}

async fn open(db: &ScratchDatabase, settings: &PgOptions) -> PgStore {
    PgStore::connect(&db.url, settings, store::OpenMode::Create)
        .await
        .expect("open")
}

async fn admin(db: &ScratchDatabase) -> PgConnection {
    PgConnectOptions::from_str(&db.url)
        .expect("url")
        .application_name("test-admin")
        .connect()
        .await
        .expect("admin connection")
}

/// End Roster's sessions on this database (as a restart or an operator would) and wait until
/// they are gone.
async fn terminate_roster_sessions(admin: &mut PgConnection) {
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'roster'",
    )
    .fetch_all(&mut *admin)
    .await
    .expect("terminate");
    assert!(!ended.is_empty(), "Roster had a session to end");
    bounded("sessions ending", async {
        loop {
            let left: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name = 'roster'",
            )
            .fetch_one(&mut *admin)
            .await
            .expect("count");
            if left == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

fn enterprise(slug: &str) -> NewEnterprise {
    NewEnterprise {
        slug: slug.into(),
        short_code: slug.into(),
        profile: Profile::GithubEmu,
        created: now(),
    }
}

#[tokio::test]
async fn a_busy_pool_refuses_after_the_acquire_timeout_and_is_not_ready() {
    let db = ScratchDatabase::create().await.expect("database");
    let store = open(&db, &one_connection()).await;
    let held = store.begin().await.expect("the only connection");

    let err = bounded("a read with every connection busy", store.enterprises())
        .await
        .expect_err("no connection to read with");
    let StoreError::Unavailable(why) = &err else {
        panic!("unavailable (503), not {err:?}");
    };
    assert!(why.contains("all 1 of this replica's connections"), "{why}");

    let err = bounded("ready with every connection busy", store.ready())
        .await
        .expect_err("not ready");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");

    drop(held);
    bounded("ready once the connection is back", store.ready())
        .await
        .expect("ready again");
    store.close().await;
}

#[tokio::test]
async fn a_connection_that_broke_mid_transaction_is_not_handed_out_again() {
    let db = ScratchDatabase::create().await.expect("database");
    let store = open(&db, &one_connection()).await;
    let mut admin = admin(&db).await;

    let mut tx = store.begin().await.expect("begin");
    tx.insert_enterprise(&enterprise("lost"))
        .await
        .expect("insert");
    terminate_roster_sessions(&mut admin).await;
    let err = tx
        .insert_enterprise(&enterprise("after"))
        .await
        .expect_err("the session is gone");
    assert!(
        matches!(err, StoreError::Unavailable(_)),
        "a broken transaction changed nothing: {err:?}"
    );
    drop(tx);

    // The pool's one connection was the broken one: what comes next must be a new one.
    let mut tx = bounded("begin after the break", store.begin())
        .await
        .expect("a fresh connection");
    tx.insert_enterprise(&enterprise("kept"))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    let slugs: Vec<String> = store
        .enterprises()
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.slug)
        .collect();
    assert_eq!(
        slugs,
        ["kept"],
        "the broken transaction left nothing behind"
    );
    store.close().await;
}

#[tokio::test]
async fn a_commit_that_gets_no_answer_has_an_unknown_outcome() {
    let db = ScratchDatabase::create().await.expect("database");
    let store = open(&db, &one_connection()).await;
    let mut admin = admin(&db).await;

    let mut tx = store.begin().await.expect("begin");
    tx.insert_enterprise(&enterprise("maybe"))
        .await
        .expect("insert");
    terminate_roster_sessions(&mut admin).await;
    let err = bounded("a COMMIT on a dead session", tx.commit())
        .await
        .expect_err("nobody confirmed it");
    let StoreError::OutcomeUnknown(why) = &err else {
        panic!("outcome unknown, never \"changed nothing\": {err:?}");
    };
    assert!(why.contains("did not confirm the COMMIT"), "{why}");
    bounded("ready after the break", store.ready())
        .await
        .expect("a fresh connection serves");
    store.close().await;
}

#[tokio::test]
async fn a_refused_statement_leaves_the_connection_clean() {
    let db = ScratchDatabase::create().await.expect("database");
    let store = open(&db, &one_connection()).await;
    let mut tx = store.begin().await.expect("begin");
    tx.insert_enterprise(&enterprise("acme"))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    let mut tx = store.begin().await.expect("begin");
    let err = tx
        .insert_enterprise(&enterprise("acme"))
        .await
        .expect_err("taken");
    assert!(matches!(err, StoreError::Unique(_)), "{err:?}");
    drop(tx);

    // The same (only) connection: no "current transaction is aborted", no leftover.
    let mut tx = store.begin().await.expect("begin");
    tx.insert_enterprise(&enterprise("beta"))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(store.enterprises().await.expect("read").len(), 2);
    store.close().await;
}

#[tokio::test]
async fn a_statement_past_the_statement_timeout_is_cancelled_as_unavailable() {
    let db = ScratchDatabase::create().await.expect("database");
    let store = open(
        &db,
        &PgOptions {
            statement_timeout: Some(Duration::from_millis(300)),
            ..one_connection()
        },
    )
    .await;
    let mut tx = store.begin().await.expect("begin");
    let e = tx.insert_enterprise(&enterprise("acme")).await.expect("e");
    tx.insert_user(&user(e.id, "u1", "mona"))
        .await
        .expect("user");
    tx.commit().await.expect("commit");

    // Another client holds the user's row; Roster's write waits for it, then gives up.
    let mut admin = admin(&db).await;
    let mut lock = admin.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM users WHERE id = 'u1' FOR UPDATE")
        .execute(&mut *lock)
        .await
        .expect("lock");
    let mut tx = store.begin().await.expect("begin");
    let err = bounded("a write behind a held lock", tx.user(e.id, "u1"))
        .await
        .expect_err("cancelled");
    assert!(
        matches!(&err, StoreError::Unavailable(why) if why.contains("statement")),
        "{err:?}"
    );
    drop(tx);
    lock.rollback().await.expect("release");
    store.close().await;
}

#[tokio::test]
async fn a_deadlock_is_retryable() {
    let db = ScratchDatabase::create().await.expect("database");
    let store = open(&db, &PgOptions::default()).await;
    let mut tx = store.begin().await.expect("begin");
    let e = tx.insert_enterprise(&enterprise("acme")).await.expect("e");
    tx.insert_user(&user(e.id, "u1", "mona")).await.expect("u1");
    tx.insert_user(&user(e.id, "u2", "hubot"))
        .await
        .expect("u2");
    tx.commit().await.expect("commit");

    // Each transaction holds one row and asks for the other's: PostgreSQL ends one of them
    // with 40P01, which the directory retries.
    let mut a = store.begin().await.expect("begin a");
    let mut b = store.begin().await.expect("begin b");
    a.user(e.id, "u1").await.expect("a locks u1");
    b.user(e.id, "u2").await.expect("b locks u2");
    let (ra, rb) = bounded("two transactions in a deadlock", async {
        tokio::join!(a.user(e.id, "u2"), b.user(e.id, "u1"))
    })
    .await;
    let lost: Vec<_> = [&ra, &rb].into_iter().filter(|r| r.is_err()).collect();
    assert_eq!(lost.len(), 1, "one of them loses: {ra:?} {rb:?}");
    assert!(
        matches!(lost[0], Err(StoreError::Retryable(_))),
        "{:?}",
        lost[0]
    );
    drop((a, b));
    store.close().await;
}
