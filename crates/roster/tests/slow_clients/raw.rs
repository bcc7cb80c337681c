//! A raw HTTP/1.1 client over `TcpStream`, for what reqwest will not do: send half a head,
//! trickle a body, wait for `100 Continue`, hold a connection idle, and see exactly when the
//! server closes it.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The bound on waiting for something that must happen (a close, an answer). Generous for a
/// loaded machine; the deadlines under test are a second or two.
pub const LIVENESS: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Assert an RFC 7644 error with this status and no `scimType`, closing the connection.
    #[track_caller]
    pub fn assert_scim_error(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?} {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/scim+json"),
            "{}",
            self.text()
        );
        let body = self.json();
        assert_eq!(
            body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{body}"
        );
        assert_eq!(body["status"], status.to_string(), "{body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| d.len() > 20),
            "{body}"
        );
    }

    /// Assert GitHub's `{"message", "documentation_url"}` with this status.
    #[track_caller]
    pub fn assert_github_error(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?} {}", self.text());
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{self:?}"
        );
        let body = self.json();
        assert!(
            body["message"].as_str().is_some_and(|m| m.len() > 20),
            "{body}"
        );
        assert!(body["documentation_url"].is_string(), "{body}");
    }
}

/// One connection, with what has been read but not yet parsed.
pub struct Raw {
    pub stream: TcpStream,
    unread: Vec<u8>,
}

impl Raw {
    pub async fn connect(addr: &str) -> Raw {
        Raw {
            stream: TcpStream::connect(addr).await.expect("connect"),
            unread: Vec::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Read more into `unread`; `false` at EOF or on a reset.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.unread.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next response (a `100 Continue` counts as one), within `LIVENESS`.
    pub async fn response(&mut self) -> RawResponse {
        tokio::time::timeout(LIVENESS, self.next_response())
            .await
            .expect("no response within the liveness bound")
            .expect("the connection closed before a whole response")
    }

    /// The next response if one comes within `within`.
    pub async fn try_response(&mut self, within: Duration) -> Option<RawResponse> {
        tokio::time::timeout(within, self.next_response())
            .await
            .ok()
            .flatten()
    }

    async fn next_response(&mut self) -> Option<RawResponse> {
        let head_end = loop {
            if let Some(i) = self.unread.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if !self.fill().await {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.unread[..head_end]).into_owned();
        self.unread.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut response = RawResponse {
            status,
            headers,
            body: Vec::new(),
        };
        let length: usize = response
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while self.unread.len() < length {
            if !self.fill().await {
                return None;
            }
        }
        response.body = self.unread.drain(..length).collect();
        Some(response)
    }

    /// Wait for the server to close the connection, within `LIVENESS`; what it sent before
    /// closing.
    pub async fn closed_by_server(&mut self) -> Result<Vec<u8>, &'static str> {
        tokio::time::timeout(LIVENESS, async {
            while self.fill().await {}
            std::mem::take(&mut self.unread)
        })
        .await
        .map_err(|_| "the server kept the connection open past the liveness bound")
    }

    /// Send `bytes` one at a time, `every` apart, until the server closes the connection
    /// (`Ok`; what it sent first is left to read with `response`) or `LIVENESS` passes.
    pub async fn trickle(&mut self, bytes: &[u8], every: Duration) -> Result<(), String> {
        let (mut reader, mut writer) = self.stream.split();
        let mut received = std::mem::take(&mut self.unread);
        let mut next = bytes.iter();
        let mut tick = tokio::time::interval(every);
        let trickled = async {
            let mut chunk = [0u8; 8192];
            loop {
                tokio::select! {
                    read = reader.read(&mut chunk) => match read {
                        Ok(0) | Err(_) => return,
                        Ok(n) => received.extend_from_slice(&chunk[..n]),
                    },
                    _ = tick.tick() => {
                        if let Some(b) = next.next()
                            && writer.write_all(&[*b]).await.is_err()
                        {
                            return;
                        }
                    }
                }
            }
        };
        let outcome = tokio::time::timeout(LIVENESS, trickled).await;
        let what = String::from_utf8_lossy(&received).into_owned();
        self.unread = received;
        outcome.map_err(|_| {
            format!("still open after {LIVENESS:?} of trickling; the server sent {what:?}")
        })
    }
}

/// A request head; `extra` are more header lines (`Name: value`).
pub fn head(method: &str, path: &str, extra: &[&str]) -> Vec<u8> {
    let mut h = format!("{method} {path} HTTP/1.1\r\nHost: roster.test\r\n");
    for line in extra {
        h.push_str(line);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}
