//! The bounded drain after a shutdown signal: the listener is already closed; idle
//! connections close at once, requests in flight may finish (their responses say
//! `Connection: close`) until the drain deadline, and whatever is left then is cut.

use std::time::Instant;

use super::{Edge, Stage};

pub(crate) async fn run(edge: &Edge) {
    let started = Instant::now();
    let open = edge.registry.census();
    // Before the log line: whoever reads "draining" may rely on answers saying
    // `Connection: close` from then on.
    edge.stage.send_replace(Stage::Draining);
    tracing::info!(
        open = open.total(),
        in_flight = open.in_flight(),
        drain_timeout_ms = edge.limits.drain_timeout.as_millis() as u64,
        "draining: no longer accepting connections; finishing requests in flight"
    );
    let cut =
        match tokio::time::timeout(edge.limits.drain_timeout, edge.registry.all_closed()).await {
            Ok(()) => Default::default(),
            Err(_) => {
                let left = edge.registry.census();
                edge.stage.send_replace(Stage::Cut);
                edge.registry.all_closed().await;
                left
            }
        };
    tracing::info!(
        cut = cut.total(),
        cut_in_flight = cut.in_flight(),
        cut_mid_head = cut.head,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "drained: {} connections cut at the drain deadline",
        cut.total()
    );
}
