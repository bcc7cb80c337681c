//! One client connection: hyper serves HTTP/1.1 on it while this task holds it to the
//! deadline of its phase, closes it when it is idle and its slot is wanted or the server is
//! draining, and cuts it when the drain deadline passes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

use super::io::ClientIo;
use super::phase::{ConnPhase, Phase};
use super::service::EdgeService;
use super::{Edge, Stage};

/// Why a connection ended, for the debug log.
#[derive(Debug)]
enum End {
    /// hyper finished with it: the client closed, or a `Connection: close` answer was sent.
    Served,
    Failed(hyper::Error),
    TimedOut(Phase),
    /// Closed while idle to give its slot to a new connection.
    Evicted,
    /// Closed while idle because the server is draining.
    Drained,
    /// Cut at the drain deadline.
    Cut(Phase),
}

pub(crate) async fn serve(
    edge: Arc<Edge>,
    stream: TcpStream,
    peer: SocketAddr,
    accepted: Instant,
    _slot: OwnedSemaphorePermit,
) {
    // Responses go out in one write each; Nagle's delay would only hold back the last segment.
    let _ = stream.set_nodelay(true);
    let phase = Arc::new(ConnPhase::accepted(accepted));
    let _member = edge.registry.join(phase.clone());
    let service = EdgeService {
        edge: edge.clone(),
        phase: phase.clone(),
        peer,
    };
    let io = TokioIo::new(ClientIo::new(stream, phase.clone()));
    let conn = edge.http.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stage = edge.stage.subscribe();
    let mut told_to_finish = false;
    let end = loop {
        let (now_in, _) = phase.get();
        let current = *stage.borrow_and_update();
        match current {
            Stage::Cut => break End::Cut(now_in),
            Stage::Draining if now_in.is_idle() && !told_to_finish => break End::Drained,
            // Let the request in progress finish, then close (hyper adds `Connection: close`
            // and, once the response is out, ends the connection).
            Stage::Draining if !told_to_finish && now_in != Phase::Head => {
                conn.as_mut().graceful_shutdown();
                told_to_finish = true;
            }
            _ => {}
        }
        if phase.take_eviction() && now_in.is_idle() {
            break End::Evicted;
        }
        let deadline = phase.deadline(&edge.limits);
        tokio::select! {
            result = conn.as_mut() => break match result {
                Ok(()) => End::Served,
                Err(e) => End::Failed(e),
            },
            () = sleep_until(deadline) => {
                if phase.deadline(&edge.limits).is_some_and(|d| d <= tokio::time::Instant::now().into_std()) {
                    break End::TimedOut(phase.get().0);
                }
            }
            () = phase.changed.notified() => {}
            _ = stage.changed() => {}
        }
    };
    match end {
        End::Failed(e) => tracing::debug!(error = %e, "connection failed"),
        End::TimedOut(phase) => tracing::debug!(?phase, "connection closed at its deadline"),
        End::Cut(phase) => tracing::debug!(?phase, "connection cut at the drain deadline"),
        End::Served | End::Evicted | End::Drained => tracing::debug!(?end, "connection closed"),
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
