//! Listing: `sortBy`/`sortOrder` on singular attributes, stable across pages, and RFC 9865
//! cursor paging beside `startIndex`.

use serde_json::{Value, json};

use crate::support::{Scim, okta_user, spawn_app};

async fn seed(scim: &Scim, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for i in 0..n {
        // Family names in a scrambled order, some users without one.
        let user_name = format!("user{i:02}@example.com");
        let mut body = okta_user(&user_name);
        if i % 5 == 0 {
            body["name"].as_object_mut().unwrap().remove("familyName");
        } else {
            body["name"]["familyName"] =
                json!(format!("{}", ["Zed", "alpha", "Mid", "beta"][i % 4]));
        }
        scim.post("/Users", &body).await.expect(201);
        names.push(user_name);
    }
    names
}

fn user_names(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().to_string())
        .collect()
}

/// Walk every page with `startIndex` and `count`.
async fn walk_index(scim: &Scim, query: &str, count: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 1;
    loop {
        let r = scim
            .get(&format!("/Users?{query}&startIndex={start}&count={count}"))
            .await
            .expect(200)
            .body;
        let page = user_names(&r);
        assert_eq!(r["itemsPerPage"], json!(page.len()));
        if page.is_empty() {
            break;
        }
        start += page.len();
        out.extend(page);
    }
    out
}

/// Walk every page by following `nextCursor`.
async fn walk_cursor(scim: &Scim, query: &str, count: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = scim
            .get(&format!("/Users?{query}&count={count}&cursor={cursor}"))
            .await
            .expect(200)
            .body;
        assert!(
            r.get("startIndex").is_none(),
            "cursor pages carry no startIndex: {r}"
        );
        out.extend(user_names(&r));
        match r["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    out
}

#[tokio::test]
async fn sort_by_user_name_both_ways_and_stable_across_pages() {
    let app = spawn_app().await;
    let mut names = seed(&app.scim, 23).await;
    names.sort();
    assert_eq!(walk_index(&app.scim, "sortBy=userName", 5).await, names);
    let mut desc = names.clone();
    desc.reverse();
    assert_eq!(
        walk_index(&app.scim, "sortBy=UserName&sortOrder=descending", 5).await,
        desc
    );
}

#[tokio::test]
async fn sort_by_a_sub_attribute_case_insensitively_with_missing_values_last() {
    let app = spawn_app().await;
    seed(&app.scim, 20).await;
    let all = app
        .scim
        .get("/Users?sortBy=name.familyName&count=100")
        .await
        .expect(200)
        .body;
    let families: Vec<Option<String>> = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"]["familyName"].as_str().map(str::to_string))
        .collect();
    let present: Vec<String> = families.iter().flatten().cloned().collect();
    let mut expected = present.clone();
    expected.sort_by_key(|s| s.to_lowercase());
    assert_eq!(present, expected, "case-insensitive order");
    let first_missing = families.iter().position(Option::is_none).unwrap();
    assert!(
        families[first_missing..].iter().all(Option::is_none),
        "missing values last: {families:?}"
    );
    // Pages of any size give the same order.
    let paged = walk_index(&app.scim, "sortBy=name.familyName", 3).await;
    assert_eq!(paged, user_names(&all));
}

#[tokio::test]
async fn sort_refuses_multi_valued_and_unknown_attributes() {
    let app = spawn_app().await;
    app.scim
        .get("/Users?sortBy=emails")
        .await
        .expect_error(400, Some("invalidValue"));
    app.scim
        .get("/Users?sortBy=nope")
        .await
        .expect_error(400, Some("invalidValue"));
    app.scim
        .get("/Users?sortBy=userName&sortOrder=sideways")
        .await
        .expect_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn cursor_paging_visits_everyone_once_and_survives_inserts_and_deletes() {
    let app = spawn_app().await;
    let names = seed(&app.scim, 17).await;
    assert_eq!(
        walk_cursor(&app.scim, "filter=active%20eq%20true", 4).await,
        names
    );

    // Changes between pages neither repeat nor skip the rows that stay.
    let first = app
        .scim
        .get("/Users?count=5&cursor=")
        .await
        .expect(200)
        .body;
    let next = first["nextCursor"].as_str().unwrap().to_string();
    let victim = app
        .scim
        .get("/Users?filter=userName%20eq%20%22user02@example.com%22")
        .await
        .body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.scim
        .delete(&format!("/Users/{victim}"))
        .await
        .expect(204);
    app.scim
        .post("/Users", &okta_user("late@example.com"))
        .await
        .expect(201);
    let mut seen = user_names(&first);
    let mut cursor = next;
    loop {
        let r = app
            .scim
            .get(&format!("/Users?count=5&cursor={cursor}"))
            .await
            .expect(200)
            .body;
        seen.extend(user_names(&r));
        match r["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let mut expected = names.clone();
    expected.push("late@example.com".into());
    assert_eq!(
        seen, expected,
        "user02 was already served on the first page"
    );
}

#[tokio::test]
async fn sorted_cursor_walk_matches_the_sorted_list() {
    let app = spawn_app().await;
    seed(&app.scim, 19).await;
    let all = app
        .scim
        .get("/Users?sortBy=name.familyName&sortOrder=descending&count=100")
        .await
        .expect(200)
        .body;
    assert_eq!(
        walk_cursor(&app.scim, "sortBy=name.familyName&sortOrder=descending", 4).await,
        user_names(&all)
    );
    assert_eq!(
        walk_cursor(&app.scim, "sortBy=meta.created", 6).await.len(),
        19
    );
}

#[tokio::test]
async fn bad_cursors_are_refused_with_invalid_cursor() {
    let app = spawn_app().await;
    seed(&app.scim, 6).await;
    let r = app
        .scim
        .get("/Users?count=2&cursor=&sortBy=userName")
        .await
        .expect(200)
        .body;
    let c = r["nextCursor"].as_str().unwrap();
    app.scim
        .get("/Users?count=2&cursor=garbage")
        .await
        .expect_error(400, Some("invalidCursor"));
    // A cursor belongs to its query.
    app.scim
        .get(&format!("/Users?count=2&cursor={c}"))
        .await
        .expect_error(400, Some("invalidCursor"));
    app.scim
        .get(&format!("/Users?count=2&cursor={c}&sortBy=userName"))
        .await
        .expect(200);
    let spc = app
        .scim
        .get("/ServiceProviderConfig")
        .await
        .expect(200)
        .body;
    assert_eq!(spc["sort"]["supported"], true);
    assert_eq!(spc["pagination"]["cursor"], true);
    assert_eq!(spc["pagination"]["index"], true);
}

#[tokio::test]
async fn groups_sort_and_cursor_too() {
    let app = spawn_app().await;
    for n in ["delta", "Alpha", "charlie", "Bravo"] {
        app.scim.create_group(n, &[]).await;
    }
    let r = app
        .scim
        .get("/Groups?sortBy=displayName&excludedAttributes=members")
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = r["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Alpha", "Bravo", "charlie", "delta"]);
    let r = app
        .scim
        .get("/Groups?count=3&cursor=")
        .await
        .expect(200)
        .body;
    assert_eq!(r["itemsPerPage"], 3);
    assert!(r["nextCursor"].is_string());
}

#[tokio::test]
async fn root_search_refuses_sorting_and_cursors_it_cannot_honour() {
    let app = spawn_app().await;
    let search = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    app.scim
        .post(
            "/.search",
            &json!({ "schemas": [search], "sortBy": "userName" }),
        )
        .await
        .expect_error(400, Some("invalidValue"));
    app.scim
        .post("/.search", &json!({ "schemas": [search], "cursor": "" }))
        .await
        .expect_error(400, Some("invalidValue"));
    app.scim
        .post("/.search", &json!({ "schemas": [search] }))
        .await
        .expect(200);
}

/// Paging by `startIndex` stays exact when users are deleted or added between pages (the
/// SQLite store remembers totals and page starts; they must never go stale).
#[tokio::test]
async fn index_paging_follows_deletes_and_inserts_between_pages() {
    let app = spawn_app().await;
    let names = seed(&app.scim, 30).await;
    let page = |start: usize| {
        let scim = app.scim.clone();
        async move {
            scim.get(&format!("/Users?startIndex={start}&count=10"))
                .await
                .expect(200)
                .body
        }
    };
    assert_eq!(user_names(&page(1).await), names[..10]);
    assert_eq!(user_names(&page(11).await), names[10..20]);
    let p21 = page(21).await;
    assert_eq!(p21["totalResults"], 30);
    assert_eq!(user_names(&p21), names[20..]);

    // Delete the fifth user: every later position moves up by one.
    let fifth = app
        .scim
        .get("/Users?filter=userName%20eq%20%22user04@example.com%22")
        .await
        .body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.scim
        .delete(&format!("/Users/{fifth}"))
        .await
        .expect(204);
    let mut now: Vec<String> = names.clone();
    now.remove(4);
    let p21 = page(21).await;
    assert_eq!(p21["totalResults"], 29);
    assert_eq!(user_names(&p21), now[20..]);
    assert_eq!(user_names(&page(11).await), now[10..20]);

    // An added user lands at the end and is counted.
    app.scim
        .post("/Users", &okta_user("newcomer@example.com"))
        .await
        .expect(201);
    now.push("newcomer@example.com".into());
    let p21 = page(21).await;
    assert_eq!(p21["totalResults"], 30);
    assert_eq!(user_names(&p21), now[20..]);
}
