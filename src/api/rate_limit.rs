//! A token bucket per key: `rate` requests per second on average, bursts of up to `rate`.
//! Buckets exist only for keys that authenticated, so wrong keys cannot grow the map.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::auth::Credential;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    rate: u32,
    buckets: Mutex<HashMap<Credential, Bucket>>,
}

/// The outcome of one request against its key's bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// Go ahead; this many requests remain in the bucket.
    Allowed { limit: u32, remaining: u32 },
    /// Over the limit: try again after this many seconds.
    Limited { limit: u32, retry_after_secs: u64 },
    /// Rate limiting is switched off (rate 0).
    Unlimited,
}

impl RateLimiter {
    pub fn new(rate: u32) -> Self {
        Self { rate, buckets: Mutex::new(HashMap::new()) }
    }

    pub fn check(&self, credential: Credential, now: Instant) -> Allowance {
        if self.rate == 0 {
            return Allowance::Unlimited;
        }
        let rate = f64::from(self.rate);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(credential).or_insert(Bucket { tokens: rate, refilled: now });
        let refill = now.duration_since(bucket.refilled).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(rate);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Allowance::Allowed { limit: self.rate, remaining: bucket.tokens as u32 }
        } else {
            let wait = (1.0 - bucket.tokens) / rate;
            Allowance::Limited { limit: self.rate, retry_after_secs: wait.ceil().max(1.0) as u64 }
        }
    }

    /// Forgets a deleted credential's bucket.
    pub fn forget(&self, credential: Credential) {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).remove(&credential);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const KEY: Credential = Credential::ApiKey(1);
    const ADDON: Credential = Credential::Addon { addon_id: 1, workspace_id: 1 };

    #[test]
    fn a_burst_is_capped_then_refills() {
        let limiter = RateLimiter::new(50);
        let now = Instant::now();
        for i in 0..50 {
            assert_eq!(limiter.check(KEY, now), Allowance::Allowed { limit: 50, remaining: 49 - i });
        }
        assert_eq!(limiter.check(KEY, now), Allowance::Limited { limit: 50, retry_after_secs: 1 });
        assert!(matches!(limiter.check(ADDON, now), Allowance::Allowed { .. }), "credentials are independent");
        let later = now + Duration::from_millis(100);
        for _ in 0..5 {
            assert!(matches!(limiter.check(KEY, later), Allowance::Allowed { .. }));
        }
        assert!(matches!(limiter.check(KEY, later), Allowance::Limited { .. }));
    }

    #[test]
    fn rate_zero_switches_it_off() {
        let limiter = RateLimiter::new(0);
        assert_eq!(limiter.check(KEY, Instant::now()), Allowance::Unlimited);
    }
}
