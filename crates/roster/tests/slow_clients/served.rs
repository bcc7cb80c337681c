//! `roster serve` as a child whose log (stderr) the test reads line by line, so that it can
//! wait for the server to say it is draining instead of guessing with a sleep, and check what
//! it said about the connections it cut.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::raw::LIVENESS;
use crate::support::roster_bin;

pub struct Served {
    child: Option<Child>,
    pub addr: String,
    pub token: String,
    lines: mpsc::UnboundedReceiver<String>,
    log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Served {
    /// `roster serve` on port 0 over a fresh SQLite file, with `args`; under
    /// `ulimit -n open_files` when given.
    pub fn start(args: &[&str], open_files: Option<u32>) -> Served {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = format!("sqlite://{}", dir.path().join("roster.db").display());
        let mut serve: Vec<String> = ["serve", "--listen", "127.0.0.1:0", "--database", &db]
            .iter()
            .map(|s| s.to_string())
            .collect();
        serve.extend(args.iter().map(|s| s.to_string()));
        let mut command = match open_files {
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(roster_bin())
                    .args(&serve);
                c
            }
            None => {
                let mut c = Command::new(roster_bin());
                c.args(&serve);
                c
            }
        };
        let mut child = command
            .env("NO_COLOR", "1")
            // Each connection's end is logged at debug: an event the tests can wait for.
            .env("ROSTER_LOG", "info,server::edge=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn roster serve");
        let (tx, lines) = mpsc::unbounded_channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let line = without_colours(&line);
                kept.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut out = BufReader::new(stdout).lines();
        let (mut addr, mut token) = (String::new(), String::new());
        for line in out.by_ref() {
            let line = line.expect("stdout line");
            if let Some(rest) = line.strip_prefix("Roster is listening on http://") {
                addr = rest.split_whitespace().next().unwrap_or_default().into();
            }
            if let Some(t) = line.strip_prefix("SCIM token:") {
                token = t.trim().into();
            }
            if line.starts_with("(The token") {
                break;
            }
        }
        std::thread::spawn(move || for _ in out {});
        assert!(!addr.is_empty() && !token.is_empty(), "serve did not start");
        Served {
            child: Some(child),
            addr,
            token,
            lines,
            log,
            _dir: dir,
        }
    }

    /// Wait (within `LIVENESS`) for a log line containing `needle`.
    pub async fn logged(&mut self, needle: &str) -> String {
        let found = tokio::time::timeout(LIVENESS, async {
            while let Some(line) = self.lines.recv().await {
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            _ => panic!(
                "the server never logged {needle:?}; it logged {:?}",
                self.log()
            ),
        }
    }

    /// Every line logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    /// The exit status, if the server exits within `LIVENESS` (else it is killed).
    pub async fn exit(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let waited = tokio::task::spawn_blocking(move || child.wait());
        match tokio::time::timeout(LIVENESS, waited).await {
            Ok(Ok(Ok(status))) => Some(status),
            _ => {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                None
            }
        }
    }

    pub fn scim_path(&self, path: &str) -> String {
        format!("/scim/v2/enterprises/acme{path}")
    }
}

/// The line without ANSI colour sequences (`ESC [ … m`).
fn without_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
