//! Groups and memberships as set operations.

use directory::store::{StoreError, UniqueKey};

use crate::support::{Backend, group, ids, now, user};

both_backends!(
    group_display_names_are_unique_per_enterprise,
    members_add_and_remove_as_sets,
    memberships_and_members_list_in_stable_order,
    a_writer_dropped_during_a_group_wide_statement_leaves_nothing,
    a_writer_that_stops_waiting_does_not_hold_up_commits,
);

async fn group_display_names_are_unique_per_enterprise(b: Backend) {
    let e = b.enterprise("acme").await;
    b.insert_group(&group(e, "g1", "Admins"), &[]).await;
    let mut tx = b.store.begin().await.unwrap();
    let err = tx
        .insert_group(&group(e, "g2", "ADMINS"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Unique(UniqueKey::GroupDisplayName)),
        "{err:?}"
    );
    drop(tx);
    let other = b.enterprise("beta").await;
    b.insert_group(&group(other, "g3", "admins"), &[]).await;
    let mut tx = b.store.begin().await.unwrap();
    tx.delete_group(e, "g1").await.unwrap();
    tx.commit().await.unwrap();
    assert!(b.store.group(e, "g1").await.unwrap().is_none());
    b.insert_group(&group(e, "g4", "admins"), &[]).await;
}

async fn members_add_and_remove_as_sets(b: Backend) {
    let e = b.enterprise("acme").await;
    for (id, name) in [("u1", "a"), ("u2", "b"), ("u3", "c")] {
        b.insert_user(&user(e, id, name)).await;
    }
    b.insert_group(&group(e, "g1", "G"), &ids(&["u2"])).await;
    let mut tx = b.store.begin().await.unwrap();
    let added = tx
        .add_members("g1", &ids(&["u3", "u2", "u1", "u3"]))
        .await
        .unwrap();
    assert_eq!(
        added,
        ids(&["u3", "u1"]),
        "only new members, in the order given"
    );
    assert_eq!(tx.member_ids("g1").await.unwrap(), ids(&["u2", "u3", "u1"]));
    let removed = tx
        .remove_members("g1", &ids(&["u1", "nope", "u2"]))
        .await
        .unwrap();
    assert_eq!(removed, ids(&["u1", "u2"]), "only members that were there");
    assert!(tx.add_members("g1", &[]).await.unwrap().is_empty());
    assert!(tx.remove_members("g1", &[]).await.unwrap().is_empty());
    tx.commit().await.unwrap();
    let members = b.store.members("g1").await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user_id, "u3");
    assert_eq!(members[0].display.as_deref(), Some("c Display"));
}

async fn memberships_and_members_list_in_stable_order(b: Backend) {
    let e = b.enterprise("acme").await;
    for (id, name) in [("u1", "a"), ("u2", "b")] {
        b.insert_user(&user(e, id, name)).await;
    }
    b.insert_group(&group(e, "g1", "First"), &ids(&["u1", "u2"]))
        .await;
    b.insert_group(&group(e, "g2", "Second"), &ids(&["u1"]))
        .await;
    let m = b
        .store
        .memberships(e, &ids(&["u1", "u2", "nope"]))
        .await
        .unwrap();
    let of_u1: Vec<(&str, &str)> = m
        .iter()
        .filter(|m| m.user_id == "u1")
        .map(|m| (m.group_id.as_str(), m.group_display.as_str()))
        .collect();
    assert_eq!(of_u1, vec![("g1", "First"), ("g2", "Second")]);
    assert_eq!(m.iter().filter(|m| m.user_id == "u2").count(), 1);
    assert!(b.store.memberships(e, &[]).await.unwrap().is_empty());
    let other = b.enterprise("beta").await;
    assert!(
        b.store
            .memberships(other, &ids(&["u1"]))
            .await
            .unwrap()
            .is_empty()
    );
    let _ = now();
}

/// Statements over a whole group may run away from the writer's own thread; a writer that goes
/// away meanwhile (a client hanging up) must still leave nothing behind, and the next writer
/// must get the connection.
async fn a_writer_dropped_during_a_group_wide_statement_leaves_nothing(b: Backend) {
    let e = b.enterprise("acme").await;
    // Enough members that deleting them takes a while: the writer is dropped mid-statement.
    let members: Vec<String> = (0..3000).map(|i| format!("u{i}")).collect();
    let mut setup = b.store.begin().await.unwrap();
    for id in &members {
        setup.insert_user(&user(e, id, id)).await.unwrap();
    }
    setup.insert_group(&group(e, "g1", "G")).await.unwrap();
    setup.add_members("g1", &members).await.unwrap();
    setup.commit().await.unwrap();
    // Polled once, then dropped: the statement is under way when its writer disappears.
    // On a busy machine the statement may finish before that first poll returns; then the
    // writer is dropped after it, which must leave nothing either, and the test tries again.
    let mut cut_short = false;
    for _ in 0..20 {
        let mut tx = b.store.begin().await.unwrap();
        tx.insert_group(&group(e, "g2", "Half-done")).await.unwrap();
        let mut deletion = tx.delete_group(e, "g1");
        cut_short = futures::poll!(&mut deletion).is_pending();
        drop(deletion);
        drop(tx);
        if cut_short {
            break;
        }
    }
    assert!(cut_short, "no deletion was ever cut short");
    let mut next = b.store.begin().await.unwrap();
    next.insert_group(&group(e, "g3", "Next")).await.unwrap();
    next.commit().await.unwrap();
    assert!(
        b.store.group(e, "g2").await.unwrap().is_none(),
        "the dropped writer's insert is gone"
    );
    assert!(
        b.store.group(e, "g1").await.unwrap().is_some(),
        "its deletion never happened"
    );
    assert_eq!(b.store.members("g1").await.unwrap().len(), 3000);
    assert!(b.store.group(e, "g3").await.unwrap().is_some());
}

/// A writer dropped while it waits for the connection (a client hanging up) must not make the
/// others wait for it: the next commit still completes on its own.
async fn a_writer_that_stops_waiting_does_not_hold_up_commits(b: Backend) {
    let e = b.enterprise("acme").await;
    let mut first = b.store.begin().await.unwrap();
    first.insert_group(&group(e, "g1", "First")).await.unwrap();
    let second = tokio::time::timeout(std::time::Duration::from_millis(50), b.store.begin()).await;
    if !b.is_postgres() {
        // SQLite has one write connection; PostgreSQL lets both writers in.
        assert!(second.is_err(), "the second writer waited, then went away");
    }
    drop(second);
    // Liveness, not speed: without the fix this commit waits for the writer that left.
    let committed = tokio::time::timeout(std::time::Duration::from_secs(10), first.commit()).await;
    assert!(matches!(committed, Ok(Ok(()))), "{committed:?}");
    assert!(b.store.group(e, "g1").await.unwrap().is_some());
}
