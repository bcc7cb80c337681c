//! Users: insert, uniqueness, compare-and-swap updates, erase; audit in the same transaction.

use directory::store::{StoreError, UniqueKey};
use serde_json::json;

use crate::support::{Backend, audit, group, ids, now, user};

both_backends!(
    users_insert_read_and_unique_keys,
    updates_are_compare_and_swap,
    erase_returns_groups_and_frees_the_user_name,
    audit_is_written_with_the_transaction_or_not_at_all,
);

async fn users_insert_read_and_unique_keys(b: Backend) {
    let e = b.enterprise("acme").await;
    let mut u = user(e, "u1", "Mona@Example.com");
    u.doc = json!({ "userName": "Mona@Example.com", "name": { "givenName": "Mona" }, "x": [1, 2.5, "é"] });
    b.insert_user(&u).await;
    let got = b.store.user(e, "u1").await.unwrap().unwrap();
    assert_eq!(got.doc, u.doc);
    assert_eq!(
        (&got.user_name, &got.handle, got.version),
        (&u.user_name, &u.handle, 1)
    );
    assert_eq!(
        (got.created, got.last_modified),
        (u.created, u.last_modified)
    );
    assert!(b.store.user(e + 1, "u1").await.unwrap().is_none());

    let mut same_name = user(e, "u2", "MONA@example.COM");
    same_name.handle = "different_acme".into();
    let mut same_handle = user(e, "u3", "other@example.com");
    same_handle.handle = u.handle.to_uppercase();
    for (candidate, key) in [
        (same_name, UniqueKey::UserName),
        (same_handle, UniqueKey::Handle),
    ] {
        let mut tx = b.store.begin().await.unwrap();
        let err = tx.insert_user(&candidate).await.unwrap_err();
        assert!(matches!(err, StoreError::Unique(k) if k == key), "{err:?}");
        drop(tx);
    }
    // The same userName in another enterprise is another user.
    let other = b.enterprise("beta").await;
    b.insert_user(&user(other, "u4", "mona@example.com")).await;

    let mut tx = b.store.begin().await.unwrap();
    let mut found = tx
        .existing_users(e, &ids(&["u1", "u4", "nope"]))
        .await
        .unwrap();
    found.sort();
    assert_eq!(found, ids(&["u1"]));
}

async fn updates_are_compare_and_swap(b: Backend) {
    let e = b.enterprise("acme").await;
    let u = user(e, "u1", "mona");
    b.insert_user(&u).await;
    let mut tx = b.store.begin().await.unwrap();
    let mut current = tx.user(e, "u1").await.unwrap().unwrap();
    current.version = 2;
    current.active = false;
    current.display_name = Some("Suspended".into());
    current.last_modified = now();
    assert!(tx.update_user(&current, 1).await.unwrap());
    // The stored version is 2 now: an update expecting 1 changes nothing.
    let mut stale = current.clone();
    stale.version = 3;
    stale.display_name = Some("Lost".into());
    assert!(!tx.update_user(&stale, 1).await.unwrap());
    tx.commit().await.unwrap();
    let got = b.store.user(e, "u1").await.unwrap().unwrap();
    assert_eq!((got.version, got.active), (2, false));
    assert_eq!(got.display_name.as_deref(), Some("Suspended"));

    // An update into another user's userName breaks the same rule as an insert.
    b.insert_user(&user(e, "u2", "octo")).await;
    let mut tx = b.store.begin().await.unwrap();
    let mut renamed = tx.user(e, "u2").await.unwrap().unwrap();
    renamed.user_name = "MONA".into();
    renamed.version = 2;
    let err = tx.update_user(&renamed, 1).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Unique(UniqueKey::UserName)),
        "{err:?}"
    );
    drop(tx);

    let g = group(e, "g1", "Admins");
    b.insert_group(&g, &[]).await;
    let mut tx = b.store.begin().await.unwrap();
    let mut current = tx.group(e, "g1").await.unwrap().unwrap();
    current.display_name = "Owners".into();
    current.version = 2;
    assert!(tx.update_group(&current, 1).await.unwrap());
    assert!(!tx.update_group(&current, 1).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        b.store.group(e, "g1").await.unwrap().unwrap().display_name,
        "Owners"
    );
}

async fn erase_returns_groups_and_frees_the_user_name(b: Backend) {
    let e = b.enterprise("acme").await;
    b.insert_user(&user(e, "u1", "mona")).await;
    b.insert_user(&user(e, "u2", "octo")).await;
    b.insert_group(&group(e, "g1", "A"), &ids(&["u1", "u2"]))
        .await;
    b.insert_group(&group(e, "g2", "B"), &ids(&["u1"])).await;
    b.insert_group(&group(e, "g3", "C"), &ids(&["u2"])).await;

    let mut tx = b.store.begin().await.unwrap();
    let mut groups = tx.erase_user(e, "u1", now()).await.unwrap();
    groups.sort();
    assert_eq!(groups, ids(&["g1", "g2"]));
    assert_eq!(tx.member_ids("g1").await.unwrap(), ids(&["u2"]));
    tx.commit().await.unwrap();
    assert!(b.store.user(e, "u1").await.unwrap().is_none());
    assert_eq!(b.rows("erased_users").await, 1);
    assert!(
        b.store
            .memberships(e, &ids(&["u1"]))
            .await
            .unwrap()
            .is_empty()
    );
    // The userName (and handle) may be provisioned again.
    b.insert_user(&user(e, "u9", "mona")).await;
}

async fn audit_is_written_with_the_transaction_or_not_at_all(b: Backend) {
    let e = b.enterprise("acme").await;
    let mut tx = b.store.begin().await.unwrap();
    tx.insert_user(&user(e, "u1", "mona")).await.unwrap();
    tx.append_audit(&[audit(e, "u1", json!({"a": 1})), audit(e, "u1", json!({}))])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(b.rows("audit_events").await, 2);

    let mut tx = b.store.begin().await.unwrap();
    tx.insert_user(&user(e, "u2", "octo")).await.unwrap();
    tx.append_audit(&[audit(e, "u2", json!({}))]).await.unwrap();
    drop(tx);
    assert_eq!(b.rows("audit_events").await, 2);
    assert!(b.store.user(e, "u2").await.unwrap().is_none());
}
