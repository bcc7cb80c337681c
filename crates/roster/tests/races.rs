//! Concurrency: uniqueness and membership come from the database, not from luck.

use serde_json::json;

use crate::support::{okta_user, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_creates_of_one_user_name_give_exactly_one_201() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let scim = app.scim.clone();
        // Same userName in varying case: uniqueness is case-insensitive.
        let name = if i % 2 == 0 {
            "race@example.com"
        } else {
            "RACE@example.com"
        };
        tasks.push(tokio::spawn(async move {
            scim.post("/Users", &okta_user(name)).await
        }));
    }
    let mut created = 0;
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status.as_u16() {
            201 => created += 1,
            409 => {
                assert_eq!(r.body["scimType"], "uniqueness", "{}", r.text);
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((created, conflicts), (1, 31));
    let list = app
        .scim
        .get("/Users?filter=userName%20eq%20%22race@example.com%22")
        .await
        .expect(200)
        .body;
    assert_eq!(list["totalResults"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_member_adds_from_many_clients_lose_none() {
    let app = spawn_app().await;
    let group = app.scim.create_group("Everyone", &[]).await;
    let gid = group["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for i in 0..60 {
        ids.push(
            app.scim
                .create_user(&format!("member{i}@example.com"))
                .await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // 60 clients each add one member, as Okta and Entra do when pushing in parallel, plus a
    // few renames in between that rewrite the group document.
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let scim = app.scim.clone();
        let path = format!("/Groups/{gid}");
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let r = scim.patch_ops(&path, json!([{ "op": "add", "path": "members", "value": [{ "value": id }] }])).await;
            assert_eq!(r.status.as_u16(), 204, "{}", r.text);
            if i % 10 == 0 {
                let r = scim.patch_ops(&path, json!([{ "op": "replace", "value": { "displayName": format!("Everyone {i}") } }])).await;
                assert_eq!(r.status.as_u16(), 204, "{}", r.text);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(app.scim.member_ids(&gid).await, expected);
}
