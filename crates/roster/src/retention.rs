//! Audit retention: with `--audit-retention-days N`, events older than N days are deleted on
//! start and then every hour. This is the only way events are ever deleted.

use std::sync::Arc;
use std::time::Duration;

use directory::Directory;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(directory: Arc<Directory>, days: u32) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        match directory.prune_audit_log(days).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, days, "audit retention removed old events"),
            Err(e) => tracing::error!(error = %e, "audit retention failed; will retry"),
        }
    }
}
