//! The open connections: how many there are and in which phase (for the drain and its log
//! line), and which idle one to close when a new connection needs its slot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::phase::{ConnPhase, Phase};

pub(crate) struct Registry {
    conns: Mutex<Conns>,
    open: watch::Sender<usize>,
}

#[derive(Default)]
struct Conns {
    next: u64,
    by_id: HashMap<u64, Arc<ConnPhase>>,
}

/// How many open connections are in each phase.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Census {
    pub idle: usize,
    pub head: usize,
    pub serving: usize,
    pub sending: usize,
}

impl Census {
    pub(crate) fn total(&self) -> usize {
        self.idle + self.head + self.serving + self.sending
    }

    /// Connections with a request being served or answered.
    pub(crate) fn in_flight(&self) -> usize {
        self.serving + self.sending
    }
}

/// A connection's place in the registry, given up when dropped.
pub(crate) struct Member {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut conns = self.registry.lock();
        conns.by_id.remove(&self.id);
        let n = conns.by_id.len();
        drop(conns);
        self.registry.open.send_replace(n);
    }
}

impl Registry {
    pub(crate) fn new() -> Arc<Registry> {
        Arc::new(Registry {
            conns: Mutex::new(Conns::default()),
            open: watch::Sender::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Conns> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn join(self: &Arc<Self>, phase: Arc<ConnPhase>) -> Member {
        let mut conns = self.lock();
        let id = conns.next;
        conns.next += 1;
        conns.by_id.insert(id, phase);
        let n = conns.by_id.len();
        drop(conns);
        self.open.send_replace(n);
        Member {
            registry: self.clone(),
            id,
        }
    }

    pub(crate) fn census(&self) -> Census {
        let mut census = Census::default();
        for c in self.lock().by_id.values() {
            match c.get().0 {
                Phase::Fresh | Phase::Idle => census.idle += 1,
                Phase::Head => census.head += 1,
                Phase::Serving => census.serving += 1,
                Phase::Sending => census.sending += 1,
            }
        }
        census
    }

    /// Ask the connection idle the longest (and not already asked) to close. `false` when
    /// no connection is idle.
    pub(crate) fn evict_longest_idle(&self) -> bool {
        let oldest = self
            .lock()
            .by_id
            .values()
            .filter(|c| !c.eviction_pending())
            .filter_map(|c| {
                let (phase, since) = c.get();
                phase.is_idle().then(|| (since, c.clone()))
            })
            .min_by_key(|(since, _)| *since);
        match oldest {
            Some((_, c)) => {
                c.request_eviction();
                true
            }
            None => false,
        }
    }

    /// Resolves once every connection has closed.
    pub(crate) async fn all_closed(&self) {
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|n| *n == 0).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn the_longest_idle_connection_is_evicted_first_and_busy_ones_never() {
        let registry = Registry::new();
        let t0 = Instant::now() - Duration::from_secs(10);
        let old = Arc::new(ConnPhase::accepted(t0));
        let busy = Arc::new(ConnPhase::accepted(t0 - Duration::from_secs(5)));
        busy.bytes_arrived();
        busy.request_started();
        let young = Arc::new(ConnPhase::accepted(Instant::now()));
        let members: Vec<Member> = [&old, &busy, &young]
            .iter()
            .map(|c| registry.join((*c).clone()))
            .collect();
        assert_eq!(
            registry.census(),
            Census {
                idle: 2,
                serving: 1,
                ..Census::default()
            }
        );
        assert!(registry.evict_longest_idle());
        assert!(old.eviction_pending() && !young.eviction_pending());
        assert!(registry.evict_longest_idle());
        assert!(young.eviction_pending());
        assert!(!registry.evict_longest_idle(), "only the busy one is left");
        assert!(!busy.eviction_pending());
        drop(members);
        assert_eq!(registry.census().total(), 0);
    }
}
