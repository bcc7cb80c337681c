//! Where a connection is in its life, and so which deadline holds it. The socket reader, the
//! service and the response body move it along; the connection's task sleeps until its
//! deadline and is woken whenever the phase changes.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::Notify;

use super::limits::EdgeLimits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Accepted, not a byte yet.
    Fresh,
    /// Between requests, not a byte of the next one yet.
    Idle,
    /// Part of a request head has arrived.
    Head,
    /// The head is in and the request is being served (its body, if read, is bounded by the
    /// body timeout in `body.rs`).
    Serving,
    /// The response is ready and being written.
    Sending,
}

impl Phase {
    /// Closing the connection now loses nothing: no request has begun on it.
    pub(crate) fn is_idle(self) -> bool {
        matches!(self, Phase::Fresh | Phase::Idle)
    }
}

pub(crate) struct ConnPhase {
    /// The phase and when it began (for `Head` after `Fresh`: when the connection was
    /// accepted, since the first head is timed from the accept).
    now: Mutex<(Phase, Instant)>,
    /// Fresh or Idle: the reader's cheap test on every read.
    awaiting_bytes: AtomicBool,
    /// The response body is done with but may still sit in hyper's write buffer.
    unflushed_response: AtomicBool,
    eviction: AtomicBool,
    pub(crate) changed: Notify,
}

impl ConnPhase {
    pub(crate) fn accepted(at: Instant) -> ConnPhase {
        ConnPhase {
            now: Mutex::new((Phase::Fresh, at)),
            awaiting_bytes: AtomicBool::new(true),
            unflushed_response: AtomicBool::new(false),
            eviction: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }

    pub(crate) fn get(&self) -> (Phase, Instant) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, f: impl FnOnce(Phase, Instant) -> (Phase, Instant)) {
        {
            let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
            *now = f(now.0, now.1);
            self.awaiting_bytes
                .store(now.0.is_idle(), Ordering::Release);
        }
        self.changed.notify_one();
    }

    /// Bytes came in from the client.
    pub(crate) fn bytes_arrived(&self) {
        if !self.awaiting_bytes.load(Ordering::Acquire) {
            return;
        }
        self.set(|phase, since| match phase {
            Phase::Fresh => (Phase::Head, since),
            Phase::Idle => (Phase::Head, Instant::now()),
            other => (other, since),
        });
    }

    pub(crate) fn request_started(&self) {
        self.set(|_, _| (Phase::Serving, Instant::now()));
    }

    pub(crate) fn response_ready(&self) {
        self.set(|_, _| (Phase::Sending, Instant::now()));
    }

    /// hyper is done with the response body; the connection turns idle once the bytes are
    /// out of hyper's buffer (`flushed`), so that closing an idle connection never loses
    /// the end of an answer.
    pub(crate) fn response_written(&self) {
        self.unflushed_response.store(true, Ordering::Release);
    }

    /// A flush of the socket succeeded.
    pub(crate) fn flushed(&self) {
        if self.unflushed_response.swap(false, Ordering::AcqRel) {
            self.set(|_, _| (Phase::Idle, Instant::now()));
        }
    }

    /// When the connection is to be closed if it is still in this phase.
    pub(crate) fn deadline(&self, limits: &EdgeLimits) -> Option<Instant> {
        let (phase, since) = self.get();
        let allowed = match phase {
            Phase::Fresh | Phase::Head => limits.header_timeout,
            Phase::Idle => limits.keep_alive_timeout,
            Phase::Sending => limits.send_timeout,
            Phase::Serving => return None,
        };
        // A timeout too large to add is no deadline at all.
        since.checked_add(allowed)
    }

    /// Ask the connection to close if it is idle (to make room for a new one).
    pub(crate) fn request_eviction(&self) {
        self.eviction.store(true, Ordering::Release);
        self.changed.notify_one();
    }

    /// Whether an eviction was asked for; the request is used up either way.
    pub(crate) fn take_eviction(&self) -> bool {
        self.eviction.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn eviction_pending(&self) -> bool {
        self.eviction.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_first_head_is_timed_from_the_accept_and_later_ones_from_their_first_byte() {
        let limits = EdgeLimits::default();
        let accepted = Instant::now() - Duration::from_secs(5);
        let c = ConnPhase::accepted(accepted);
        assert_eq!(c.deadline(&limits), Some(accepted + limits.header_timeout));
        c.bytes_arrived();
        assert_eq!(c.get(), (Phase::Head, accepted));
        c.request_started();
        assert_eq!(c.deadline(&limits), None);
        c.response_ready();
        assert_eq!(c.get().0, Phase::Sending);
        c.flushed();
        assert_eq!(c.get().0, Phase::Sending, "nothing written yet");
        c.response_written();
        assert_eq!(c.get().0, Phase::Sending, "written, not flushed");
        c.flushed();
        let (phase, idle_since) = c.get();
        assert_eq!(phase, Phase::Idle);
        assert_eq!(
            c.deadline(&limits),
            Some(idle_since + limits.keep_alive_timeout)
        );
        c.bytes_arrived();
        let (phase, head_since) = c.get();
        assert_eq!(phase, Phase::Head);
        assert!(head_since >= idle_since);
        // Later reads of the same head do not restart its clock.
        c.bytes_arrived();
        assert_eq!(c.get(), (Phase::Head, head_since));
    }

    #[test]
    fn a_timeout_too_large_to_add_is_no_deadline() {
        let limits = EdgeLimits {
            header_timeout: Duration::MAX,
            ..EdgeLimits::default()
        };
        assert_eq!(ConnPhase::accepted(Instant::now()).deadline(&limits), None);
    }

    #[test]
    fn an_eviction_request_is_used_once() {
        let c = ConnPhase::accepted(Instant::now());
        assert!(!c.take_eviction());
        c.request_eviction();
        assert!(c.eviction_pending());
        assert!(c.take_eviction());
        assert!(!c.take_eviction());
    }
}
