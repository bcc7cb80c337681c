//! The test harness: a real Roster server on port 0 over a fresh database (a SQLite file, or
//! a PostgreSQL database when `ROSTER_TEST_BACKEND=postgres`), and a client with request
//! helpers. `spawn_app` runs the server in-process; `RosterProcess` runs the
//! `roster` binary for what needs a process (signals, kill -9, restarts, the CLI).

#![allow(dead_code)]

pub mod mounts;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use directory::model::Profile;
use directory::{Directory, Limits};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::{AppState, ServerConfig};
use store::DatabaseUrl;
use store::scratch::ScratchDatabase;
use tokio::net::TcpListener;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Assert the status, showing the body when it is not the expected one.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Assert a SCIM error with this status and scimType.
    #[track_caller]
    pub fn expect_error(self, status: u16, scim_type: Option<&str>) -> Reply {
        let r = self.expect(status);
        assert_eq!(
            r.header("content-type"),
            Some("application/scim+json"),
            "{}",
            r.text
        );
        assert_eq!(
            r.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{}",
            r.text
        );
        assert_eq!(r.body["status"], json!(status.to_string()), "{}", r.text);
        assert!(
            r.body["detail"].as_str().is_some_and(|d| d.len() > 10),
            "a detail a person can act on: {}",
            r.text
        );
        assert_eq!(r.body["scimType"].as_str(), scim_type, "{}", r.text);
        r
    }
}

/// A client of one enterprise's SCIM API.
#[derive(Clone)]
pub struct Scim {
    pub http: reqwest::Client,
    /// e.g. http://127.0.0.1:PORT/scim/v2/enterprises/acme
    pub base: String,
    pub token: String,
}

impl Scim {
    pub fn with_token(&self, token: &str) -> Scim {
        Scim {
            token: token.to_string(),
            ..self.clone()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Send a request; `body` JSON is sent as `application/scim+json`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body), &[]).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PUT, path, Some(body), &[]).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(body), &[]).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, &[]).await
    }

    /// PATCH with these operations.
    pub async fn patch_ops(&self, path: &str, ops: Value) -> Reply {
        self.patch(path, &json!({ "schemas": [PATCH_OP], "Operations": ops }))
            .await
    }

    /// Create a user the way Okta does and return its body (asserting 201).
    pub async fn create_user(&self, user_name: &str) -> Value {
        self.post("/Users", &okta_user(user_name))
            .await
            .expect(201)
            .body
    }

    /// Create a group with these member ids and return its body (asserting 201).
    pub async fn create_group(&self, name: &str, members: &[&str]) -> Value {
        let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
        self.post(
            "/Groups",
            &json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": members }),
        )
        .await
        .expect(201)
        .body
    }

    /// The member ids of a group, as GET returns them.
    pub async fn member_ids(&self, group_id: &str) -> Vec<String> {
        let g = self
            .get(&format!("/Groups/{group_id}"))
            .await
            .expect(200)
            .body;
        let mut ids: Vec<String> = g["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["value"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    }
}

/// The body Okta's "Push New Users" sends.
pub fn okta_user(user_name: &str) -> Value {
    let local = user_name.split('@').next().unwrap_or(user_name);
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": { "givenName": local, "familyName": "Tester" },
        "emails": [{ "primary": true, "value": user_name, "type": "work" }],
        "displayName": format!("{local} Tester"),
        "locale": "en-US",
        "externalId": format!("00u{}", local.len()),
        "groups": [],
        "password": "Sup3rSecret!",
        "active": true
    })
}

/// Which database the in-process servers run on: `ROSTER_TEST_BACKEND=postgres|sqlite`
/// (default sqlite).
pub fn postgres_backend() -> bool {
    match std::env::var("ROSTER_TEST_BACKEND").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("ROSTER_TEST_BACKEND={other}: use postgres or sqlite"),
    }
}

/// A fresh database of the chosen backend: its URL, and what must live as long as it is used.
pub async fn fresh_database(dir: &tempfile::TempDir) -> (DatabaseUrl, Option<ScratchDatabase>) {
    if postgres_backend() {
        let db = ScratchDatabase::create().await.expect("scratch database");
        (DatabaseUrl::Postgres(db.url.clone()), Some(db))
    } else {
        (DatabaseUrl::Sqlite(dir.path().join("roster.db")), None)
    }
}

/// An in-process server over a fresh database, with one `github-emu` enterprise `acme`.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub scim: Scim,
    pub directory: Arc<Directory>,
    pub dir: tempfile::TempDir,
    /// The server's database as a `--database` URL, for CLI runs against it.
    pub database_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Dropped (the database with it) after the server is told to stop.
    _database: Option<ScratchDatabase>,
}

impl TestApp {
    pub fn root(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Another enterprise on the same server, with its own token.
    pub async fn enterprise(&self, slug: &str, short_code: &str, profile: Profile) -> Scim {
        let (e, issued) = self
            .directory
            .create_enterprise(slug, short_code, profile)
            .await
            .expect("enterprise");
        Scim {
            http: self.scim.http.clone(),
            base: format!("{}{}", self.root(), e.scim_base_path()),
            token: issued.secret,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Profile::GithubEmu, ServerConfig::default()).await
}

pub async fn spawn_app_with(profile: Profile, config: ServerConfig) -> TestApp {
    spawn_app_limited(profile, config, Limits::default()).await
}

pub async fn spawn_app_limited(profile: Profile, config: ServerConfig, limits: Limits) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, database) = fresh_database(&dir).await;
    let store = store::open(&url).await.expect("store");
    let database_url = match &url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    };
    let directory = Arc::new(Directory::new(store, limits));
    let (enterprise, issued) = directory
        .create_enterprise("acme", "acme", profile)
        .await
        .expect("enterprise");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(directory.clone(), config);
    tokio::spawn(async move {
        let _ = server::serve(listener, state, async move {
            let _ = rx.await;
        })
        .await;
    });
    let scim = Scim {
        http: reqwest::Client::new(),
        base: format!("http://{addr}{}", enterprise.scim_base_path()),
        token: issued.secret,
    };
    TestApp {
        addr,
        scim,
        directory,
        dir,
        database_url,
        shutdown: Some(tx),
        _database: database,
    }
}

/// The `roster` binary.
pub fn roster_bin() -> &'static str {
    env!("CARGO_BIN_EXE_roster")
}

/// Run a `roster` CLI command to completion.
pub fn roster_cli(args: &[&str]) -> std::process::Output {
    Command::new(roster_bin())
        .args(args)
        .output()
        .expect("run roster")
}

/// `roster serve` as a child process on port 0.
pub struct RosterProcess {
    pub child: Child,
    pub addr: String,
    /// Everything `serve` printed before it was ready.
    pub banner: Vec<String>,
}

impl RosterProcess {
    pub fn start(db: &Path) -> RosterProcess {
        Self::start_with(db, &[])
    }

    pub fn start_with(db: &Path, extra: &[&str]) -> RosterProcess {
        Self::start_url(&format!("sqlite://{}", db.display()), extra)
    }

    /// `roster serve` on any database URL.
    pub fn start_url(url: &str, extra: &[&str]) -> RosterProcess {
        Self::spawn(url, extra, Stdio::null())
    }

    /// `roster serve` on any database URL, its log (stderr) written to the file `log`.
    pub fn start_logged(url: &str, extra: &[&str], log: &Path) -> RosterProcess {
        let file = std::fs::File::create(log).expect("log file");
        Self::spawn(url, extra, Stdio::from(file))
    }

    fn spawn(url: &str, extra: &[&str], stderr: Stdio) -> RosterProcess {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(roster_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--database", url])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn roster serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = Vec::new();
        let mut addr = String::new();
        for line in lines.by_ref() {
            let line = line.expect("line");
            if let Some(rest) = line.strip_prefix("Roster is listening on http://") {
                addr = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
            let done = line.starts_with("(The token") || line.starts_with("(Tokens:");
            banner.push(line);
            if done {
                break;
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        assert!(!addr.is_empty(), "serve printed no address: {banner:?}");
        RosterProcess {
            child,
            addr,
            banner,
        }
    }

    /// The token printed on first start, if any.
    pub fn token(&self) -> Option<String> {
        self.banner
            .iter()
            .find_map(|l| l.strip_prefix("SCIM token:").map(|t| t.trim().to_string()))
    }

    pub fn scim(&self, slug: &str, token: &str) -> Scim {
        Scim {
            http: reqwest::Client::new(),
            base: format!("http://{}/scim/v2/enterprises/{slug}", self.addr),
            token: token.to_string(),
        }
    }

    pub async fn wait_healthy(&self) {
        let url = format!("http://{}/healthz", self.addr);
        for _ in 0..100 {
            if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("roster serve never became healthy");
    }

    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        self.child.wait().expect("wait")
    }
}

impl Drop for RosterProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("roster.db")
}

/// A client of the REST API (`/api/v3`) with one token.
#[derive(Clone)]
pub struct Rest {
    pub http: reqwest::Client,
    /// e.g. http://127.0.0.1:PORT/api/v3
    pub base: String,
    pub token: String,
}

impl Rest {
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .header("accept", "application/vnd.github+json");
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Create an organization of `acme` (asserting 201).
    pub async fn create_org(&self, login: &str) -> Value {
        self.post(
            "/enterprises/acme/organizations",
            &json!({ "login": login }),
        )
        .await
        .expect(201)
        .body
    }

    /// Create a team (asserting 201).
    pub async fn create_team(&self, org: &str, name: &str) -> Value {
        self.post(&format!("/orgs/{org}/teams"), &json!({ "name": name }))
            .await
            .expect(201)
            .body
    }

    /// Link a team to a group (asserting 200).
    pub async fn link(&self, org: &str, team: &str, group_id: &str) -> Value {
        self.patch(
            &format!("/orgs/{org}/teams/{team}/external-groups"),
            &json!({ "group_id": group_id }),
        )
        .await
        .expect(200)
        .body
    }

    /// The logins of a team's members, sorted.
    pub async fn team_logins(&self, org: &str, team: &str) -> Vec<String> {
        logins(
            &self
                .get(&format!("/orgs/{org}/teams/{team}/members?per_page=100"))
                .await
                .expect(200)
                .body,
        )
    }

    /// The logins of an organization's members, sorted.
    pub async fn org_logins(&self, org: &str) -> Vec<String> {
        logins(
            &self
                .get(&format!("/orgs/{org}/members?per_page=100"))
                .await
                .expect(200)
                .body,
        )
    }

    /// The actions of the newest audit events matching `phrase`, newest first.
    pub async fn actions(&self, phrase: &str) -> Vec<String> {
        let r = self
            .http
            .get(format!(
                "{}/enterprises/acme/audit-log?per_page=100&phrase={}",
                self.base,
                encode(phrase)
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200);
        let events: Value = r.json().await.expect("json");
        events
            .as_array()
            .expect("array")
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// The sorted `login`s of a JSON array of users.
pub fn logins(users: &Value) -> Vec<String> {
    let mut out: Vec<String> = users
        .as_array()
        .expect("array of users")
        .iter()
        .filter_map(|u| u["login"].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

impl TestApp {
    /// A new token of `acme` with these scopes.
    pub async fn token(&self, scopes: &[directory::model::Scope]) -> String {
        self.directory
            .create_token("acme", scopes.to_vec(), None)
            .await
            .expect("token")
            .secret
    }

    /// A REST client with a new `admin:enterprise` token.
    pub async fn rest(&self) -> Rest {
        let token = self
            .token(&[directory::model::Scope::AdminEnterprise])
            .await;
        self.rest_with(&token)
    }

    pub fn rest_with(&self, token: &str) -> Rest {
        Rest {
            http: self.scim.http.clone(),
            base: format!("{}/api/v3", self.root()),
            token: token.to_string(),
        }
    }
}

/// Percent-encode a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `id` of a SCIM resource body.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}
