//! How many refused SCIM writes a token may record in the audit log. Every refusal is an
//! `*.scim_api_failure` event, so that an admin can see why the IdP's pushes fail; but a
//! misconfigured or hostile client can send thousands of refused writes a second, and without a
//! bound each one becomes a row (and a write queued behind the single SQLite writer). Past the
//! bound, refusals are counted instead, and the next event recorded says how many were not.
//!
//! The budget is per process: behind several replicas each has its own, which bounds the rows
//! all the same (by the number of replicas), without a database round trip per refusal.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::rate_limit::{Bucket, RateLimit};

/// The default: 120 events at once, then one a second (3,600 an hour) per token.
pub const DEFAULT_FAILURE_EVENTS: RateLimit = RateLimit {
    per_second: 1.0,
    burst: 120,
};

/// The longest `detail` and `path` kept in a failure event, in characters.
pub const MAX_RECORDED_CHARS: usize = 512;

pub struct FailureBudget {
    limit: RateLimit,
    started: Instant,
    /// Per token: its bucket, and the refusals not recorded since its last recorded one.
    tokens: Mutex<HashMap<String, (Bucket, u64)>>,
}

/// Whether a refusal is recorded, and how many before it were not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Record {
        suppressed_before: u64,
    },
    /// Counted only; `first` is true for the first refusal of a run of suppressed ones (the
    /// moment to log that recording stopped).
    Suppress {
        first: bool,
    },
}

impl FailureBudget {
    pub fn new(limit: RateLimit) -> FailureBudget {
        FailureBudget {
            limit,
            started: Instant::now(),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub fn admit(&self, token_id: &str) -> Admission {
        self.admit_at(token_id, self.started.elapsed().as_secs_f64())
    }

    /// `admit` at `now` seconds of this budget's clock.
    fn admit_at(&self, token_id: &str, now: f64) -> Admission {
        let mut tokens = match self.tokens.lock() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (bucket, suppressed) = tokens
            .entry(token_id.to_string())
            .or_insert_with(|| (Bucket::full(&self.limit, now), 0));
        if bucket.take(&self.limit, now).retry_after.is_none() {
            let before = std::mem::take(suppressed);
            return Admission::Record {
                suppressed_before: before,
            };
        }
        *suppressed += 1;
        Admission::Suppress {
            first: *suppressed == 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_burst_refusals_are_counted_and_reported_with_the_next_event() {
        let budget = FailureBudget::new(RateLimit {
            per_second: 1.0,
            burst: 2,
        });
        let record = |n| Admission::Record {
            suppressed_before: n,
        };
        assert_eq!(budget.admit_at("t1", 0.0), record(0));
        assert_eq!(budget.admit_at("t1", 0.0), record(0));
        assert_eq!(
            budget.admit_at("t1", 0.1),
            Admission::Suppress { first: true }
        );
        assert_eq!(
            budget.admit_at("t1", 0.2),
            Admission::Suppress { first: false }
        );
        // Another token has its own budget.
        assert_eq!(budget.admit_at("t2", 0.2), record(0));
        // A second later there is room again, and the event says what it missed.
        assert_eq!(budget.admit_at("t1", 1.2), record(2));
        assert_eq!(
            budget.admit_at("t1", 1.3),
            Admission::Suppress { first: true }
        );
    }
}
