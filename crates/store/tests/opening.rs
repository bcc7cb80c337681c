//! What each command may do to the database it opens: only `serve` and `enterprise create`
//! create or migrate one; a schema newer than the binary is refused by all of them.

use directory::store::StoreError;
use store::scratch::stamp_schema_version;
use store::{DatabaseUrl, OpenMode, OpenOptions};

use crate::support::Backend;

both_backends!(a_newer_schema_is_refused_in_every_mode_naming_both_versions);

async fn open(url: &DatabaseUrl, mode: OpenMode) -> Result<(), StoreError> {
    store::open_with(url, &OpenOptions::new(mode))
        .await
        .map(|_| ())
}

fn refusal(result: Result<(), StoreError>) -> String {
    match result {
        Err(StoreError::Unavailable(detail)) => detail,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn a_newer_schema_is_refused_in_every_mode_naming_both_versions(b: Backend) {
    stamp_schema_version(&b.url, 99).await.unwrap();
    for mode in [OpenMode::Serve, OpenMode::Create, OpenMode::Existing] {
        let detail = refusal(open(&b.url, mode).await);
        assert!(
            detail.contains("schema version 99")
                && detail.contains(&format!("schema version {}", store::schema_version())),
            "{mode:?}: {detail}"
        );
    }
}

#[tokio::test]
async fn opening_an_existing_sqlite_database_creates_nothing_where_there_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("data").join("roster.db"));
    let detail = refusal(open(&url, OpenMode::Existing).await);
    assert!(detail.contains("no database at"), "{detail}");
    assert!(detail.contains("roster serve"), "says what to do: {detail}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[tokio::test]
async fn opening_an_existing_postgres_database_neither_creates_nor_migrates() {
    let db = store::scratch::ScratchDatabase::create().await.unwrap();
    let url = DatabaseUrl::Postgres(db.url.clone());
    let detail = refusal(open(&url, OpenMode::Existing).await);
    assert!(detail.contains("no Roster database"), "{detail}");
    // Still nothing there: a second look says the same, and creating works from scratch.
    let again = refusal(open(&url, OpenMode::Existing).await);
    assert!(again.contains("no Roster database"), "{again}");
    open(&url, OpenMode::Create).await.unwrap();
    open(&url, OpenMode::Existing).await.unwrap();
}

#[tokio::test]
async fn a_command_that_cannot_migrate_refuses_an_older_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let url = DatabaseUrl::Sqlite(path.clone());
    open(&url, OpenMode::Create).await.unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "DELETE FROM schema_migrations WHERE version = ?",
        [store::schema_version()],
    )
    .unwrap();
    drop(conn);
    let detail = refusal(open(&url, OpenMode::Existing).await);
    assert!(
        detail.contains(&format!("schema version {}", store::schema_version() - 1))
            && detail.contains(&format!("schema version {}", store::schema_version()))
            && detail.contains("roster serve"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_second_server_on_one_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("roster.db"));
    let first = store::open_with(&url, &OpenOptions::new(OpenMode::Serve))
        .await
        .unwrap();
    let detail = refusal(open(&url, OpenMode::Serve).await);
    assert!(
        detail.contains("already serving") && detail.contains("roster.db"),
        "{detail}"
    );
    assert!(
        detail.contains(&format!("process {}", std::process::id())),
        "names the process: {detail}"
    );
    // The command line may still write beside the server.
    open(&url, OpenMode::Create).await.unwrap();
    open(&url, OpenMode::Existing).await.unwrap();
    drop(first);
    open(&url, OpenMode::Serve).await.unwrap();
}
