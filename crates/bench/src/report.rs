//! Text tables, ratios, the JSON results file and the SVG charts.

use serde::Serialize;
use serde_json::{Value, json};

use crate::svg::{BarChart, LineChart, Scale, Series};
use crate::workload::*;
use crate::{TargetResult, Workload};

/// Roster against the peer for one request kind of one phase.
#[derive(Serialize, Debug, Clone)]
pub struct Ratio {
    pub phase: String,
    pub kind: String,
    pub roster_rps: f64,
    pub peer_rps: f64,
    /// Roster throughput / peer throughput.
    pub throughput_ratio: f64,
    /// Peer median latency / Roster median latency.
    pub p50_ratio: f64,
    /// Peer p99 latency / Roster p99 latency.
    pub p99_ratio: f64,
}

/// Import paging: the cost of a page at the start and at the end of the user list.
#[derive(Serialize, Debug, Clone)]
pub struct ImportCost {
    pub target: String,
    pub pages: usize,
    /// Median latency of the first 10 pages (ms).
    pub first_pages_p50_ms: f64,
    /// Median latency of the last 10 pages (ms).
    pub last_pages_p50_ms: f64,
    pub end_over_start: f64,
}

/// Member add/remove on a group of one size.
#[derive(Serialize, Debug, Clone)]
pub struct GroupCost {
    pub target: String,
    pub group_size: u64,
    pub kind: String,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub fn ratios(roster: &TargetResult, peer: &TargetResult) -> Vec<Ratio> {
    let mut out = Vec::new();
    for rp in &roster.phases {
        let Some(pp) = peer.phases.iter().find(|p| p.phase == rp.phase) else {
            continue;
        };
        for (kind, rk) in &rp.kinds {
            let Some(pk) = pp.kinds.get(kind) else {
                continue;
            };
            let div = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
            out.push(Ratio {
                phase: rp.phase.clone(),
                kind: kind.clone(),
                roster_rps: rk.summary.throughput_rps,
                peer_rps: pk.summary.throughput_rps,
                throughput_ratio: div(rk.summary.throughput_rps, pk.summary.throughput_rps),
                p50_ratio: div(pk.summary.p50_ms, rk.summary.p50_ms),
                p99_ratio: div(pk.summary.p99_ms, rk.summary.p99_ms),
            });
        }
    }
    out
}

pub fn import_cost(t: &TargetResult) -> Option<ImportCost> {
    let k = t
        .phases
        .iter()
        .find(|p| p.phase == "import")?
        .kinds
        .get("import-page")?;
    let pages: Vec<f64> = k.by_page.iter().map(|(_, ms)| *ms).collect();
    if pages.is_empty() {
        return None;
    }
    let w = pages.len().min(10);
    let first = crate::stats::median_f64(&pages[..w]);
    let last = crate::stats::median_f64(&pages[pages.len() - w..]);
    Some(ImportCost {
        target: t.name.clone(),
        pages: pages.len(),
        first_pages_p50_ms: first,
        last_pages_p50_ms: last,
        end_over_start: if first > 0.0 { last / first } else { 0.0 },
    })
}

pub fn group_costs(t: &TargetResult) -> Vec<GroupCost> {
    let mut out = Vec::new();
    for p in &t.phases {
        let Some(size) = p
            .phase
            .strip_prefix("group-members-")
            .and_then(|s| s.parse().ok())
        else {
            continue;
        };
        for (kind, k) in &p.kinds {
            out.push(GroupCost {
                target: t.name.clone(),
                group_size: size,
                kind: kind.clone(),
                rps: k.summary.throughput_rps,
                p50_ms: k.summary.p50_ms,
                p99_ms: k.summary.p99_ms,
            });
        }
    }
    out
}

/// The bodies the workload sends, with placeholders, for the results file.
pub fn bodies() -> Value {
    json!({
        "post_user": okta_user("TAG.uN@example.com", "00uTAGN"),
        "filter": filter_user_name("TAG.uN@example.com"),
        "put_user": okta_put(&json!({"schemas": [USER_SCHEMA], "id": "ID", "userName": "TAG.uN@example.com",
            "name": {"givenName": "g", "familyName": "Bench"}, "meta": "(echoed as the server returned it)"}), 1),
        "deactivate": okta_active(false),
        "reactivate": okta_active(true),
        "entra_patch": [entra_replace(0), entra_replace(1), entra_replace(2)],
        "member_add": member_add("ID", "TAG.uN@example.com"),
        "member_remove": member_remove("ID"),
        "group_create": group_create("TAG gSIZE", &[("ID".into(), "TAG.uN@example.com".into())]),
        "adaptations": [
            "PUT echoes `meta` as the server returned it instead of Okta's non-ISO dates (\"04-12-2018 00:00:00\"): scim2-server 0.8.3 refuses those with 400 invalidValue (Roster accepts them).",
            "Every other body is exactly the IdP's shape: Okta's POST keeps `password` and `groups: []` (both servers accept them); Entra's capitalised `Replace` ops and Okta's no-path `{\"active\":false}` are accepted by both.",
            "Any 2xx counts as success: scim2-server answers user PATCH with 204 (Roster 200 with the user); both answer group PATCH with 204.",
            "Large groups are filled with PATCH adds of --member-batch members each (Okta splits large membership pushes).",
        ],
        "peer_quirks": [
            "scim2-server (wsgiref) speaks HTTP/1.0 and closes the connection after every response: each peer request pays a TCP connect.",
            "scim2-server serves one request at a time (single-threaded WSGI server, listen backlog 5).",
            "scim2-server serves SCIM both at / and at /v2 (Location headers point at /v2).",
        ],
    })
}

fn print_tables(results: &[TargetResult]) {
    println!(
        "\n{:<14} {:<20} {:<14} {:>8} {:>5} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "target", "phase", "kind", "count", "err", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    for t in results {
        for p in &t.phases {
            for (kind, k) in &p.kinds {
                let s = &k.summary;
                println!(
                    "{:<14} {:<20} {:<14} {:>8} {:>5} {:>9.1} {:>8.3} {:>8.3} {:>8.3} {:>8.2}",
                    t.name,
                    p.phase,
                    kind,
                    s.count,
                    s.errors,
                    s.throughput_rps,
                    s.p50_ms,
                    s.p90_ms,
                    s.p99_ms,
                    s.max_ms
                );
                if let Some(e) = &k.first_error {
                    println!("    first error: {e}");
                }
            }
        }
        let pl = &t.preload;
        println!(
            "{:<14} preload: {} users in {:.1}s = {:.0} users/s",
            t.name, pl.users, pl.users_secs, pl.users_per_sec
        );
        for g in &pl.groups {
            println!(
                "{:<14} preload: group of {}: {} members in {:.1}s = {:.0} members/s{}",
                t.name,
                g.size,
                g.members,
                g.secs,
                g.members_per_sec,
                g.error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
        }
    }
}

fn charts(results: &[TargetResult], ratios: &[Ratio]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for t in results {
        // Latency over time: phases laid end to end, one line per request kind.
        let mut series: Vec<Series> = Vec::new();
        let mut offset = 0.0;
        for p in &t.phases {
            if p.phase == "import" {
                offset += p.wall_secs;
                continue;
            }
            for (kind, k) in &p.kinds {
                let name = if p.phase.starts_with("group-members") {
                    format!("{kind} ({})", p.phase.trim_start_matches("group-members-"))
                } else {
                    kind.clone()
                };
                let pts = k.timeline.iter().map(|(at, p50, _)| (offset + at, *p50));
                match series.iter_mut().find(|s| s.name == name) {
                    Some(s) => s.points.extend(pts),
                    None => series.push(Series {
                        name,
                        points: pts.collect(),
                    }),
                }
            }
            offset += p.wall_secs;
        }
        let chart = LineChart {
            title: format!("{}: median latency over time (250 ms windows)", t.name),
            x_label: "seconds into the run (phases back to back)".into(),
            y_label: "p50 latency (ms, log)".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Log10,
            series,
        };
        files.push((format!("latency-over-time-{}.svg", t.name), chart.render()));
    }
    if !ratios.is_empty() && results.len() == 2 {
        let chart = BarChart {
            title: format!("Throughput: {} vs {}", results[0].name, results[1].name),
            y_label: "requests/s (log)".into(),
            y_scale: Scale::Log10,
            categories: ratios.iter().map(|r| r.kind.clone()).collect(),
            series: vec![
                (
                    results[0].name.clone(),
                    ratios.iter().map(|r| r.roster_rps).collect(),
                ),
                (
                    results[1].name.clone(),
                    ratios.iter().map(|r| r.peer_rps).collect(),
                ),
            ],
        };
        files.push(("throughput-compare.svg".into(), chart.render()));
    }
    let groups: Vec<GroupCost> = results.iter().flat_map(group_costs).collect();
    let sizes: std::collections::BTreeSet<u64> = groups.iter().map(|g| g.group_size).collect();
    if !groups.is_empty() {
        let mut tput = Vec::new();
        let mut lat = Vec::new();
        for t in results {
            for kind in ["member-add", "member-remove"] {
                let pts = |f: fn(&GroupCost) -> f64| -> Vec<(f64, f64)> {
                    groups
                        .iter()
                        .filter(|g| g.target == t.name && g.kind == kind)
                        .map(|g| (g.group_size as f64, f(g)))
                        .collect()
                };
                let name = format!("{} {kind}", t.name);
                tput.push(Series {
                    name: name.clone(),
                    points: pts(|g| g.rps),
                });
                lat.push(Series {
                    name,
                    points: pts(|g| g.p50_ms),
                });
            }
        }
        let sizes: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
        files.push((
            "group-size-throughput.svg".into(),
            LineChart {
                title: format!(
                    "Member PATCH throughput vs group size ({})",
                    sizes.join(", ")
                ),
                x_label: "members in the group (log)".into(),
                y_label: "requests/s".into(),
                x_scale: Scale::Log10,
                y_scale: Scale::Linear,
                series: tput,
            }
            .render(),
        ));
        files.push((
            "group-size-latency.svg".into(),
            LineChart {
                title: "Member PATCH median latency vs group size".into(),
                x_label: "members in the group (log)".into(),
                y_label: "p50 latency (ms)".into(),
                x_scale: Scale::Log10,
                y_scale: Scale::Linear,
                series: lat,
            }
            .render(),
        ));
    }
    let import: Vec<Series> = results
        .iter()
        .filter_map(|t| {
            let k = t
                .phases
                .iter()
                .find(|p| p.phase == "import")?
                .kinds
                .get("import-page")?;
            Some(Series {
                name: t.name.clone(),
                points: k
                    .by_page
                    .iter()
                    .map(|(p, ms)| ((1 + 100 * (*p as u64 - 1)) as f64, *ms))
                    .collect(),
            })
        })
        .collect();
    if !import.is_empty() {
        files.push((
            "import-paging.svg".into(),
            LineChart {
                title: "Import paging: latency of each page (count=100)".into(),
                x_label: "startIndex".into(),
                y_label: "latency (ms, log)".into(),
                x_scale: Scale::Linear,
                y_scale: Scale::Log10,
                series: import,
            }
            .render(),
        ));
    }
    files
}

pub fn finish(
    mode: &str,
    started: u64,
    w: &Workload,
    tag: &str,
    results: Vec<TargetResult>,
) -> Result<(), String> {
    print_tables(&results);
    let ratios = if results.len() == 2 {
        ratios(&results[0], &results[1])
    } else {
        Vec::new()
    };
    if !ratios.is_empty() {
        println!(
            "\n{:<20} {:<14} {:>10} {:>10} {:>12} {:>12} {:>12}",
            "phase", "kind", "roster/s", "peer/s", "tput ratio", "p50 peer/r", "p99 peer/r"
        );
        for r in &ratios {
            println!(
                "{:<20} {:<14} {:>10.1} {:>10.1} {:>11.1}x {:>11.1}x {:>11.1}x",
                r.phase,
                r.kind,
                r.roster_rps,
                r.peer_rps,
                r.throughput_ratio,
                r.p50_ratio,
                r.p99_ratio
            );
        }
    }
    let imports: Vec<ImportCost> = results.iter().filter_map(import_cost).collect();
    for i in &imports {
        println!(
            "{}: import paging over {} pages: first 10 pages p50 {:.3} ms, last 10 pages p50 {:.3} ms ({:.2}x)",
            i.target, i.pages, i.first_pages_p50_ms, i.last_pages_p50_ms, i.end_over_start
        );
    }
    let groups: Vec<GroupCost> = results.iter().flat_map(group_costs).collect();
    let files = charts(&results, &ratios);
    if let Some(dir) = &w.svg_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
        for (name, svg) in &files {
            let path = std::path::Path::new(dir).join(name);
            std::fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    if let Some(out) = &w.out {
        let doc = json!({
            "tool": "roster-bench",
            "version": env!("CARGO_PKG_VERSION"),
            "mode": mode,
            "started_unix": started,
            "machine": {
                "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
                "os": std::env::consts::OS,
                "note": "load generator and servers on the same machine",
            },
            "tag": tag,
            "config": w,
            "bodies": bodies(),
            "targets": results,
            "ratios": ratios,
            "group_sizes": groups,
            "import": imports,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(out, text).map_err(|e| format!("{out}: {e}"))?;
        eprintln!("wrote {out}");
    }
    Ok(())
}
