//! Retry policy: the Azure SDK guideline (exponential back-off with jitter, server hints first).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;

/// When and how often a request is retried.
///
/// The default follows the Azure SDK guideline: 3 retries, exponential back-off from 0.8 s with
/// ±20 % jitter, capped at 60 s, on 408/429/500/502/503/504 and on connection errors and per-try
/// timeouts. A server hint (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After` in seconds
/// or as an HTTP date) replaces the computed delay; a hint longer than `max_delay` ends the
/// retries at once with [`crate::Error::Throttled`] carrying the hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryOptions {
    /// Retries after the first try (so `max_retries + 1` tries at most).
    pub max_retries: u32,
    /// The first back-off; each next one doubles.
    pub base_delay: Duration,
    /// The largest back-off, and the longest server hint that is waited for.
    pub max_delay: Duration,
    /// HTTP statuses that are retried.
    pub statuses: Vec<u16>,
    /// Whether connection errors and per-try timeouts are retried.
    pub retry_transport_errors: bool,
}

impl RetryOptions {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The back-off before retry number `retry` (1-based), with `unit` in `[0, 1)` choosing the
    /// jitter: the delay is `min(max, base * 2^(retry-1))` scaled by `0.8 + 0.4 * unit`, capped
    /// at `max_delay`.
    pub(crate) fn backoff(&self, retry: u32, unit: f64) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let raw = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        raw.mul_f64(0.8 + 0.4 * unit.clamp(0.0, 1.0))
            .min(self.max_delay)
    }

    pub(crate) fn retries_status(&self, status: u16) -> bool {
        self.statuses.contains(&status)
    }
}

impl Default for RetryOptions {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            statuses: vec![408, 429, 500, 502, 503, 504],
            retry_transport_errors: true,
        }
    }
}

/// A uniformly distributed number in `[0, 1)` for jitter. Uses the standard library's randomly
/// keyed hasher, so no RNG crate is needed; quality is ample for spreading retries.
pub(crate) fn jitter_unit() -> f64 {
    // 53 random bits -> an exactly representable f64 in [0, 1).
    #[allow(clippy::cast_precision_loss, reason = "53-bit value is exact in f64")]
    let v = (random_u64() >> 11) as f64 / (1u64 << 53) as f64;
    v
}

/// 64 random bits from the standard library's randomly keyed SipHash over a counter.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// The wait a response asks for, checking `retry-after-ms`, `x-ms-retry-after-ms`, then
/// `Retry-After` (delta-seconds or an HTTP date relative to `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header_str(headers, name).and_then(|v| v.trim().parse::<f64>().ok())
            && ms.is_finite()
            && ms >= 0.0
        {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = header_str(headers, "retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs));
    }
    let at = azure_core::time::parse_rfc7231(value).ok()?;
    let wait = at - now;
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use time::macros::datetime;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const NOW: OffsetDateTime = datetime!(2025-01-01 00:00:00 UTC);

    #[test]
    fn retry_after_reads_each_header_form_in_guideline_order() {
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250")]), NOW),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ms-retry-after-ms", "1500")]), NOW),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), NOW),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 01 Jan 2025 00:00:30 GMT")]),
                NOW
            ),
            Some(Duration::from_secs(30))
        );
        // A date in the past means "now".
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Tue, 31 Dec 2024 23:00:00 GMT")]),
                NOW
            ),
            Some(Duration::ZERO)
        );
        // The millisecond headers win over Retry-After.
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "9"), ("retry-after-ms", "10")]),
                NOW
            ),
            Some(Duration::from_millis(10))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), NOW), None);
        assert_eq!(retry_after(&HeaderMap::new(), NOW), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let o = RetryOptions::default();
        assert_eq!(o.backoff(1, 0.5), Duration::from_millis(800));
        assert_eq!(o.backoff(2, 0.5), Duration::from_millis(1600));
        assert_eq!(o.backoff(3, 0.0), Duration::from_millis(3200).mul_f64(0.8));
        assert_eq!(o.backoff(3, 1.0), Duration::from_millis(3200).mul_f64(1.2));
        assert_eq!(o.backoff(20, 1.0), Duration::from_secs(60));
        assert_eq!(o.backoff(u32::MAX, 0.9), Duration::from_secs(60));
    }

    #[test]
    fn jitter_is_in_unit_interval_and_varies() {
        let v: Vec<f64> = (0..64).map(|_| jitter_unit()).collect();
        assert!(v.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(v.windows(2).any(|w| (w[0] - w[1]).abs() > f64::EPSILON));
    }

    #[test]
    fn default_statuses_follow_the_guideline() {
        let o = RetryOptions::default();
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(o.retries_status(s));
        }
        for s in [400, 401, 403, 404, 409, 501] {
            assert!(!o.retries_status(s));
        }
        assert_eq!(RetryOptions::none().max_retries, 0);
    }
}
