//! `roster serve`'s limits at the HTTP edge: timeouts as written on the command line (`30s`,
//! `500ms`, `2m`), and a connection cap that fits under the process's open-files limit, so
//! that connections never use up the descriptors the database needs (and accept never
//! fails with EMFILE in the first place).

use server::EdgeLimits;

use crate::cli::EdgeArgs;

/// The soft open-files limit of this process (`ulimit -n`), where the system tells it.
fn open_files_limit() -> Option<u64> {
    soft_open_files(&std::fs::read_to_string("/proc/self/limits").ok()?)
}

/// The soft limit from the text of `/proc/self/limits` (`None` when unlimited or absent).
fn soft_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The most connections that fit under `open_files`, keeping an eighth of them (at least 32)
/// for the database, the listener and the runtime.
fn connections_that_fit(open_files: u64) -> usize {
    let reserve = (open_files / 8).max(32);
    open_files.saturating_sub(reserve).max(1) as usize
}

/// The edge limits `args` ask for. Also the cap actually used and whether it was lowered to
/// fit the open-files limit, for the startup log.
pub fn limits(args: &EdgeArgs) -> Result<(EdgeLimits, Option<u64>), String> {
    if args.max_uri_bytes < 1024 || args.max_header_bytes < 1024 {
        return Err(
            "--max-uri-bytes and --max-header-bytes must be at least 1024: smaller limits refuse ordinary IdP requests"
                .into(),
        );
    }
    let open_files = open_files_limit();
    let max_connections = match (args.max_connections, open_files) {
        (Some(0), _) => return Err("--max-connections must be at least 1".into()),
        (Some(n), _) => n,
        (None, Some(files)) => EdgeLimits::default()
            .max_connections
            .min(connections_that_fit(files)),
        (None, None) => EdgeLimits::default().max_connections,
    };
    Ok((
        EdgeLimits {
            header_timeout: args.header_timeout,
            body_timeout: args.body_timeout,
            send_timeout: args.send_timeout,
            keep_alive_timeout: args.keep_alive_timeout,
            max_connections,
            drain_timeout: args.drain_timeout,
            max_uri_bytes: args.max_uri_bytes,
            max_header_bytes: args.max_header_bytes,
        },
        open_files,
    ))
}

/// Log the limits in force, and warn when the cap cannot be reached before descriptors run
/// out (accept then fails with EMFILE, which the server survives, but the database may not).
pub fn announce(limits: &EdgeLimits, open_files: Option<u64>) {
    tracing::info!(
        header_timeout_ms = limits.header_timeout.as_millis() as u64,
        body_timeout_ms = limits.body_timeout.as_millis() as u64,
        send_timeout_ms = limits.send_timeout.as_millis() as u64,
        keep_alive_timeout_ms = limits.keep_alive_timeout.as_millis() as u64,
        drain_timeout_ms = limits.drain_timeout.as_millis() as u64,
        max_connections = limits.max_connections,
        max_uri_bytes = limits.max_uri_bytes,
        max_header_bytes = limits.max_header_bytes,
        open_files_limit = open_files,
        "HTTP edge limits"
    );
    if let Some(files) = open_files
        && limits.max_connections > connections_that_fit(files)
    {
        tracing::warn!(
            max_connections = limits.max_connections,
            open_files_limit = files,
            "--max-connections is above what the open-files limit leaves room for; raise `ulimit -n` (LimitNOFILE= under systemd) or lower the cap"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_open_files_limit_is_read_from_proc() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max cpu time              unlimited            unlimited            seconds   \n\
                    Max open files            256                  524288               files     \n";
        assert_eq!(soft_open_files(text), Some(256));
        assert_eq!(
            soft_open_files(
                "Max open files            unlimited            unlimited            files"
            ),
            None
        );
        assert_eq!(soft_open_files(""), None);
    }

    #[test]
    fn the_cap_leaves_descriptors_for_everything_else() {
        assert_eq!(connections_that_fit(256), 224);
        assert_eq!(connections_that_fit(1024), 896);
        assert_eq!(connections_that_fit(20), 1);
        assert!(connections_that_fit(1 << 20) > EdgeLimits::default().max_connections);
    }
}
