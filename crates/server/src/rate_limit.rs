//! Per-token rate limits: a token bucket per token id, in process memory. Each replica keeps
//! its own buckets, so behind N replicas a token gets up to N times the limit; a later version
//! moves the buckets to the shared database. The bucket arithmetic is pure (time is passed in)
//! so it is tested without clocks.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A sustained rate and the burst a quiet token may spend at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second, refilled continuously.
    pub per_second: f64,
    /// The bucket's size: how many requests a token may make at once after a quiet spell.
    pub burst: u32,
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
        let refused = self.tokens < 1.0;
        if !refused {
            self.tokens -= 1.0;
        }
        let reset_after = (burst - self.tokens) / limit.per_second;
        Quota {
            limit: limit.burst,
            remaining: self.tokens.floor() as u32,
            reset_after,
            retry_after: refused.then(|| (1.0 - self.tokens) / limit.per_second),
        }
    }
}

/// The buckets of every token seen by this process.
pub struct RateLimiter {
    limit: Option<RateLimit>,
    started: Instant,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(limit: Option<RateLimit>) -> RateLimiter {
        RateLimiter {
            limit: limit.filter(|l| l.per_second > 0.0 && l.burst > 0),
            started: Instant::now(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take a request from `token_id`'s bucket; `None` when rate limiting is off.
    pub fn take(&self, token_id: &str) -> Option<Quota> {
        let limit = self.limit?;
        let now = self.started.elapsed().as_secs_f64();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let bucket = buckets
            .entry(token_id.to_string())
            .or_insert_with(|| Bucket::full(&limit, now));
        Some(bucket.take(&limit, now))
    }
}

/// Unix time (seconds) `after` seconds from now, for `X-RateLimit-Reset`.
pub fn epoch_after(after: f64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    (now + after).ceil() as u64
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
    fn tokens_have_separate_buckets_and_off_means_unlimited() {
        let limiter = RateLimiter::new(Some(RateLimit {
            per_second: 0.001,
            burst: 1,
        }));
        assert_eq!(limiter.take("a").and_then(|q| q.retry_after), None);
        assert!(limiter.take("a").and_then(|q| q.retry_after).is_some());
        assert_eq!(limiter.take("b").and_then(|q| q.retry_after), None);
        let off = RateLimiter::new(None);
        assert!(off.take("a").is_none());
    }
}
