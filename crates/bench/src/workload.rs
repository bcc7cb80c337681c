//! IdP-shaped request bodies and the concurrent phase runner.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

use crate::progress::{Limit, Progress};
use crate::stats::{Sample, Summary, windows};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The userName of preloaded user `i` in a run tagged `tag` (handle stays under 39 chars).
pub fn user_name(tag: &str, i: u64) -> String {
    format!("{tag}.u{i}@example.com")
}

/// Okta "Push New Users" body (password always sent, `groups: []`, one primary work email).
pub fn okta_user(user_name: &str, external_id: &str) -> Value {
    let local = user_name.split('@').next().unwrap_or(user_name);
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": { "givenName": local, "familyName": "Bench" },
        "emails": [{ "primary": true, "value": user_name, "type": "work" }],
        "displayName": format!("{local} Bench"),
        "locale": "en-US",
        "externalId": external_id,
        "groups": [],
        "password": "Sup3rSecret!1",
        "active": true
    })
}

/// Okta "Push Profile Update": the fetched user, modified, with `password` and `groups` added.
/// `meta` is echoed as the server returned it (the peer refuses Okta's non-ISO
/// `"04-12-2018 00:00:00"` dates with 400, so the bench does not send those).
pub fn okta_put(fetched: &Value, round: u64) -> Value {
    let mut u = fetched.clone();
    if let Some(o) = u.as_object_mut() {
        o.insert("displayName".into(), json!(format!("Bench User r{round}")));
        if let Some(name) = o.get_mut("name").and_then(Value::as_object_mut) {
            name.insert("givenName".into(), json!(format!("Given{round}")));
        }
        o.insert("groups".into(), json!([]));
        o.insert("password".into(), json!("Sup3rSecret!1"));
    }
    u
}

/// Okta deactivation (catalog apps): no-path replace of `active`.
pub fn okta_active(active: bool) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": active } }] })
}

/// Entra ID (without `aadOptscim062020`): one capitalised `Replace` per attribute.
pub fn entra_replace(round: u64) -> Value {
    let (path, value) = match round % 3 {
        0 => ("displayName", json!(format!("Entra Name {round}"))),
        1 => ("name.familyName", json!(format!("Family{round}"))),
        _ => ("title", json!(format!("Engineer {round}"))),
    };
    json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "Replace", "path": path, "value": value }] })
}

/// Okta group membership: add one member.
pub fn member_add(id: &str, display: &str) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": [{
        "op": "add", "path": "members", "value": [{ "value": id, "display": display }] }] })
}

/// Okta group membership: remove one member by value filter.
pub fn member_remove(id: &str) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": [{
        "op": "remove", "path": format!("members[value eq \"{id}\"]") }] })
}

/// Okta "Push Groups" create body.
pub fn group_create(name: &str, members: &[(String, String)]) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|(id, display)| json!({ "value": id, "display": display }))
        .collect();
    json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": members })
}

/// Okta's filter query, `%20`-encoded, with its fixed paging parameters.
pub fn filter_user_name(user_name: &str) -> String {
    let mut enc = String::new();
    for b in user_name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => {
                enc.push(b as char)
            }
            _ => enc.push_str(&format!("%{b:02X}")),
        }
    }
    format!("/Users?filter=userName%20eq%20%22{enc}%22&startIndex=1&count=100")
}

/// A deterministic, well-spread pseudo-random index for operation `i` (splitmix64).
pub fn pick(i: u64, n: usize) -> usize {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % n.max(1) as u64) as usize
}

/// One timed request inside an operation.
pub struct Record {
    pub kind: &'static str,
    pub start: Instant,
    pub latency_us: u32,
    pub ok: bool,
    /// Extra per-request data (the page number for import paging).
    pub aux: u32,
    pub error: Option<String>,
}

/// Time `fut` (a request) and turn its outcome into a record.
pub async fn timed<F>(
    kind: &'static str,
    aux: u32,
    fut: F,
) -> (Record, Option<crate::target::Reply>)
where
    F: Future<Output = Result<crate::target::Reply, String>>,
{
    let start = Instant::now();
    let res = fut.await;
    let latency_us = start.elapsed().as_micros().min(u32::MAX as u128) as u32;
    let (ok, error, reply) = match res {
        Ok(r) if r.ok() => (true, None, Some(r)),
        Ok(r) => (
            false,
            Some(format!(
                "{} {}",
                r.status,
                r.body.chars().take(300).collect::<String>()
            )),
            Some(r),
        ),
        Err(e) => (false, Some(e), None),
    };
    (
        Record {
            kind,
            start,
            latency_us,
            ok,
            aux,
            error,
        },
        reply,
    )
}

/// Per-kind results of one phase on one target.
#[derive(Debug, Clone, Serialize)]
pub struct KindResult {
    #[serde(flatten)]
    pub summary: Summary,
    /// (seconds since phase start, p50 ms, p99 ms) per 250 ms window.
    pub timeline: Vec<(f64, f64, f64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// For import paging: (page number, median ms over all passes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_page: Vec<(u32, f64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseResult {
    pub phase: String,
    pub concurrency: usize,
    pub ops: u64,
    pub wall_secs: f64,
    pub kinds: BTreeMap<String, KindResult>,
    /// Why the phase was skipped or cut short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For the cursor walk: how far it went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walk: Option<Walk>,
    /// Largest resident memory (VmRSS, KiB) of a server the bench started, during this phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_max_kib: Option<u64>,
}

impl PhaseResult {
    /// A phase that did not run on this target, and why.
    pub fn skipped(phase: &str, why: String) -> PhaseResult {
        PhaseResult {
            phase: phase.to_string(),
            concurrency: 0,
            ops: 0,
            wall_secs: 0.0,
            kinds: BTreeMap::new(),
            note: Some(why),
            walk: None,
            rss_max_kib: None,
        }
    }
}

/// A walk through a whole listing (cursor paging).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Walk {
    pub pages: u64,
    /// Resources seen over all pages.
    pub resources: u64,
    /// `totalResults` of the last page that said.
    pub total_results: Option<u64>,
    /// The last page came back with no `nextCursor`.
    pub complete: bool,
}

/// A phase that ends itself: an operation sets `stop` (checked before each next operation);
/// the progress bar counts towards `expected` operations.
pub struct Open {
    pub stop: Arc<AtomicBool>,
    pub expected: u64,
}

/// Run `op(i)` for i = 0, 1, 2… on `concurrency` tasks until `limit`, and summarise.
pub async fn run_phase<F, Fut>(
    label: String,
    phase: &str,
    concurrency: usize,
    limit: Limit,
    op: F,
) -> PhaseResult
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Record>> + Send + 'static,
{
    run_phase_open(label, phase, concurrency, limit, None, op).await
}

/// [`run_phase`], also ending when `open.stop` is set (`limit` is then a safety cap).
pub async fn run_phase_open<F, Fut>(
    label: String,
    phase: &str,
    concurrency: usize,
    limit: Limit,
    open: Option<Open>,
    op: F,
) -> PhaseResult
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<Record>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let shown = open.as_ref().map_or(limit, |o| Limit::Ops(o.expected));
    let stop = open.map(|o| o.stop);
    let progress = Progress::start(label, shown, done.clone());
    let t0 = Instant::now();
    let deadline = match limit {
        Limit::For(d) => Some(t0 + d),
        Limit::Ops(_) => None,
    };
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (op, next, done, stop) = (op.clone(), next.clone(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d)
                    || stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed))
                {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if let Limit::Ops(n) = limit
                    && i >= n
                {
                    break;
                }
                out.extend(op(i).await);
                done.fetch_add(1, Ordering::Relaxed);
            }
            out
        }));
    }
    let mut records = Vec::new();
    for t in tasks {
        if let Ok(r) = t.await {
            records.extend(r);
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    progress.finish();
    let ops = done.load(Ordering::Relaxed);
    PhaseResult {
        phase: phase.to_string(),
        concurrency,
        ops,
        wall_secs: wall,
        kinds: summarise(records, t0, wall),
        note: None,
        walk: None,
        rss_max_kib: None,
    }
}

fn summarise(records: Vec<Record>, t0: Instant, wall: f64) -> BTreeMap<String, KindResult> {
    struct Acc {
        ok: Vec<Sample>,
        errors: usize,
        first_error: Option<String>,
        pages: BTreeMap<u32, Vec<f64>>,
    }
    let mut by_kind: BTreeMap<&'static str, Acc> = BTreeMap::new();
    for r in records {
        let acc = by_kind.entry(r.kind).or_insert_with(|| Acc {
            ok: Vec::new(),
            errors: 0,
            first_error: None,
            pages: BTreeMap::new(),
        });
        if r.ok {
            acc.ok.push(Sample {
                start_us: r.start.saturating_duration_since(t0).as_micros() as u64,
                latency_us: r.latency_us,
            });
            if r.aux > 0 {
                acc.pages
                    .entry(r.aux)
                    .or_default()
                    .push(r.latency_us as f64 / 1000.0);
            }
        } else {
            acc.errors += 1;
            if acc.first_error.is_none() {
                acc.first_error = r.error;
            }
        }
    }
    by_kind
        .into_iter()
        .map(|(kind, acc)| {
            let lat: Vec<u32> = acc.ok.iter().map(|s| s.latency_us).collect();
            let by_page = acc
                .pages
                .iter()
                .map(|(p, v)| (*p, crate::stats::median_f64(v)))
                .collect();
            (
                kind.to_string(),
                KindResult {
                    summary: Summary::from_latencies(lat, acc.errors, wall),
                    timeline: windows(&acc.ok, 250_000),
                    first_error: acc.first_error,
                    by_page,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_is_encoded_like_okta() {
        assert_eq!(
            filter_user_name("a.b+c@example.com"),
            "/Users?filter=userName%20eq%20%22a.b%2Bc@example.com%22&startIndex=1&count=100"
        );
    }

    #[test]
    fn pick_spreads_and_stays_in_range() {
        let mut seen = [0u32; 10];
        for i in 0..10_000 {
            seen[pick(i, 10)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
        assert_eq!(pick(5, 0), 0);
    }

    #[test]
    fn put_keeps_identity_and_adds_okta_fields() {
        let fetched = json!({"id": "x", "userName": "u", "name": {"givenName": "a"}, "meta": {"version": "1"}});
        let put = okta_put(&fetched, 3);
        assert_eq!(put["id"], "x");
        assert_eq!(put["userName"], "u");
        assert_eq!(put["name"]["givenName"], "Given3");
        assert_eq!(put["groups"], json!([]));
        assert!(put["password"].is_string());
        assert_eq!(put["meta"], fetched["meta"]);
    }

    #[test]
    fn entra_ops_are_capitalised() {
        for r in 0..3 {
            assert_eq!(entra_replace(r)["Operations"][0]["op"], "Replace");
        }
    }

    #[test]
    fn open_phase_ends_when_an_operation_says_so() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let res = rt.block_on(run_phase_open(
            "t".into(),
            "walk",
            1,
            Limit::Ops(1000),
            Some(Open { stop, expected: 7 }),
            move |i| {
                let s = s2.clone();
                async move {
                    if i == 4 {
                        s.store(true, Ordering::Relaxed);
                    }
                    vec![Record {
                        kind: "page",
                        start: Instant::now(),
                        latency_us: 1000,
                        ok: true,
                        aux: i as u32 + 1,
                        error: None,
                    }]
                }
            },
        ));
        assert_eq!(res.ops, 5);
        assert_eq!(res.kinds["page"].by_page.len(), 5);
        // Without a stop, the limit ends it.
        let res = rt.block_on(run_phase("t".into(), "n", 2, Limit::Ops(9), |_| async {
            Vec::new()
        }));
        assert_eq!(res.ops, 9);
    }

    #[test]
    fn summarise_separates_kinds_errors_and_pages() {
        let t0 = Instant::now();
        let rec = |kind, ok, aux, latency_us| Record {
            kind,
            start: t0,
            latency_us,
            ok,
            aux,
            error: (!ok).then(|| "500 boom".to_string()),
        };
        let k = summarise(
            vec![
                rec("a", true, 0, 1000),
                rec("a", false, 0, 1000),
                rec("page", true, 1, 2000),
                rec("page", true, 1, 4000),
                rec("page", true, 2, 3000),
            ],
            t0,
            1.0,
        );
        assert_eq!(k["a"].summary.count, 1);
        assert_eq!(k["a"].summary.errors, 1);
        assert_eq!(k["a"].first_error.as_deref(), Some("500 boom"));
        assert_eq!(k["page"].by_page, vec![(1, 3.0), (2, 3.0)]);
    }
}
