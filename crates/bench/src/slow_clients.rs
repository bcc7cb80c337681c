//! `roster-bench slow-clients`: what idle sockets and 1-byte-a-second clients do to a server
//! while real clients keep working. Prints, every few seconds, how many of the idle and
//! slow sockets the server still holds, how the real requests fared (each over a new
//! connection, as an IdP opening connections would), and the server's resident memory; with
//! `--terminate`, how long SIGTERM then takes with the slow clients still connected.

use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

use crate::rss;
use crate::stats::{Summary, percentile};
use crate::target::{self, Spawned};

#[derive(Args, Debug)]
pub struct SlowClientsArgs {
    /// SCIM base URL of a running server (e.g. http://127.0.0.1:8080/scim/v2/enterprises/acme).
    #[arg(long, requires = "token", conflicts_with = "roster_bin")]
    url: Option<String>,
    /// Bearer token for --url.
    #[arg(long)]
    token: Option<String>,
    /// PID of the server at --url: its resident memory is sampled, and --terminate signals it.
    #[arg(long, requires = "url")]
    pid: Option<u32>,
    /// Start `roster serve` from this binary on a fresh SQLite file instead.
    #[arg(long)]
    roster_bin: Option<String>,
    /// A further `roster serve` flag for --roster-bin (repeat), e.g. --serve-arg=--drain-timeout=5s.
    #[arg(long = "serve-arg", allow_hyphen_values = true)]
    serve_args: Vec<String>,
    /// Start that server under this open-files limit (`ulimit -n`; uses prlimit).
    #[arg(long, requires = "roster_bin")]
    open_files: Option<u64>,
    /// Idle sockets: connected, never a byte sent.
    #[arg(long, default_value_t = 2000)]
    idle: usize,
    /// Slowloris clients: a request head sent at --slow-rate bytes a second and never
    /// finished; each reconnects when the server cuts it.
    #[arg(long, default_value_t = 100)]
    slow_heads: usize,
    /// Clients that send a whole head, then its 100,000-byte body at --slow-rate bytes a
    /// second; each reconnects when the server cuts it.
    #[arg(long, default_value_t = 0)]
    slow_bodies: usize,
    /// Connection attempts in progress at once (idle and slow clients).
    #[arg(long, default_value_t = 32)]
    connect_concurrency: usize,
    /// Bytes a second each slow client sends.
    #[arg(long, default_value_t = 1.0)]
    slow_rate: f64,
    /// Real clients, each sending one request at a time over a new connection.
    #[arg(long, default_value_t = 4)]
    real: usize,
    /// A real request not answered within this many seconds counts as failed.
    #[arg(long, default_value_t = 10.0)]
    real_timeout: f64,
    /// Seconds of real traffic alone before the attack.
    #[arg(long, default_value_t = 5.0)]
    baseline: f64,
    /// Seconds the attack lasts.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Seconds between printed rows.
    #[arg(long, default_value_t = 5.0)]
    every: f64,
    /// Then send the server SIGTERM, slow clients still connected, and wait this many
    /// seconds at most for it to exit.
    #[arg(long)]
    terminate: Option<f64>,
    /// Write the rows and the summary as JSON here.
    #[arg(long)]
    out: Option<String>,
}

/// One printed row: the state at `t` seconds after the attack began (negative: baseline).
#[derive(Serialize, Debug, Clone)]
pub struct Row {
    pub t_secs: f64,
    /// Sockets the server process holds (its listener included), from /proc/PID/fd.
    pub server_sockets: Option<usize>,
    /// Idle sockets still open as the bench sees them (a socket the server never accepted
    /// looks open to the client too).
    pub idle_open: usize,
    pub slow_open: usize,
    pub slow_cuts: u64,
    pub real_ok: usize,
    pub real_failed: usize,
    pub real_p50_ms: Option<f64>,
    pub real_p99_ms: Option<f64>,
    pub rss_mib: Option<f64>,
}

#[derive(Serialize, Debug)]
pub struct Outcome {
    pub idle_requested: usize,
    pub idle_connected: u64,
    pub idle_refused: u64,
    pub idle_closed_by_server: u64,
    /// Seconds after the attack began when the server closed its first and last idle socket.
    pub idle_first_closed_secs: Option<f64>,
    pub idle_last_closed_secs: Option<f64>,
    pub slow_clients: usize,
    pub slow_cuts: u64,
    pub slow_bodies_answered_408: u64,
    pub slow_connect_failures: u64,
    pub real_baseline: Summary,
    pub real_under_attack: Summary,
    pub rss_before_mib: Option<f64>,
    pub rss_peak_mib: Option<f64>,
    /// What SIGTERM did: seconds to exit and the exit code, or that it was still running.
    pub terminate: Option<String>,
    pub rows: Vec<Row>,
}

#[derive(Default)]
struct Counters {
    idle_connected: AtomicU64,
    idle_refused: AtomicU64,
    idle_open: AtomicUsize,
    idle_closed: AtomicU64,
    /// Milliseconds after the attack began, +1 (0: none yet).
    idle_first_close_ms: AtomicU64,
    idle_last_close_ms: AtomicU64,
    slow_open: AtomicUsize,
    slow_cuts: AtomicU64,
    slow_408: AtomicU64,
    slow_connect_failed: AtomicU64,
}

/// Real requests answered (latency µs) or failed, since the last row.
#[derive(Default)]
struct Real {
    latencies_us: Vec<u32>,
    failed: usize,
}

/// The server: where it listens and what to sample or signal.
struct Server {
    base: String,
    token: String,
    pid: Option<u32>,
    spawned: Option<Spawned>,
}

fn start(args: &SlowClientsArgs) -> Result<Server, String> {
    if let Some(bin) = &args.roster_bin {
        let extra: Vec<&str> = args.serve_args.iter().map(String::as_str).collect();
        let spawned = match args.open_files {
            Some(n) => with_open_files(n, || target::spawn_roster_with(bin, &extra))?,
            None => target::spawn_roster_with(bin, &extra)?,
        };
        return Ok(Server {
            base: spawned.base.clone(),
            token: spawned.token.clone(),
            pid: Some(spawned.child.id()),
            spawned: Some(spawned),
        });
    }
    match (&args.url, &args.token) {
        (Some(url), Some(token)) => Ok(Server {
            base: url.trim_end_matches('/').to_string(),
            token: token.clone(),
            pid: args.pid,
            spawned: None,
        }),
        _ => Err("give --url and --token, or --roster-bin".into()),
    }
}

/// Run `spawn` with this process's soft open-files limit lowered to `n`, so that the child
/// inherits it; the bench's own limit is restored after (it needs a descriptor per socket).
fn with_open_files<T>(n: u64, spawn: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let me = std::process::id().to_string();
    let prlimit = |soft: &str| -> Result<(), String> {
        let ok = Command::new("prlimit")
            .args(["--pid", &me, &format!("--nofile={soft}:")])
            .status()
            .map_err(|e| format!("prlimit: {e}"))?;
        ok.success()
            .then_some(())
            .ok_or_else(|| format!("prlimit --nofile={soft}: failed"))
    };
    let limits = std::fs::read_to_string("/proc/self/limits").map_err(|e| e.to_string())?;
    let before = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .ok_or("no open-files limit in /proc/self/limits")?
        .to_string();
    prlimit(&n.to_string())?;
    let spawned = spawn();
    prlimit(&before)?;
    spawned
}

/// `host:port` and path of a base URL.
fn split_base(base: &str) -> Result<(String, String), String> {
    let url = reqwest::Url::parse(base).map_err(|e| format!("{base}: {e}"))?;
    let host = url.host_str().ok_or("no host in the URL")?;
    let port = url.port_or_known_default().ok_or("no port in the URL")?;
    Ok((
        format!("{host}:{port}"),
        url.path().trim_end_matches('/').into(),
    ))
}

/// Seconds from `t0` to now, negative before it.
fn signed_secs(t0: Instant) -> f64 {
    let now = Instant::now();
    match now.checked_duration_since(t0) {
        Some(d) => d.as_secs_f64(),
        None => -(t0 - now).as_secs_f64(),
    }
}

fn ms_since(t0: Instant) -> u64 {
    t0.elapsed().as_millis() as u64 + 1
}

/// Connect, at most `connecting` attempts at a time: a burst of thousands of SYNs overflows
/// the server's listen backlog, and the kernel then leaves sockets the server never sees
/// looking connected to the client.
async fn connect(addr: &str, connecting: &Semaphore) -> Option<TcpStream> {
    let _turn = connecting.acquire().await.ok()?;
    tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
        .await
        .ok()?
        .ok()
}

async fn hold_idle(
    addr: String,
    connecting: Arc<Semaphore>,
    c: Arc<Counters>,
    t0: Instant,
    mut stop: watch::Receiver<bool>,
) {
    let Some(mut stream) = connect(&addr, &connecting).await else {
        c.idle_refused.fetch_add(1, Ordering::Relaxed);
        return;
    };
    c.idle_connected.fetch_add(1, Ordering::Relaxed);
    c.idle_open.fetch_add(1, Ordering::Relaxed);
    let mut byte = [0u8; 64];
    tokio::select! {
        _ = stream.read(&mut byte) => {
            let at = ms_since(t0);
            c.idle_closed.fetch_add(1, Ordering::Relaxed);
            let _ = c.idle_first_close_ms.compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed);
            c.idle_last_close_ms.fetch_max(at, Ordering::Relaxed);
        }
        _ = stop.wait_for(|s| *s) => {}
    }
    c.idle_open.fetch_sub(1, Ordering::Relaxed);
}

/// A slow client, again and again (until `no_more`).
/// What a slow client sends: `head` at once, then `trickle` one byte each `every`.
struct SlowPlan {
    head: Vec<u8>,
    trickle: Vec<u8>,
    every: Duration,
}

async fn slow_client(
    addr: String,
    connecting: Arc<Semaphore>,
    plan: Arc<SlowPlan>,
    c: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
    no_more: watch::Receiver<bool>,
) {
    while !*stop.borrow() && !*no_more.borrow() {
        let Some(stream) = connect(&addr, &connecting).await else {
            c.slow_connect_failed.fetch_add(1, Ordering::Relaxed);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                _ = stop.wait_for(|s| *s) => return,
            }
        };
        c.slow_open.fetch_add(1, Ordering::Relaxed);
        let (mut reader, mut writer) = stream.into_split();
        // Sending ends when the server stops taking bytes; the exchange ends when it closes
        // the connection (and whatever it answered first has been read).
        let send = async {
            if writer.write_all(&plan.head).await.is_ok() {
                let mut tick = tokio::time::interval(plan.every);
                for b in plan.trickle.iter().cycle() {
                    tick.tick().await;
                    if writer.write_all(&[*b]).await.is_err() {
                        break;
                    }
                }
            }
            std::future::pending::<()>().await
        };
        let mut answer = Vec::new();
        let receive = async {
            let mut chunk = [0u8; 1024];
            while let Ok(n) = reader.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                answer.extend_from_slice(&chunk[..n]);
            }
        };
        let stopped = tokio::select! {
            () = receive => false,
            () = send => false,
            _ = stop.wait_for(|s| *s) => true,
        };
        c.slow_open.fetch_sub(1, Ordering::Relaxed);
        if stopped {
            return;
        }
        c.slow_cuts.fetch_add(1, Ordering::Relaxed);
        if answer.starts_with(b"HTTP/1.1 408") {
            c.slow_408.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn real_client(
    http: reqwest::Client,
    url: String,
    token: String,
    real: Arc<Mutex<Real>>,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let started = Instant::now();
        let sent = http.get(&url).bearer_auth(&token).send();
        let outcome = tokio::select! {
            r = sent => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        let ok = match outcome {
            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        let mut real = real.lock().unwrap_or_else(|e| e.into_inner());
        if ok {
            real.latencies_us
                .push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
        } else {
            real.failed += 1;
        }
    }
}

fn mib(pid: Option<u32>) -> Option<f64> {
    pid.and_then(rss::read_status)
        .and_then(|m| m.rss_kib)
        .map(|k| k as f64 / 1024.0)
}

/// How many sockets process `pid` has open.
fn sockets_of(pid: Option<u32>) -> Option<usize> {
    let fds = std::fs::read_dir(format!("/proc/{}/fd", pid?)).ok()?;
    Some(
        fds.filter_map(Result::ok)
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .filter(|target| target.to_string_lossy().starts_with("socket:"))
            .count(),
    )
}

fn row(t: f64, c: &Counters, interval: Real, pid: Option<u32>) -> Row {
    let mut lat = interval.latencies_us;
    lat.sort_unstable();
    let ms = |q| percentile(&lat, q).map(|us| us as f64 / 1000.0);
    Row {
        t_secs: t,
        server_sockets: sockets_of(pid),
        idle_open: c.idle_open.load(Ordering::Relaxed),
        slow_open: c.slow_open.load(Ordering::Relaxed),
        slow_cuts: c.slow_cuts.load(Ordering::Relaxed),
        real_ok: lat.len(),
        real_failed: interval.failed,
        real_p50_ms: ms(0.5),
        real_p99_ms: ms(0.99),
        rss_mib: mib(pid),
    }
}

fn print_row(r: &Row) {
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    println!(
        "{:>7.1} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        r.t_secs,
        r.server_sockets.map_or("-".to_string(), |n| n.to_string()),
        r.idle_open,
        r.slow_open,
        r.slow_cuts,
        r.real_ok,
        r.real_failed,
        f(r.real_p50_ms),
        f(r.real_p99_ms),
        f(r.rss_mib)
    );
}

/// What is seen while the clients run: a row every few seconds and the peak memory.
struct Recorder {
    counters: Arc<Counters>,
    real: Arc<Mutex<Real>>,
    pid: Option<u32>,
    rows: Vec<Row>,
    peak: Option<f64>,
}

impl Recorder {
    /// Print a row every `every` until `until` (times relative to `t0`); the real requests
    /// of the rows are also gathered in `all`.
    async fn rows_until(&mut self, until: Instant, every: Duration, t0: Instant, all: &mut Real) {
        while Instant::now() < until {
            tokio::time::sleep(every.min(until.saturating_duration_since(Instant::now()))).await;
            let interval =
                std::mem::take(&mut *self.real.lock().unwrap_or_else(|e| e.into_inner()));
            all.latencies_us.extend_from_slice(&interval.latencies_us);
            all.failed += interval.failed;
            let r = row(signed_secs(t0), &self.counters, interval, self.pid);
            if let Some(m) = r.rss_mib {
                self.peak = Some(self.peak.map_or(m, |p| p.max(m)));
            }
            print_row(&r);
            self.rows.push(r);
        }
    }
}

/// Send SIGTERM and wait up to `within` for the server to exit.
async fn terminate(server: &mut Server, within: Duration) -> String {
    let Some(pid) = server.pid else {
        return "not signalled: no PID (give --pid with --url)".into();
    };
    let started = Instant::now();
    if Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .map_or(true, |s| !s.success())
    {
        return "kill -TERM failed".into();
    }
    while started.elapsed() < within {
        let exited = match server.spawned.as_mut() {
            Some(s) => s.child.try_wait().ok().flatten().map(|st| format!("{st}")),
            None => (!std::path::Path::new(&format!("/proc/{pid}")).exists())
                .then(|| "exited".to_string()),
        };
        if let Some(how) = exited {
            return format!("{how} after {:.2} s", started.elapsed().as_secs_f64());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    format!(
        "still running {:.0} s after SIGTERM (then killed)",
        within.as_secs_f64()
    )
}

pub async fn run(args: SlowClientsArgs) -> Result<(), String> {
    let mut server = start(&args)?;
    let (addr, path) = split_base(&server.base)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs_f64(args.real_timeout))
        .build()
        .map_err(|e| format!("http client: {e}"))?;
    let url = format!("{}/Users?startIndex=1&count=1", server.base);
    crate::target::Target::new("roster", &server.base, &server.token, 1)?
        .wait_ready(Duration::from_secs(60))
        .await?;

    let counters = Arc::new(Counters::default());
    let real = Arc::new(Mutex::new(Real::default()));
    let (stop_real, real_stop) = watch::channel(false);
    let (stop_attack, attack_stop) = watch::channel(false);
    let (end_reconnects, no_reconnects) = watch::channel(false);
    for _ in 0..args.real {
        tokio::spawn(real_client(
            http.clone(),
            url.clone(),
            server.token.clone(),
            real.clone(),
            real_stop.clone(),
        ));
    }
    println!(
        "slow-clients against {} ({} idle, {} slow heads, {} slow bodies at {} B/s, {} real clients)",
        server.base, args.idle, args.slow_heads, args.slow_bodies, args.slow_rate, args.real
    );
    println!(
        "{:>7} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "t s",
        "srv socks",
        "idle open",
        "slow open",
        "slow cuts",
        "real ok",
        "failed",
        "p50 ms",
        "p99 ms",
        "RSS MiB"
    );
    let every = Duration::from_secs_f64(args.every);
    let rss_before = mib(server.pid);
    let mut seen = Recorder {
        counters: counters.clone(),
        real: real.clone(),
        pid: server.pid,
        rows: Vec::new(),
        peak: rss_before,
    };
    let attack_at = Instant::now() + Duration::from_secs_f64(args.baseline);
    let mut baseline = Real::default();
    seen.rows_until(attack_at, every, attack_at, &mut baseline)
        .await;

    let t0 = Instant::now();
    let connecting = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    for _ in 0..args.idle {
        tokio::spawn(hold_idle(
            addr.clone(),
            connecting.clone(),
            counters.clone(),
            t0,
            attack_stop.clone(),
        ));
    }
    let every_byte = Duration::from_secs_f64(1.0 / args.slow_rate.max(0.001));
    let slow_head = format!("GET {path}/Users HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").into_bytes();
    // The whole head trickles: request line and all.
    let heads = Arc::new(SlowPlan {
        head: Vec::new(),
        trickle: [slow_head, b"a".repeat(100_000)].concat(),
        every: every_byte,
    });
    for _ in 0..args.slow_heads {
        tokio::spawn(slow_client(
            addr.clone(),
            connecting.clone(),
            heads.clone(),
            counters.clone(),
            attack_stop.clone(),
            no_reconnects.clone(),
        ));
    }
    let body_head = format!(
        "POST {path}/Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/scim+json\r\nContent-Length: 100000\r\n\r\n",
        server.token
    )
    .into_bytes();
    let bodies = Arc::new(SlowPlan {
        head: body_head,
        trickle: b" ".repeat(100_000),
        every: every_byte,
    });
    for _ in 0..args.slow_bodies {
        tokio::spawn(slow_client(
            addr.clone(),
            connecting.clone(),
            bodies.clone(),
            counters.clone(),
            attack_stop.clone(),
            no_reconnects.clone(),
        ));
    }
    let mut attacked = Real::default();
    seen.rows_until(
        t0 + Duration::from_secs_f64(args.duration),
        every,
        t0,
        &mut attacked,
    )
    .await;
    let _ = stop_real.send(true);
    // Slow clients keep what they hold but no longer come back once cut.
    let _ = end_reconnects.send(true);

    let terminated = match args.terminate {
        Some(secs) => Some(terminate(&mut server, Duration::from_secs_f64(secs)).await),
        None => None,
    };
    let _ = stop_attack.send(true);

    let c = &counters;
    let secs = |ms: u64| (ms > 0).then(|| (ms - 1) as f64 / 1000.0);
    let outcome = Outcome {
        idle_requested: args.idle,
        idle_connected: c.idle_connected.load(Ordering::Relaxed),
        idle_refused: c.idle_refused.load(Ordering::Relaxed),
        idle_closed_by_server: c.idle_closed.load(Ordering::Relaxed),
        idle_first_closed_secs: secs(c.idle_first_close_ms.load(Ordering::Relaxed)),
        idle_last_closed_secs: secs(c.idle_last_close_ms.load(Ordering::Relaxed)),
        slow_clients: args.slow_heads + args.slow_bodies,
        slow_cuts: c.slow_cuts.load(Ordering::Relaxed),
        slow_bodies_answered_408: c.slow_408.load(Ordering::Relaxed),
        slow_connect_failures: c.slow_connect_failed.load(Ordering::Relaxed),
        real_baseline: Summary::from_latencies(
            baseline.latencies_us,
            baseline.failed,
            args.baseline,
        ),
        real_under_attack: Summary::from_latencies(
            attacked.latencies_us,
            attacked.failed,
            args.duration,
        ),
        rss_before_mib: rss_before,
        rss_peak_mib: seen.peak,
        terminate: terminated,
        rows: seen.rows,
    };
    print_outcome(&outcome);
    if let Some(path) = &args.out {
        let json = serde_json::to_string_pretty(&outcome).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{path}: {e}"))?;
    }
    drop(server);
    Ok(())
}

fn print_outcome(o: &Outcome) {
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    println!();
    println!(
        "idle sockets: {} asked, {} connected, {} refused or timed out; {} closed by the server (first at {} s, last at {} s)",
        o.idle_requested,
        o.idle_connected,
        o.idle_refused,
        o.idle_closed_by_server,
        f(o.idle_first_closed_secs),
        f(o.idle_last_closed_secs)
    );
    println!(
        "slow clients: {}; cut {} times ({} of them answered 408); {} connects failed",
        o.slow_clients, o.slow_cuts, o.slow_bodies_answered_408, o.slow_connect_failures
    );
    for (name, s) in [
        ("real requests, baseline", &o.real_baseline),
        ("real requests, under attack", &o.real_under_attack),
    ] {
        println!(
            "{name}: {} ok, {} failed, {:.1}/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            s.count, s.errors, s.throughput_rps, s.p50_ms, s.p99_ms, s.max_ms
        );
    }
    println!(
        "server RSS: {} MiB before, {} MiB peak",
        f(o.rss_before_mib),
        f(o.rss_peak_mib)
    );
    if let Some(t) = &o.terminate {
        println!("SIGTERM with the slow clients connected: {t}");
    }
}
