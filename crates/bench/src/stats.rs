//! Latency statistics over a sorted vector of samples.
//!
//! At the sizes a run produces (10^3–10^6 samples) sorting a `Vec<u32>` of microseconds is
//! cheap and exact, so there is no histogram approximation to explain.

use serde::Serialize;

/// One timed request: when it started (µs since the phase started) and how long it took (µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub start_us: u64,
    pub latency_us: u32,
}

/// The value at quantile `q` (0.0..=1.0) of `sorted` by the nearest-rank method: the smallest
/// sample such that at least `q` of all samples are at or below it. `None` when empty.
pub fn percentile(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let q = q.clamp(0.0, 1.0);
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.max(1) - 1])
}

/// Throughput and latency summary of one request kind in one phase.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub errors: usize,
    /// Requests per second over the phase's wall time.
    pub throughput_rps: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    /// Summarise latencies (µs, any order) measured over `wall_secs` of wall time.
    pub fn from_latencies(mut latencies_us: Vec<u32>, errors: usize, wall_secs: f64) -> Summary {
        latencies_us.sort_unstable();
        let ms = |v: Option<u32>| v.map_or(0.0, |us| us as f64 / 1000.0);
        let count = latencies_us.len();
        let sum: u64 = latencies_us.iter().map(|&v| v as u64).sum();
        Summary {
            count,
            errors,
            throughput_rps: if wall_secs > 0.0 {
                count as f64 / wall_secs
            } else {
                0.0
            },
            mean_ms: if count > 0 {
                sum as f64 / count as f64 / 1000.0
            } else {
                0.0
            },
            p50_ms: ms(percentile(&latencies_us, 0.50)),
            p90_ms: ms(percentile(&latencies_us, 0.90)),
            p99_ms: ms(percentile(&latencies_us, 0.99)),
            max_ms: ms(latencies_us.last().copied()),
        }
    }
}

/// Split samples into `window_us`-wide windows by start time and return, per non-empty window,
/// (window start in seconds, median latency in ms, p99 latency in ms).
pub fn windows(samples: &[Sample], window_us: u64) -> Vec<(f64, f64, f64)> {
    if samples.is_empty() || window_us == 0 {
        return Vec::new();
    }
    let last = samples.iter().map(|s| s.start_us).max().unwrap_or(0);
    let n = (last / window_us + 1) as usize;
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); n];
    for s in samples {
        buckets[(s.start_us / window_us) as usize].push(s.latency_us);
    }
    buckets
        .into_iter()
        .enumerate()
        .filter(|(_, b)| !b.is_empty())
        .map(|(i, mut b)| {
            b.sort_unstable();
            let at = (i as u64 * window_us) as f64 / 1e6;
            let p50 = percentile(&b, 0.5).unwrap_or(0) as f64 / 1000.0;
            let p99 = percentile(&b, 0.99).unwrap_or(0) as f64 / 1000.0;
            (at, p50, p99)
        })
        .collect()
}

/// Median of a list of values (any order); 0 when empty.
pub fn median_f64(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Nearest-rank quantile `q` of a list of values (any order); 0 when empty.
pub fn percentile_f64(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize;
    v[rank.max(1) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_of_empty_is_none() {
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn percentile_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.0), Some(1));
        assert_eq!(percentile(&v, 0.01), Some(1));
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.9), Some(90));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&v, 0.999), Some(100));
        assert_eq!(percentile(&v, 1.0), Some(100));
    }

    #[test]
    fn percentile_small_sets() {
        assert_eq!(percentile(&[7], 0.5), Some(7));
        assert_eq!(percentile(&[7], 0.99), Some(7));
        assert_eq!(percentile(&[1, 2], 0.5), Some(1));
        assert_eq!(percentile(&[1, 2], 0.51), Some(2));
        assert_eq!(percentile(&[1, 2, 3], 0.5), Some(2));
        // Out-of-range quantiles are clamped, not a panic.
        assert_eq!(percentile(&[1, 2, 3], 1.5), Some(3));
        assert_eq!(percentile(&[1, 2, 3], -1.0), Some(1));
    }

    #[test]
    fn summary_sorts_and_converts_units() {
        let s = Summary::from_latencies(vec![3000, 1000, 2000, 4000], 1, 2.0);
        assert_eq!(s.count, 4);
        assert_eq!(s.errors, 1);
        assert_eq!(s.throughput_rps, 2.0);
        assert_eq!(s.mean_ms, 2.5);
        assert_eq!(s.p50_ms, 2.0);
        assert_eq!(s.p90_ms, 4.0);
        assert_eq!(s.p99_ms, 4.0);
        assert_eq!(s.max_ms, 4.0);
    }

    #[test]
    fn summary_of_nothing_is_zero() {
        let s = Summary::from_latencies(Vec::new(), 0, 0.0);
        assert_eq!(s.count, 0);
        assert_eq!(s.throughput_rps, 0.0);
        assert_eq!(s.p99_ms, 0.0);
    }

    #[test]
    fn windows_group_by_start_time() {
        let s = |start_us, latency_us| Sample {
            start_us,
            latency_us,
        };
        let w = windows(
            &[s(0, 1000), s(10, 3000), s(20, 2000), s(2_500_000, 5000)],
            1_000_000,
        );
        assert_eq!(w, vec![(0.0, 2.0, 3.0), (2.0, 5.0, 5.0)]);
    }

    #[test]
    fn median_even_and_odd() {
        assert_eq!(median_f64(&[]), 0.0);
        assert_eq!(median_f64(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_f64(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn percentile_f64_nearest_rank() {
        assert_eq!(percentile_f64(&[], 0.99), 0.0);
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile_f64(&v, 0.5), 50.0);
        assert_eq!(percentile_f64(&v, 0.99), 99.0);
        assert_eq!(percentile_f64(&v, 0.0), 1.0);
        assert_eq!(percentile_f64(&[3.0, 1.0], 0.99), 3.0);
    }
}
