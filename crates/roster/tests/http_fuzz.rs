//! An HTTP fuzzer in the test suite: requests shaped like Okta's, Entra ID's and GitHub
//! clients', mutated (types, names, case, invisible characters, NULs, huge values, broken JSON,
//! odd headers and query strings), sent by several clients at once to a real server (on the
//! backend `ROSTER_TEST_BACKEND` names). No answer may be a 5xx or a broken connection, and
//! afterwards the directory must be consistent: every user listed once, found by id and by its
//! userName, group members and users' groups agreeing.
//!
//! `ROSTER_HTTP_FUZZ_REQUESTS` (default 2,000) and `ROSTER_HTTP_FUZZ_SEED` choose the run; a
//! failure prints the seed and the requests that failed, so it can be replayed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::support::*;

/// A small deterministic generator (splitmix64): the same seed, the same requests.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings that have broken SCIM servers, or would break ours.
const NASTY: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "a\u{0}b",
    "\u{1}\u{7f}\u{9f}",
    "\u{202e}gnp.exe",
    "\u{feff}bom",
    "zero\u{200b}width",
    "line\nbreak",
    "tab\there",
    "İstanbul",
    "straße",
    "STRASSE",
    "jose\u{301}",
    "ＦＵＬＬＷＩＤＴＨ",
    "\u{fdfa}",
    "😀👩‍👩‍👧",
    "山田太郎",
    "'; DROP TABLE users; --",
    "\" or 1=1 --",
    "%00%2e%2e%2f",
    "../../etc/passwd",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "\\",
    "\"",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "members[value eq \"x\"]",
    "emails[type eq \"work\"].value",
    "9999999999999999999999",
    "-1",
    "NaN",
    "True",
    "False",
    "null",
];

const ATTRS: &[&str] = &[
    "userName",
    "USERNAME",
    "name.givenName",
    "name.familyName",
    "name",
    "displayName",
    "active",
    "emails",
    "emails.value",
    "emails[type eq \"work\"].value",
    "emails[primary eq true]",
    "phoneNumbers[type eq \"work\"].value",
    "addresses",
    "roles",
    "roles.value",
    "title",
    "externalId",
    "id",
    "meta",
    "meta.created",
    "meta.lastModified",
    "meta.resourceType",
    "groups",
    "members",
    "members.value",
    "members[value eq \"x\"]",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "x-unknown",
    "name[givenName eq \"a\"]",
    "",
    ".",
    "[",
    "emails[",
    "emails[value eq",
];

const OPS: &[&str] = &[
    "add", "Add", "replace", "Replace", "remove", "Remove", "REPLACE", "merge", "",
];

const FILTER_OPS: &[&str] = &[
    "eq", "EQ", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le", "Eq", "xx",
];

/// Known resources, shared by the clients: ids to aim at.
#[derive(Default)]
struct Known {
    users: Vec<String>,
    groups: Vec<String>,
}

struct Fuzzer {
    rng: Rng,
    known: Arc<Mutex<Known>>,
}

/// One request: method, path under the SCIM base (or an absolute `/api/v3` path), body bytes,
/// extra headers.
struct Request {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    headers: Vec<(String, String)>,
}

impl Fuzzer {
    /// A short nasty string, for URLs (a long one is the HTTP edge's to refuse, not this).
    fn short_nasty(&mut self) -> String {
        let mut s = self.nasty_string();
        s.truncate(s.char_indices().nth(200).map_or(s.len(), |(i, _)| i));
        s
    }

    fn nasty_string(&mut self) -> String {
        match self.rng.below(6) {
            0 => "x".repeat(1 + self.rng.below(70_000)),
            1 => format!("{}{}", self.rng.pick(NASTY), self.rng.pick(NASTY)),
            2 => format!("user{}@example.com", self.rng.below(50)),
            _ => self.rng.pick(NASTY).to_string(),
        }
    }

    fn random_value(&mut self, depth: usize) -> Value {
        match self.rng.below(if depth > 3 { 5 } else { 8 }) {
            0 => Value::Null,
            1 => Value::Bool(self.rng.chance(50)),
            2 => json!(self.rng.next() as i64),
            3 => json!(f64::from(self.rng.below(1000) as u32) / 7.0),
            4 => Value::String(self.nasty_string()),
            5 => Value::Array(
                (0..self.rng.below(4))
                    .map(|_| self.random_value(depth + 1))
                    .collect(),
            ),
            6 => {
                let mut m = Map::new();
                for _ in 0..self.rng.below(4) {
                    m.insert(
                        self.rng.pick(ATTRS).to_string(),
                        self.random_value(depth + 1),
                    );
                }
                Value::Object(m)
            }
            _ => {
                // Deep nesting.
                let mut v = json!("deep");
                for _ in 0..self.rng.below(200) {
                    v = json!([v]);
                }
                v
            }
        }
    }

    /// Change one place of a JSON document.
    fn mutate(&mut self, v: &mut Value, depth: usize) {
        match v {
            Value::Object(m) if !m.is_empty() && depth < 6 => {
                let keys: Vec<String> = m.keys().cloned().collect();
                let key = self.rng.pick(&keys).clone();
                match self.rng.below(6) {
                    0 => {
                        m.remove(&key);
                    }
                    1 => {
                        let val = m.remove(&key).unwrap_or(Value::Null);
                        m.insert(key.to_uppercase(), val);
                    }
                    2 => {
                        let val = self.random_value(depth);
                        m.insert(key, val);
                    }
                    3 => {
                        let val = self.random_value(depth);
                        m.insert(self.rng.pick(ATTRS).to_string(), val);
                    }
                    _ => {
                        if let Some(inner) = m.get_mut(&key) {
                            self.mutate(inner, depth + 1);
                        }
                    }
                }
            }
            Value::Array(a) if !a.is_empty() && depth < 6 => match self.rng.below(4) {
                0 => {
                    let e = a[self.rng.below(a.len())].clone();
                    let n = 1 + self.rng.below(3_000);
                    a.extend(std::iter::repeat_n(e, n));
                }
                1 => {
                    a.remove(self.rng.below(a.len()));
                }
                _ => {
                    let i = self.rng.below(a.len());
                    self.mutate(&mut a[i], depth + 1);
                }
            },
            Value::String(s) => {
                *s = match self.rng.below(4) {
                    0 => format!("{s}{}", self.rng.pick(NASTY)),
                    1 => s.to_uppercase(),
                    _ => self.nasty_string(),
                }
            }
            other => *other = self.random_value(depth),
        }
    }

    fn known_user(&mut self) -> String {
        let known = self.known.lock().unwrap();
        if known.users.is_empty() || self.rng.chance(10) {
            return self
                .rng
                .pick(&[
                    "nope",
                    "",
                    "%2e%2e",
                    "a%00b",
                    "%0A",
                    "00000000-0000-0000-0000-000000000000",
                ])
                .to_string();
        }
        known.users[self.rng.below(known.users.len())].clone()
    }

    fn known_group(&mut self) -> String {
        let known = self.known.lock().unwrap();
        if known.groups.is_empty() || self.rng.chance(10) {
            return self.rng.pick(&["nope", "x%00"]).to_string();
        }
        known.groups[self.rng.below(known.groups.len())].clone()
    }

    fn user_body(&mut self) -> Value {
        let n = self.rng.below(60);
        let user_name = if self.rng.chance(15) {
            self.nasty_string()
        } else {
            format!("fuzz{n}@example.com")
        };
        let mut body = okta_user(&user_name);
        if self.rng.chance(30) {
            body["roles"] = json!([{ "value": self.rng.pick(&["user", "enterprise_owner", "Billing Manager", "nope"]), "primary": true }]);
        }
        if self.rng.chance(30) {
            body[ENTERPRISE_USER] =
                json!({ "employeeNumber": "701984", "manager": { "value": self.known_user() } });
        }
        body
    }

    fn member_values(&mut self) -> Value {
        let n = if self.rng.chance(10) {
            2_000
        } else {
            self.rng.below(5)
        };
        Value::Array(
            (0..n)
                .map(|_| json!({ "value": self.known_user(), "display": "x" }))
                .collect(),
        )
    }

    fn patch_op(&mut self, group: bool) -> Value {
        let op = *self.rng.pick(OPS);
        match self.rng.below(7) {
            0 => {
                json!({ "op": op, "value": { "active": self.rng.pick(&[json!(false), json!(true), json!("False"), json!("True")]) } })
            }
            1 if group => json!({ "op": op, "path": "members", "value": self.member_values() }),
            2 if group => {
                json!({ "op": op, "path": format!("members[value eq \"{}\"]", self.known_user()) })
            }
            3 if group => {
                json!({ "op": "replace", "value": { "id": self.known_group(), "displayName": format!("group {}", self.rng.below(20)) } })
            }
            4 => {
                let path = self.rng.pick(ATTRS).to_string();
                json!({ "op": op, "path": path, "value": self.random_value(1) })
            }
            5 => {
                json!({ "op": op, "value": { "name.givenName": "Flat", ENTERPRISE_USER.to_string() + ":employeeNumber": "1" } })
            }
            _ => json!({ "op": op, "path": self.rng.pick(ATTRS), "value": self.nasty_string() }),
        }
    }

    fn patch_body(&mut self, group: bool) -> Value {
        let ops: Vec<Value> = (0..1 + self.rng.below(4))
            .map(|_| self.patch_op(group))
            .collect();
        json!({ "schemas": [PATCH_OP], "Operations": ops })
    }

    fn filter(&mut self) -> String {
        let mut f = format!(
            "{} {} \"{}\"",
            self.rng.pick(ATTRS),
            self.rng.pick(FILTER_OPS),
            self.rng.pick(NASTY)
        );
        for _ in 0..self.rng.below(3) {
            let join = *self.rng.pick(&["and", "or", "AND", "and not", "or ("]);
            f = format!(
                "{f} {join} {} {} {}",
                self.rng.pick(ATTRS),
                self.rng.pick(FILTER_OPS),
                self.rng.pick(&[
                    "\"x\"",
                    "true",
                    "12",
                    "null",
                    "\"2026-01-01T00:00:00Z\"",
                    ""
                ])
            );
        }
        if self.rng.chance(5) {
            f = format!("{}{f}{}", "(".repeat(100), ")".repeat(100));
        }
        f
    }

    fn query(&mut self) -> String {
        let mut q = Vec::new();
        if self.rng.chance(70) {
            q.push(format!("filter={}", encode(&self.filter())));
        }
        if self.rng.chance(30) {
            q.push(format!(
                "startIndex={}",
                self.rng
                    .pick(&["1", "0", "-5", "101", "99999999999999999999", "x"])
            ));
        }
        if self.rng.chance(30) {
            q.push(format!(
                "count={}",
                self.rng.pick(&["0", "2", "100", "-1", "100000", "1e3"])
            ));
        }
        if self.rng.chance(20) {
            let attr = *self.rng.pick(ATTRS);
            q.push(format!("sortBy={}", encode(attr)));
            q.push(format!(
                "sortOrder={}",
                self.rng.pick(&["ascending", "descending", "sideways"])
            ));
        }
        if self.rng.chance(20) {
            let attr = *self.rng.pick(ATTRS);
            q.push(format!("attributes={}", encode(attr)));
        }
        if self.rng.chance(20) {
            let attr = *self.rng.pick(ATTRS);
            q.push(format!("excludedAttributes={}", encode(attr)));
        }
        if self.rng.chance(10) {
            let cursor = *self.rng.pick(&["", "abc", "eyJzZXEiOjF9", "%%%"]);
            q.push(format!("cursor={}", encode(cursor)));
        }
        q.join("&")
    }

    fn json(&mut self, v: &Value) -> Option<Vec<u8>> {
        let mut bytes = v.to_string().into_bytes();
        if self.rng.chance(5) {
            // Broken JSON: cut, or a byte that is not UTF-8.
            match self.rng.below(3) {
                0 => bytes.truncate(self.rng.below(bytes.len().max(1))),
                1 => {
                    let i = self.rng.below(bytes.len().max(1));
                    if i < bytes.len() {
                        bytes[i] = 0xff;
                    }
                }
                _ => {
                    bytes = b"{\"schemas\": [\"a\"], \"userName\": \"dup\", \"userName\": \"dup2\"}"
                        .to_vec()
                }
            }
        }
        Some(bytes)
    }

    fn request(&mut self) -> Request {
        let mut headers = Vec::new();
        if self.rng.chance(10) {
            headers.push((
                "content-type".to_string(),
                self.rng
                    .pick(&[
                        "application/json",
                        "text/plain",
                        "application/scim+json; charset=utf-16",
                        "",
                        "multipart/form-data; boundary=x",
                    ])
                    .to_string(),
            ));
        }
        if self.rng.chance(10) {
            headers.push((
                "if-match".to_string(),
                self.rng
                    .pick(&["W/\"1\"", "*", "\"999\"", "garbage", "W/\"-1\", W/\"2\""])
                    .to_string(),
            ));
        }
        let (method, path, body) = match self.rng.below(16) {
            0 | 1 => {
                let mut b = self.user_body();
                if self.rng.chance(60) {
                    self.mutate(&mut b, 0);
                }
                (Method::POST, "/Users".to_string(), self.json(&b))
            }
            2 => {
                let mut b = self.user_body();
                self.mutate(&mut b, 0);
                (
                    Method::PUT,
                    format!("/Users/{}", self.known_user()),
                    self.json(&b),
                )
            }
            3 | 4 => {
                let mut b = self.patch_body(false);
                if self.rng.chance(40) {
                    self.mutate(&mut b, 0);
                }
                (
                    Method::PATCH,
                    format!("/Users/{}", self.known_user()),
                    self.json(&b),
                )
            }
            5 => {
                let mut b = json!({ "schemas": [GROUP_SCHEMA], "displayName": format!("group {}", self.rng.below(20)), "members": self.member_values() });
                if self.rng.chance(50) {
                    self.mutate(&mut b, 0);
                }
                (Method::POST, "/Groups".to_string(), self.json(&b))
            }
            6 | 7 => {
                let mut b = self.patch_body(true);
                if self.rng.chance(30) {
                    self.mutate(&mut b, 0);
                }
                (
                    Method::PATCH,
                    format!("/Groups/{}", self.known_group()),
                    self.json(&b),
                )
            }
            8 => {
                let mut b = json!({ "schemas": [GROUP_SCHEMA], "displayName": format!("group {}", self.rng.below(20)), "members": self.member_values() });
                self.mutate(&mut b, 0);
                (
                    Method::PUT,
                    format!("/Groups/{}", self.known_group()),
                    self.json(&b),
                )
            }
            9 | 10 => (
                Method::GET,
                format!("/{}?{}", self.rng.pick(&["Users", "Groups"]), self.query()),
                None,
            ),
            11 => {
                let mut b = json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": self.filter(),
                    "startIndex": 1,
                    "count": 10,
                });
                self.mutate(&mut b, 0);
                (
                    Method::POST,
                    format!("/{}/.search", self.rng.pick(&["Users", "Groups", ""]))
                        .replace("//", "/"),
                    self.json(&b),
                )
            }
            12 => {
                let ops: Vec<Value> = (0..1 + self.rng.below(5))
                    .map(|i| {
                        let mut op = json!({ "method": self.rng.pick(&["POST", "PATCH", "DELETE", "PUT", "GET"]), "path": format!("/Users/{}", self.known_user()), "bulkId": format!("b{}", i % 2), "data": self.user_body() });
                        if self.rng.chance(50) {
                            self.mutate(&mut op, 0);
                        }
                        op
                    })
                    .collect();
                let b = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "failOnErrors": self.rng.below(3), "Operations": ops });
                (Method::POST, "/Bulk".to_string(), self.json(&b))
            }
            13 => {
                let target = if self.rng.chance(50) {
                    format!("/Users/{}", self.known_user())
                } else {
                    format!("/Groups/{}", self.known_group())
                };
                let method = self.rng.pick(&[Method::DELETE, Method::GET]).clone();
                // Deletes are rarer than the writes that fill the directory.
                let method = if method == Method::DELETE && !self.rng.chance(30) {
                    Method::GET
                } else {
                    method
                };
                (method, format!("{target}?{}", self.query()), None)
            }
            14 => {
                let path = self.rng.pick(&[
                    "/ServiceProviderConfig",
                    "/Schemas",
                    "/ResourceTypes/User",
                    "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
                    "/Users/../Groups",
                    "/Me",
                ]);
                let method = self
                    .rng
                    .pick(&[Method::GET, Method::POST, Method::DELETE])
                    .clone();
                (method, path.to_string(), None)
            }
            _ => {
                // GitHub's REST API next to SCIM.
                let group = self.known_group();
                let (method, path, body) = match self.rng.below(5) {
                    0 => (
                        Method::POST,
                        "/api/v3/enterprises/acme/organizations".to_string(),
                        json!({ "login": self.rng.pick(&["octo-org", "Octo-Org", "-bad-", "x".repeat(50).as_str()]) }),
                    ),
                    1 => (
                        Method::POST,
                        "/api/v3/orgs/octo-org/teams".to_string(),
                        json!({ "name": self.nasty_string(), "privacy": self.rng.pick(&["secret", "closed", "open"]) }),
                    ),
                    2 => (
                        Method::PATCH,
                        "/api/v3/orgs/octo-org/teams/justice-league/external-groups".to_string(),
                        json!({ "group_id": group }),
                    ),
                    3 => (
                        Method::GET,
                        format!(
                            "/api/v3/enterprises/acme/audit-log?phrase={}&per_page={}",
                            encode(&self.short_nasty()),
                            self.rng.pick(&["1", "100", "0", "-1", "x"])
                        ),
                        Value::Null,
                    ),
                    _ => (
                        Method::GET,
                        format!(
                            "/api/v3/orgs/octo-org/external-groups?display_name={}",
                            encode(&self.short_nasty())
                        ),
                        Value::Null,
                    ),
                };
                let mut body = body;
                if !body.is_null() && self.rng.chance(40) {
                    self.mutate(&mut body, 0);
                }
                (
                    method,
                    path,
                    (!body.is_null()).then(|| body.to_string().into_bytes()),
                )
            }
        };
        Request {
            method,
            path,
            body,
            headers,
        }
    }
}

/// What went wrong: the request and what came back.
type Failures = Arc<Mutex<Vec<String>>>;

fn requests() -> usize {
    std::env::var("ROSTER_HTTP_FUZZ_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
}

fn seed() -> u64 {
    std::env::var("ROSTER_HTTP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

#[tokio::test]
async fn mutated_idp_traffic_never_gets_a_5xx_and_leaves_the_directory_consistent() {
    let app = spawn_app().await;
    let rest_token = app.token(&[directory::model::Scope::AdminEnterprise]).await;
    let seed = seed();
    let total = requests();
    let clients = 4;
    eprintln!("http fuzz: seed {seed}, {total} requests, {clients} clients");
    let known = Arc::new(Mutex::new(Known::default()));
    // A few real resources to aim at, and the organization and team the REST requests use.
    for i in 0..5 {
        let u = app.scim.create_user(&format!("seed{i}@example.com")).await;
        known.lock().unwrap().users.push(id_of(&u));
    }
    let first = known.lock().unwrap().users[0].clone();
    let g = app.scim.create_group("seed group", &[first.as_str()]).await;
    known.lock().unwrap().groups.push(id_of(&g));
    let rest = app.rest_with(&rest_token);
    rest.create_org("octo-org").await;
    rest.create_team("octo-org", "Justice League").await;

    let failures: Failures = Arc::default();
    let statuses: Arc<Mutex<BTreeMap<u16, usize>>> = Arc::default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let mut fuzzer = Fuzzer {
            rng: Rng(seed.wrapping_add(client as u64 * 7919)),
            known: known.clone(),
        };
        let (http, failures, statuses, known) = (
            http.clone(),
            failures.clone(),
            statuses.clone(),
            known.clone(),
        );
        let (scim_base, root, token, rest_token) = (
            app.scim.base.clone(),
            app.root(),
            app.scim.token.clone(),
            rest_token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for n in 0..total / clients {
                let r = fuzzer.request();
                let (url, bearer) = if r.path.starts_with("/api/v3") {
                    (format!("{root}{}", r.path), &rest_token)
                } else {
                    (format!("{scim_base}{}", r.path), &token)
                };
                let mut req = http.request(r.method.clone(), &url).bearer_auth(bearer);
                let mut typed = false;
                for (k, v) in &r.headers {
                    typed |= k == "content-type";
                    req = req.header(k.as_str(), v.as_str());
                }
                if let Some(b) = &r.body {
                    if !typed {
                        req = req.header("content-type", "application/scim+json");
                    }
                    req = req.body(b.clone());
                }
                let shown = |r: &Request| {
                    let body = r
                        .body
                        .as_ref()
                        .map(|b| String::from_utf8_lossy(&b[..b.len().min(300)]).to_string())
                        .unwrap_or_default();
                    format!(
                        "client {client} request {n}: {} {} {body}",
                        r.method,
                        r.path.chars().take(300).collect::<String>()
                    )
                };
                match req.send().await {
                    Err(e) => {
                        let e = e.to_string();
                        failures.lock().unwrap().push(format!(
                            "{}: no answer: {}",
                            shown(&r),
                            e.chars().take(300).collect::<String>()
                        ))
                    }
                    Ok(res) => {
                        let status = res.status().as_u16();
                        *statuses.lock().unwrap().entry(status).or_default() += 1;
                        let text = res.text().await.unwrap_or_default();
                        if status >= 500 {
                            failures.lock().unwrap().push(format!(
                                "{}: {status} {}",
                                shown(&r),
                                text.chars().take(500).collect::<String>()
                            ));
                        }
                        if status == 201
                            && let Ok(v) = serde_json::from_str::<Value>(&text)
                            && let Some(id) = v["id"].as_str()
                        {
                            let mut k = known.lock().unwrap();
                            if r.path.starts_with("/Groups") {
                                k.groups.push(id.to_string());
                            } else if r.path.starts_with("/Users") {
                                k.users.push(id.to_string());
                            }
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let statuses = statuses.lock().unwrap().clone();
    eprintln!("http fuzz: answers by status {statuses:?}");
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {total} requests failed; the first:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_consistent(&app.scim).await;
}

/// Every user listed once and found by id and by userName; members and groups agree.
async fn assert_consistent(scim: &Scim) {
    let mut users: HashMap<String, Value> = HashMap::new();
    let mut start = 1;
    let total = loop {
        let page = scim
            .get(&format!("/Users?startIndex={start}&count=100"))
            .await
            .expect(200)
            .body;
        let resources = page["Resources"].as_array().cloned().unwrap_or_default();
        for u in &resources {
            let id = id_of(u);
            assert!(
                users.insert(id.clone(), u.clone()).is_none(),
                "user {id} listed twice"
            );
        }
        if resources.is_empty() {
            break page["totalResults"].as_u64().unwrap();
        }
        start += resources.len();
    };
    assert_eq!(
        total as usize,
        users.len(),
        "totalResults counts what is listed"
    );
    let mut user_names = HashSet::new();
    for (id, listed) in &users {
        let got = scim.get(&format!("/Users/{id}")).await.expect(200).body;
        assert_eq!(&got, listed, "a user reads as it is listed");
        let user_name = got["userName"].as_str().unwrap();
        assert!(
            user_names.insert(scim::fold::fold(user_name)),
            "two users share the userName {user_name:?}"
        );
        let found = scim
            .get(&format!(
                "/Users?filter={}",
                encode(&format!(
                    "userName eq \"{}\"",
                    user_name.replace('\\', "\\\\").replace('"', "\\\"")
                ))
            ))
            .await
            .expect(200)
            .body;
        assert_eq!(
            found["totalResults"], 1,
            "{user_name:?} is found by its userName"
        );
        assert_eq!(found["Resources"][0]["id"].as_str(), Some(id.as_str()));
    }
    let groups = scim.get("/Groups?count=1000").await.expect(200).body;
    let mut members_of: HashMap<String, HashSet<String>> = HashMap::new();
    for g in groups["Resources"].as_array().unwrap() {
        let gid = id_of(g);
        for m in g["members"].as_array().cloned().unwrap_or_default() {
            let uid = m["value"].as_str().unwrap().to_string();
            assert!(
                users.contains_key(&uid),
                "group {gid} has a member {uid} that is no user"
            );
            members_of.entry(uid).or_default().insert(gid.clone());
        }
    }
    for (id, u) in &users {
        let groups: HashSet<String> = u["groups"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|g| g["value"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            groups,
            members_of.remove(id).unwrap_or_default(),
            "user {id}'s groups are the groups that list it"
        );
    }
}
