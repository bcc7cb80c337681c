//! A SCIM target (base URL + bearer token) and the servers the bench can start itself.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One SCIM service provider under test.
#[derive(Clone)]
pub struct Target {
    pub name: String,
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:8080/scim/v2/enterprises/acme`.
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// What came back: status and body bytes (always read whole, so both targets pay for it).
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

impl Target {
    pub fn new(name: &str, base: &str, token: &str, pool: usize) -> Result<Target, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(pool.max(1))
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(120))
            .user_agent("roster-bench (Okta SCIM Client 1.0.0 shapes)")
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Target {
            name: name.to_string(),
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http,
        })
    }

    /// Send `method path` with an optional JSON body (`application/scim+json`).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let res = req.send().await.map_err(|e| format!("{e}"))?;
        let status = res.status().as_u16();
        let body = res.text().await.map_err(|e| format!("{e}"))?;
        Ok(Reply { status, body })
    }

    /// Wait until the target answers an authenticated list request.
    pub async fn wait_ready(&self, within: Duration) -> Result<(), String> {
        let until = Instant::now() + within;
        let mut last = String::from("no answer");
        while Instant::now() < until {
            match self
                .send(reqwest::Method::GET, "/Users?startIndex=1&count=1", None)
                .await
            {
                Ok(r) if r.ok() => return Ok(()),
                Ok(r) => last = format!("{}: {}", r.status, r.body),
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("{} never became ready: {last}", self.name))
    }
}

/// A server process started by the bench; killed when dropped.
pub struct Spawned {
    pub child: Child,
    pub base: String,
    pub token: String,
    pub cleanup: Option<PathBuf>,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.cleanup.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Start `roster serve` on port 0 over a fresh SQLite file and read its base URL and token
/// from the banner it prints.
pub fn spawn_roster(bin: &str) -> Result<Spawned, String> {
    spawn_roster_with(bin, &[])
}

/// `spawn_roster` with more `serve` flags.
pub fn spawn_roster_with(bin: &str, extra: &[&str]) -> Result<Spawned, String> {
    let dir = std::env::temp_dir().join(format!(
        "roster-bench-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let db = format!("sqlite://{}", dir.join("roster.db").display());
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {bin}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // After the banner the receiver is gone; keep draining so the child never blocks.
            let _ = tx.send(line);
        }
    });
    let (mut base, mut token) = (None, None);
    let until = Instant::now() + Duration::from_secs(60);
    let mut banner = Vec::new();
    while base.is_none() || token.is_none() {
        let left = until.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).map_err(|_| {
            format!("roster serve printed no `SCIM base URL:`/`SCIM token:` lines: {banner:?}")
        })?;
        if let Some(rest) = line.strip_prefix("SCIM base URL:") {
            base = rest.split_whitespace().next().map(str::to_string);
        } else if let Some(rest) = line.strip_prefix("SCIM token:") {
            token = Some(rest.trim().to_string());
        }
        banner.push(line);
    }
    Ok(Spawned {
        child,
        base: base.unwrap_or_default(),
        token: token.unwrap_or_default(),
        cleanup: Some(dir),
    })
}

/// A free TCP port on 127.0.0.1 (bound and released; the peer binds it right after).
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Start the reference peer (`scim2-server`) on a free port with a bearer token.
/// `cmd` is split on whitespace; `--port P --bearer-token T` are appended.
pub fn spawn_peer(cmd: &str, path: &str) -> Result<Spawned, String> {
    let mut parts = cmd.split_whitespace();
    let prog = parts.next().ok_or("empty --peer-cmd")?;
    let port = free_port()?;
    let token = format!("bench-peer-{}", std::process::id());
    let child = Command::new(prog)
        .args(parts)
        .args(["--port", &port.to_string(), "--bearer-token", &token])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    Ok(Spawned {
        child,
        base: format!("http://127.0.0.1:{port}{path}"),
        token,
        cleanup: None,
    })
}
