//! Resident memory of a server the bench started itself: `VmRSS` read from `/proc/PID/status`
//! every 200 ms on a thread for the whole run, the largest value seen during each phase, and
//! `VmHWM` (the kernel's own peak of the process) at the end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the thread samples.
pub const EVERY: Duration = Duration::from_millis(200);

/// The memory lines of `/proc/PID/status` the bench uses, in KiB.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProcMem {
    pub rss_kib: Option<u64>,
    pub hwm_kib: Option<u64>,
}

/// The value of a `Name:   12345 kB` line, in KiB.
fn kib(rest: &str) -> Option<u64> {
    let mut parts = rest.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("kb") => Some(n),
        Some("mb") => Some(n * 1024),
        Some("gb") => Some(n * 1024 * 1024),
        Some(_) => None,
    }
}

/// Read `VmRSS` and `VmHWM` from the text of `/proc/PID/status`.
pub fn parse_status(text: &str) -> ProcMem {
    let mut m = ProcMem::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("VmRSS:") {
            m.rss_kib = kib(rest);
        } else if let Some(rest) = line.strip_prefix("VmHWM:") {
            m.hwm_kib = kib(rest);
        }
    }
    m
}

/// `/proc/PID/status` now; `None` when it cannot be read (process gone, not Linux).
pub fn read_status(pid: u32) -> Option<ProcMem> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let m = parse_status(&text);
    m.rss_kib.map(|_| m)
}

/// What has been seen so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Peaks {
    /// Largest VmRSS since the current phase began.
    pub phase_max: Option<u64>,
    /// Largest VmRSS of the whole run.
    pub run_max: Option<u64>,
    /// Latest VmHWM.
    pub hwm: Option<u64>,
}

fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl Peaks {
    pub fn observe(&mut self, m: &ProcMem) {
        self.phase_max = max_opt(self.phase_max, m.rss_kib);
        self.run_max = max_opt(self.run_max, m.rss_kib);
        self.hwm = max_opt(self.hwm, m.hwm_kib);
    }

    /// A phase begins: its maximum starts from the current sample (`None` if none).
    pub fn begin(&mut self, now: Option<&ProcMem>) {
        self.phase_max = None;
        if let Some(m) = now {
            self.observe(m);
        }
    }

    /// A phase ends: the largest VmRSS seen since `begin`.
    pub fn end(&mut self, now: Option<&ProcMem>) -> Option<u64> {
        if let Some(m) = now {
            self.observe(m);
        }
        self.phase_max.take()
    }

    /// The peak of the run: VmHWM, or the largest sample when the kernel gave no VmHWM.
    pub fn peak(&self) -> Option<u64> {
        max_opt(self.hwm, self.run_max)
    }
}

/// Samples one process on a background thread until finished or dropped.
pub struct RssMonitor {
    pid: u32,
    peaks: Arc<Mutex<Peaks>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl RssMonitor {
    /// Start sampling `pid`; `None` when its `/proc/PID/status` cannot be read.
    pub fn start(pid: u32, every: Duration) -> Option<RssMonitor> {
        let first = read_status(pid)?;
        let peaks = Arc::new(Mutex::new(Peaks::default()));
        if let Ok(mut p) = peaks.lock() {
            p.observe(&first);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (p2, s2) = (peaks.clone(), stop.clone());
        let handle = std::thread::Builder::new()
            .name(format!("rss-{pid}"))
            .spawn(move || {
                while !s2.load(Ordering::Relaxed) {
                    let Some(m) = read_status(pid) else { break };
                    if let Ok(mut p) = p2.lock() {
                        p.observe(&m);
                    }
                    std::thread::park_timeout(every);
                }
            })
            .ok()?;
        Some(RssMonitor {
            pid,
            peaks,
            stop,
            handle: Some(handle),
        })
    }

    pub fn begin_phase(&self) {
        let now = read_status(self.pid);
        if let Ok(mut p) = self.peaks.lock() {
            p.begin(now.as_ref());
        }
    }

    /// The largest VmRSS (KiB) seen since `begin_phase`.
    pub fn end_phase(&self) -> Option<u64> {
        let now = read_status(self.pid);
        self.peaks.lock().ok()?.end(now.as_ref())
    }

    /// Stop sampling; the process's peak resident memory (VmHWM, KiB).
    pub fn finish(mut self) -> Option<u64> {
        let now = read_status(self.pid);
        self.stop_thread();
        let mut p = self.peaks.lock().ok()?;
        if let Some(m) = now {
            p.observe(&m);
        }
        p.peak()
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }
}

impl Drop for RssMonitor {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\troster\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 1234567 kB\n\
        VmSize:\t 1234000 kB\nVmLck:\t       0 kB\nVmHWM:\t   98304 kB\nVmRSS:\t   81920 kB\n\
        RssAnon:\t   70000 kB\nVmSwap:\t       0 kB\nThreads:\t7\n";

    #[test]
    fn status_lines_are_parsed_in_kib() {
        assert_eq!(
            parse_status(STATUS),
            ProcMem {
                rss_kib: Some(81_920),
                hwm_kib: Some(98_304)
            }
        );
        assert_eq!(parse_status("Name:\tx\n"), ProcMem::default());
        assert_eq!(
            parse_status("VmRSS:\t 2 mB\nVmHWM: x kB").rss_kib,
            Some(2048)
        );
        assert_eq!(parse_status("VmHWM: x kB").hwm_kib, None);
        assert_eq!(parse_status("VmRSS: 5 pages").rss_kib, None);
    }

    #[test]
    fn phase_maximum_resets_and_peak_keeps_the_largest() {
        let m = |rss, hwm| ProcMem {
            rss_kib: Some(rss),
            hwm_kib: Some(hwm),
        };
        let mut p = Peaks::default();
        p.begin(Some(&m(100, 100)));
        p.observe(&m(300, 300));
        p.observe(&m(200, 300));
        assert_eq!(p.end(Some(&m(150, 300))), Some(300));
        p.begin(Some(&m(120, 300)));
        p.observe(&m(180, 300));
        assert_eq!(p.end(None), Some(180));
        // A phase begun again (the last one never ended) starts afresh.
        p.begin(Some(&m(100, 300)));
        p.observe(&m(250, 300));
        p.begin(Some(&m(110, 300)));
        assert_eq!(p.end(None), Some(110));
        // Nothing seen in a phase: no figure.
        p.begin(None);
        assert_eq!(p.end(None), None);
        assert_eq!(p.run_max, Some(300));
        assert_eq!(p.peak(), Some(300));
        // The kernel's high-water mark wins over the samples (it sees between them).
        p.observe(&m(100, 512));
        assert_eq!(p.peak(), Some(512));
        let mut q = Peaks::default();
        q.observe(&ProcMem {
            rss_kib: Some(64),
            hwm_kib: None,
        });
        assert_eq!(q.peak(), Some(64));
    }

    /// Samples this test process (`/proc` is Linux's).
    #[cfg(target_os = "linux")]
    #[test]
    fn monitors_a_live_process() {
        let mon = RssMonitor::start(std::process::id(), Duration::from_millis(10))
            .expect("/proc/PID/status of this process");
        mon.begin_phase();
        let big = std::hint::black_box(vec![1u8; 64 << 20]);
        std::thread::sleep(Duration::from_millis(50));
        let during = mon.end_phase().unwrap_or(0);
        assert!(during >= 64 * 1024, "{during} KiB");
        drop(big);
        let peak = mon.finish().unwrap_or(0);
        assert!(peak >= during, "{peak} < {during}");
        assert_eq!(RssMonitor::start(u32::MAX, EVERY).map(|_| ()), None);
    }
}
