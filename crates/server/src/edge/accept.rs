//! The accept loop. A connection needs a slot (`max_connections`); at the cap the one just
//! accepted waits for a slot and the rest wait in the kernel's listen backlog, while the
//! connection idle the longest is asked to close, so that idle sockets never lock real
//! clients out. Accept errors
//! (EMFILE when file descriptors run out, ENOBUFS…) back off instead of spinning, free a
//! descriptor the same way, and are logged once per episode.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Edge;
use super::connection;

/// How long to wait for a slot before asking another idle connection to close (the one
/// asked may have started a request in the meantime).
const SLOT_RETRY: Duration = Duration::from_millis(250);
const BACKOFF_FIRST: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// An episode of trouble ends after this long without it, so that a server hovering at the
/// cap (or at the descriptor limit) logs one line, not one per connection.
const QUIET: Duration = Duration::from_secs(1);

/// Accept connections until dropped (dropping it closes the listener).
pub(crate) async fn run(edge: Arc<Edge>, listener: TcpListener) {
    let slots = Arc::new(Semaphore::new(edge.limits.max_connections.max(1)));
    let mut at_cap = Episode::default();
    let mut failing = Episode::default();
    loop {
        // Accept first: a slot is only made (an idle connection closed) for a client that is
        // actually there. It waits here, accepted, while the rest wait in the backlog.
        let (stream, peer) = accept(&edge, &listener, &mut failing).await;
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                if let Some((lasted, evicted)) = at_cap.end_if_quiet() {
                    tracing::info!(
                        lasted_ms = lasted.as_millis() as u64,
                        idle_closed = evicted,
                        "below the connection cap again"
                    );
                }
                slot
            }
            Err(_) => {
                if at_cap.note() {
                    tracing::warn!(
                        max_connections = edge.limits.max_connections,
                        "connection cap reached: new connections wait in the listen backlog; idle connections are closed to make room"
                    );
                }
                wait_for_slot(&edge, &slots, &mut at_cap).await
            }
        };
        // Its head clock starts now: time spent waiting for a slot is not the client's.
        tokio::spawn(connection::serve(
            edge.clone(),
            stream,
            peer,
            Instant::now(),
            slot,
        ));
    }
}

async fn wait_for_slot(
    edge: &Edge,
    slots: &Arc<Semaphore>,
    at_cap: &mut Episode,
) -> OwnedSemaphorePermit {
    loop {
        if edge.registry.evict_longest_idle() {
            at_cap.count += 1;
        }
        at_cap.note();
        if let Ok(Ok(slot)) = tokio::time::timeout(SLOT_RETRY, slots.clone().acquire_owned()).await
        {
            return slot;
        }
    }
}

async fn accept(
    edge: &Edge,
    listener: &TcpListener,
    failing: &mut Episode,
) -> (TcpStream, SocketAddr) {
    let mut backoff = BACKOFF_FIRST;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if let Some((lasted, errors)) = failing.end_if_quiet() {
                    tracing::info!(
                        lasted_ms = lasted.as_millis() as u64,
                        errors,
                        "accepting connections again"
                    );
                }
                return (stream, peer);
            }
            // The client gave up between its connect and our accept: nothing to do.
            Err(e) if gone_before_accept(&e) => {}
            Err(e) => {
                failing.count += 1;
                if failing.note() {
                    tracing::error!(
                        error = %e,
                        "cannot accept connections (out of file descriptors or memory?); backing off and closing idle connections"
                    );
                }
                edge.registry.evict_longest_idle();
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

fn gone_before_accept(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

/// A stretch of trouble (at the cap, or failing accepts), logged when it begins and ends.
#[derive(Default)]
struct Episode {
    since: Option<Instant>,
    last: Option<Instant>,
    count: u64,
}

impl Episode {
    /// The trouble happened now; `true` when this begins a new episode.
    fn note(&mut self) -> bool {
        let now = Instant::now();
        self.last = Some(now);
        if self.since.is_some() {
            return false;
        }
        self.since = Some(now);
        true
    }

    /// Things went well: end the episode if the trouble has been gone for `QUIET`, giving
    /// how long it lasted and its count.
    fn end_if_quiet(&mut self) -> Option<(Duration, u64)> {
        let since = self.since?;
        let last = self.last.unwrap_or(since);
        if last.elapsed() < QUIET {
            return None;
        }
        self.since = None;
        let count = std::mem::take(&mut self.count);
        Some((last - since, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trouble_that_keeps_coming_back_is_one_episode() {
        let mut e = Episode::default();
        assert_eq!(e.end_if_quiet(), None, "no episode");
        assert!(e.note());
        assert!(!e.note());
        assert_eq!(e.end_if_quiet(), None, "not quiet yet");
        assert!(!e.note(), "still the same episode");
        // As if the last trouble were long ago.
        e.last = e.last.and_then(|t| t.checked_sub(QUIET));
        e.count = 3;
        let (_, count) = e.end_if_quiet().expect("ended");
        assert_eq!(count, 3);
        assert!(e.note(), "a new episode");
    }
}
