//! Roster when its storage fails: clients that hang up while their writes queue, a file system
//! that turns read-only or fills up, a data folder deleted under the server, a second server
//! on the same file, commands run where there is no database. Each test drives the real
//! `roster` binary; the file-system faults are real mounts (see `support::mounts`).

mod abandoned_writers;
mod deleted_folder;
mod foreign_lock;
mod full_disk;
mod one_owner;
mod read_only;

use std::path::Path;
use std::process::{ExitStatus, Output};
use std::time::Duration;

use crate::support::{RosterProcess, roster_bin};

/// How long anything here may take before it counts as hung: a liveness bound for a loaded
/// 2-core machine, never a speed target.
pub const LIVENESS: Duration = Duration::from_secs(30);

/// Run `roster ARGS` (in `cwd` when given, without `ROSTER_DATABASE`) until it exits.
pub async fn roster_run(args: &[&str], cwd: Option<&Path>) -> Output {
    let mut cmd = tokio::process::Command::new(roster_bin());
    cmd.args(args)
        .env_remove("ROSTER_DATABASE")
        .kill_on_drop(true);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    tokio::time::timeout(LIVENESS, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("roster {args:?} did not exit within {LIVENESS:?}"))
        .expect("run roster")
}

/// What `roster ARGS` printed on stderr, asserting that it failed.
pub async fn refused(args: &[&str], cwd: Option<&Path>) -> String {
    let out = roster_run(args, cwd).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "roster {args:?} should have been refused; stdout: {}; stderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// SIGTERM, then the exit status, which must come within `LIVENESS`.
pub async fn terminate(mut server: RosterProcess) -> ExitStatus {
    let pid = server.child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    let deadline = tokio::time::Instant::now() + LIVENESS;
    // A std child cannot be awaited; look every 50 ms until the deadline.
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "roster serve did not exit within {LIVENESS:?} of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `GET /readyz`: the status and body.
pub async fn readyz(server: &RosterProcess) -> (u16, String) {
    let r = reqwest::get(format!("http://{}/readyz", server.addr))
        .await
        .expect("readyz");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}
