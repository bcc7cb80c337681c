//! `take_rate`: a token's bucket starts full, allows the burst, then refuses with a retry time;
//! it refills at the rate, never beyond the burst; tokens have separate buckets.

use std::time::Duration;

use directory::rate_limit::RateLimit;
use futures::future::join_all;

use crate::support::Backend;

both_backends!(
    a_bucket_allows_the_burst_then_refuses,
    a_bucket_refills_at_the_rate,
    concurrent_takes_are_not_lost
);

async fn a_bucket_allows_the_burst_then_refuses(b: Backend) {
    // Slow enough that nothing refills during the test.
    let limit = RateLimit {
        per_second: 0.001,
        burst: 3,
    };
    for remaining in [2, 1, 0] {
        let q = b.store.take_rate("tok_a", &limit).await.unwrap();
        assert_eq!((q.limit, q.remaining, q.retry_after), (3, remaining, None));
        assert!(q.reset_after > 0.0);
    }
    let refused = b.store.take_rate("tok_a", &limit).await.unwrap();
    assert_eq!((refused.limit, refused.remaining), (3, 0));
    let retry = refused.retry_after.expect("refused");
    // One request's worth comes back after 1000 s, minus what refilled meanwhile.
    assert!(retry > 900.0 && retry <= 1000.0, "{retry}");
    assert!(refused.reset_after > 2900.0 && refused.reset_after <= 3000.0);
    // Refusals do not dig the bucket deeper.
    let again = b.store.take_rate("tok_a", &limit).await.unwrap();
    assert!(again.retry_after.expect("refused") <= retry);
    // Another token has its own, full bucket.
    let other = b.store.take_rate("tok_b", &limit).await.unwrap();
    assert_eq!((other.remaining, other.retry_after), (2, None));
}

async fn a_bucket_refills_at_the_rate(b: Backend) {
    // 10 per second: one request's worth every 100 ms.
    let limit = RateLimit {
        per_second: 10.0,
        burst: 2,
    };
    // Drain: requests come faster than 100 ms apart, so at most a refill or two sneaks in.
    let mut refused = None;
    for _ in 0..10 {
        let q = b.store.take_rate("tok_r", &limit).await.unwrap();
        if q.retry_after.is_some() {
            refused = Some(q);
            break;
        }
    }
    let refused = refused.expect("the bucket empties");
    assert!(refused.retry_after.unwrap() <= 0.1 + 1e-9);
    // After a pause well beyond one request's worth, a request is allowed again.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let q = b.store.take_rate("tok_r", &limit).await.unwrap();
    assert_eq!(q.retry_after, None);
    // A long pause refills to the burst, never beyond it: the burst again, then a refusal
    // (a request may get one token back in between on a slow machine, hence the slack).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut allowed = 0;
    for _ in 0..6 {
        if b.store
            .take_rate("tok_r", &limit)
            .await
            .unwrap()
            .retry_after
            .is_none()
        {
            allowed += 1;
        }
    }
    assert!((2..=4).contains(&allowed), "{allowed}");
}

async fn concurrent_takes_are_not_lost(b: Backend) {
    let limit = RateLimit {
        per_second: 0.001,
        burst: 10,
    };
    let quotas = join_all((0..30).map(|_| b.store.take_rate("tok_c", &limit))).await;
    let allowed = quotas
        .into_iter()
        .map(|q| q.unwrap())
        .filter(|q| q.retry_after.is_none())
        .count();
    assert_eq!(allowed, 10);
}
