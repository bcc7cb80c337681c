//! Organizations, teams, links to IdP groups, and the seats derived from them.

use directory::model::{NewTeam, Privacy, SeatChange, TeamSeatChange};
use directory::store::{Slice, StoreError, UniqueKey};

use crate::support::{Backend, group, ids, now, user};

both_backends!(
    organization_logins_are_unique_case_insensitively,
    team_slugs_are_unique_per_organization,
    teams_update_link_and_delete,
    team_seats_follow_the_linked_groups_active_members,
    user_seats_follow_the_users_groups_and_state,
    org_seats_are_the_union_of_team_seats,
    group_users_list_in_membership_order,
);

fn new_team(org_id: i64, slug: &str) -> NewTeam {
    NewTeam {
        org_id,
        name: slug.to_uppercase(),
        slug: slug.into(),
        description: Some(format!("{slug} team")),
        privacy: Privacy::Closed,
        parent_id: None,
        created: now(),
    }
}

fn seat(user_id: &str, login: &str, joined: bool) -> SeatChange {
    SeatChange {
        user_id: user_id.into(),
        login: Some(login.into()),
        joined,
    }
}

const ALL: Slice = Slice {
    offset: 0,
    limit: 100,
};

/// An organization; its id.
async fn org(b: &Backend, enterprise_id: i64, login: &str) -> i64 {
    let mut tx = b.store.begin().await.unwrap();
    let o = tx
        .insert_organization(enterprise_id, login, now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    o.id
}

/// A team linked to `group_id` (when given); its id.
async fn team(b: &Backend, org_id: i64, slug: &str, group_id: Option<&str>) -> i64 {
    let mut tx = b.store.begin().await.unwrap();
    let t = tx.insert_team(&new_team(org_id, slug)).await.unwrap();
    tx.set_team_group(t.id, group_id, now()).await.unwrap();
    tx.commit().await.unwrap();
    t.id
}

fn handles(users: Vec<directory::model::ManagedUser>) -> Vec<String> {
    users.into_iter().map(|u| u.handle).collect()
}

async fn organization_logins_are_unique_case_insensitively(b: Backend) {
    let e = b.enterprise("acme").await;
    let other = b.enterprise("beta").await;
    let at = now();
    let mut tx = b.store.begin().await.unwrap();
    let octo = tx.insert_organization(e, "Octo", at).await.unwrap();
    let zeta = tx.insert_organization(e, "zeta", at).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((octo.login.as_str(), octo.enterprise_id), ("Octo", e));
    assert!(zeta.id > octo.id);

    // Logins are unique across the server, whatever the case, whatever the enterprise.
    for (enterprise, login) in [(e, "OCTO"), (other, "octo")] {
        let mut tx = b.store.begin().await.unwrap();
        let err = tx
            .insert_organization(enterprise, login, at)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Unique(UniqueKey::OrganizationLogin)),
            "{err:?}"
        );
    }

    let found = b
        .store
        .organization_by_login("oCtO")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.login.as_str()), (octo.id, "Octo"));
    assert_eq!(found.created, at);
    assert!(
        b.store
            .organization_by_login("nope")
            .await
            .unwrap()
            .is_none()
    );
    let listed: Vec<String> = b
        .store
        .organizations(e)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.login)
        .collect();
    assert_eq!(listed, ids(&["Octo", "zeta"]));
    assert!(b.store.organizations(other).await.unwrap().is_empty());
}

async fn team_slugs_are_unique_per_organization(b: Backend) {
    let e = b.enterprise("acme").await;
    let octo = org(&b, e, "octo").await;
    let zeta = org(&b, e, "zeta").await;
    let mut tx = b.store.begin().await.unwrap();
    let core = tx.insert_team(&new_team(octo, "core")).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = b.store.begin().await.unwrap();
    let err = tx.insert_team(&new_team(octo, "core")).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Unique(UniqueKey::TeamSlug)),
        "{err:?}"
    );
    drop(tx);
    // The same slug in another organization is another team.
    let other = team(&b, zeta, "core", None).await;
    assert_ne!(other, core.id);

    let got = b.store.team_by_slug(octo, "CORE").await.unwrap().unwrap();
    assert_eq!(got.id, core.id);
    assert_eq!(got.name, "CORE");
    assert_eq!(got.description.as_deref(), Some("core team"));
    assert_eq!(got.privacy, Privacy::Closed);
    assert_eq!((got.parent_id, got.group_id.clone()), (None, None));
    assert_eq!(got.created, core.created);
    assert_eq!(b.store.team(core.id).await.unwrap().unwrap().slug, "core");
    assert!(b.store.team(core.id + 1000).await.unwrap().is_none());
    assert!(b.store.team_by_slug(octo, "nope").await.unwrap().is_none());
    let web = team(&b, octo, "web", None).await;
    let listed: Vec<i64> = b
        .store
        .teams(octo)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, vec![core.id, web]);
}

async fn teams_update_link_and_delete(b: Backend) {
    let e = b.enterprise("acme").await;
    for (id, name) in [("u1", "carol"), ("u2", "alice")] {
        b.insert_user(&user(e, id, name)).await;
    }
    b.insert_group(&group(e, "g1", "G1"), &ids(&["u1", "u2"]))
        .await;
    let octo = org(&b, e, "octo").await;
    let parent = team(&b, octo, "parent", None).await;
    let child = team(&b, octo, "child", None).await;

    let mut tx = b.store.begin().await.unwrap();
    assert!(!tx.has_child_teams(parent).await.unwrap());
    let mut t = tx.team(child).await.unwrap().unwrap();
    t.parent_id = Some(parent);
    t.description = None;
    t.privacy = Privacy::Secret;
    t.updated = now();
    tx.update_team(&t).await.unwrap();
    assert!(tx.has_child_teams(parent).await.unwrap());
    assert!(!tx.has_child_teams(child).await.unwrap());
    tx.set_team_group(child, Some("g1"), now()).await.unwrap();
    tx.set_team_group(parent, Some("g1"), now()).await.unwrap();
    let linked: Vec<i64> = tx
        .linked_teams("g1")
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(linked, vec![parent, child]);
    tx.commit().await.unwrap();

    let got = b.store.team(child).await.unwrap().unwrap();
    assert_eq!(got.parent_id, Some(parent));
    assert_eq!(got.description, None);
    assert_eq!(got.privacy, Privacy::Secret);
    assert_eq!(got.group_id.as_deref(), Some("g1"));
    assert_eq!(b.store.linked_teams("g1").await.unwrap().len(), 2);

    // Unlink one; the other stays linked.
    let mut tx = b.store.begin().await.unwrap();
    tx.set_team_group(parent, None, now()).await.unwrap();
    tx.commit().await.unwrap();
    let linked = b.store.linked_teams("g1").await.unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].id, child);
    assert_eq!(b.store.team(parent).await.unwrap().unwrap().group_id, None);

    // Deleting a team reports its members (by handle) and takes their rows with it.
    let mut tx = b.store.begin().await.unwrap();
    tx.sync_team_seats(child).await.unwrap();
    let gone = tx.delete_team(child).await.unwrap();
    assert_eq!(
        gone,
        vec![
            seat("u2", "alice_acme", false),
            seat("u1", "carol_acme", false)
        ]
    );
    assert!(tx.team(child).await.unwrap().is_none());
    assert!(!tx.has_child_teams(parent).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(b.rows("team_members").await, 0);
    assert!(b.store.linked_teams("g1").await.unwrap().is_empty());
    let mut tx = b.store.begin().await.unwrap();
    assert!(tx.delete_team(child).await.unwrap().is_empty());
}

async fn team_seats_follow_the_linked_groups_active_members(b: Backend) {
    let e = b.enterprise("acme").await;
    // Handles a-b_acme, a_b_acme, ab_acme, zed_acme: byte order puts '-' before '_' before
    // letters, on both backends.
    for (id, name) in [("u1", "zed"), ("u2", "ab"), ("u3", "a_b"), ("u4", "a.b")] {
        b.insert_user(&user(e, id, name)).await;
    }
    let mut off = user(e, "u5", "off");
    off.active = false;
    b.insert_user(&off).await;
    b.insert_group(&group(e, "g1", "G1"), &ids(&["u1", "u2", "u3", "u5"]))
        .await;
    b.insert_group(&group(e, "g2", "G2"), &ids(&["u4", "u1"]))
        .await;
    let octo = org(&b, e, "octo").await;
    let t = team(&b, octo, "core", Some("g1")).await;

    let mut tx = b.store.begin().await.unwrap();
    let changes = tx.sync_team_seats(t).await.unwrap();
    assert_eq!(
        changes,
        vec![
            seat("u3", "a_b_acme", true),
            seat("u2", "ab_acme", true),
            seat("u1", "zed_acme", true),
        ],
        "active members only, by handle"
    );
    assert!(
        tx.sync_team_seats(t).await.unwrap().is_empty(),
        "idempotent"
    );
    tx.commit().await.unwrap();
    let listed = b.store.team_users(t, ALL).await.unwrap();
    assert_eq!(handles(listed), ids(&["a_b_acme", "ab_acme", "zed_acme"]));
    let page = b
        .store
        .team_users(
            t,
            Slice {
                offset: 1,
                limit: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(handles(page), ids(&["ab_acme"]));

    // Relink to g2: who left, then who joined.
    let mut tx = b.store.begin().await.unwrap();
    tx.set_team_group(t, Some("g2"), now()).await.unwrap();
    let changes = tx.sync_team_seats(t).await.unwrap();
    assert_eq!(
        changes,
        vec![
            seat("u3", "a_b_acme", false),
            seat("u2", "ab_acme", false),
            seat("u4", "a-b_acme", true),
        ]
    );
    // Unlinked: everyone leaves.
    tx.set_team_group(t, None, now()).await.unwrap();
    let changes = tx.sync_team_seats(t).await.unwrap();
    assert_eq!(
        changes,
        vec![seat("u4", "a-b_acme", false), seat("u1", "zed_acme", false)]
    );
    tx.commit().await.unwrap();
    assert!(b.store.team_users(t, ALL).await.unwrap().is_empty());
    assert_eq!(b.rows("team_members").await, 0);
}

async fn user_seats_follow_the_users_groups_and_state(b: Backend) {
    let e = b.enterprise("acme").await;
    b.insert_user(&user(e, "u1", "mona")).await;
    b.insert_group(&group(e, "g1", "G1"), &ids(&["u1"])).await;
    b.insert_group(&group(e, "g2", "G2"), &ids(&["u1"])).await;
    b.insert_group(&group(e, "g3", "G3"), &[]).await;
    let octo = org(&b, e, "octo").await;
    let zeta = org(&b, e, "zeta").await;
    let a = team(&b, octo, "a", Some("g1")).await;
    let z = team(&b, zeta, "z", Some("g2")).await;
    let other = team(&b, octo, "other", Some("g3")).await;
    let _unlinked = team(&b, octo, "unlinked", None).await;

    let mut tx = b.store.begin().await.unwrap();
    let changes = tx.sync_user_seats("u1").await.unwrap();
    let joined = |team_id, org_id, joined| TeamSeatChange {
        team_id,
        org_id,
        joined,
    };
    assert_eq!(changes, vec![joined(a, octo, true), joined(z, zeta, true)]);
    assert!(tx.sync_user_seats("u1").await.unwrap().is_empty());

    // Out of g1, into g3.
    tx.remove_members("g1", &ids(&["u1"])).await.unwrap();
    tx.add_members("g3", &ids(&["u1"])).await.unwrap();
    let changes = tx.sync_user_seats("u1").await.unwrap();
    assert_eq!(
        changes,
        vec![joined(a, octo, false), joined(other, octo, true)]
    );

    // Suspended: no seats at all; active again: back.
    let mut u = tx.user(e, "u1").await.unwrap().unwrap();
    u.active = false;
    u.version = 2;
    assert!(tx.update_user(&u, 1).await.unwrap());
    let changes = tx.sync_user_seats("u1").await.unwrap();
    assert_eq!(
        changes,
        vec![joined(z, zeta, false), joined(other, octo, false)]
    );
    u.active = true;
    u.version = 3;
    assert!(tx.update_user(&u, 2).await.unwrap());
    let changes = tx.sync_user_seats("u1").await.unwrap();
    assert_eq!(
        changes,
        vec![joined(z, zeta, true), joined(other, octo, true)]
    );

    // Erased: its seats go although it has no row any more.
    tx.erase_user(e, "u1", now()).await.unwrap();
    let changes = tx.sync_user_seats("u1").await.unwrap();
    assert_eq!(
        changes,
        vec![joined(z, zeta, false), joined(other, octo, false)]
    );
    assert!(tx.sync_user_seats("nobody").await.unwrap().is_empty());
    tx.commit().await.unwrap();
    assert_eq!(b.rows("team_members").await, 0);
}

async fn org_seats_are_the_union_of_team_seats(b: Backend) {
    let e = b.enterprise("acme").await;
    for (id, name) in [("u1", "mona"), ("u2", "hubot"), ("u3", "lisa")] {
        b.insert_user(&user(e, id, name)).await;
    }
    b.insert_group(&group(e, "g1", "G1"), &ids(&["u1", "u2"]))
        .await;
    b.insert_group(&group(e, "g2", "G2"), &ids(&["u1"])).await;
    b.insert_group(&group(e, "g3", "G3"), &ids(&["u3"])).await;
    let octo = org(&b, e, "octo").await;
    let zeta = org(&b, e, "zeta").await;
    let t1 = team(&b, octo, "one", Some("g1")).await;
    let t2 = team(&b, octo, "two", Some("g2")).await;
    let tz = team(&b, zeta, "zed", Some("g3")).await;

    let mut tx = b.store.begin().await.unwrap();
    for t in [t1, t2, tz] {
        tx.sync_team_seats(t).await.unwrap();
    }
    assert!(tx.sync_org_seats(octo, &[]).await.unwrap().is_empty());
    // Only the users named are considered; u3 is in a team of another organization.
    let changes = tx
        .sync_org_seats(octo, &ids(&["u1", "u2", "u3", "u1"]))
        .await
        .unwrap();
    assert_eq!(
        changes,
        vec![
            seat("u2", "hubot_acme", true),
            seat("u1", "mona_acme", true)
        ]
    );
    assert!(
        tx.sync_org_seats(octo, &ids(&["u1", "u2", "u3"]))
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();
    let members = b.store.org_users(octo, ALL).await.unwrap();
    assert_eq!(handles(members), ids(&["hubot_acme", "mona_acme"]));
    let page = b
        .store
        .org_users(
            octo,
            Slice {
                offset: 1,
                limit: 5,
            },
        )
        .await
        .unwrap();
    assert_eq!(handles(page), ids(&["mona_acme"]));
    assert!(b.store.org_users(zeta, ALL).await.unwrap().is_empty());

    // u1 leaves team one but stays in team two: still a member. u2 leaves its only team.
    let mut tx = b.store.begin().await.unwrap();
    tx.remove_members("g1", &ids(&["u1", "u2"])).await.unwrap();
    let left: Vec<String> = tx
        .sync_team_seats(t1)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.user_id)
        .collect();
    assert_eq!(left, ids(&["u2", "u1"]));
    let changes = tx.sync_org_seats(octo, &left).await.unwrap();
    assert_eq!(changes, vec![seat("u2", "hubot_acme", false)]);
    tx.commit().await.unwrap();
    assert_eq!(b.rows("org_members").await, 1);
}

async fn group_users_list_in_membership_order(b: Backend) {
    let e = b.enterprise("acme").await;
    for (id, name) in [("u1", "a"), ("u2", "b"), ("u3", "c")] {
        b.insert_user(&user(e, id, name)).await;
    }
    b.insert_group(&group(e, "g1", "G"), &ids(&["u3", "u1"]))
        .await;
    let mut tx = b.store.begin().await.unwrap();
    tx.add_members("g1", &ids(&["u2"])).await.unwrap();
    tx.commit().await.unwrap();
    let listed: Vec<String> = b
        .store
        .group_users("g1")
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, ids(&["u3", "u1", "u2"]));
    assert!(b.store.group_users("nope").await.unwrap().is_empty());
}
