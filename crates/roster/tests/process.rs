//! `roster serve` as an admin runs it: first start prints the base URL and a token that works,
//! state survives restarts and `kill -9`, SIGTERM drains and exits 0.

use serde_json::json;

use crate::support::{RosterProcess, db_path, okta_user};

#[tokio::test]
async fn first_start_prints_a_working_base_url_and_token_and_state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let first = RosterProcess::start(&db);
    let token = first.token().expect("first start prints a token");
    let base_line = first
        .banner
        .iter()
        .find(|l| l.starts_with("SCIM base URL:"))
        .expect("base URL line")
        .clone();
    assert!(
        base_line.ends_with("/scim/v2/enterprises/acme"),
        "{base_line}"
    );
    first.wait_healthy().await;
    let scim = first.scim("acme", &token);
    let user = scim.create_user("persist@example.com").await;
    let group = scim
        .create_group("Persisted", &[user["id"].as_str().unwrap()])
        .await;
    assert_eq!(first.terminate().code(), Some(0), "SIGTERM exits 0");

    let second = RosterProcess::start(&db);
    assert_eq!(
        second.token(),
        None,
        "the token is printed once, on creation only"
    );
    assert!(
        second
            .banner
            .iter()
            .any(|l| l.contains("/scim/v2/enterprises/acme"))
    );
    second.wait_healthy().await;
    let scim = second.scim("acme", &token);
    let got = scim
        .get(&format!("/Users/{}", user["id"].as_str().unwrap()))
        .await
        .expect(200)
        .body;
    assert_eq!(got["userName"], "persist@example.com");
    let members = scim.member_ids(group["id"].as_str().unwrap()).await;
    assert_eq!(members, vec![user["id"].as_str().unwrap().to_string()]);
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let server = RosterProcess::start(&db);
    let token = server.token().unwrap();
    server.wait_healthy().await;
    let scim = server.scim("acme", &token);

    // Writes acknowledged concurrently right up to the kill.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let scim = scim.clone();
        tasks.push(tokio::spawn(async move {
            scim.post("/Users", &okta_user(&format!("durable{i}@example.com")))
                .await
        }));
    }
    let mut acknowledged = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
        acknowledged.push(r.body["id"].as_str().unwrap().to_string());
    }
    let g = scim
        .create_group(
            "Durable",
            &acknowledged.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await;
    let gid = g["id"].as_str().unwrap().to_string();
    server.kill9();

    let again = RosterProcess::start(&db);
    again.wait_healthy().await;
    let scim = again.scim("acme", &token);
    for id in &acknowledged {
        scim.get(&format!("/Users/{id}")).await.expect(200);
    }
    let list = scim.get("/Users?count=1000").await.expect(200).body;
    assert_eq!(list["totalResults"], json!(acknowledged.len()));
    assert_eq!(scim.member_ids(&gid).await.len(), acknowledged.len());
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let dir = tempfile::tempdir().unwrap();
    let server = RosterProcess::start(&db_path(&dir));
    let token = server.token().unwrap();
    server.wait_healthy().await;
    let scim = server.scim("acme", &token);
    // A request that is surely in flight when the signal arrives: a bulk request of 300
    // creates, each its own committed write, which takes far longer than the pause before the
    // signal. Draining means it still gets its whole answer.
    let operations: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            json!({ "method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                    "data": okta_user(&format!("drain{i}@example.com")) })
        })
        .collect();
    let bulk = {
        let scim = scim.clone();
        tokio::spawn(async move {
            scim.post(
                "/Bulk",
                &json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations }),
            )
            .await
        })
    };
    // Once a few of its users exist, the request is being served.
    for _ in 0..200 {
        let seen = scim.get("/Users?count=0").await.body["totalResults"]
            .as_u64()
            .unwrap_or(0);
        if seen >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "SIGTERM exits 0 after draining");
    let answer = bulk.await.unwrap().expect(200);
    let ops = answer.body["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 300, "the in-flight request got its whole answer");
    assert!(ops.iter().all(|o| o["status"] == "201"), "{}", answer.text);
    let completed = ops.len();
    // What was acknowledged is there after a restart.
    let again = RosterProcess::start(&db_path(&dir));
    again.wait_healthy().await;
    let list = again
        .scim("acme", &token)
        .get("/Users?count=100")
        .await
        .expect(200)
        .body;
    assert_eq!(list["totalResults"], json!(completed));
}

#[tokio::test]
async fn serve_runs_on_postgres() {
    let db = store::scratch::ScratchDatabase::create()
        .await
        .expect("scratch database");
    let server = RosterProcess::start_url(&db.url, &[]);
    server.wait_healthy().await;
    assert!(
        server.banner[0].contains("(database postgres://"),
        "{:?}",
        server.banner
    );
    let token = server.token().expect("a first token on an empty database");
    let scim = server.scim("acme", &token);
    let created = scim.create_user("mona@example.com").await;
    let id = created["id"].as_str().expect("id");
    scim.get(&format!("/Users/{id}")).await.expect(200);
    let ready = reqwest::get(format!("http://{}/readyz", server.addr))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    assert!(server.terminate().success());
    // A restart finds the schema migrated and the enterprise there: no second token.
    let again = RosterProcess::start_url(&db.url, &[]);
    assert_eq!(again.token(), None, "{:?}", again.banner);
    let scim = again.scim("acme", &token);
    scim.get(&format!("/Users/{id}")).await.expect(200);
}
