//! The connection cap: beyond it a new client waits (in the listen backlog) rather than
//! being refused, idle connections make room for it, and connections already served keep
//! working.

use std::time::Duration;

use super::raw::{Raw, head};
use super::{app_with, bearer, content_length};
use crate::support::okta_user;

const USERS: &str = "/scim/v2/enterprises/acme/Users";

/// A connection whose request is being served: its head is in and the handler has asked
/// for its body (`100 Continue` says so), which the client holds back.
async fn held_request(addr: &str, token: &str, user: &str) -> (Raw, String) {
    let body = okta_user(user).to_string();
    let mut c = Raw::connect(addr).await;
    c.send(&head(
        "POST",
        USERS,
        &[
            &bearer(token),
            "Expect: 100-continue",
            &content_length(&body),
        ],
    ))
    .await;
    assert_eq!(c.response().await.status, 100);
    (c, body)
}

#[tokio::test]
async fn beyond_the_cap_a_new_client_waits_until_a_slot_frees_and_is_then_served() {
    let app = app_with(|e| e.max_connections = 2).await;
    let addr = app.addr.to_string();
    let (first, _) = held_request(&addr, &app.scim.token, "first@example.com").await;
    let (mut second, second_body) =
        held_request(&addr, &app.scim.token, "second@example.com").await;

    let mut waiting = Raw::connect(&addr).await;
    waiting.send(&head("GET", "/healthz", &[])).await;
    assert!(
        waiting.try_response(Duration::from_secs(1)).await.is_none(),
        "served beyond the cap of 2 connections"
    );

    // A client hangs up: its slot goes to the one waiting.
    drop(first);
    assert_eq!(waiting.response().await.status, 200);
    // The connection that held its slot throughout still works.
    second.send(second_body.as_bytes()).await;
    let created = second.response().await;
    assert_eq!(created.status, 201, "{}", created.text());
}

#[tokio::test]
async fn at_the_cap_the_longest_idle_connection_makes_room_for_a_new_client() {
    let app = app_with(|e| e.max_connections = 2).await;
    let addr = app.addr.to_string();
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut c = Raw::connect(&addr).await;
        c.send(&head("GET", "/healthz", &[])).await;
        assert_eq!(c.response().await.status, 200);
        idle.push(c);
    }
    let mut newcomer = Raw::connect(&addr).await;
    newcomer.send(&head("GET", "/healthz", &[])).await;
    assert_eq!(newcomer.response().await.status, 200);

    idle[0]
        .closed_by_server()
        .await
        .expect("the longest-idle connection was closed to make room");
    idle[1].send(&head("GET", "/healthz", &[])).await;
    assert_eq!(
        idle[1].response().await.status,
        200,
        "the other idle connection is still served"
    );
}
