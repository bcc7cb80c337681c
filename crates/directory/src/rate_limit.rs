//! Per-token rate limits: a token bucket per token id. The arithmetic is pure (time is passed
//! in) so it is tested without clocks; where the buckets live is the store's business
//! ([`crate::store::Store::take_rate`]): behind several replicas they must live in the shared
//! database, or N replicas would allow N times the limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// A sustained rate and the burst a quiet token may spend at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second, refilled continuously.
    pub per_second: f64,
    /// The bucket's size: how many requests a token may make at once after a quiet spell.
    pub burst: u32,
}

impl RateLimit {
    /// Whether this limit limits anything (a zero rate or burst would refuse every request).
    pub fn is_valid(&self) -> bool {
        self.per_second > 0.0 && self.per_second.is_finite() && self.burst > 0
    }
}

/// What a request is told about its token's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_after: f64,
    /// When refused: seconds until one request is allowed again.
    pub retry_after: Option<f64>,
}

impl Quota {
    /// The quota of a bucket holding `tokens` after a request was taken (`taken`) or refused.
    /// Every store computes its buckets' quotas here, so the headers mean the same on each.
    pub fn after_take(limit: &RateLimit, tokens: f64, taken: bool) -> Quota {
        let burst = f64::from(limit.burst);
        let tokens = tokens.clamp(0.0, burst);
        Quota {
            limit: limit.burst,
            remaining: tokens.floor() as u32,
            reset_after: (burst - tokens) / limit.per_second,
            retry_after: (!taken).then(|| (1.0 - tokens) / limit.per_second),
        }
    }
}

/// One token's bucket: how many requests it may make now, as of `at` (seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    tokens: f64,
    at: f64,
}

impl Bucket {
    pub fn full(limit: &RateLimit, now: f64) -> Bucket {
        Bucket {
            tokens: f64::from(limit.burst),
            at: now,
        }
    }

    /// Refill for the time since the last request, then take one request if there is one.
    pub fn take(&mut self, limit: &RateLimit, now: f64) -> Quota {
        let burst = f64::from(limit.burst);
        let elapsed = (now - self.at).max(0.0);
        self.tokens = (self.tokens + elapsed * limit.per_second).min(burst);
        self.at = now;
        let taken = self.tokens >= 1.0;
        if taken {
            self.tokens -= 1.0;
        }
        Quota::after_take(limit, self.tokens, taken)
    }
}

/// The buckets of every token seen by this process: right only where one process serves every
/// request of a token (an embedded database that one process owns).
pub struct LocalBuckets {
    started: Instant,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Default for LocalBuckets {
    fn default() -> Self {
        LocalBuckets {
            started: Instant::now(),
            buckets: Mutex::new(HashMap::new()),
        }
    }
}

impl LocalBuckets {
    /// Take a request from `token_id`'s bucket.
    pub fn take(&self, token_id: &str, limit: &RateLimit) -> Quota {
        let now = self.started.elapsed().as_secs_f64();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let bucket = buckets
            .entry(token_id.to_string())
            .or_insert_with(|| Bucket::full(limit, now));
        bucket.take(limit, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        per_second: 2.0,
        burst: 3,
    };

    #[test]
    fn a_full_bucket_allows_the_burst_then_refuses() {
        let mut b = Bucket::full(&LIMIT, 0.0);
        assert_eq!(b.take(&LIMIT, 0.0).remaining, 2);
        assert_eq!(b.take(&LIMIT, 0.0).remaining, 1);
        let third = b.take(&LIMIT, 0.0);
        assert_eq!(third.remaining, 0);
        assert_eq!(third.retry_after, None);
        let refused = b.take(&LIMIT, 0.0);
        assert_eq!(refused.retry_after, Some(0.5));
        assert_eq!(refused.limit, 3);
        assert!((refused.reset_after - 1.5).abs() < 1e-9);
    }

    #[test]
    fn the_bucket_refills_at_the_rate_up_to_the_burst() {
        let mut b = Bucket::full(&LIMIT, 0.0);
        for _ in 0..3 {
            b.take(&LIMIT, 0.0);
        }
        assert!(b.take(&LIMIT, 0.2).retry_after.is_some());
        // 0.5 s after the refusal at 0.2, one request's worth has come back.
        assert_eq!(b.take(&LIMIT, 0.7).retry_after, None);
        // A long pause refills to the burst, never beyond.
        let q = b.take(&LIMIT, 100.0);
        assert_eq!(q.remaining, 2);
    }

    #[test]
    fn time_going_backwards_does_not_add_requests() {
        let mut b = Bucket::full(&LIMIT, 10.0);
        for _ in 0..3 {
            b.take(&LIMIT, 10.0);
        }
        assert!(b.take(&LIMIT, 5.0).retry_after.is_some());
    }

    #[test]
    fn tokens_have_separate_buckets() {
        let limit = RateLimit {
            per_second: 0.001,
            burst: 1,
        };
        let local = LocalBuckets::default();
        assert_eq!(local.take("a", &limit).retry_after, None);
        assert!(local.take("a", &limit).retry_after.is_some());
        assert_eq!(local.take("b", &limit).retry_after, None);
    }

    #[test]
    fn only_a_positive_rate_and_burst_limit() {
        assert!(LIMIT.is_valid());
        for bad in [
            (0.0, 3),
            (-1.0, 3),
            (f64::NAN, 3),
            (f64::INFINITY, 3),
            (1.0, 0),
        ] {
            let l = RateLimit {
                per_second: bad.0,
                burst: bad.1,
            };
            assert!(!l.is_valid(), "{l:?}");
        }
    }
}
