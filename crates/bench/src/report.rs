//! Text tables, ratios, the JSON results file and the SVG charts.

use serde::Serialize;
use serde_json::{Value, json};

use crate::paging::{CURSOR_EDGE_PAGES, Edges, IMPORT_EDGE_PAGES, edges};
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

/// Cursor paging (RFC 9865) through the whole user list.
#[derive(Serialize, Debug, Clone)]
pub struct CursorCost {
    pub target: String,
    pub pages: u64,
    pub users_seen: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_results: Option<u64>,
    pub complete: bool,
    pub walk_secs: f64,
    pub users_per_sec: f64,
    /// First `window` pages against the last `window`.
    #[serde(flatten)]
    pub edges: Edges,
}

/// Resident memory of a server the bench started.
#[derive(Serialize, Debug, Clone)]
pub struct Memory {
    pub target: String,
    /// (step, largest VmRSS in KiB during it), in run order.
    pub rss_max_kib: Vec<(String, u64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_peak_kib: Option<u64>,
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
    let e = edges(&pages, IMPORT_EDGE_PAGES)?;
    Some(ImportCost {
        target: t.name.clone(),
        pages: pages.len(),
        first_pages_p50_ms: e.first_pages_p50_ms,
        last_pages_p50_ms: e.last_pages_p50_ms,
        end_over_start: e.end_over_start,
    })
}

pub fn cursor_cost(t: &TargetResult) -> Option<CursorCost> {
    let p = t.phases.iter().find(|p| p.phase == "cursor")?;
    let walk = p.walk.as_ref()?;
    let k = p.kinds.get("cursor-page")?;
    let pages: Vec<f64> = k.by_page.iter().map(|(_, ms)| *ms).collect();
    Some(CursorCost {
        target: t.name.clone(),
        pages: walk.pages,
        users_seen: walk.resources,
        total_results: walk.total_results,
        complete: walk.complete,
        walk_secs: p.wall_secs,
        users_per_sec: walk.resources as f64 / p.wall_secs.max(1e-9),
        edges: edges(&pages, CURSOR_EDGE_PAGES)?,
    })
}

pub fn memory(t: &TargetResult) -> Option<Memory> {
    let mut steps = Vec::new();
    if let Some(r) = t.preload.rss_max_kib {
        steps.push(("preload-users".to_string(), r));
    }
    for g in &t.preload.groups {
        if let Some(r) = g.rss_max_kib {
            steps.push((format!("preload-group-{}", g.size), r));
        }
    }
    for p in &t.phases {
        if let Some(r) = p.rss_max_kib {
            steps.push((p.phase.clone(), r));
        }
    }
    (!steps.is_empty() || t.rss_peak_kib.is_some()).then(|| Memory {
        target: t.name.clone(),
        rss_max_kib: steps,
        rss_peak_kib: t.rss_peak_kib,
    })
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
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
            if let Some(note) = &p.note {
                let what = if p.kinds.is_empty() {
                    "skipped"
                } else {
                    "note"
                };
                println!("{:<14} {:<20} {what}: {note}", t.name, p.phase);
            }
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
            "{:<14} preload: {} users in {:.1}s = {:.0} users/s ({}){}",
            t.name,
            pl.users,
            pl.users_secs,
            pl.users_per_sec,
            crate::preload_method(pl),
            pl.requests
                .as_ref()
                .filter(|s| s.count > 0)
                .map(|s| format!("; request p50 {:.1} ms, p99 {:.1} ms", s.p50_ms, s.p99_ms))
                .unwrap_or_default()
        );
        if pl.users_failed > 0 {
            println!(
                "{:<14} preload: {} users failed; first error: {}",
                t.name,
                pl.users_failed,
                pl.first_error.as_deref().unwrap_or("?")
            );
        }
        if let Some(note) = &pl.note {
            println!("{:<14} preload: {note}", t.name);
        }
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
            if p.phase == "import" || p.phase == "cursor" {
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
    // Both page kinds are pages of 100: page p starts at position 1 + 100 (p - 1).
    let paging = |phase: &str, kind: &str, suffix: &str| -> Vec<Series> {
        results
            .iter()
            .filter_map(|t| {
                let k = t
                    .phases
                    .iter()
                    .find(|p| p.phase == phase)?
                    .kinds
                    .get(kind)?;
                Some(Series {
                    name: format!("{}{suffix}", t.name),
                    points: k
                        .by_page
                        .iter()
                        .map(|(p, ms)| ((1 + 100 * (*p as u64 - 1)) as f64, *ms))
                        .collect(),
                })
            })
            .collect()
    };
    let cursor = paging("cursor", "cursor-page", " cursor");
    let mut import = paging(
        "import",
        "import-page",
        if cursor.is_empty() { "" } else { " startIndex" },
    );
    import.extend(cursor);
    if !import.is_empty() {
        files.push((
            "import-paging.svg".into(),
            LineChart {
                title: "Paging: latency of each page (count=100)".into(),
                x_label: "position in the listing (startIndex)".into(),
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
    let cursors: Vec<CursorCost> = results.iter().filter_map(cursor_cost).collect();
    for c in &cursors {
        let e = &c.edges;
        println!(
            "{}: cursor walk over {} pages, {} users{} in {:.1}s = {:.0} users/s: first {} pages p50 {:.3} ms (p99 {:.3}), last {} pages p50 {:.3} ms (p99 {:.3}) ({:.2}x)",
            c.target,
            c.pages,
            c.users_seen,
            match (c.complete, c.total_results) {
                (true, Some(t)) if t == c.users_seen => String::from(" (all)"),
                (true, Some(t)) => format!(" (totalResults {t})"),
                (true, None) => String::new(),
                (false, _) => String::from(" (incomplete)"),
            },
            c.walk_secs,
            c.users_per_sec,
            e.window,
            e.first_pages_p50_ms,
            e.first_pages_p99_ms,
            e.window,
            e.last_pages_p50_ms,
            e.last_pages_p99_ms,
            e.end_over_start
        );
    }
    let memory: Vec<Memory> = results.iter().filter_map(memory).collect();
    for m in &memory {
        let steps: Vec<String> = m
            .rss_max_kib
            .iter()
            .map(|(s, k)| format!("{s} {:.1}", mib(*k)))
            .collect();
        println!(
            "{}: resident memory (max VmRSS per step, MiB): {}; peak VmHWM {}",
            m.target,
            steps.join(", "),
            m.rss_peak_kib
                .map(|k| format!("{:.1} MiB", mib(k)))
                .unwrap_or_else(|| "unknown".into())
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
            "cursor": cursors,
            "memory": memory,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(out, text).map_err(|e| format!("{out}: {e}"))?;
        eprintln!("wrote {out}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;
    use std::collections::BTreeMap;

    fn kind(by_page: Vec<(u32, f64)>) -> KindResult {
        KindResult {
            summary: Summary::from_latencies(vec![1000], 0, 1.0),
            timeline: Vec::new(),
            first_error: None,
            by_page,
        }
    }

    fn target(phases: Vec<PhaseResult>) -> TargetResult {
        TargetResult {
            name: "roster".into(),
            base_url: "http://x".into(),
            preload: crate::Preload::default(),
            phases,
            rss_peak_kib: None,
        }
    }

    fn phase(name: &str, kind_name: &str, pages: u32) -> PhaseResult {
        let mut kinds = BTreeMap::new();
        kinds.insert(
            kind_name.to_string(),
            kind((1..=pages).map(|p| (p, p as f64)).collect()),
        );
        PhaseResult {
            phase: name.into(),
            concurrency: 1,
            ops: pages as u64,
            wall_secs: 2.0,
            kinds,
            note: None,
            walk: None,
            rss_max_kib: None,
        }
    }

    #[test]
    fn cursor_cost_compares_the_first_and_last_fifty_pages() {
        let mut p = phase("cursor", "cursor-page", 300);
        assert!(
            cursor_cost(&target(vec![p.clone()])).is_none(),
            "no walk, no figure"
        );
        p.walk = Some(Walk {
            pages: 300,
            resources: 30_000,
            total_results: Some(30_000),
            complete: true,
        });
        let c = cursor_cost(&target(vec![phase("import", "import-page", 5), p])).unwrap();
        assert_eq!((c.pages, c.users_seen, c.complete), (300, 30_000, true));
        assert_eq!(c.users_per_sec, 15_000.0);
        assert_eq!(c.edges.window, 50);
        assert_eq!(c.edges.first_pages_p50_ms, 25.5);
        assert_eq!(c.edges.last_pages_p50_ms, 275.5);
        // A skipped walk has no figure.
        let skipped = PhaseResult::skipped("cursor", "answered 400".into());
        assert!(cursor_cost(&target(vec![skipped])).is_none());
    }

    #[test]
    fn import_cost_keeps_ten_page_windows() {
        let i = import_cost(&target(vec![phase("import", "import-page", 100)])).unwrap();
        assert_eq!(i.pages, 100);
        assert_eq!(i.first_pages_p50_ms, 5.5);
        assert_eq!(i.last_pages_p50_ms, 95.5);
    }

    #[test]
    fn memory_lists_steps_in_run_order() {
        let mut t = target(vec![
            phase("filter", "filter-hit", 1),
            phase("import", "import-page", 1),
        ]);
        assert!(memory(&t).is_none(), "nothing sampled: no memory section");
        t.preload.rss_max_kib = Some(1000);
        t.preload.groups.push(crate::GroupPreload {
            size: 100,
            rss_max_kib: Some(1500),
            ..Default::default()
        });
        t.phases[1].rss_max_kib = Some(2000);
        t.rss_peak_kib = Some(4096);
        let m = memory(&t).unwrap();
        assert_eq!(
            m.rss_max_kib,
            vec![
                ("preload-users".to_string(), 1000),
                ("preload-group-100".to_string(), 1500),
                ("import".to_string(), 2000)
            ]
        );
        assert_eq!(m.rss_peak_kib, Some(4096));
    }
}
