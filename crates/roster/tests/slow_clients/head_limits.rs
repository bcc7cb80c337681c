//! What is refused on the head alone, before routing and before a byte of the body is read:
//! a request target over `max_uri_bytes` (414), header fields over `max_header_bytes` or more
//! than 100 of them (431), a declared body over `max_body_bytes` (413, also instead of
//! `100 Continue`). Each with the error body of the API the path belongs to.

use reqwest::Method;

use super::raw::{Raw, head};
use super::{bearer, content_length};
use crate::support::{encode, okta_user, spawn_app};

const USERS: &str = "/scim/v2/enterprises/acme/Users";
const TWO_MIB: &str = "Content-Length: 2097152";

#[tokio::test]
async fn a_request_target_over_the_limit_is_answered_414_with_the_apis_error() {
    let app = spawn_app().await;
    let filter = encode(&format!("userName eq \"{}@example.com\"", "a".repeat(9000)));
    let r = app
        .scim
        .get(&format!("/Users?filter={filter}"))
        .await
        .expect_error(414, None);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(
        r.header("x-request-id").is_some(),
        "every answer carries its request id"
    );
    assert!(
        r.body["detail"].as_str().unwrap().contains(".search"),
        "points to POST …/.search: {}",
        r.text
    );

    let rest = app.rest().await;
    let r = rest
        .get(&format!("/orgs/octo/teams?per_page={}", "1".repeat(9000)))
        .await
        .expect(414);
    assert!(
        r.body["message"].as_str().unwrap().contains("8192"),
        "{}",
        r.text
    );
    assert!(r.body["documentation_url"].is_string(), "{}", r.text);
}

#[tokio::test]
async fn header_fields_over_the_limit_are_answered_431_with_the_apis_error() {
    let app = spawn_app().await;
    let big = "x".repeat(33 * 1024);
    let r = app
        .scim
        .send(Method::GET, "/Users", None, &[("x-big", big.as_str())])
        .await
        .expect_error(431, None);
    assert!(
        r.body["detail"].as_str().unwrap().contains("32768"),
        "{}",
        r.text
    );

    let names: Vec<String> = (0..101).map(|i| format!("x-field-{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let r = app
        .scim
        .send(Method::GET, "/Users", None, &many)
        .await
        .expect_error(431, None);
    assert!(
        r.body["detail"].as_str().unwrap().contains("100"),
        "{}",
        r.text
    );

    let rest = app.rest().await;
    let r = rest
        .http
        .get(format!("{}/orgs/octo/teams", rest.base))
        .bearer_auth(&rest.token)
        .header("x-big", big.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 431);
    let body: serde_json::Value = r.json().await.expect("json");
    assert!(
        body["message"].is_string() && body["documentation_url"].is_string(),
        "{body}"
    );
}

/// The documented edge of the limits: a head beyond hyper's own limit (ours plus 16 KiB,
/// 56 KiB by default) is refused by the parser, with a bare 431. (Far beyond it, so that no
/// read can bring the whole head in at once and past the parser's check.)
#[tokio::test]
async fn a_head_far_beyond_the_parsers_limit_is_refused_431_without_a_body() {
    let app = spawn_app().await;
    let huge = "x".repeat(200 * 1024);
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(&head("GET", "/healthz", &[&format!("X-Huge: {huge}")]))
        .await;
    let r = c.response().await;
    assert_eq!(r.status, 431);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn expect_100_continue_over_the_body_limit_is_answered_413_at_once() {
    let app = spawn_app().await;
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(&head(
        "POST",
        USERS,
        &[&bearer(&app.scim.token), "Expect: 100-continue", TWO_MIB],
    ))
    .await;
    let r = c.response().await;
    r.assert_scim_error(413);
    assert_eq!(r.header("connection"), Some("close"));
    c.closed_by_server()
        .await
        .expect("closed without waiting for the body");

    let rest = app.rest().await;
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(&head(
        "POST",
        "/api/v3/enterprises/acme/organizations",
        &[&bearer(&rest.token), "Expect: 100-continue", TWO_MIB],
    ))
    .await;
    c.response().await.assert_github_error(413);
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_answered_413_before_it_is_sent() {
    let app = spawn_app().await;
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(&head("POST", USERS, &[&bearer(&app.scim.token), TWO_MIB]))
        .await;
    c.response().await.assert_scim_error(413);
}

#[tokio::test]
async fn expect_100_continue_within_the_limit_still_gets_100_then_its_answer() {
    let app = spawn_app().await;
    let body = okta_user("expecting@example.com").to_string();
    let mut c = Raw::connect(&app.addr.to_string()).await;
    c.send(&head(
        "POST",
        USERS,
        &[
            &bearer(&app.scim.token),
            "Expect: 100-continue",
            &content_length(&body),
        ],
    ))
    .await;
    assert_eq!(c.response().await.status, 100);
    c.send(body.as_bytes()).await;
    let created = c.response().await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["userName"], "expecting@example.com");
}

#[tokio::test]
async fn a_client_that_sends_a_body_over_the_limit_anyway_reads_its_413_not_a_reset() {
    let app = spawn_app().await;
    let mut c = Raw::connect(&app.addr.to_string()).await;
    let (mut reader, mut writer) = c.stream.split();
    // More than the socket buffers between us hold: without the server swallowing it on
    // close, the write fails with a broken pipe before the answer is read.
    let mut request = head(
        "POST",
        USERS,
        &[&bearer(&app.scim.token), "Content-Length: 6291456"],
    );
    request.extend(std::iter::repeat_n(b' ', 6 * 1024 * 1024));
    let send = async {
        use tokio::io::AsyncWriteExt;
        // Refused before it is read, the body is still swallowed on close, so this ends.
        writer
            .write_all(&request)
            .await
            .expect("the whole body is taken");
    };
    let mut answer = Vec::new();
    let receive = async {
        use tokio::io::AsyncReadExt;
        reader
            .read_to_end(&mut answer)
            .await
            .expect("the answer, then a clean close (not a reset)");
    };
    tokio::time::timeout(super::raw::LIVENESS, async { tokio::join!(send, receive) })
        .await
        .expect("within the liveness bound");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(
        text.contains("urn:ietf:params:scim:api:messages:2.0:Error"),
        "{text}"
    );
}
