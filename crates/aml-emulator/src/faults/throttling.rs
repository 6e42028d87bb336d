//! ARM-style throttling: a token bucket per subscription for reads and for writes.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::Faults;

/// One token bucket: `capacity` requests at once, refilled at `refill_per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bucket {
    /// How many requests a full bucket allows in a burst.
    pub capacity: u32,
    /// How many tokens come back per second.
    pub refill_per_second: f64,
}

/// ARM-style throttling: per subscription, one bucket for reads (GET) and one for writes
/// (PUT, PATCH, DELETE, POST). Every ARM response then carries
/// `x-ms-ratelimit-remaining-subscription-reads` or `-writes`; an empty bucket answers 429
/// `SubscriptionRequestsThrottled` with `Retry-After` and `retry-after-ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Throttling {
    /// The bucket for reads.
    pub reads: Bucket,
    /// The bucket for writes.
    pub writes: Bucket,
}

/// What throttling decided for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Throttled {
    /// Allowed; this many tokens are left.
    Allowed {
        /// Tokens left in the bucket.
        remaining: u32,
    },
    /// Refused; a token will be back after this long.
    Refused {
        /// The wait until the next token.
        retry_after: Duration,
    },
}

/// The state of one bucket.
#[derive(Debug, Clone, Copy)]
pub(super) struct Level {
    tokens: f64,
    at: Instant,
}

impl Faults {
    /// Spends a token of `subscription`'s read or write bucket, if throttling is on.
    pub(crate) fn throttle(
        &self,
        subscription: &str,
        write: bool,
        now: Instant,
    ) -> Option<Throttled> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.lock();
        let throttling = state.throttling?;
        let bucket = if write {
            throttling.writes
        } else {
            throttling.reads
        };
        let capacity = f64::from(bucket.capacity);
        let level = state
            .levels
            .entry((subscription.to_ascii_lowercase(), write))
            .or_insert(Level {
                tokens: capacity,
                at: now,
            });
        let refill = now.duration_since(level.at).as_secs_f64() * bucket.refill_per_second;
        level.tokens = (level.tokens + refill).min(capacity);
        level.at = now;
        if level.tokens >= 1.0 {
            level.tokens -= 1.0;
            Some(Throttled::Allowed {
                remaining: whole(level.tokens),
            })
        } else {
            let missing = 1.0 - level.tokens;
            let seconds = if bucket.refill_per_second > 0.0 {
                missing / bucket.refill_per_second
            } else {
                3600.0
            };
            Some(Throttled::Refused {
                retry_after: Duration::from_secs_f64(seconds.clamp(0.001, 3600.0)),
            })
        }
    }
}

/// The whole tokens in a bucket level.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the level is between 0 and a u32 capacity"
)]
fn whole(tokens: f64) -> u32 {
    tokens.floor().max(0.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_spends_refills_and_refuses() {
        let faults = Faults::default();
        let bucket = Bucket {
            capacity: 2,
            refill_per_second: 10.0,
        };
        faults.set_throttling(Some(Throttling {
            reads: bucket,
            writes: bucket,
        }));
        let start = Instant::now();
        assert_eq!(
            faults.throttle("s", false, start),
            Some(Throttled::Allowed { remaining: 1 })
        );
        assert_eq!(
            faults.throttle("S", false, start),
            Some(Throttled::Allowed { remaining: 0 })
        );
        let Some(Throttled::Refused { retry_after }) = faults.throttle("s", false, start) else {
            panic!("expected a refusal")
        };
        assert_eq!(retry_after, Duration::from_millis(100));
        // Writes have their own bucket, and so has every subscription.
        assert!(matches!(
            faults.throttle("s", true, start),
            Some(Throttled::Allowed { .. })
        ));
        assert!(matches!(
            faults.throttle("other", false, start),
            Some(Throttled::Allowed { .. })
        ));
        // A tenth of a second later one token is back.
        assert_eq!(
            faults.throttle("s", false, start + Duration::from_millis(100)),
            Some(Throttled::Allowed { remaining: 0 })
        );
        faults.set_throttling(None);
        assert_eq!(faults.throttle("s", false, start), None);
    }
}
