//! Each phase of a connection is bounded: the request head, the request body, the gap
//! between requests.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

use super::raw::{LIVENESS, Raw, head};
use super::served::Served;
use super::{app_with, bearer, content_length};
use crate::support::{Scim, okta_user};

const USERS: &str = "/scim/v2/enterprises/acme/Users";

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let app = app_with(|e| e.keep_alive_timeout = Duration::from_secs(1)).await;
    let mut c = Raw::connect(&app.addr.to_string()).await;
    // Kept alive: one connection answers twice.
    for _ in 0..2 {
        c.send(&head("GET", "/healthz", &[])).await;
        assert_eq!(c.response().await.status, 200);
    }
    let sent = c
        .closed_by_server()
        .await
        .expect("the idle connection is closed");
    assert!(sent.is_empty(), "closed without a word: {sent:?}");
}

#[tokio::test]
async fn a_half_sent_request_head_is_cut_at_the_header_timeout() {
    let app = app_with(|e| e.header_timeout = Duration::from_secs(1)).await;
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(b"GET /healthz HTTP/1.1\r\nHost: roster.test\r\nX-Pad")
        .await;
    let sent = c.closed_by_server().await.expect("the half head is cut");
    assert!(sent.is_empty(), "{sent:?}");
}

#[tokio::test]
async fn a_second_head_trickled_on_a_kept_alive_connection_is_cut_at_the_header_timeout() {
    let app = app_with(|e| e.header_timeout = Duration::from_secs(1)).await;
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(&head("GET", "/healthz", &[])).await;
    assert_eq!(c.response().await.status, 200);
    // Four bytes a second: always making progress, never finishing in time.
    let second = head(
        "GET",
        "/healthz",
        &["X-Padding: trickled-one-byte-at-a-time"],
    );
    c.trickle(&second, Duration::from_millis(250))
        .await
        .expect("the trickled head is cut");
    assert!(
        c.try_response(Duration::ZERO).await.is_none(),
        "no answer to a head that never arrived"
    );
}

#[tokio::test]
async fn a_scim_body_sent_at_one_byte_per_second_is_answered_408_and_creates_nothing() {
    let app = app_with(|e| e.body_timeout = Duration::from_secs(1)).await;
    let body = okta_user("trickle@example.com").to_string();
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(&head(
        "POST",
        USERS,
        &[&bearer(&app.scim.token), &content_length(&body)],
    ))
    .await;
    c.trickle(body.as_bytes(), Duration::from_secs(1))
        .await
        .expect("the slow body is cut");
    let answer = c.response().await;
    answer.assert_scim_error(408);
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(
        app.scim.get("/Users").await.expect(200).body["totalResults"],
        0
    );
}

#[tokio::test]
async fn a_rest_body_sent_at_one_byte_per_second_is_answered_408_in_githubs_shape() {
    let app = app_with(|e| e.body_timeout = Duration::from_secs(1)).await;
    let rest = app.rest().await;
    let body = json!({ "login": "trickled-org" }).to_string();
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(&head(
        "POST",
        "/api/v3/enterprises/acme/organizations",
        &[&bearer(&rest.token), &content_length(&body)],
    ))
    .await;
    c.trickle(body.as_bytes(), Duration::from_secs(1))
        .await
        .expect("the slow body is cut");
    let answer = c.response().await;
    answer.assert_github_error(408);
    assert_eq!(answer.header("connection"), Some("close"));
    let orgs = rest
        .get("/enterprises/acme/organizations")
        .await
        .expect(200)
        .body;
    assert_eq!(orgs.as_array().map(Vec::len), Some(0), "{orgs}");
}

#[tokio::test]
async fn a_client_that_stops_reading_its_response_is_disconnected_at_the_send_timeout() {
    let mut s = Served::start(
        &["--send-timeout", "1s", "--max-body-bytes", "16777216"],
        None,
    );
    let scim = Scim {
        http: reqwest::Client::new(),
        base: format!("http://{}/scim/v2/enterprises/acme", s.addr),
        token: s.token.clone(),
    };
    // A user whose representation (about 7 MB) is more than the socket buffers between the
    // server and a client that reads nothing can hold (on loopback the kernel lets a sender
    // queue up to 4 MB, tcp_wmem).
    let mut wide = okta_user("wide@example.com");
    wide["title"] = json!("w".repeat(7_000_000));
    let created = scim.post("/Users", &wide).await.expect(201);
    let id = created.body["id"].as_str().expect("id").to_string();

    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("small receive buffer");
    let mut stream = socket
        .connect(s.addr.parse().expect("addr"))
        .await
        .expect("connect");
    stream
        .write_all(&head(
            "GET",
            &s.scim_path(&format!("/Users/{id}")),
            &[&bearer(&s.token)],
        ))
        .await
        .expect("send");
    s.logged("closed at its deadline phase=Sending").await;

    let mut got = Vec::new();
    let _ = tokio::time::timeout(LIVENESS, stream.read_to_end(&mut got))
        .await
        .expect("the connection ends");
    let head_end = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head came first");
    let head_text = String::from_utf8_lossy(&got[..head_end]).to_lowercase();
    let length: usize = head_text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("content-length");
    assert!(
        got.len() - head_end - 4 < length,
        "the response was cut short ({} of {length} bytes)",
        got.len() - head_end - 4
    );
}
