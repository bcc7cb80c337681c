//! A disk that fills up under a running server.

use std::io::Write;

use serde_json::json;

use crate::support::mounts::Mount;
use crate::support::{RosterProcess, okta_user};

/// Creates attempted at most while the disk is full (each one larger than a page).
const ATTEMPTS: usize = 400;

fn big_user(name: &str) -> serde_json::Value {
    let mut user = okta_user(name);
    user["title"] = json!("x".repeat(6000));
    user
}

/// Writes on a full disk get 507 and leave nothing behind; reads go on; once space is freed,
/// writes work again.
#[tokio::test]
async fn a_full_disk_refuses_writes_with_507_until_space_is_freed() {
    let fs = Mount::tmpfs("6m");
    let db = fs.path.join("roster.db");
    let server = RosterProcess::start(&db);
    let token = server.token().unwrap();
    server.wait_healthy().await;
    let scim = server.scim("acme", &token);
    let kept = scim.create_user("kept@example.com").await;

    // Fill the file system to the last byte.
    let ballast_path = fs.path.join("ballast");
    let mut ballast = std::fs::File::create(&ballast_path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while ballast.write_all(&chunk).is_ok() {}
    while ballast.write_all(&chunk[..512]).is_ok() {}
    drop(ballast);

    let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
    for i in 0..ATTEMPTS {
        let name = format!("full{i}@example.com");
        let r = scim.post("/Users", &big_user(&name)).await;
        match r.status.as_u16() {
            201 => acknowledged.push(name),
            507 => {
                let r = r.expect_error(507, None);
                assert!(
                    r.body["detail"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("full"),
                    "{}",
                    r.text
                );
                refused.push(name);
                if refused.len() >= 5 {
                    break;
                }
            }
            other => panic!("a write on a full disk got {other}: {}", r.text),
        }
    }
    println!(
        "full disk: {} creates acknowledged (space SQLite still had), {} refused with 507",
        acknowledged.len(),
        refused.len()
    );
    assert!(
        !refused.is_empty(),
        "no write was refused in {ATTEMPTS} attempts on a full disk"
    );
    scim.get(&format!("/Users/{}", kept["id"].as_str().unwrap()))
        .await
        .expect(200);

    std::fs::remove_file(&ballast_path).unwrap();
    scim.post("/Users", &big_user("after@example.com"))
        .await
        .expect(201);
    for name in &refused {
        let found = scim
            .get(&format!("/Users?filter=userName%20eq%20%22{name}%22"))
            .await
            .expect(200);
        assert_eq!(
            found.body["totalResults"], 0,
            "{name} was half-written: {}",
            found.text
        );
    }
    for name in &acknowledged {
        let found = scim
            .get(&format!("/Users?filter=userName%20eq%20%22{name}%22"))
            .await
            .expect(200);
        assert_eq!(
            found.body["totalResults"], 1,
            "{name} was acknowledged: {}",
            found.text
        );
    }
}
