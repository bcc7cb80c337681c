//! `roster-bench`: drive IdP-shaped SCIM workloads (Okta, Entra ID) at any SCIM base URL and
//! report throughput and latency percentiles per request kind, as text, JSON and SVG charts.

mod bulk;
mod paging;
mod progress;
mod report;
mod rss;
mod slow_clients;
mod stall;
mod stats;
mod svg;
mod target;
mod workload;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use progress::Limit;
use rss::RssMonitor;
use target::{Spawned, Target};
use workload::*;

#[derive(Parser)]
#[command(name = "roster-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the workload against one SCIM target.
    Run {
        /// SCIM base URL (e.g. http://127.0.0.1:8080/scim/v2/enterprises/acme).
        #[arg(long, requires = "token")]
        url: Option<String>,
        /// Bearer token for --url.
        #[arg(long)]
        token: Option<String>,
        /// Start `roster serve` from this binary on a fresh SQLite file instead.
        #[arg(long, conflicts_with = "url")]
        roster_bin: Option<String>,
        /// Start this scim2-server command on a free port instead.
        #[arg(long, conflicts_with_all = ["url", "roster_bin"])]
        peer_cmd: Option<String>,
        /// Path under the peer's root where SCIM is served.
        #[arg(long, default_value = "/v2")]
        peer_path: String,
        /// Name of the target in the output.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        w: Workload,
    },
    /// Run the same workload against Roster and the reference peer, alternating per phase.
    Compare {
        #[arg(long, conflicts_with = "roster_url")]
        roster_bin: Option<String>,
        #[arg(long, requires = "roster_token")]
        roster_url: Option<String>,
        #[arg(long)]
        roster_token: Option<String>,
        /// e.g. "/work/venv-conf/bin/scim2-server" (`--port P --bearer-token T` are appended).
        #[arg(long, conflicts_with = "peer_url")]
        peer_cmd: Option<String>,
        #[arg(long, default_value = "/v2")]
        peer_path: String,
        #[arg(long, requires = "peer_token")]
        peer_url: Option<String>,
        #[arg(long)]
        peer_token: Option<String>,
        /// Concurrency for the peer only (default: --concurrency). scim2-server serves one
        /// request at a time behind a listen backlog of 5, so beyond ~6 clients its extra
        /// connections wait for SYN retransmits (~1 s); 1 gives its best throughput.
        #[arg(long)]
        peer_concurrency: Option<usize>,
        #[command(flatten)]
        w: Workload,
    },
    /// How long one big request (1 MiB of emails or members, 100,000 members) holds up a
    /// concurrent writer.
    Stall {
        /// SCIM base URL of a running Roster (its body limit must admit the largest request).
        #[arg(long, requires = "token")]
        url: Option<String>,
        #[arg(long)]
        token: Option<String>,
        /// Start `roster serve --max-body-bytes 16777216` from this binary instead.
        #[arg(long, conflicts_with = "url")]
        roster_bin: Option<String>,
        /// Members of the largest group request (users preloaded for it).
        #[arg(long, default_value_t = 100_000)]
        members: u64,
        /// Emails in the user PATCH.
        #[arg(long, default_value_t = 40_000)]
        emails: usize,
        /// Write the results as JSON here.
        #[arg(long)]
        out: Option<String>,
    },
    /// Idle sockets and 1-byte-a-second clients against a server while real clients keep
    /// working: sockets held over time, resident memory, real latency; SIGTERM's exit time.
    SlowClients(slow_clients::SlowClientsArgs),
}

pub const ALL_PHASES: &[&str] = &[
    "get-by-id",
    "filter",
    "push-user",
    "profile-update",
    "entra-patch",
    "deactivate",
    "group-members",
    "import",
    "cursor",
];

#[derive(Args, Serialize, Clone, Debug)]
pub struct Workload {
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds per phase per target (ignored when --requests is given).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Operations per phase per target instead of a duration.
    #[arg(long)]
    requests: Option<u64>,
    /// Concurrency of the preload step (default: --concurrency); with --preload-bulk, bulk
    /// requests in flight.
    #[arg(long)]
    preload_concurrency: Option<usize>,
    /// Preload users through `POST /Bulk`, this many operations per request (capped by the
    /// target's bulk.maxOperations and maxPayloadSize); 0: one `POST /Users` per user.
    #[arg(long, default_value_t = 0)]
    preload_bulk: u64,
    /// Users to preload.
    #[arg(long, default_value_t = 5000)]
    users: u64,
    /// Groups to preload, by member count (comma-separated), e.g. 100,100000.
    #[arg(long, value_delimiter = ',', default_value = "100")]
    group_sizes: Vec<u64>,
    /// Members per PATCH when filling a group (Okta splits large membership pushes).
    #[arg(long, default_value_t = 1000)]
    member_batch: usize,
    /// Phases to run, in order (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = ALL_PHASES.iter().map(|s| s.to_string()))]
    phases: Vec<String>,
    /// Write results as JSON here.
    #[arg(long)]
    out: Option<String>,
    /// Write SVG charts into this directory.
    #[arg(long)]
    svg_dir: Option<String>,
    /// (compare only; set from --peer-concurrency, recorded in the results)
    #[arg(skip)]
    peer_concurrency: Option<usize>,
    /// Prefix of generated userNames and group names (default: derived from the clock).
    #[arg(long)]
    tag: Option<String>,
}

impl Workload {
    fn limit(&self) -> Limit {
        match self.requests {
            Some(n) => Limit::Ops(n),
            None => Limit::For(Duration::from_secs_f64(self.duration)),
        }
    }
}

/// (id, userName) of a user on the target.
pub type UserRef = (String, String);

/// What a target holds after preloading.
pub struct Dataset {
    pub tag: String,
    /// (id, userName) of preloaded users, in creation order.
    pub users: Arc<Vec<(String, String)>>,
    /// (size, id) of preloaded groups.
    pub groups: Vec<(u64, String)>,
    pub pushed: Arc<AtomicU64>,
}

#[derive(Serialize, Default, Clone, Debug)]
pub struct GroupPreload {
    pub size: u64,
    pub members: u64,
    pub secs: f64,
    pub members_per_sec: f64,
    pub patches: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Largest VmRSS (KiB) of a server the bench started, while filling this group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_max_kib: Option<u64>,
}

#[derive(Serialize, Default, Clone, Debug)]
pub struct Preload {
    pub users: u64,
    pub users_failed: u64,
    pub users_secs: f64,
    pub users_per_sec: f64,
    /// `post` (one `POST /Users` per user) or `bulk` (`POST /Bulk`).
    pub method: String,
    /// Bulk operations per request, after the target's limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk_ops_per_request: Option<u64>,
    /// Requests (POST /Users or POST /Bulk) in flight.
    pub concurrency: usize,
    /// Latency of the preload requests (`post-user` or `bulk-post`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<stats::Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// How the method was chosen (bulk capped, or not offered by the target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Largest VmRSS (KiB) of a server the bench started, during the user preload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_max_kib: Option<u64>,
    pub groups: Vec<GroupPreload>,
}

#[derive(Serialize, Clone, Debug)]
pub struct TargetResult {
    pub name: String,
    pub base_url: String,
    pub preload: Preload,
    pub phases: Vec<PhaseResult>,
    /// Peak resident memory (VmHWM, KiB) of a server the bench started, over the whole run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_peak_kib: Option<u64>,
}

struct Ctx {
    target: Arc<Target>,
    data: Dataset,
    result: TargetResult,
    /// Samples the server's memory when the bench started it.
    rss: Option<RssMonitor>,
}

impl Ctx {
    /// The results, with the server's peak memory.
    fn into_result(mut self) -> TargetResult {
        self.result.rss_peak_kib = self.rss.take().and_then(RssMonitor::finish);
        self.result
    }
}

#[derive(Debug, Clone)]
enum Step {
    PreloadUsers,
    PreloadGroup(u64),
    Phase(String, Option<u64>),
}

fn steps(w: &Workload) -> Result<Vec<Step>, String> {
    let mut s = vec![Step::PreloadUsers];
    let wants_groups = w.phases.iter().any(|p| p == "group-members");
    if wants_groups {
        s.extend(w.group_sizes.iter().map(|&g| Step::PreloadGroup(g)));
    }
    for p in &w.phases {
        if !ALL_PHASES.contains(&p.as_str()) {
            return Err(format!(
                "unknown phase {p:?}; phases: {}",
                ALL_PHASES.join(",")
            ));
        }
        if p == "group-members" {
            s.extend(
                w.group_sizes
                    .iter()
                    .map(|&g| Step::Phase(p.clone(), Some(g))),
            );
        } else {
            s.push(Step::Phase(p.clone(), None));
        }
    }
    Ok(s)
}

/// How to preload: operations per `/Bulk` request (0: one `POST /Users` per user) and why.
async fn preload_plan(ctx: &Ctx, w: &Workload) -> (u64, Option<String>) {
    let requested = w.preload_bulk;
    if requested == 0 {
        return (0, None);
    }
    let spc = match ctx
        .target
        .send(Method::GET, "/ServiceProviderConfig", None)
        .await
    {
        Ok(r) if r.ok() => r.json(),
        _ => None,
    };
    let Some(limits) = spc.as_ref().and_then(bulk::bulk_limits) else {
        return (
            0,
            Some(
                "/ServiceProviderConfig has no `bulk` (RFC 7643 §5): one POST /Users per user"
                    .into(),
            ),
        );
    };
    if !limits.supported {
        return (
            0,
            Some(
                "/ServiceProviderConfig says bulk is not supported: one POST /Users per user"
                    .into(),
            ),
        );
    }
    // The largest operation is the last user's (the longest index).
    let last = w.users.max(1) - 1;
    let op_bytes = bulk::bulk_user_op(last, preload_user(&ctx.data.tag, last).1)
        .to_string()
        .len() as u64;
    let envelope = bulk::bulk_request(Vec::new()).to_string().len() as u64;
    let n = bulk::bulk_batch(requested, &limits, op_bytes, envelope);
    if n == 0 {
        return (
            0,
            Some(format!(
                "one bulk operation ({op_bytes} bytes) does not fit in maxPayloadSize {}: one POST /Users per user",
                limits.max_payload_size
            )),
        );
    }
    let note = (n < requested).then(|| {
        format!(
            "--preload-bulk {requested} capped to {n} operations per request (maxOperations {}, maxPayloadSize {} bytes, {op_bytes} bytes per operation)",
            limits.max_operations, limits.max_payload_size
        )
    });
    (n, note)
}

/// userName and POST body of preloaded user `i`.
fn preload_user(tag: &str, i: u64) -> (String, Value) {
    let name = user_name(tag, i);
    let body = okta_user(&name, &format!("00u{tag}{i}"));
    (name, body)
}

type Slots = Arc<Mutex<Vec<Option<UserRef>>>>;

/// One `POST /Users` per user.
async fn preload_by_post(ctx: &Ctx, n: u64, concurrency: usize, slots: &Slots) -> PhaseResult {
    let (t, tag, s2) = (ctx.target.clone(), ctx.data.tag.clone(), slots.clone());
    run_phase(
        format!("{}: preload {n} users", t.name),
        "preload-users",
        concurrency,
        Limit::Ops(n),
        move |i| {
            let (t, tag, slots) = (t.clone(), tag.clone(), s2.clone());
            async move {
                let (name, body) = preload_user(&tag, i);
                let (rec, reply) =
                    timed("post-user", 0, t.send(Method::POST, "/Users", Some(&body))).await;
                if let Some(id) = reply
                    .filter(|r| r.ok())
                    .and_then(|r| r.json())
                    .and_then(|v| v["id"].as_str().map(str::to_string))
                    && let Ok(mut s) = slots.lock()
                {
                    s[i as usize] = Some((id, name));
                }
                vec![rec]
            }
        },
    )
    .await
}

/// `POST /Bulk` requests of `batch` user creations each; the first error of an operation
/// goes to `bulk_error`.
async fn preload_by_bulk(
    ctx: &Ctx,
    n: u64,
    batch: u64,
    concurrency: usize,
    slots: &Slots,
    bulk_error: &Arc<Mutex<Option<String>>>,
) -> PhaseResult {
    let (t, tag, s2, e2) = (
        ctx.target.clone(),
        ctx.data.tag.clone(),
        slots.clone(),
        bulk_error.clone(),
    );
    run_phase(
        format!("{}: preload {n} users, /Bulk of {batch}", t.name),
        "preload-users",
        concurrency,
        Limit::Ops(n.div_ceil(batch)),
        move |k| {
            let (t, tag, slots, bulk_error) = (t.clone(), tag.clone(), s2.clone(), e2.clone());
            async move {
                let first = k * batch;
                let users: Vec<(String, Value)> = (first..(first + batch).min(n))
                    .map(|i| preload_user(&tag, i))
                    .collect();
                let ids: Vec<String> = (first..first + users.len() as u64)
                    .map(bulk::bulk_id)
                    .collect();
                let mut names = Vec::with_capacity(users.len());
                let ops = users
                    .into_iter()
                    .enumerate()
                    .map(|(p, (name, body))| {
                        names.push(name);
                        bulk::bulk_user_op(first + p as u64, body)
                    })
                    .collect();
                let body = bulk::bulk_request(ops);
                let (rec, reply) =
                    timed("bulk-post", 0, t.send(Method::POST, "/Bulk", Some(&body))).await;
                if let Some(v) = reply.filter(|r| r.ok()).and_then(|r| r.json()) {
                    let out = bulk::parse_bulk_response(&v, &ids);
                    if let Ok(mut s) = slots.lock() {
                        for (p, id) in out.created {
                            s[(first + p as u64) as usize] =
                                Some((id, std::mem::take(&mut names[p])));
                        }
                    }
                    if let Some(e) = out.first_error
                        && let Ok(mut b) = bulk_error.lock()
                        && b.is_none()
                    {
                        *b = Some(e);
                    }
                }
                vec![rec]
            }
        },
    )
    .await
}

async fn preload_users(ctx: &mut Ctx, w: &Workload) {
    let n = w.users;
    let concurrency = w.preload_concurrency.unwrap_or(w.concurrency);
    let (batch, note) = preload_plan(ctx, w).await;
    if let Some(note) = &note {
        eprintln!("{}: {note}", ctx.target.name);
    }
    let slots: Slots = Arc::new(Mutex::new(vec![None; n as usize]));
    let bulk_error = Arc::new(Mutex::new(None));
    let (res, kind) = if batch > 0 {
        let r = preload_by_bulk(ctx, n, batch, concurrency, &slots, &bulk_error).await;
        (r, "bulk-post")
    } else {
        (
            preload_by_post(ctx, n, concurrency, &slots).await,
            "post-user",
        )
    };
    // Move the refs out (no copy: a million of them is ~100 MB).
    let users: Vec<UserRef> = slots
        .lock()
        .map(|mut s| std::mem::take(&mut *s).into_iter().flatten().collect())
        .unwrap_or_default();
    let k = res.kinds.get(kind);
    let pl = &mut ctx.result.preload;
    pl.users = users.len() as u64;
    pl.users_failed = n - users.len() as u64;
    pl.users_secs = res.wall_secs;
    pl.users_per_sec = users.len() as f64 / res.wall_secs.max(1e-9);
    pl.method = if batch > 0 { "bulk" } else { "post" }.to_string();
    pl.bulk_ops_per_request = (batch > 0).then_some(batch);
    pl.concurrency = concurrency;
    pl.requests = k.map(|k| k.summary.clone());
    pl.first_error = k
        .and_then(|k| k.first_error.clone())
        .or_else(|| bulk_error.lock().ok().and_then(|mut e| e.take()));
    pl.note = note;
    eprintln!(
        "{}: preloaded {} users in {:.1}s ({:.0} users/s, {}){}",
        ctx.target.name,
        users.len(),
        res.wall_secs,
        pl.users_per_sec,
        preload_method(pl),
        pl.first_error
            .as_ref()
            .map(|e| format!("; first error: {e}"))
            .unwrap_or_default()
    );
    ctx.data.users = Arc::new(users);
}

/// "POST /Users, 16 in flight" or "/Bulk of 1000, 4 in flight".
pub fn preload_method(pl: &Preload) -> String {
    match pl.bulk_ops_per_request {
        Some(b) => format!("/Bulk of {b}, {} in flight", pl.concurrency),
        None => format!("POST /Users, {} in flight", pl.concurrency),
    }
}

async fn preload_group(ctx: &mut Ctx, w: &Workload, size: u64) {
    let users = ctx.data.users.clone();
    let mut gp = GroupPreload {
        size,
        ..Default::default()
    };
    if (users.len() as u64) < size {
        gp.error = Some(format!(
            "only {} users preloaded; a {size}-member group needs --users {size} or more",
            users.len()
        ));
        eprintln!("{}: {}", ctx.target.name, gp.error.as_deref().unwrap_or(""));
        ctx.result.preload.groups.push(gp);
        return;
    }
    let members: &[UserRef] = &users[..size as usize];
    let batch = w.member_batch.max(1);
    let name = format!("{} g{size}", ctx.data.tag);
    let t0 = Instant::now();
    let first = &members[..members.len().min(batch)];
    let reply = ctx
        .target
        .send(Method::POST, "/Groups", Some(&group_create(&name, first)))
        .await;
    let id = match reply {
        Ok(r) if r.ok() => r.json().and_then(|v| v["id"].as_str().map(str::to_string)),
        Ok(r) => {
            gp.error = Some(format!("POST /Groups: {} {}", r.status, r.body));
            None
        }
        Err(e) => {
            gp.error = Some(e);
            None
        }
    };
    let mut added = first.len() as u64;
    if let Some(id) = &id {
        for chunk in members[first.len()..].chunks(batch) {
            let value: Vec<Value> = chunk
                .iter()
                .map(|(id, n)| serde_json::json!({"value": id, "display": n}))
                .collect();
            let body = serde_json::json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": value}]});
            gp.patches += 1;
            match ctx
                .target
                .send(Method::PATCH, &format!("/Groups/{id}"), Some(&body))
                .await
            {
                Ok(r) if r.ok() => added += chunk.len() as u64,
                Ok(r) => {
                    gp.error = Some(format!("PATCH /Groups: {} {}", r.status, r.body));
                    break;
                }
                Err(e) => {
                    gp.error = Some(e);
                    break;
                }
            }
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprint!("\r{}: group {size}: {added} members\x1b[K", ctx.target.name);
            }
        }
        ctx.data.groups.push((size, id.clone()));
    }
    gp.secs = t0.elapsed().as_secs_f64();
    gp.members = added;
    gp.members_per_sec = added as f64 / gp.secs.max(1e-9);
    eprintln!(
        "\r{}: group of {size}: {added} members in {:.1}s ({:.0} members/s, {} PATCHes){}\x1b[K",
        ctx.target.name,
        gp.secs,
        gp.members_per_sec,
        gp.patches,
        gp.error
            .as_ref()
            .map(|e| format!("; error: {e}"))
            .unwrap_or_default()
    );
    ctx.result.preload.groups.push(gp);
}

async fn run_named_phase(ctx: &mut Ctx, w: &Workload, phase: &str, size: Option<u64>) {
    let t = ctx.target.clone();
    let users = ctx.data.users.clone();
    if users.is_empty() {
        eprintln!("{}: no users, skipping {phase}", t.name);
        return;
    }
    let n = users.len();
    let label = |p: &str| format!("{}: {p}", t.name);
    let limit = w.limit();
    let c = w.concurrency;
    let res = match phase {
        "get-by-id" => {
            run_phase(label(phase), phase, c, limit, move |i| {
                let (t, users) = (t.clone(), users.clone());
                async move {
                    let id = &users[pick(i, n)].0;
                    let path = format!("/Users/{id}");
                    vec![
                        timed("get-by-id", 0, t.send(Method::GET, &path, None))
                            .await
                            .0,
                    ]
                }
            })
            .await
        }
        "filter" => {
            run_phase(label(phase), phase, c, limit, move |i| {
                let (t, users) = (t.clone(), users.clone());
                async move {
                    let q = filter_user_name(&users[pick(i, n)].1);
                    vec![
                        timed("filter-hit", 0, t.send(Method::GET, &q, None))
                            .await
                            .0,
                    ]
                }
            })
            .await
        }
        "push-user" => {
            let (tag, seq) = (ctx.data.tag.clone(), ctx.data.pushed.clone());
            run_phase(label(phase), phase, c, limit, move |_| {
                let (t, tag, seq) = (t.clone(), tag.clone(), seq.clone());
                async move {
                    let k = seq.fetch_add(1, Ordering::Relaxed);
                    let name = format!("{tag}.p{k}@example.com");
                    let (miss, _) = timed(
                        "filter-miss",
                        0,
                        t.send(Method::GET, &filter_user_name(&name), None),
                    )
                    .await;
                    let body = okta_user(&name, &format!("00p{tag}{k}"));
                    let (post, _) =
                        timed("post-user", 0, t.send(Method::POST, "/Users", Some(&body))).await;
                    vec![miss, post]
                }
            })
            .await
        }
        "profile-update" => {
            run_phase(label(phase), phase, c, limit, move |i| {
                let (t, users) = (t.clone(), users.clone());
                async move {
                    let path = format!("/Users/{}", users[pick(i, n)].0);
                    let (get, reply) =
                        timed("profile-get", 0, t.send(Method::GET, &path, None)).await;
                    let mut out = vec![get];
                    if let Some(user) = reply.filter(|r| r.ok()).and_then(|r| r.json()) {
                        let body = okta_put(&user, i);
                        out.push(
                            timed("put-user", 0, t.send(Method::PUT, &path, Some(&body)))
                                .await
                                .0,
                        );
                    }
                    out
                }
            })
            .await
        }
        "entra-patch" => {
            run_phase(label(phase), phase, c, limit, move |i| {
                let (t, users) = (t.clone(), users.clone());
                async move {
                    let path = format!("/Users/{}", users[pick(i, n)].0);
                    let body = entra_replace(i);
                    vec![
                        timed("entra-patch", 0, t.send(Method::PATCH, &path, Some(&body)))
                            .await
                            .0,
                    ]
                }
            })
            .await
        }
        "deactivate" => {
            // Walk the user list in order; on wrapping around, reactivate (active:true).
            run_phase(label(phase), phase, c, limit, move |i| {
                let (t, users) = (t.clone(), users.clone());
                async move {
                    let path = format!("/Users/{}", users[i as usize % n].0);
                    let body = okta_active((i / n as u64) % 2 == 1);
                    vec![
                        timed("deactivate", 0, t.send(Method::PATCH, &path, Some(&body)))
                            .await
                            .0,
                    ]
                }
            })
            .await
        }
        "group-members" => {
            let size = size.unwrap_or(0);
            let Some((_, gid)) = ctx.data.groups.iter().find(|(s, _)| *s == size).cloned() else {
                eprintln!("{}: no group of {size} members, skipping", t.name);
                return;
            };
            let members = size as usize;
            let phase_name = format!("group-members-{size}");
            let res = run_phase(label(&phase_name), &phase_name, c, limit, move |i| {
                let (t, users, gid) = (t.clone(), users.clone(), gid.clone());
                async move {
                    // Remove one member, then add it back: the group keeps its size.
                    let (id, name) = &users[pick(i, members)];
                    let path = format!("/Groups/{gid}");
                    let (rm, _) = timed(
                        "member-remove",
                        0,
                        t.send(Method::PATCH, &path, Some(&member_remove(id))),
                    )
                    .await;
                    let (add, _) = timed(
                        "member-add",
                        0,
                        t.send(Method::PATCH, &path, Some(&member_add(id, name))),
                    )
                    .await;
                    vec![rm, add]
                }
            })
            .await;
            ctx.result.phases.push(res);
            return;
        }
        "import" => {
            // Okta imports sequentially: one page of 100 at a time, startIndex 1, 101, 201…
            let total = match t
                .send(Method::GET, "/Users?startIndex=1&count=1", None)
                .await
            {
                Ok(r) => r
                    .json()
                    .and_then(|v| v["totalResults"].as_u64())
                    .unwrap_or(n as u64),
                Err(_) => n as u64,
            };
            let pages = total.div_ceil(100);
            run_phase(label(phase), phase, 1, Limit::Ops(pages), move |i| {
                let t = t.clone();
                async move {
                    let q = format!("/Users?startIndex={}&count=100", 1 + 100 * i);
                    vec![
                        timed("import-page", (i + 1) as u32, t.send(Method::GET, &q, None))
                            .await
                            .0,
                    ]
                }
            })
            .await
        }
        "cursor" => {
            let res = cursor_walk(&t, n as u64, label(phase)).await;
            ctx.result.phases.push(res);
            return;
        }
        other => {
            eprintln!("unknown phase {other}");
            return;
        }
    };
    ctx.result.phases.push(res);
}

/// RFC 9865 cursor paging through all users, one page of 100 at a time: an empty `cursor`
/// first, then each `nextCursor` until none comes back. Skipped (with the reason) on targets
/// that refuse or ignore the parameter.
async fn cursor_walk(t: &Arc<Target>, users: u64, label: String) -> PhaseResult {
    const COUNT: u64 = 100;
    let probe = t
        .send(Method::GET, &paging::cursor_query(None, 1), None)
        .await;
    let support = match &probe {
        Ok(r) => paging::cursor_support(r.status, &r.body),
        Err(e) => Err(format!("`?cursor&count=1` failed: {e}")),
    };
    if let Err(why) = support {
        eprintln!("{}: skipping cursor: {why}", t.name);
        return PhaseResult::skipped("cursor", why);
    }
    let total = probe
        .ok()
        .and_then(|r| r.json())
        .and_then(|v| v["totalResults"].as_u64())
        .unwrap_or(users);
    let expected = total.div_ceil(COUNT).max(1);
    // A safety cap against a target whose cursors never end.
    let cap = expected * 2 + 10;
    struct State {
        next: Option<String>,
        walk: Walk,
    }
    let state = Arc::new(Mutex::new(State {
        next: None,
        walk: Walk::default(),
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let (st, stop2, t2) = (state.clone(), stop.clone(), t.clone());
    let mut res = run_phase_open(
        label,
        "cursor",
        1,
        Limit::Ops(cap),
        Some(Open {
            stop: stop.clone(),
            expected,
        }),
        move |i| {
            let (t, st, stop) = (t2.clone(), st.clone(), stop2.clone());
            async move {
                let next = st.lock().ok().and_then(|s| s.next.clone());
                let q = paging::cursor_query(next.as_deref(), COUNT);
                let page_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
                let (rec, reply) =
                    timed("cursor-page", page_no, t.send(Method::GET, &q, None)).await;
                let page = reply
                    .filter(|r| r.ok())
                    .and_then(|r| r.json())
                    .map(|v| paging::parse_cursor_page(&v));
                if let Ok(mut s) = st.lock() {
                    s.walk.pages += 1;
                    match page {
                        Some(p) => {
                            s.walk.resources += p.resources as u64;
                            s.walk.total_results = p.total_results.or(s.walk.total_results);
                            s.walk.complete = p.next_cursor.is_none();
                            s.next = p.next_cursor;
                        }
                        // No next cursor to follow: the walk ends here.
                        None => s.next = None,
                    }
                    if s.next.is_none() {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                vec![rec]
            }
        },
    )
    .await;
    let walk = state.lock().map(|s| s.walk.clone()).unwrap_or_default();
    if !walk.complete {
        res.note = Some(if stop.load(Ordering::Relaxed) {
            format!("the walk stopped at page {} on an error", walk.pages)
        } else {
            format!("stopped after {cap} pages ({expected} expected): nextCursor never ended")
        });
    } else if walk.total_results.is_some_and(|t| t != walk.resources) {
        res.note = Some(format!(
            "the walk saw {} resources, totalResults says {}",
            walk.resources,
            walk.total_results.unwrap_or(0)
        ));
    }
    eprintln!(
        "{}: cursor walk: {} pages, {} users{}",
        t.name,
        walk.pages,
        walk.resources,
        res.note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    res.walk = Some(walk);
    res
}

async fn run_step(ctx: &mut Ctx, w: &Workload, step: &Step) {
    if let Some(m) = &ctx.rss {
        m.begin_phase();
    }
    let phases_before = ctx.result.phases.len();
    match step {
        Step::PreloadUsers => preload_users(ctx, w).await,
        Step::PreloadGroup(s) => preload_group(ctx, w, *s).await,
        Step::Phase(p, s) => run_named_phase(ctx, w, p, *s).await,
    }
    let rss = ctx.rss.as_ref().and_then(RssMonitor::end_phase);
    let r = &mut ctx.result;
    match step {
        Step::PreloadUsers => r.preload.rss_max_kib = rss,
        Step::PreloadGroup(_) => {
            if let Some(g) = r.preload.groups.last_mut() {
                g.rss_max_kib = rss;
            }
        }
        Step::Phase(..) => {
            if r.phases.len() > phases_before
                && let Some(p) = r.phases.last_mut()
            {
                p.rss_max_kib = rss;
            }
        }
    }
}

/// `server`: the process the bench started for this target, whose memory it samples.
fn make_ctx(
    name: &str,
    base: &str,
    token: &str,
    w: &Workload,
    tag: &str,
    server: Option<&Spawned>,
) -> Result<Ctx, String> {
    let target = Arc::new(Target::new(name, base, token, w.concurrency)?);
    Ok(Ctx {
        rss: server.and_then(|s| RssMonitor::start(s.child.id(), rss::EVERY)),
        result: TargetResult {
            name: name.to_string(),
            base_url: target.base.clone(),
            preload: Preload::default(),
            phases: Vec::new(),
            rss_peak_kib: None,
        },
        target,
        data: Dataset {
            tag: tag.to_string(),
            users: Arc::new(Vec::new()),
            groups: Vec::new(),
            pushed: Arc::new(AtomicU64::new(0)),
        },
    })
}

fn default_tag() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("b{:x}", secs & 0xff_ffff)
}

/// Resolve a target: a given URL + token, or a server the bench starts.
fn resolve(
    url: Option<String>,
    token: Option<String>,
    roster_bin: Option<String>,
    peer_cmd: Option<String>,
    peer_path: &str,
) -> Result<(String, String, Option<Spawned>), String> {
    if let Some(bin) = roster_bin {
        let s = target::spawn_roster(&bin)?;
        return Ok((s.base.clone(), s.token.clone(), Some(s)));
    }
    if let Some(cmd) = peer_cmd {
        let s = target::spawn_peer(&cmd, peer_path)?;
        return Ok((s.base.clone(), s.token.clone(), Some(s)));
    }
    match (url, token) {
        (Some(u), Some(t)) => Ok((u, t, None)),
        _ => Err("give --url and --token, --roster-bin, or --peer-cmd".into()),
    }
}

async fn main_async(cli: Cli) -> Result<(), String> {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match cli.cmd {
        Cmd::Stall {
            url,
            token,
            roster_bin,
            members,
            emails,
            out,
        } => {
            let (spawned, base, token) = match (url, roster_bin) {
                (Some(url), _) => (None, url, token.unwrap_or_default()),
                (None, Some(bin)) => {
                    let s = target::spawn_roster_with(&bin, &["--max-body-bytes", "16777216"])?;
                    let (b, t) = (s.base.clone(), s.token.clone());
                    (Some(s), b, t)
                }
                (None, None) => return Err("give --url and --token, or --roster-bin".into()),
            };
            let t = Target::new("roster", &base, &token, 4)?;
            t.wait_ready(Duration::from_secs(60)).await?;
            let results = stall::run(&t, members, emails).await?;
            stall::print(&results);
            if let Some(path) = out {
                let json = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
                std::fs::write(&path, json).map_err(|e| format!("{path}: {e}"))?;
            }
            drop(spawned);
            Ok(())
        }
        Cmd::SlowClients(args) => slow_clients::run(args).await,
        Cmd::Run {
            url,
            token,
            roster_bin,
            peer_cmd,
            peer_path,
            name,
            w,
        } => {
            let default_name = if roster_bin.is_some() {
                "roster"
            } else if peer_cmd.is_some() {
                "scim2-server"
            } else {
                "target"
            };
            let (base, tok, server) = resolve(url, token, roster_bin, peer_cmd, &peer_path)?;
            let tag = w.tag.clone().unwrap_or_else(default_tag);
            let mut ctx = make_ctx(
                name.as_deref().unwrap_or(default_name),
                &base,
                &tok,
                &w,
                &tag,
                server.as_ref(),
            )?;
            ctx.target.wait_ready(Duration::from_secs(60)).await?;
            for step in steps(&w)? {
                run_step(&mut ctx, &w, &step).await;
            }
            report::finish("run", started, &w, &tag, vec![ctx.into_result()])
        }
        Cmd::Compare {
            roster_bin,
            roster_url,
            roster_token,
            peer_cmd,
            peer_path,
            peer_url,
            peer_token,
            peer_concurrency,
            w,
        } => {
            if roster_bin.is_none() && roster_url.is_none() {
                return Err("give --roster-bin or --roster-url/--roster-token".into());
            }
            if peer_cmd.is_none() && peer_url.is_none() {
                return Err("give --peer-cmd or --peer-url/--peer-token".into());
            }
            let (rb, rt, rs) = resolve(roster_url, roster_token, roster_bin, None, "")?;
            let (pb, pt, ps) = resolve(peer_url, peer_token, None, peer_cmd, &peer_path)?;
            let tag = w.tag.clone().unwrap_or_else(default_tag);
            let mut wp = w.clone();
            wp.concurrency = peer_concurrency.unwrap_or(w.concurrency);
            let ws = [w.clone(), wp];
            let mut ctxs = [
                make_ctx("roster", &rb, &rt, &ws[0], &tag, rs.as_ref())?,
                make_ctx("scim2-server", &pb, &pt, &ws[1], &tag, ps.as_ref())?,
            ];
            for c in &ctxs {
                c.target.wait_ready(Duration::from_secs(60)).await?;
            }
            // Alternate which target goes first in each step, to even out machine drift.
            for (k, step) in steps(&w)?.iter().enumerate() {
                let order = if k % 2 == 0 { [0, 1] } else { [1, 0] };
                for i in order {
                    run_step(&mut ctxs[i], &ws[i], step).await;
                }
            }
            let [a, b] = ctxs;
            let mut w = w;
            w.peer_concurrency = peer_concurrency;
            report::finish(
                "compare",
                started,
                &w,
                &tag,
                vec![a.into_result(), b.into_result()],
            )
        }
    }
}

fn main() {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("roster-bench: tokio: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = rt.block_on(main_async(cli)) {
        eprintln!("roster-bench: {e}");
        std::process::exit(1);
    }
}
