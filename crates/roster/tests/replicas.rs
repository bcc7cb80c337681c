//! Two `roster serve` replicas over one PostgreSQL database: started together, they migrate
//! once and create one first enterprise; uniqueness and memberships hold across them; a write
//! through one is read through the other at once; a token's rate limit is one bucket in the
//! database, not one per replica.

use std::time::Instant;

use futures::future::join_all;
use serde_json::json;
use store::scratch::ScratchDatabase;

use crate::support::{RosterProcess, Scim, okta_user, roster_cli};

#[tokio::test]
async fn two_replicas_share_one_postgres() {
    let db = ScratchDatabase::create().await.expect("scratch database");
    let (a, b) = {
        let (ua, ub) = (db.url.clone(), db.url.clone());
        let ta = std::thread::spawn(move || RosterProcess::start_url(&ua, &[]));
        let tb = std::thread::spawn(move || RosterProcess::start_url(&ub, &[]));
        (ta.join().expect("replica a"), tb.join().expect("replica b"))
    };
    a.wait_healthy().await;
    b.wait_healthy().await;
    let tokens: Vec<String> = [a.token(), b.token()].into_iter().flatten().collect();
    assert_eq!(
        tokens.len(),
        1,
        "exactly one replica creates the enterprise: {:?} {:?}",
        a.banner,
        b.banner
    );
    let (sa, sb) = (a.scim("acme", &tokens[0]), b.scim("acme", &tokens[0]));
    let via = |i: usize| -> &Scim { if i.is_multiple_of(2) { &sa } else { &sb } };

    // 32 concurrent creates of one userName through both replicas: exactly one 201.
    let body = okta_user("race@example.com");
    let replies = join_all((0..32).map(|i| via(i).post("/Users", &body))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let conflicts = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (created, conflicts),
        (1, 31),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );

    // A write through one replica is read through the other at once.
    let user = sa.create_user("mona@example.com").await;
    let id = user["id"].as_str().expect("id").to_string();
    sb.get(&format!("/Users/{id}")).await.expect(200);
    sb.patch_ops(
        &format!("/Users/{id}"),
        json!([{ "op": "replace", "value": { "displayName": "Mona L" } }]),
    )
    .await
    .expect(200);
    let read = sa.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(read.body["displayName"], "Mona L");

    // Concurrent member adds through both replicas: none lost.
    let mut ids = Vec::new();
    for i in 0..24 {
        let u = via(i).create_user(&format!("member{i}@example.com")).await;
        ids.push(u["id"].as_str().expect("id").to_string());
    }
    let group = sa.create_group("Engineering", &[]).await;
    let gid = group["id"].as_str().expect("group id").to_string();
    let path = format!("/Groups/{gid}");
    let adds = join_all(ids.iter().enumerate().map(|(i, uid)| {
        via(i).patch_ops(
            &path,
            json!([{ "op": "add", "path": "members", "value": [{ "value": uid }] }]),
        )
    }))
    .await;
    for r in &adds {
        assert!(r.status.is_success(), "{} {}", r.status, r.text);
    }
    let mut want = ids.clone();
    want.sort();
    assert_eq!(sb.member_ids(&gid).await, want);
    assert_eq!(sa.member_ids(&gid).await, want);
}

/// `roster token create` for `acme` on `url`: the secret.
fn new_scim_token(url: &str) -> String {
    let out = roster_cli(&[
        "token",
        "create",
        "--enterprise",
        "acme",
        "--scope",
        "scim:enterprise",
        "--database",
        url,
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).expect("token json");
    created["token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn a_tokens_rate_limit_holds_across_replicas() {
    let db = ScratchDatabase::create().await.expect("scratch database");
    let limits = ["--rate-limit", "1", "--rate-burst", "5"];
    let a = RosterProcess::start_url(&db.url, &limits);
    a.wait_healthy().await;
    let b = RosterProcess::start_url(&db.url, &limits);
    b.wait_healthy().await;
    let token = a.token().expect("the first replica creates the enterprise");
    let (sa, sb) = (a.scim("acme", &token), b.scim("acme", &token));
    let via = |i: usize| -> &Scim { if i.is_multiple_of(2) { &sa } else { &sb } };

    // 20 requests of one token spread over both replicas: the shared bucket allows its burst
    // of 5, plus what refills at 1/s while they run; per-replica buckets would allow 10.
    let started = Instant::now();
    let replies = join_all((0..20).map(|i| via(i).get("/Users"))).await;
    let elapsed = started.elapsed().as_secs_f64();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(allowed + refused, 20, "{statuses:?}");
    assert!(
        (5..=5 + elapsed.ceil() as usize).contains(&allowed),
        "{allowed} allowed in {elapsed:.2}s: {statuses:?}"
    );
    // Both replicas refuse, with the headers and the SCIM error.
    for side in [0, 1] {
        let r = replies
            .iter()
            .enumerate()
            .find(|(i, r)| i % 2 == side && r.status == 429)
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("replica {side} refused nothing: {statuses:?}"));
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
        assert!(r.header("retry-after").is_some());
        assert!(r.header("x-ratelimit-reset").is_some());
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or("")
                .contains("rate limit")
        );
    }

    // Another token of the enterprise has its own bucket, on both replicas.
    let other = new_scim_token(&db.url);
    for i in 0..4 {
        via(i).with_token(&other).get("/Users").await.expect(200);
    }
}
