//! A PostgreSQL server of a test's own, for fault tests: `initdb` into a temporary directory,
//! started on a free port, and stopped, crashed, restarted, crowded or filled up at the test's
//! command; stopped and removed when dropped, whether the test passed or not. Lives here
//! because what it does to the server is SQL.
//!
//! The binaries come from `ROSTER_TEST_PG_BIN`, else the newest
//! `/usr/lib/postgresql/*/bin` (Debian's layout), else `pg_config --bindir`. PostgreSQL refuses
//! to run as root, so as root every command runs as the `postgres` user (`runuser`).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use directory::store::StoreError;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::convert::backend;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct ServerSetup {
    /// `max_connections`, with no slots reserved for superusers (every client here is one).
    pub max_connections: u32,
    /// The largest size any file of the server may grow to (`ulimit -f`, in bytes): a table
    /// that reaches it cannot grow, as on a full disk.
    pub file_size_limit: Option<u64>,
}

impl Default for ServerSetup {
    fn default() -> Self {
        ServerSetup {
            max_connections: 20,
            file_size_limit: None,
        }
    }
}

pub struct ScratchServer {
    root: PathBuf,
    bin: PathBuf,
    port: u16,
    setup: ServerSetup,
    as_postgres: bool,
}

/// How a running server is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Sessions are ended (57P01), transactions rolled back, a checkpoint written.
    Fast,
    /// Every process is killed at once, as in a crash; recovery replays the WAL on start.
    Immediate,
}

fn fail(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("scratch PostgreSQL: {what}: {e}"))
}

fn bin_dir() -> Result<PathBuf, StoreError> {
    if let Ok(dir) = std::env::var("ROSTER_TEST_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let out = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        .map_err(|e| {
            fail(
                "no PostgreSQL binaries (set ROSTER_TEST_PG_BIN, or install postgresql)",
                e,
            )
        })?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn free_port() -> Result<u16, StoreError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| fail("no free port", e))?;
    Ok(l.local_addr().map_err(|e| fail("no free port", e))?.port())
}

impl ScratchServer {
    /// `initdb` and start a server on a free port.
    pub async fn start(setup: ServerSetup) -> Result<ScratchServer, StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let bin = bin_dir()?;
        remove_orphans(&bin, running_as_root());
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let root = std::env::temp_dir().join(format!(
            "roster-pg-{}-{}-{}",
            std::process::id(),
            nanos % 1_000_000_000_000,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&root).map_err(|e| fail("temporary directory", e))?;
        let as_postgres = running_as_root();
        let mut server = ScratchServer {
            root,
            bin,
            port: 0,
            setup,
            as_postgres,
        };
        if as_postgres {
            server
                .run("chown", &["postgres:", path(&server.root)?])
                .await?;
        }
        let data = server.data();
        let initdb = server.bin.join("initdb");
        server
            .run(
                path(&initdb)?,
                &[
                    "-D",
                    path(&data)?,
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                    // Segments smaller than any file size limit a test sets: the WAL keeps
                    // working while a table cannot grow.
                    "--wal-segsize=1",
                ],
            )
            .await?;
        // A port found free may be taken before the server binds it: try a few.
        let mut last = None;
        for _ in 0..3 {
            server.port = free_port()?;
            match server.resume().await {
                Ok(()) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| fail("start", "no attempt")))
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of a database on this server (`postgres` always exists).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Start the (stopped) server again, on the same port with the same data.
    pub async fn resume(&self) -> Result<(), StoreError> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections={} -c superuser_reserved_connections=0",
            self.port,
            path(&self.root)?,
            self.setup.max_connections
        );
        let log = self.root.join("server.log");
        let data = self.data();
        let args = [
            "-D",
            path(&data)?,
            "-l",
            path(&log)?,
            "-w",
            "-t",
            "60",
            "-o",
            &options,
            "start",
        ];
        let started = self.pg_ctl(&args).await;
        if let Err(e) = started {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            return Err(fail("start", format!("{e}; log: {}", tail.join(" | "))));
        }
        Ok(())
    }

    pub async fn stop(&self, how: Stop) -> Result<(), StoreError> {
        let mode = match how {
            Stop::Fast => "fast",
            Stop::Immediate => "immediate",
        };
        let data = self.data();
        self.pg_ctl(&["-D", path(&data)?, "-m", mode, "-w", "-t", "60", "stop"])
            .await
    }

    /// Stop and start again (`pg_ctl restart`), on the same port.
    pub async fn restart(&self, how: Stop) -> Result<(), StoreError> {
        self.stop(how).await?;
        self.resume().await
    }

    async fn pg_ctl(&self, args: &[&str]) -> Result<(), StoreError> {
        let pg_ctl = self.bin.join("pg_ctl");
        match self.setup.file_size_limit {
            None => self.run(path(&pg_ctl)?, args).await,
            Some(bytes) => {
                // `ulimit -f` counts 512-byte blocks; the server inherits it from pg_ctl.
                let script = format!("ulimit -f {} && exec \"$0\" \"$@\"", bytes.div_ceil(512));
                let mut all = vec!["-c", script.as_str(), path(&pg_ctl)?];
                all.extend_from_slice(args);
                self.run("sh", &all).await
            }
        }
    }

    /// Run a command (as `postgres` when we are root); its output on failure.
    async fn run(&self, program: &str, args: &[&str]) -> Result<(), StoreError> {
        let mut cmd = if self.as_postgres && program != "chown" {
            let mut c = tokio::process::Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            tokio::process::Command::new(program)
        };
        let out = cmd
            .args(args)
            .current_dir(&self.root)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .map_err(|e| fail(program, e))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(fail(
                program,
                format!(
                    "{}: {}{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout).trim(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ))
        }
    }

    async fn admin(&self) -> Result<PgConnection, StoreError> {
        PgConnectOptions::from_str(&self.url("postgres"))
            .map_err(backend)?
            .application_name("scratch-admin")
            .connect()
            .await
            .map_err(|e| fail("connect", e))
    }

    /// End every session of `application_name` and take every connection slot that frees,
    /// as other clients do when they reconnect first after a database restart: the returned
    /// crowd holds them until it is released (or dropped).
    pub async fn crowd_out(&self, application_name: &str) -> Result<Crowd, StoreError> {
        let mut admin = self.admin().await?;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(application_name)
        .execute(&mut admin)
        .await
        .map_err(|e| fail("terminate sessions", e))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            )
            .bind(application_name)
            .fetch_one(&mut admin)
            .await
            .map_err(|e| fail("count sessions", e))?;
            if left == 0 {
                break;
            }
            if Instant::now() > deadline {
                return Err(fail("terminate sessions", format!("{left} still there")));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut held = vec![admin];
        let options = PgConnectOptions::from_str(&self.url("postgres"))
            .map_err(backend)?
            .application_name("scratch-crowd");
        loop {
            match options.connect().await {
                Ok(conn) => held.push(conn),
                Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("53300") => break,
                Err(e) => return Err(fail("crowd", e)),
            }
            if held.len() > self.setup.max_connections as usize {
                return Err(fail("crowd", "more connections than max_connections"));
            }
        }
        Ok(Crowd { held })
    }

    /// Insert users into the first enterprise of `database` until a file of the `users`
    /// table cannot grow (with `file_size_limit` set): the next write that needs a new page
    /// meets a full disk. Returns how many rows went in.
    pub async fn fill_users(&self, database: &str) -> Result<i64, StoreError> {
        let mut conn = PgConnectOptions::from_str(&self.url(database))
            .map_err(backend)?
            .connect()
            .await
            .map_err(|e| fail("connect", e))?;
        // Each row in a subtransaction of its own, so the rows before the full disk stay. Rows
        // smaller than any user Roster writes leave no page with room for one.
        sqlx::raw_sql(
            "DO $$
             DECLARE e bigint; i int := 0; n text;
             BEGIN
               SELECT id INTO e FROM enterprises ORDER BY id LIMIT 1;
               LOOP
                 i := i + 1;
                 n := 'filler-' || i;
                 BEGIN
                   INSERT INTO users (id, enterprise_id, user_name, user_name_lc, handle, handle_lc,
                                      active, doc, version, created, last_modified)
                   VALUES (n, e, n, n, n, n, true,
                           jsonb_build_object('userName', n, 'title', repeat(md5(i::text), 4)),
                           1, 0, 0);
                 EXCEPTION WHEN disk_full THEN EXIT;
                 END;
                 IF i > 1000000 THEN RAISE EXCEPTION 'the disk never filled'; END IF;
               END LOOP;
             END $$",
        )
        .execute(&mut conn)
        .await
        .map_err(|e| fail("fill users", e))?;
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM users WHERE user_name LIKE 'filler-%'")
                .fetch_one(&mut conn)
                .await
                .map_err(|e| fail("count users", e))?;
        let _ = conn.close().await;
        Ok(n)
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Servers left behind by test processes that were killed before they could drop them
/// (their directory names carry the process id): stopped and removed.
fn remove_orphans(bin: &Path, as_postgres: bool) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("roster-pg-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        stop_now(bin, &e.path(), as_postgres);
        let _ = std::fs::remove_dir_all(e.path());
    }
}

/// `pg_ctl stop -m immediate`, synchronously (for `Drop`), as `postgres` when `as_postgres`.
fn stop_now(bin: &Path, root: &Path, as_postgres: bool) {
    let pg_ctl = bin.join("pg_ctl");
    let mut cmd = if as_postgres {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&pg_ctl);
        c
    } else {
        std::process::Command::new(&pg_ctl)
    };
    let _ = cmd
        .arg("-D")
        .arg(root.join("data"))
        .args(["-m", "immediate", "-w", "stop"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

fn path(p: &Path) -> Result<&str, StoreError> {
    p.to_str()
        .ok_or_else(|| fail("path", format!("{} is not UTF-8", p.display())))
}

/// Connections held so that nobody else gets one.
pub struct Crowd {
    held: Vec<PgConnection>,
}

impl Crowd {
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Give every slot back.
    pub async fn release(self) {
        for c in self.held {
            let _ = c.close().await;
        }
    }
}

impl Drop for ScratchServer {
    /// Kill the server and remove its files; synchronous, as `Drop` cannot await.
    fn drop(&mut self) {
        stop_now(&self.bin, &self.root, self.as_postgres);
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
