//! A small progress bar on stderr: redrawn in place on a terminal, silent otherwise.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How a phase ends: after a number of operations or after a duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Ops(u64),
    For(Duration),
}

/// The bar line for `done` operations after `elapsed` (pure, so it is testable).
pub fn bar_line(label: &str, limit: Limit, done: u64, elapsed: Duration) -> String {
    const W: usize = 24;
    let frac = match limit {
        Limit::Ops(n) if n > 0 => done as f64 / n as f64,
        Limit::Ops(_) => 1.0,
        Limit::For(d) => elapsed.as_secs_f64() / d.as_secs_f64().max(1e-9),
    }
    .clamp(0.0, 1.0);
    let filled = (frac * W as f64).round() as usize;
    let rate = done as f64 / elapsed.as_secs_f64().max(1e-9);
    let count = match limit {
        Limit::Ops(n) => format!("{done}/{n}"),
        Limit::For(d) => format!(
            "{done} ops, {:.0}/{:.0}s",
            elapsed.as_secs_f64(),
            d.as_secs_f64()
        ),
    };
    format!(
        "{label:<34} [{}{}] {count}  {rate:.0} ops/s",
        "#".repeat(filled),
        "-".repeat(W - filled)
    )
}

pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Start drawing `done` against `limit` every 100 ms (only when stderr is a terminal).
    pub fn start(label: String, limit: Limit, done: Arc<AtomicU64>) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let handle = std::io::stderr().is_terminal().then(|| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let t0 = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    let line = bar_line(&label, limit, done.load(Ordering::Relaxed), t0.elapsed());
                    let _ = write!(std::io::stderr(), "\r{line}\x1b[K");
                    std::thread::sleep(Duration::from_millis(100));
                }
                let _ = write!(std::io::stderr(), "\r\x1b[K");
            })
        });
        Progress { stop, handle }
    }

    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_fills_with_ops() {
        let l = bar_line("x", Limit::Ops(100), 50, Duration::from_secs(1));
        assert!(
            l.contains(&format!("[{}{}]", "#".repeat(12), "-".repeat(12))),
            "{l}"
        );
        assert!(l.contains("50/100") && l.contains("50 ops/s"), "{l}");
    }

    #[test]
    fn bar_fills_with_time_and_never_overflows() {
        let l = bar_line(
            "x",
            Limit::For(Duration::from_secs(2)),
            10,
            Duration::from_secs(5),
        );
        assert!(l.contains(&format!("[{}]", "#".repeat(24))), "{l}");
        let l = bar_line("x", Limit::Ops(0), 0, Duration::ZERO);
        assert!(l.contains(&"#".repeat(24)), "{l}");
    }
}
