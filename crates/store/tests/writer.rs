//! The write path when writers go away: a client that hangs up while its write waits for the
//! connection must never leave the writes ahead of it without a COMMIT.

use std::time::Duration;

use directory::model::Profile;
use directory::store::{NewEnterprise, Store, StoreError};
use store::{DatabaseUrl, OpenMode, OpenOptions};

use crate::support::{Backend, group, now};

both_backends!(a_batch_whose_waiters_all_leave_is_still_committed);

/// Liveness bound, not a speed target: without a committer these waits never end.
const LIVENESS: Duration = Duration::from_secs(20);

/// The first writer leaves its COMMIT to the writers queued behind it; they all hang up before
/// their turn comes. The first writer is still acknowledged, its write is readable, and the
/// next writer gets the connection (no transaction is left holding SQLite's write lock).
async fn a_batch_whose_waiters_all_leave_is_still_committed(b: Backend) {
    let e = b.enterprise("acme").await;
    let mut first = b.store.begin().await.unwrap();
    first.insert_group(&group(e, "g1", "First")).await.unwrap();
    // Queued behind the first writer (on SQLite), each polled once so that it is counted.
    let mut queued: Vec<_> = (0..3).map(|_| Box::pin(b.store.begin())).collect();
    for q in &mut queued {
        let _ = futures::poll!(q.as_mut());
    }
    let mut commit = first.commit();
    let _ = futures::poll!(&mut commit);
    // The clients of every queued writer hang up.
    drop(queued);
    let committed = tokio::time::timeout(LIVENESS, commit).await;
    assert!(
        matches!(committed, Ok(Ok(()))),
        "the first writer was never acknowledged: {committed:?}"
    );
    assert!(b.store.group(e, "g1").await.unwrap().is_some());
    let next = tokio::time::timeout(LIVENESS, async {
        let mut tx = b.store.begin().await?;
        tx.insert_group(&group(e, "g2", "Next")).await?;
        tx.commit().await
    })
    .await;
    assert!(matches!(next, Ok(Ok(()))), "{next:?}");
    assert!(b.store.group(e, "g2").await.unwrap().is_some());
}

/// A SQLite store on a fresh file with these waits; the folder must outlive the store.
async fn sqlite_with(
    write_timeout: Duration,
    commit_timeout: Duration,
) -> (std::sync::Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("roster.db"));
    let options = OpenOptions {
        write_timeout,
        commit_timeout,
        ..OpenOptions::new(OpenMode::Create)
    };
    (store::open_with(&url, &options).await.unwrap(), dir)
}

async fn enterprise(store: &dyn Store) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let e = tx
        .insert_enterprise(&NewEnterprise {
            slug: "acme".into(),
            short_code: "acme".into(),
            profile: Profile::GithubEmu,
            created: now(),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    e.id
}

/// A writer that cannot get SQLite's one write connection in time is told the database is
/// busy (503), and has changed nothing.
#[tokio::test]
async fn a_writer_that_cannot_start_in_time_is_told_the_database_is_busy() {
    let (store, _dir) = sqlite_with(Duration::from_millis(200), Duration::from_secs(30)).await;
    let e = enterprise(store.as_ref()).await;
    let mut holder = store.begin().await.unwrap();
    holder.insert_group(&group(e, "g1", "Held")).await.unwrap();
    let second = tokio::time::timeout(LIVENESS, store.begin()).await;
    match second {
        Ok(Err(StoreError::Unavailable(detail))) => {
            assert!(detail.contains("busy"), "{detail}")
        }
        Ok(other) => panic!("expected busy, got {:?}", other.map(|_| "a write turn")),
        Err(_) => panic!("the second writer waited without bound"),
    }
    holder.commit().await.unwrap();
    assert!(store.group(e, "g1").await.unwrap().is_some());
}

/// A writer whose COMMIT is not confirmed in time is told the outcome is unknown, not that
/// it failed: here the COMMIT it was waiting for lands afterwards.
#[tokio::test]
async fn a_commit_not_confirmed_in_time_has_an_unknown_outcome() {
    let (store, _dir) = sqlite_with(Duration::from_secs(30), Duration::from_millis(200)).await;
    let e = enterprise(store.as_ref()).await;
    let mut first = store.begin().await.unwrap();
    first.insert_group(&group(e, "g1", "First")).await.unwrap();
    let mut second = Box::pin(store.begin());
    let _ = futures::poll!(second.as_mut());
    // The first leaves its COMMIT to the second, which then takes its time.
    let mut commit = first.commit();
    let _ = futures::poll!(&mut commit);
    let mut second = second.await.unwrap();
    let outcome = tokio::time::timeout(LIVENESS, commit).await;
    assert!(
        matches!(outcome, Ok(Err(StoreError::OutcomeUnknown(_)))),
        "{outcome:?}"
    );
    second
        .insert_group(&group(e, "g2", "Second"))
        .await
        .unwrap();
    second.commit().await.unwrap();
    assert!(
        store.group(e, "g1").await.unwrap().is_some(),
        "the unconfirmed write was saved after all"
    );
}
