//! One database, one owner: a second server on a SQLite file is refused; commands other than
//! `serve` and `enterprise create` never create or migrate a database; a schema newer than
//! the binary is refused by every command.

use store::DatabaseUrl;
use store::scratch::{ScratchDatabase, stamp_schema_version};

use super::{LIVENESS, refused, roster_run};
use crate::support::{RosterProcess, db_path};

#[tokio::test]
async fn a_second_server_on_the_same_file_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let url = format!("sqlite://{}", db.display());
    let first = RosterProcess::start(&db);
    first.wait_healthy().await;
    let stderr = refused(
        &["serve", "--listen", "127.0.0.1:0", "--database", &url],
        None,
    )
    .await;
    assert!(stderr.contains("already serving"), "{stderr}");
    assert!(
        stderr.contains(&db.display().to_string()),
        "names the file: {stderr}"
    );
    assert!(
        stderr.contains(&format!("process {}", first.child.id())),
        "names the other process: {stderr}"
    );
    // The command line still writes beside the server.
    let out = roster_run(
        &[
            "token",
            "create",
            "--enterprise",
            "acme",
            "--scope",
            "admin:org",
            "--database",
            &url,
        ],
        None,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every command that is not `serve` or `enterprise create`, run where there is no database.
const NOT_CREATING: &[&[&str]] = &[
    &["token", "list"],
    &[
        "token",
        "create",
        "--enterprise",
        "acme",
        "--scope",
        "scim:enterprise",
    ],
    &["token", "revoke", "tok_nope"],
    &["enterprise", "list"],
    &["org", "list"],
    &["org", "create", "octo"],
    &["team", "list", "--org", "octo"],
    &["audit"],
];

#[tokio::test]
async fn commands_run_in_an_empty_folder_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for args in NOT_CREATING {
        let stderr = refused(args, Some(dir.path())).await;
        assert!(
            stderr.contains("no database at") && stderr.contains("roster-data/roster.db"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("roster serve"), "says what to do: {stderr}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} created {left:?}");
    }
    let from = format!("sqlite://{}", dir.path().join("none.db").display());
    let stderr = refused(
        &[
            "migrate",
            "--from",
            &from,
            "--to",
            "postgres://postgres@127.0.0.1/none",
        ],
        None,
    )
    .await;
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn commands_given_an_empty_postgres_database_neither_create_nor_migrate() {
    let db = ScratchDatabase::create().await.expect("scratch database");
    for args in NOT_CREATING {
        let mut full = args.to_vec();
        full.extend(["--database", &db.url]);
        let stderr = refused(&full, None).await;
        assert!(stderr.contains("no Roster database"), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn a_database_newer_than_the_binary_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", db_path(&dir).display());
    let pg = ScratchDatabase::create().await.expect("scratch database");
    for url in [sqlite.as_str(), pg.url.as_str()] {
        let created = roster_run(
            &[
                "enterprise",
                "create",
                "acme",
                "--short-code",
                "acme",
                "--database",
                url,
            ],
            None,
        )
        .await;
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );
        let parsed: DatabaseUrl = url.parse().unwrap();
        stamp_schema_version(&parsed, 99).await.unwrap();
        for args in [
            &["serve", "--listen", "127.0.0.1:0"][..],
            &["enterprise", "create", "beta", "--short-code", "beta"],
            &["token", "list"],
        ] {
            let mut full = args.to_vec();
            full.extend(["--database", url]);
            let stderr = tokio::time::timeout(LIVENESS, refused(&full, None))
                .await
                .unwrap();
            assert!(
                stderr.contains("schema version 99")
                    && stderr.contains(&format!("schema version {}", store::schema_version())),
                "{args:?} on {url}: {stderr}"
            );
        }
    }
}
