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

#[tokio::test]
async fn copies_organizations_teams_and_seats() {
    use directory::model::{NewTeam, Privacy};
    use directory::store::Slice;

    let src = Backend::sqlite().await;
    let e = src.enterprise("acme").await;
    src.insert_user(&user(e, "u1", "mona")).await;
    src.insert_group(&group(e, "g1", "G1"), &ids(&["u1"])).await;
    let mut tx = src.store.begin().await.unwrap();
    let org = tx.insert_organization(e, "Octo", now()).await.unwrap();
    let new_team = |slug: &str| NewTeam {
        org_id: org.id,
        name: slug.into(),
        slug: slug.into(),
        description: None,
        privacy: Privacy::Closed,
        parent_id: None,
        created: now(),
    };
    let child = tx.insert_team(&new_team("child")).await.unwrap();
    let parent = tx.insert_team(&new_team("parent")).await.unwrap();
    // The child's parent has the higher id: the copy must not depend on id order.
    let mut c = child.clone();
    c.parent_id = Some(parent.id);
    tx.update_team(&c).await.unwrap();
    tx.set_team_group(child.id, Some("g1"), now())
        .await
        .unwrap();
    tx.sync_team_seats(child.id).await.unwrap();
    tx.sync_org_seats(org.id, &ids(&["u1"])).await.unwrap();
    tx.commit().await.unwrap();

    let dst = Backend::postgres().await;
    let counts = store::copy::copy(&src.url, &dst.url, &mut |_| {})
        .await
        .expect("copy");
    let rows = |t: &str| counts.iter().find(|c| c.table == t).map(|c| c.rows);
    assert_eq!(rows("organizations"), Some(1));
    assert_eq!(rows("teams"), Some(2));
    assert_eq!(rows("team_members"), Some(1));
    assert_eq!(rows("org_members"), Some(1));
    let got = dst
        .store
        .organization_by_login("octo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.id, got.login.as_str()), (org.id, "Octo"));
    let got = dst.store.team(child.id).await.unwrap().unwrap();
    assert_eq!(got.parent_id, Some(parent.id));
    assert_eq!(got.group_id.as_deref(), Some("g1"));
    let all = Slice {
        offset: 0,
        limit: 10,
    };
    assert_eq!(dst.store.team_users(child.id, all).await.unwrap().len(), 1);
    assert_eq!(dst.store.org_users(org.id, all).await.unwrap().len(), 1);
    // Identities continue after the copied ids.
    let mut tx = dst.store.begin().await.unwrap();
    let next = tx.insert_organization(e, "zeta", now()).await.unwrap();
    assert_eq!(next.id, org.id + 1);
    let next = tx.insert_team(&new_team("later")).await.unwrap();
    assert_eq!(next.id, parent.id + 1);
    tx.commit().await.unwrap();
}
