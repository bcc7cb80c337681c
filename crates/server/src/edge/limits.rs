//! The bounds every client is held to at the HTTP edge, with defaults no real identity
//! provider reaches: Okta gives up on a request after 60 s, Entra ID sends bursts of about 25
//! requests a second over a handful of connections, and a 1 MiB body (the default body limit)
//! arrives well within a minute even over a slow WAN link (140 kbit/s).

use std::time::Duration;

/// Limits of the connection layer (`roster serve --header-timeout …`, README "Limits at the
/// HTTP edge").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeLimits {
    /// The whole request head (request line and header fields) must arrive within this:
    /// counted from the accept for a connection's first request, from the first byte of the
    /// head for each later one. Beyond it the connection is closed.
    pub header_timeout: Duration,
    /// A request body must have arrived whole within this after its head; beyond it the
    /// request is answered 408 and the connection closed.
    pub body_timeout: Duration,
    /// A response must have been taken by the client within this after it is ready; beyond
    /// it the connection is closed (a client that stops reading holds no connection forever).
    pub send_timeout: Duration,
    /// A kept-alive connection with no request in progress is closed after this. Longer than
    /// the 60 s idle timeout of common load balancers, so that the balancer, not Roster,
    /// closes a shared idle connection and never sends a request into one Roster is closing.
    pub keep_alive_timeout: Duration,
    /// Connections served at once. At the cap new connections wait in the listen backlog
    /// while idle ones (no request in progress) are closed to make room for them.
    pub max_connections: usize,
    /// On shutdown, how long requests in flight may take before their connections are cut.
    pub drain_timeout: Duration,
    /// The longest request target (path and query) accepted; longer ones are answered 414.
    pub max_uri_bytes: usize,
    /// The largest total of header fields (names, values and separators) accepted; larger
    /// ones, or more than [`MAX_HEADER_FIELDS`] fields, are answered 431.
    pub max_header_bytes: usize,
}

/// More header fields than this are answered 431 (with an error body).
pub const MAX_HEADER_FIELDS: usize = 100;

/// hyper's own limits sit above ours, so that a request over our limits reaches Roster and
/// gets an error body; only a head beyond hyper's (bare 431, no body) never reaches us.
const PARSER_MAX_HEADER_FIELDS: usize = 128;
const PARSER_HEAD_SLACK: usize = 16 * 1024;
/// hyper's default read buffer (8 KiB + 100 × 4 KiB); raised only when a head may be larger.
const PARSER_DEFAULT_BUFFER: usize = 8192 + 4096 * 100;

impl Default for EdgeLimits {
    fn default() -> Self {
        EdgeLimits {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(60),
            keep_alive_timeout: Duration::from_secs(75),
            max_connections: 1024,
            drain_timeout: Duration::from_secs(20),
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 32 * 1024,
        }
    }
}

impl EdgeLimits {
    /// The largest request head hyper buffers before refusing it itself.
    pub fn parser_head_bytes(&self) -> usize {
        self.max_uri_bytes
            .saturating_add(self.max_header_bytes)
            .saturating_add(PARSER_HEAD_SLACK)
    }

    pub(crate) fn http1(&self) -> hyper::server::conn::http1::Builder {
        let mut http = hyper::server::conn::http1::Builder::new();
        // Our own deadlines (edge::phase) cover the head, the gaps between requests and the
        // response; hyper's single header timer would fold keep-alive idling into the head.
        http.header_read_timeout(None)
            .max_headers(PARSER_MAX_HEADER_FIELDS)
            .max_header_size(self.parser_head_bytes())
            .max_buf_size(PARSER_DEFAULT_BUFFER.max(self.parser_head_bytes()));
        http
    }
}
