//! The HTTP edge under slow and hostile clients: every connection is held to a deadline
//! (request head, request body, the gap between requests), the connection cap holds without
//! locking real clients out, a head over the limits is refused with the API's error body
//! before routing, and SIGTERM drains within its deadline whatever the clients do.
//!
//! Raw `TcpStream` clients against servers with deadlines of a second or two; every wait for
//! something that must happen is bounded (`raw::LIVENESS`), so a server that never times a
//! client out fails the test instead of hanging the suite.

mod raw;
mod served;

mod cap;
mod deadlines;
mod head_limits;
mod shutdown;

use std::time::Duration;

use directory::model::Profile;
use server::{EdgeLimits, ServerConfig};

use crate::support::{TestApp, spawn_app_with};

/// Longer than `raw::LIVENESS`: a deadline set to this cannot explain anything a test sees.
pub const LONG: Duration = Duration::from_secs(120);

/// An in-process server with these edge limits; every deadline not given is `LONG`.
pub async fn app_with(f: impl FnOnce(&mut EdgeLimits)) -> TestApp {
    let mut edge = EdgeLimits {
        header_timeout: LONG,
        body_timeout: LONG,
        send_timeout: LONG,
        keep_alive_timeout: LONG,
        ..EdgeLimits::default()
    };
    f(&mut edge);
    spawn_app_with(
        Profile::GithubEmu,
        ServerConfig {
            edge,
            ..ServerConfig::default()
        },
    )
    .await
}

pub fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

pub fn content_length(body: &str) -> String {
    format!("Content-Length: {}", body.len())
}
