//! `roster-bench stall`: how long one big request holds up everybody else's writes. A probe
//! client writes back to back (a one-attribute PATCH of its own user, each acknowledged after
//! its COMMIT) while the bench sends, one at a time, the requests that used to freeze the
//! single writer: a PATCH adding 40,000 emails to one user (1 MiB), a PATCH adding as many
//! members to a group as fit in 1 MiB, a 100,000-member PATCH and the PUT of the same members.
//! For each it prints the big request's own answer and time, and the probe's latency before
//! (baseline) and while it was in flight: the stall is what the probe waited beyond its
//! baseline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use crate::bulk::{bulk_limits, bulk_request, bulk_user_op, parse_bulk_response};
use crate::target::Target;
use crate::workload::okta_user;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// One probe write: when it started (since the bench began) and how long it took.
#[derive(Clone, Copy)]
struct ProbeSample {
    start: Duration,
    latency: Duration,
}

/// What one big request did, and what the probe saw meanwhile.
#[derive(Serialize, Debug, Clone)]
pub struct StallResult {
    pub scenario: String,
    pub request_bytes: usize,
    pub status: u16,
    pub request_ms: f64,
    /// The probe's median write latency in the quiet second before.
    pub probe_baseline_p50_ms: f64,
    /// Probe writes that overlapped the big request.
    pub probe_writes_during: usize,
    pub probe_p50_during_ms: f64,
    pub probe_max_during_ms: f64,
    /// The longest probe write during the big request, less the baseline median.
    pub stall_ms: f64,
    /// The first 200 characters of the big request's answer when it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Create `n` users through `/Bulk` (as many per request as the target allows); their ids.
pub async fn preload(t: &Target, tag: &str, n: u64) -> Result<Vec<String>, String> {
    let spc = t
        .send(Method::GET, "/ServiceProviderConfig", None)
        .await?
        .json()
        .ok_or("no /ServiceProviderConfig")?;
    let limits = bulk_limits(&spc).ok_or("the target does not offer /Bulk")?;
    let per_request = limits.max_operations.clamp(1, 1000);
    let mut ids = Vec::with_capacity(n as usize);
    let mut i = 0;
    while i < n {
        let end = (i + per_request).min(n);
        let ops: Vec<Value> = (i..end)
            .map(|k| {
                bulk_user_op(
                    k,
                    okta_user(&format!("{tag}-{k}@example.com"), &format!("00u{tag}{k}")),
                )
            })
            .collect();
        let sent: Vec<String> = (i..end).map(crate::bulk::bulk_id).collect();
        let r = t
            .send(Method::POST, "/Bulk", Some(&bulk_request(ops)))
            .await?;
        let body = r
            .json()
            .ok_or_else(|| format!("/Bulk answered {}: {}", r.status, r.body))?;
        let mut outcome = parse_bulk_response(&body, &sent);
        if let Some(e) = outcome.first_error {
            return Err(format!("/Bulk refused a user: {e}"));
        }
        outcome.created.sort();
        ids.extend(outcome.created.into_iter().map(|(_, id)| id));
        i = end;
    }
    Ok(ids)
}

/// The probe: PATCH its own user's `title` back to back until told to stop.
async fn probe(
    t: Target,
    user: String,
    began: Instant,
    stop: Arc<AtomicBool>,
    out: Arc<Mutex<Vec<ProbeSample>>>,
) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let body = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "title", "value": format!("probe {n}") }] });
        let start = began.elapsed();
        let at = Instant::now();
        let ok = t
            .send(Method::PATCH, &format!("/Users/{user}"), Some(&body))
            .await
            .is_ok_and(|r| r.ok());
        if ok && let Ok(mut v) = out.lock() {
            v.push(ProbeSample {
                start,
                latency: at.elapsed(),
            });
        }
    }
}

/// Send one big request while the probe runs; what both saw.
async fn scenario(
    t: &Target,
    name: &str,
    method: Method,
    path: &str,
    body: &Value,
    began: Instant,
    samples: &Arc<Mutex<Vec<ProbeSample>>>,
) -> StallResult {
    // A quiet second first: the probe's own baseline.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let from = began.elapsed();
    let at = Instant::now();
    let reply = t.send(method, path, Some(body)).await;
    let took = at.elapsed();
    let to = began.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let all = samples.lock().map(|v| v.clone()).unwrap_or_default();
    let baseline = median(
        all.iter()
            .filter(|s| s.start + Duration::from_secs(1) >= from && s.start + s.latency <= from)
            .map(|s| ms(s.latency))
            .collect(),
    );
    let during: Vec<f64> = all
        .iter()
        .filter(|s| s.start < to && s.start + s.latency > from)
        .map(|s| ms(s.latency))
        .collect();
    let max = during.iter().copied().fold(0.0, f64::max);
    let (status, refusal) = match &reply {
        Ok(r) => (
            r.status,
            (!r.ok()).then(|| r.body.chars().take(200).collect()),
        ),
        Err(e) => (0, Some(e.chars().take(200).collect())),
    };
    StallResult {
        scenario: name.to_string(),
        request_bytes: body.to_string().len(),
        status,
        request_ms: ms(took),
        probe_baseline_p50_ms: baseline,
        probe_writes_during: during.len(),
        probe_p50_during_ms: median(during.clone()),
        probe_max_during_ms: max,
        stall_ms: (max - baseline).max(0.0),
        refusal,
    }
}

fn members(ids: &[String]) -> Value {
    Value::Array(ids.iter().map(|id| json!({ "value": id })).collect())
}

/// Run every scenario against `t` (whose body limit must admit the largest request).
pub async fn run(t: &Target, member_count: u64, emails: usize) -> Result<Vec<StallResult>, String> {
    let tag = format!("stall{}", std::process::id());
    eprintln!("stall: preloading {member_count} users through /Bulk…");
    let users = preload(t, &tag, member_count + 2).await?;
    let (probe_user, target_user, members_pool) = (&users[0], &users[1], &users[2..]);
    let group =
        |name: &str| json!({ "schemas": [GROUP_SCHEMA], "displayName": format!("{tag} {name}") });
    let mut groups = Vec::new();
    for name in ["one-mib", "patch-all", "put-all"] {
        let r = t.send(Method::POST, "/Groups", Some(&group(name))).await?;
        let id = r
            .json()
            .and_then(|v| v["id"].as_str().map(str::to_string))
            .ok_or_else(|| format!("creating a group: {} {}", r.status, r.body))?;
        groups.push(id);
    }
    let began = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let handle = tokio::spawn(probe(
        t.clone(),
        probe_user.clone(),
        began,
        stop.clone(),
        samples.clone(),
    ));

    let mut results = Vec::new();
    let emails_body = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "add", "path": "emails", "value":
        (0..emails).map(|i| json!({ "value": format!("alias{i}@example.com"), "type": "other" })).collect::<Vec<_>>() }] });
    results.push(
        scenario(
            t,
            &format!("PATCH user: add {emails} emails"),
            Method::PATCH,
            &format!("/Users/{target_user}"),
            &emails_body,
            began,
            &samples,
        )
        .await,
    );

    // As many member ids as fit in 1 MiB.
    let per_member = json!({ "value": members_pool[0] }).to_string().len() + 1;
    let fit = ((1024 * 1024 - 200) / per_member).min(members_pool.len());
    let one_mib = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "add", "path": "members", "value": members(&members_pool[..fit]) }] });
    results.push(
        scenario(
            t,
            &format!("PATCH group: add {fit} members (1 MiB)"),
            Method::PATCH,
            &format!("/Groups/{}", groups[0]),
            &one_mib,
            began,
            &samples,
        )
        .await,
    );

    let all = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "add", "path": "members", "value": members(members_pool) }] });
    results.push(
        scenario(
            t,
            &format!("PATCH group: add {} members", members_pool.len()),
            Method::PATCH,
            &format!("/Groups/{}", groups[1]),
            &all,
            began,
            &samples,
        )
        .await,
    );

    let mut put = group("put-all");
    put["members"] = members(members_pool);
    results.push(
        scenario(
            t,
            &format!("PUT group with {} members", members_pool.len()),
            Method::PUT,
            &format!("/Groups/{}", groups[2]),
            &put,
            began,
            &samples,
        )
        .await,
    );

    stop.store(true, Ordering::Relaxed);
    let _ = handle.await;
    Ok(results)
}

/// The results as a table.
pub fn print(results: &[StallResult]) {
    println!(
        "{:<44} {:>9} {:>6} {:>10} {:>9} {:>7} {:>9} {:>9} {:>9}",
        "big request",
        "bytes",
        "status",
        "its ms",
        "probe p50",
        "writes",
        "p50 dur.",
        "max dur.",
        "stall ms"
    );
    for r in results {
        println!(
            "{:<44} {:>9} {:>6} {:>10.1} {:>9.2} {:>7} {:>9.2} {:>9.1} {:>9.1}",
            r.scenario,
            r.request_bytes,
            r.status,
            r.request_ms,
            r.probe_baseline_p50_ms,
            r.probe_writes_during,
            r.probe_p50_during_ms,
            r.probe_max_during_ms,
            r.stall_ms
        );
        if let Some(why) = &r.refusal {
            println!("    answer: {why}");
        }
    }
}
