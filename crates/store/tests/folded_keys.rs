//! Migration 4 rewrites the case-insensitive keys of a database an older release wrote (with
//! `to_lowercase()`) as `scim::fold` forms, so lookups and uniqueness agree with new writes;
//! where two stored users become one userName, it refuses, changes nothing, and says which.

use directory::store::StoreError;
use store::DatabaseUrl;
use store::scratch::{ScratchDatabase, execute_sql, migrate_up_to};

/// A legacy user row: the keys as release 3 wrote them (`to_lowercase()`).
fn legacy_user(n: u32, user_name: &str, display_name: &str) -> String {
    let q = |s: &str| s.replace('\'', "''");
    format!(
        "INSERT INTO users (id, enterprise_id, user_name, user_name_lc, handle, handle_lc, external_id, display_name, display_name_lc, active, doc, version, created, last_modified) \
         VALUES ('u{n}', 1, '{}', '{}', 'h{n}_acme', 'h{n}_acme', NULL, '{}', '{}', true, '{{}}', 1, 0, 0);",
        q(user_name),
        q(&user_name.to_lowercase()),
        q(display_name),
        q(&display_name.to_lowercase()),
    )
}

const ENTERPRISE: &str = "INSERT INTO enterprises (slug, short_code, short_code_lc, profile, created) VALUES ('acme', 'acme', 'acme', 'github-emu', 0);";

async fn legacy(url: &DatabaseUrl, users: &[(&str, &str)]) {
    migrate_up_to(url, 3).await.expect("release 3's schema");
    let mut sql = ENTERPRISE.to_string();
    for (i, (u, d)) in users.iter().enumerate() {
        sql.push_str(&legacy_user(i as u32, u, d));
    }
    sql.push_str("INSERT INTO groups (id, enterprise_id, display_name, display_name_lc, external_id, doc, version, created, last_modified) VALUES ('g1', 1, 'Straße Team', 'straße team', NULL, '{}', 1, 0, 0);");
    execute_sql(url, &sql).await.expect("legacy rows");
}

/// The first ten resources `filter` selects.
fn query<'a>(
    rt: &'a scim::schema::ResourceType,
    filter: &'a scim::filter::Filter,
) -> directory::store::ListQuery<'a> {
    directory::store::ListQuery {
        resource_type: rt,
        filter: Some(filter),
        sort: None,
        after: None,
        start_index: 1,
        count: 10,
    }
}

async fn keys_are_folded_on_upgrade(url: DatabaseUrl) {
    legacy(
        &url,
        &[
            ("İstanbul@example.com", "ÖMER"),
            ("jose\u{301}@example.com", "Zoë"),
        ],
    )
    .await;
    let store = store::open(&url).await.expect("migrates to 4");
    let e = store.enterprise_by_slug("acme").await.unwrap().unwrap();
    let rt = scim::definitions::user_resource_type(scim::schema::Mutability::Immutable, vec![]);
    let groups_rt = scim::definitions::group_resource_type();
    let find = |filter: &str, rt: &scim::schema::ResourceType| {
        scim::filter::parse(filter).unwrap().resolve(rt).unwrap()
    };

    for (filter, id) in [
        ("userName eq \"istanbul@example.com\"", "u0"),
        ("userName eq \"İSTANBUL@example.com\"", "u0"),
        ("userName eq \"jos\u{e9}@example.com\"", "u1"),
        ("displayName eq \"ömer\"", "u0"),
    ] {
        let f = find(filter, &rt);
        let page = store.users(e.id, &query(&rt, &f)).await.unwrap();
        assert_eq!(
            page.items.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
            vec![id],
            "{filter}"
        );
    }
    let f = find("displayName eq \"STRASSE TEAM\"", &groups_rt);
    let page = store.groups(e.id, &query(&groups_rt, &f)).await.unwrap();
    assert_eq!(page.items.len(), 1, "the group's key is folded too");
}

async fn colliding_users_stop_the_upgrade_and_change_nothing(url: DatabaseUrl) {
    legacy(
        &url,
        &[("STRASSE@example.com", "a"), ("straße@example.com", "b")],
    )
    .await;
    match store::open(&url).await {
        Err(StoreError::Backend(detail)) => {
            assert!(detail.contains("migration 4"), "{detail}");
            assert!(detail.contains("straße@example.com"), "{detail}");
            assert!(detail.contains("Nothing was changed"), "{detail}");
        }
        Err(other) => panic!("expected the migration's refusal, got {other:?}"),
        Ok(_) => panic!("the upgrade went through with two users of one userName"),
    }
    // Still release 3's database: resolving the collision and starting again works.
    execute_sql(&url, "DELETE FROM users WHERE id = 'u1';")
        .await
        .unwrap();
    store::open(&url).await.expect("migrates once resolved");
}

#[tokio::test]
async fn keys_are_folded_on_upgrade_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    keys_are_folded_on_upgrade(DatabaseUrl::Sqlite(dir.path().join("roster.db"))).await;
}

#[tokio::test]
async fn keys_are_folded_on_upgrade_postgres() {
    let db = ScratchDatabase::create().await.unwrap();
    keys_are_folded_on_upgrade(DatabaseUrl::Postgres(db.url.clone())).await;
}

#[tokio::test]
async fn colliding_users_stop_the_upgrade_and_change_nothing_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    colliding_users_stop_the_upgrade_and_change_nothing(DatabaseUrl::Sqlite(
        dir.path().join("roster.db"),
    ))
    .await;
}

#[tokio::test]
async fn colliding_users_stop_the_upgrade_and_change_nothing_postgres() {
    let db = ScratchDatabase::create().await.unwrap();
    colliding_users_stop_the_upgrade_and_change_nothing(DatabaseUrl::Postgres(db.url.clone()))
        .await;
}
