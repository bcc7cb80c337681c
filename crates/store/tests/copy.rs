//! `roster migrate`'s copy: SQLite → PostgreSQL, everything, ids and order kept.

use directory::store::ListQuery;
use scim::definitions::user_resource_type;
use scim::schema::Mutability;
use serde_json::json;

use crate::support::{Backend, audit, group, ids, now, token, user};

#[tokio::test]
async fn copies_everything_and_refuses_a_non_empty_target() {
    let src = Backend::sqlite().await;
    let e = src.enterprise("acme").await;
    let other = src.enterprise("beta").await;
    // Insertion order differs from id order; the copy keeps the order.
    for id in ["z", "a", "m"] {
        src.insert_user(&user(e, id, &format!("user-{id}"))).await;
    }
    src.insert_user(&user(other, "o1", "user-o")).await;
    src.insert_group(&group(e, "g1", "Admins"), &ids(&["m", "z"]))
        .await;
    let mut tx = src.store.begin().await.unwrap();
    tx.insert_token(&token(e, "tok_1"), "hash-1").await.unwrap();
    tx.erase_user(e, "a", now()).await.unwrap();
    let mut m = tx.user(e, "m").await.unwrap().unwrap();
    m.version = 2;
    assert!(tx.update_user(&m, 1).await.unwrap());
    tx.append_audit(&[audit(e, "m", json!({"k": [1, "two"]}))])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let dst = Backend::postgres().await;
    let mut seen = Vec::new();
    let counts = store::copy::copy(&src.url, &dst.url, &mut |p| {
        seen.push((p.table.to_string(), p.copied, p.total))
    })
    .await
    .expect("copy");
    let rows = |t: &str| counts.iter().find(|c| c.table == t).map(|c| c.rows);
    assert_eq!(rows("users"), Some(3));
    assert_eq!(rows("erased_users"), Some(1));
    assert_eq!(rows("group_members"), Some(2));
    assert_eq!(rows("audit_events"), Some(1));
    assert!(seen.contains(&("users".to_string(), 3, 3)), "{seen:?}");

    let rt = user_resource_type(Mutability::Immutable, Vec::new());
    let q = ListQuery {
        sort: None,
        after: None,
        resource_type: &rt,
        filter: None,
        start_index: 1,
        count: 10,
    };
    let listed: Vec<String> = dst
        .store
        .users(e, &q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, ids(&["z", "m"]));
    assert_eq!(dst.store.user(e, "m").await.unwrap().unwrap().version, 2);
    let (t, ent) = dst.store.token_by_hash("hash-1").await.unwrap().unwrap();
    assert_eq!((t.id.as_str(), ent.slug.as_str()), ("tok_1", "acme"));
    assert_eq!(dst.store.members("g1").await.unwrap().len(), 2);
    // Sequences continue after the copied rows: new rows list after the old ones.
    dst.insert_user(&user(e, "new", "user-new")).await;
    let listed: Vec<String> = dst
        .store
        .users(e, &q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, ids(&["z", "m", "new"]));
    assert_eq!(dst.enterprise("gamma").await, other + 1);

    let err = store::copy::copy(&src.url, &dst.url, &mut |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}
