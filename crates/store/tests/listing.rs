//! Listing: filters compiled to SQL, stable order, `startIndex` paging, counts.

use directory::store::{ListQuery, StoreError};
use scim::definitions::{group_resource_type, user_resource_type};
use scim::filter::{Filter, parse};
use scim::schema::{Mutability, ResourceType};

use crate::support::{Backend, group, ids, user};

both_backends!(users_page_in_insertion_order, filters_select_rows);

fn users_rt() -> ResourceType {
    user_resource_type(Mutability::Immutable, Vec::new())
}

pub fn resolved(filter: &str, rt: &ResourceType) -> Filter {
    parse(filter)
        .and_then(|f| f.resolve(rt))
        .unwrap_or_else(|e| panic!("{filter}: {e:?}"))
}

async fn user_ids(
    b: &Backend,
    e: i64,
    filter: Option<&str>,
    start: u64,
    count: u64,
) -> (u64, Vec<String>) {
    let rt = users_rt();
    let f = filter.map(|f| resolved(f, &rt));
    let page = b
        .store
        .users(
            e,
            &ListQuery {
                sort: None,
                after: None,
                resource_type: &rt,
                filter: f.as_ref(),
                start_index: start,
                count,
            },
        )
        .await
        .unwrap_or_else(|err| panic!("{filter:?}: {err:?}"));
    (page.total, page.items.into_iter().map(|u| u.id).collect())
}

async fn users_page_in_insertion_order(b: Backend) {
    let e = b.enterprise("acme").await;
    let other = b.enterprise("beta").await;
    // Ids that sort differently from insertion order: the order is the insertion's.
    let all = ["z", "m", "a", "q", "b", "y", "c"];
    for id in all {
        b.insert_user(&user(e, id, &format!("user-{id}"))).await;
    }
    b.insert_user(&user(other, "o1", "user-z")).await;
    assert_eq!(user_ids(&b, e, None, 1, 100).await, (7, ids(&all)));
    assert_eq!(user_ids(&b, e, None, 3, 2).await, (7, ids(&["a", "q"])));
    assert_eq!(user_ids(&b, e, None, 7, 5).await, (7, ids(&["c"])));
    assert_eq!(user_ids(&b, e, None, 9, 5).await, (7, vec![]));
    assert_eq!(user_ids(&b, e, None, 1, 0).await, (7, vec![]));
    let mut paged = Vec::new();
    for start in (1..=7).step_by(3) {
        paged.extend(user_ids(&b, e, None, start, 3).await.1);
    }
    assert_eq!(paged, ids(&all));
}

async fn filters_select_rows(b: Backend) {
    let e = b.enterprise("acme").await;
    for (id, name) in [
        ("u1", "Mona@Example.com"),
        ("u2", "octo@example.com"),
        ("u3", "hubot@github.com"),
    ] {
        b.insert_user(&user(e, id, name)).await;
    }
    b.insert_group(&group(e, "g1", "Admins"), &ids(&["u1", "u3"]))
        .await;
    b.insert_group(&group(e, "g2", "Devs"), &ids(&["u2"])).await;
    let cases: &[(&str, &[&str])] = &[
        (r#"userName eq "mona@example.com""#, &["u1"]),
        (r#"userName ne "mona@example.com""#, &["u2", "u3"]),
        (r#"userName ew "EXAMPLE.COM""#, &["u1", "u2"]),
        (r#"emails[type eq "work" and value sw "octo"]"#, &["u2"]),
        (r#"externalId eq "ext-u3""#, &["u3"]),
        (r#"groups.value eq "g1""#, &["u1", "u3"]),
        (r#"groups[display eq "devs"]"#, &["u2"]),
        (r#"not (groups pr)"#, &[]),
        (
            r#"meta.created gt "2000-01-01T00:00:00Z" and active eq true"#,
            &["u1", "u2", "u3"],
        ),
        (
            r#"userName gt "n" or displayName co "HUBOT""#,
            &["u2", "u3"],
        ),
    ];
    for (filter, want) in cases {
        let (total, got) = user_ids(&b, e, Some(filter), 1, 100).await;
        assert_eq!(got, ids(want), "{filter}");
        assert_eq!(total, want.len() as u64, "{filter}");
    }
    let (total, got) = user_ids(&b, e, Some(r#"userName sw "o" or userName sw "h""#), 2, 1).await;
    assert_eq!((total, got), (2, ids(&["u3"])));

    let grt = group_resource_type();
    for (filter, want) in [
        (r#"members[value eq "u3"]"#, vec!["g1"]),
        (r#"members.display co "OCTO""#, vec!["g2"]),
        (r#"displayName sw "ad""#, vec!["g1"]),
    ] {
        let f = resolved(filter, &grt);
        let page = b
            .store
            .groups(
                e,
                &ListQuery {
                    sort: None,
                    after: None,
                    resource_type: &grt,
                    filter: Some(&f),
                    start_index: 1,
                    count: 10,
                },
            )
            .await
            .unwrap();
        let got: Vec<String> = page.items.into_iter().map(|g| g.id).collect();
        assert_eq!(got, ids(&want), "{filter}");
    }

    let rt = users_rt();
    let f = resolved(r#"meta.version eq "W/1""#, &rt);
    let err = b
        .store
        .users(
            e,
            &ListQuery {
                sort: None,
                after: None,
                resource_type: &rt,
                filter: Some(&f),
                start_index: 1,
                count: 10,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedFilter(_)), "{err:?}");
}
