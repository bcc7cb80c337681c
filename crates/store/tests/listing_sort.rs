//! `sortBy` on every singular attribute `/Schemas` lists, on both backends at once: each
//! either orders the resources as the in-memory order below says (values compared as their
//! type, case-folded where the attribute is not case-exact, resources without a value last,
//! ties in creation order), the same on SQLite and PostgreSQL and page by page through cursor
//! positions, or both refuse it as an unsupported filter (a 400), never a backend error.

use std::cmp::Ordering;

use directory::model::{IdpGroup, ManagedUser};
use directory::store::{ListQuery, Position, SortKey, StoreError};
use scim::definitions::{group_resource_type, user_resource_type};
use scim::filter::{AttrPath, Filter, parse};
use scim::schema::{AttrType, Mutability, ResourceType};
use serde_json::{Value, json};
use time::Duration;

use crate::support::{Backend, now};

/// Six values per attribute: ties under case folding, one missing, byte order differing
/// from insertion order.
const TEXTS: [Option<&str>; 6] = [
    Some("delta"),
    Some("Alpha"),
    None,
    Some("charlie"),
    Some("bravo"),
    Some("ALPHA"),
];
const BOOLS: [Option<bool>; 6] = [
    Some(true),
    Some(false),
    None,
    Some(false),
    Some(true),
    Some(true),
];
/// Ids, user names and times, in another order than insertion.
const IDS: [&str; 6] = ["u5", "u3", "u1", "u4", "u2", "u0"];
const NAMES: [&str; 6] = ["Delta", "alpha", "Charlie", "bravo", "Echo", "foxtrot"];
const CREATED: [i64; 6] = [3, 1, 5, 0, 2, 4];
const MODIFIED: [i64; 6] = [2, 5, 1, 4, 0, 3];

/// Every singular, simple attribute and sub-attribute of the resource type, as `sortBy` names
/// it, resolved the way the directory resolves `sortBy`.
fn sortable(rt: &ResourceType) -> Vec<(AttrPath, AttrType, bool)> {
    let mut out = Vec::new();
    let schemas =
        std::iter::once((None, &rt.core)).chain(rt.extensions.iter().map(|s| (Some(s.id), s)));
    for (urn, schema) in schemas {
        for a in schema.attributes.iter().filter(|a| !a.multi_valued) {
            let named = |sub: Option<&str>| {
                let mut p = String::new();
                if let Some(u) = urn {
                    p.push_str(u);
                    p.push(':');
                }
                p.push_str(a.name);
                if let Some(s) = sub {
                    p.push('.');
                    p.push_str(s);
                }
                match parse(&format!("{p} pr")).and_then(|f| f.resolve(rt)) {
                    Ok(Filter::Present(path)) => path,
                    other => panic!("{p}: {other:?}"),
                }
            };
            if a.ty == AttrType::Complex {
                for s in a.sub_attributes.iter().filter(|s| !s.multi_valued) {
                    out.push((named(Some(s.name)), s.ty, s.case_exact));
                }
            } else {
                out.push((named(None), a.ty, a.case_exact));
            }
        }
    }
    out
}

/// What a sort compares: the same type in one attribute.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Text(String),
    Bool(bool),
    Time(i64),
}

/// Sets `doc[urn][name][sub] = v`.
fn put(doc: &mut Value, path: &AttrPath, v: Value) {
    let mut at = doc;
    for key in [path.urn.as_deref(), Some(path.name.as_str())]
        .into_iter()
        .flatten()
    {
        at = at
            .as_object_mut()
            .expect("object")
            .entry(key)
            .or_insert_with(|| json!({}));
    }
    match &path.sub {
        Some(s) => {
            at[s.as_str()] = v;
        }
        None => *at = v,
    }
}

/// The value of attribute number `k` for resource `i` (shifted per attribute, so that every
/// attribute orders the resources differently).
fn value(ty: AttrType, k: usize, i: usize) -> Option<Value> {
    let j = (i + k) % 6;
    match ty {
        AttrType::Boolean => BOOLS[j].map(Value::Bool),
        _ => TEXTS[j].map(|s| Value::String(s.to_string())),
    }
}

fn is_column(rt: &ResourceType, path: &AttrPath) -> bool {
    path.urn.is_none()
        && matches!(
            (rt.name, path.name.as_str(), path.sub.as_deref()),
            (_, "id" | "externalId" | "displayName" | "meta", _) | ("User", "userName", _)
        )
}

struct Fixture {
    docs: Vec<Value>,
}

impl Fixture {
    fn new(rt: &ResourceType, paths: &[(AttrPath, AttrType, bool)]) -> Fixture {
        let docs = (0..6)
            .map(|i| {
                let mut doc = json!({});
                for (k, (path, ty, _)) in paths.iter().enumerate() {
                    if is_column(rt, path) {
                        continue;
                    }
                    if let Some(v) = value(*ty, k, i) {
                        put(&mut doc, path, v);
                    }
                }
                doc
            })
            .collect();
        Fixture { docs }
    }

    fn user(&self, e: i64, i: usize) -> ManagedUser {
        let base = now() - Duration::hours(1);
        let mut doc = self.docs[i].clone();
        doc["userName"] = json!(NAMES[i]);
        ManagedUser {
            id: IDS[i].into(),
            enterprise_id: e,
            user_name: NAMES[i].into(),
            handle: format!("{}_acme", NAMES[i]),
            external_id: TEXTS[(i + 1) % 6].map(str::to_string),
            display_name: TEXTS[(i + 2) % 6].map(str::to_string),
            active: true,
            doc,
            version: 1,
            created: base + Duration::seconds(CREATED[i]),
            last_modified: base + Duration::seconds(MODIFIED[i]),
        }
    }

    fn group(&self, e: i64, i: usize) -> IdpGroup {
        let base = now() - Duration::hours(1);
        IdpGroup {
            id: IDS[i].into(),
            enterprise_id: e,
            display_name: NAMES[i].into(),
            external_id: TEXTS[(i + 1) % 6].map(str::to_string),
            doc: json!({ "displayName": NAMES[i] }),
            version: 1,
            created: base + Duration::seconds(CREATED[i]),
            last_modified: base + Duration::seconds(MODIFIED[i]),
        }
    }
}

/// The sort value of resource `i`, as the listing compares it; `Err` when no store sorts by
/// this attribute.
fn key_of(
    rt: &ResourceType,
    paths: &[(AttrPath, AttrType, bool)],
    k: usize,
    i: usize,
) -> Result<Option<Key>, ()> {
    let (path, ty, case_exact) = &paths[k];
    let text = |s: &str| {
        Key::Text(if *case_exact {
            s.to_string()
        } else {
            s.to_lowercase()
        })
    };
    let column_text = |s: Option<&str>| Ok(s.map(text));
    let group = rt.name == "Group";
    if path.urn.is_none() {
        match (path.name.as_str(), path.sub.as_deref()) {
            ("id", None) => return column_text(Some(IDS[i])),
            ("externalId", None) => return column_text(TEXTS[(i + 1) % 6]),
            ("userName", None) => return column_text(Some(NAMES[i])),
            ("displayName", None) if group => return column_text(Some(NAMES[i])),
            ("displayName", None) => return column_text(TEXTS[(i + 2) % 6]),
            ("meta", Some("created")) => return Ok(Some(Key::Time(CREATED[i]))),
            ("meta", Some("lastModified")) => return Ok(Some(Key::Time(MODIFIED[i]))),
            ("meta", Some("resourceType")) => return Ok(Some(Key::Text(rt.name.into()))),
            ("meta", _) => return Err(()),
            _ => {}
        }
    }
    if *ty == AttrType::DateTime {
        return Err(());
    }
    Ok(value(*ty, k, i).map(|v| match v {
        Value::Bool(b) => Key::Bool(b),
        Value::String(s) => text(&s),
        other => panic!("unexpected {other}"),
    }))
}

/// The order the listing must give: by value (descending reverses only the values), missing
/// last, ties in insertion order.
fn expected(keys: &[Option<Key>], descending: bool) -> Vec<String> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| match (&keys[a], &keys[b]) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let o = x.partial_cmp(y).expect("one type per attribute");
            if descending { o.reverse() } else { o }
        }
    });
    order.into_iter().map(|i| IDS[i].to_string()).collect()
}

/// The whole listing in one page, and again two at a time through cursor positions.
async fn sorted(
    b: &Backend,
    e: i64,
    rt: &ResourceType,
    sort: &SortKey,
) -> Result<Vec<String>, StoreError> {
    fn query<'a>(
        rt: &'a ResourceType,
        sort: &'a SortKey,
        after: Option<&'a Position>,
        count: u64,
    ) -> ListQuery<'a> {
        ListQuery {
            resource_type: rt,
            filter: None,
            sort: Some(sort),
            after,
            start_index: 1,
            count,
        }
    }
    let whole: Vec<String> = if rt.name == "User" {
        let p = b.store.users(e, &query(rt, sort, None, 100)).await?;
        p.items.into_iter().map(|u| u.id).collect()
    } else {
        let p = b.store.groups(e, &query(rt, sort, None, 100)).await?;
        p.items.into_iter().map(|g| g.id).collect()
    };
    let mut paged = Vec::new();
    let mut after: Option<Position> = None;
    loop {
        let (items, next) = if rt.name == "User" {
            let p = b
                .store
                .users(e, &query(rt, sort, after.as_ref(), 2))
                .await?;
            (
                p.items.into_iter().map(|u| u.id).collect::<Vec<_>>(),
                p.next,
            )
        } else {
            let p = b
                .store
                .groups(e, &query(rt, sort, after.as_ref(), 2))
                .await?;
            (
                p.items.into_iter().map(|g| g.id).collect::<Vec<_>>(),
                p.next,
            )
        };
        paged.extend(items);
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
        assert!(paged.len() <= whole.len(), "{sort:?}: paging does not end");
    }
    assert_eq!(
        paged, whole,
        "{sort:?}: cursor pages give the whole listing"
    );
    Ok(whole)
}

/// Sorts by every attribute of `rt`; at least `at_least` of them must be sortable.
async fn check(rt: &ResourceType, at_least: usize) {
    let paths = sortable(rt);
    let fixture = Fixture::new(rt, &paths);
    let sqlite = Backend::sqlite().await;
    let postgres = Backend::postgres().await;
    let mut ids = Vec::new();
    for b in [&sqlite, &postgres] {
        let e = b.enterprise("acme").await;
        for i in 0..6 {
            if rt.name == "User" {
                b.insert_user(&fixture.user(e, i)).await;
            } else {
                b.insert_group(&fixture.group(e, i), &[]).await;
            }
        }
        ids.push(e);
    }
    let mut sorted_by = 0;
    for (k, (path, _, _)) in paths.iter().enumerate() {
        let keys: Result<Vec<_>, ()> = (0..6).map(|i| key_of(rt, &paths, k, i)).collect();
        for descending in [false, true] {
            let sort = SortKey {
                path: path.clone(),
                descending,
            };
            let got_sqlite = sorted(&sqlite, ids[0], rt, &sort).await;
            let got_postgres = sorted(&postgres, ids[1], rt, &sort).await;
            match &keys {
                Ok(keys) => {
                    let want = expected(keys, descending);
                    assert_eq!(
                        got_sqlite.as_ref().ok(),
                        Some(&want),
                        "SQLite, sortBy={path} descending={descending}: {got_sqlite:?}"
                    );
                    assert_eq!(
                        got_postgres.as_ref().ok(),
                        Some(&want),
                        "PostgreSQL, sortBy={path} descending={descending}: {got_postgres:?}"
                    );
                    sorted_by += 1;
                }
                Err(()) => {
                    for (name, got) in [("SQLite", &got_sqlite), ("PostgreSQL", &got_postgres)] {
                        assert!(
                            matches!(got, Err(StoreError::UnsupportedFilter(_))),
                            "{name}, sortBy={path}: refused as a bad request, not {got:?}"
                        );
                    }
                }
            }
        }
    }
    assert!(
        sorted_by >= 2 * at_least,
        "only {} attributes of {} sort",
        sorted_by / 2,
        rt.name
    );
}

#[tokio::test]
async fn every_singular_user_attribute_sorts_alike_on_both_backends() {
    check(&user_resource_type(Mutability::Immutable, Vec::new()), 25).await;
}

#[tokio::test]
async fn every_singular_group_attribute_sorts_alike_on_both_backends() {
    check(&group_resource_type(), 6).await;
}
