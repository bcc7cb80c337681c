//! `sortBy` on a constant or a non-text attribute over HTTP, on whichever backend the pass
//! runs (`ROSTER_TEST_BACKEND`): PostgreSQL used to answer 500 for `meta.resourceType`. What no
//! store can sort by is a 400 that names what it can, never a 500.

use serde_json::Value;

use crate::support::{Scim, okta_user, spawn_app};

fn user_names(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["userName"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every page of `GET /Users?{query}` two at a time by cursor.
async fn by_cursor(scim: &Scim, query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = scim
            .get(&format!("/Users?{query}&count=2&cursor={cursor}"))
            .await
            .expect(200)
            .body;
        out.extend(user_names(&r));
        match r["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

#[tokio::test]
async fn constants_and_booleans_sort_and_page() {
    let app = spawn_app().await;
    let names = ["c@example.com", "a@example.com", "b@example.com"];
    for n in names {
        app.scim.post("/Users", &okta_user(n)).await.expect(201);
    }
    let suspended = app
        .scim
        .get("/Users?filter=userName%20eq%20%22a@example.com%22")
        .await
        .expect(200)
        .body["Resources"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.scim
        .patch_ops(
            &format!("/Users/{suspended}"),
            serde_json::json!([{ "op": "replace", "value": { "active": false } }]),
        )
        .await
        .expect(200);

    // Every user has the same resourceType: creation order, whole and by cursor.
    let r = app
        .scim
        .get("/Users?sortBy=meta.resourceType")
        .await
        .expect(200);
    assert_eq!(user_names(&r.body), names);
    assert_eq!(
        by_cursor(&app.scim, "sortBy=meta.resourceType").await,
        names
    );
    // false before true, then creation order.
    let want = ["a@example.com", "c@example.com", "b@example.com"];
    let r = app.scim.get("/Users?sortBy=active").await.expect(200);
    assert_eq!(user_names(&r.body), want);
    assert_eq!(by_cursor(&app.scim, "sortBy=active").await, want);
    let r = app
        .scim
        .get("/Users?sortBy=active&sortOrder=descending")
        .await
        .expect(200);
    assert_eq!(
        user_names(&r.body),
        ["c@example.com", "b@example.com", "a@example.com"]
    );
    let r = app
        .scim
        .get("/Groups?sortBy=meta.resourceType")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);

    // meta.version and meta.location have no column to sort by on either backend.
    let r = app
        .scim
        .get("/Users?sortBy=meta.version")
        .await
        .expect_error(400, Some("invalidFilter"));
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("meta.created"), "{detail}");
}
