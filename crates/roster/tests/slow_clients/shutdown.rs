//! `roster serve` under SIGTERM with slow clients holding connections, and with too few file
//! descriptors for the sockets it is offered.

use tokio::net::TcpStream;

use super::raw::{LIVENESS, Raw, head};
use super::served::Served;
use super::{bearer, content_length};
use crate::support::okta_user;

/// The figure after `name=` in a log line.
fn field(line: &str, name: &str) -> Option<u64> {
    let start = line.find(&format!("{name}="))? + name.len() + 1;
    line[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_and_cuts_slow_clients_at_the_drain_deadline() {
    // Head and body timeouts far beyond the liveness bound: only the drain deadline can end
    // the slow clients' connections in time.
    let mut s = Served::start(
        &[
            "--drain-timeout",
            "3s",
            "--header-timeout",
            "2m",
            "--body-timeout",
            "2m",
            "--keep-alive-timeout",
            "2m",
        ],
        None,
    );
    let users = s.scim_path("/Users");
    let auth = bearer(&s.token);
    let expecting = |body: &str| {
        head(
            "POST",
            &users,
            &[&auth, "Expect: 100-continue", &content_length(body)],
        )
    };

    let mut half_head = Raw::connect(&s.addr).await;
    half_head
        .send(b"POST /scim/v2/enterprises/acme/Users HTTP/1.1\r\nHost: ro")
        .await;

    let stuck_body = okta_user("stuck@example.com").to_string();
    let mut stuck = Raw::connect(&s.addr).await;
    stuck.send(&expecting(&stuck_body)).await;
    assert_eq!(stuck.response().await.status, 100);
    stuck.send(&stuck_body.as_bytes()[..10]).await;

    // In flight: the handler is reading its body when the signal comes.
    let in_flight_body = okta_user("in-flight@example.com").to_string();
    let mut in_flight = Raw::connect(&s.addr).await;
    in_flight.send(&expecting(&in_flight_body)).await;
    assert_eq!(in_flight.response().await.status, 100);

    let mut idle = Raw::connect(&s.addr).await;
    idle.send(&head("GET", "/healthz", &[])).await;
    assert_eq!(idle.response().await.status, 200);

    s.signal("TERM");
    s.logged("draining").await;
    idle.closed_by_server()
        .await
        .expect("an idle connection is closed at once");
    in_flight.send(in_flight_body.as_bytes()).await;
    let answer = in_flight.response().await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(answer.json()["userName"], "in-flight@example.com");
    assert_eq!(answer.header("connection"), Some("close"));

    let status = s.exit().await.expect("exits within the liveness bound");
    assert_eq!(status.code(), Some(0), "{:?}", s.log());
    let line = s.logged("connections cut at the drain deadline").await;
    // The stuck body for sure; the half head too if the server had read its bytes when the
    // drain began (before that, the connection was idle and closed at once).
    assert_eq!(field(&line, "cut_in_flight"), Some(1), "{line}");
    assert!(matches!(field(&line, "cut"), Some(1 | 2)), "{line}");
    for c in [&mut stuck, &mut half_head] {
        c.closed_by_server().await.expect("cut");
    }
}

#[tokio::test]
async fn out_of_file_descriptors_accept_backs_off_and_idle_sockets_make_room_for_real_clients() {
    // A cap above what 64 descriptors allow: accept runs into EMFILE.
    let mut s = Served::start(
        &[
            "--max-connections",
            "1000",
            "--header-timeout",
            "2m",
            "--keep-alive-timeout",
            "2m",
        ],
        Some(64),
    );
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(TcpStream::connect(&s.addr).await.expect("connect"));
    }
    let url = format!("http://{}/healthz", s.addr);
    let served = tokio::time::timeout(LIVENESS, reqwest::get(&url))
        .await
        .expect("a real client is served while idle sockets hold every descriptor")
        .expect("request");
    assert_eq!(served.status(), 200);
    let troubled: Vec<String> = s
        .log()
        .into_iter()
        .filter(|l| l.contains("cannot accept connections"))
        .collect();
    assert!(
        !troubled.is_empty() && troubled.len() <= 3,
        "accept errors are logged once per episode, not per error: {troubled:?}"
    );
    s.logged("above what the open-files limit leaves room for")
        .await;
    drop(idle);
    let again = tokio::time::timeout(LIVENESS, reqwest::get(&url))
        .await
        .expect("served")
        .expect("request");
    assert_eq!(again.status(), 200);
    s.signal("TERM");
    assert_eq!(s.exit().await.and_then(|st| st.code()), Some(0));
}

#[tokio::test]
async fn a_low_open_files_limit_lowers_the_default_connection_cap() {
    let mut s = Served::start(&[], Some(128));
    let line = s.logged("HTTP edge limits").await;
    assert_eq!(field(&line, "max_connections"), Some(96), "{line}");
    assert_eq!(field(&line, "open_files_limit"), Some(128), "{line}");
    // And the server serves.
    let ok = reqwest::get(format!("http://{}/healthz", s.addr))
        .await
        .expect("request");
    assert_eq!(ok.status(), 200);
}
