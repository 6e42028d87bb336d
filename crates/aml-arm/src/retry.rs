//! Retry policy: the Azure SDK guideline (exponential back-off with jitter, server hints first).

use std::time::Duration;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;

/// When and how often a request is retried.
///
/// The default follows the Azure SDK guideline: 3 retries, exponential back-off from 0.8 s with
/// ±20 % jitter, capped at 60 s, on 408/429/500/502/503/504 and on connection errors and per-try
/// timeouts. A server hint (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After` in seconds
/// or as an HTTP date) replaces the computed delay; a hint longer than `max_delay` ends the
/// retries at once with [`crate::Error::Throttled`] carrying the hint. Hints are read by
/// [`RetryOptions::parse_retry_after`]: whatever the server sends, a hint is never longer than
/// [`RetryOptions::MAX_RETRY_AFTER`], and a hint under a millisecond (`Retry-After: 0`) counts
/// as none (the computed back-off applies), so a server cannot make the client retry in a
/// tight loop.
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
    /// The longest wait a server hint can ask for: one hour. Longer hints, up to absurd ones
    /// (`retry-after-ms: 1e30`, `Retry-After: 99999999999999999999`, a date in year 9999), are
    /// read as this.
    ///
    /// The Azure SDK guidelines say to honour the server's hint and to bound it on the client.
    /// ARM's request limits have been counted over windows of at most an hour (per-hour limits,
    /// now token buckets that refill per second), so a genuine ARM hint is never cut, while a
    /// hostile or broken one cannot produce a wait no timer can represent.
    /// The waits actually made are smaller still: a retry waits at most `max_delay` (a longer
    /// hint ends the retries with [`crate::Error::Throttled`] carrying the hint, capped here),
    /// and a poll at most [`crate::PollOptions::max_interval`]; [`crate::Timeouts::operation`]
    /// and [`crate::PollOptions::timeout`] bound the whole call.
    pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

    /// The wait a response's headers ask for, as the client reads it: `retry-after-ms`, then
    /// `x-ms-retry-after-ms` (milliseconds, whole or decimal), then `Retry-After` (whole
    /// seconds, leniently a decimal number of seconds, or an HTTP date, read relative to
    /// `now`; a date in the past means no wait). The first usable header wins; of a header
    /// sent several times, the first value counts.
    ///
    /// Never panics and never returns more than [`RetryOptions::MAX_RETRY_AFTER`], whatever the
    /// bytes. Values that are not text, negative, `NaN`, infinite or otherwise not a number or
    /// a date are ignored (`None` when no header is usable).
    ///
    /// ```
    /// use std::time::Duration;
    /// use aml_arm::RetryOptions;
    /// use reqwest::header::{HeaderMap, HeaderValue};
    ///
    /// let now = time::OffsetDateTime::now_utc();
    /// let mut headers = HeaderMap::new();
    /// headers.insert("retry-after", HeaderValue::from_static("7"));
    /// assert_eq!(RetryOptions::parse_retry_after(&headers, now), Some(Duration::from_secs(7)));
    /// headers.insert("retry-after-ms", HeaderValue::from_static("1e30"));
    /// assert_eq!(RetryOptions::parse_retry_after(&headers, now), Some(RetryOptions::MAX_RETRY_AFTER));
    /// ```
    pub fn parse_retry_after(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
        retry_after(headers, now)
    }

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

/// The wait a response asks for (see [`RetryOptions::parse_retry_after`]).
pub(crate) fn retry_after(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    let hint = ["retry-after-ms", "x-ms-retry-after-ms"]
        .into_iter()
        .find_map(|name| header_str(headers, name).and_then(parse_millis))
        .or_else(|| {
            header_str(headers, "retry-after").and_then(|v| parse_retry_after_value(v, now))
        })?;
    Some(hint.min(RetryOptions::MAX_RETRY_AFTER))
}

/// A hint shorter than this (`Retry-After: 0`) counts as no hint: the retry backs off as
/// computed and the poller waits its interval, instead of asking again in a tight loop.
pub(crate) const MIN_HINT: Duration = Duration::from_millis(1);

/// A hint worth following as it is: `None` below [`MIN_HINT`].
pub(crate) fn usable_hint(hint: Option<Duration>) -> Option<Duration> {
    hint.filter(|h| *h >= MIN_HINT)
}

/// `retry-after-ms` / `x-ms-retry-after-ms`: milliseconds, a whole or decimal number.
fn parse_millis(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(ms) = value.parse::<u64>() {
        return Some(Duration::from_millis(ms));
    }
    let ms = value.parse::<f64>().ok()?;
    seconds_f64(ms / 1000.0)
}

/// `Retry-After`: delta-seconds (whole, or leniently decimal) or an HTTP date.
fn parse_retry_after_value(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return seconds_f64(secs);
    }
    let at = azure_core::time::parse_rfc7231(value).ok()?;
    // A date in the past means "now". Both dates are within years -9999..=9999 (or the `time`
    // crate's large-date range), so the difference does not overflow.
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

/// Non-negative, finite seconds as a `Duration`, saturating at [`RetryOptions::MAX_RETRY_AFTER`]
/// (`Duration::from_secs_f64` would panic beyond `u64::MAX` seconds).
fn seconds_f64(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(
        Duration::try_from_secs_f64(secs)
            .unwrap_or(RetryOptions::MAX_RETRY_AFTER)
            .min(RetryOptions::MAX_RETRY_AFTER),
    )
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
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
    fn absurd_hints_are_capped_or_ignored_never_a_panic() {
        let cap = RetryOptions::MAX_RETRY_AFTER;
        for (name, value, expected) in [
            // Each of these panicked in `Duration::from_secs_f64` before the cap.
            ("retry-after-ms", "1e30", Some(cap)),
            ("x-ms-retry-after-ms", "1e30", Some(cap)),
            ("retry-after", "1e20", Some(cap)),
            ("retry-after", "99999999999999999999", Some(cap)),
            ("retry-after-ms", "1.7976931348623157e308", Some(cap)),
            ("retry-after", "18446744073709551615", Some(cap)),
            ("retry-after-ms", "18446744073709551615", Some(cap)),
            ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT", Some(cap)),
            ("retry-after", "7200", Some(cap)),
            ("retry-after", "1.5", Some(Duration::from_millis(1500))),
            ("retry-after-ms", "0.5", Some(Duration::from_micros(500))),
            ("retry-after-ms", "-0", Some(Duration::ZERO)),
            ("retry-after", "0", Some(Duration::ZERO)),
            ("retry-after", " 3 ", Some(Duration::from_secs(3))),
            // A date before 1970 is in the past: no wait.
            (
                "retry-after",
                "Mon, 01 Jan 1900 00:00:00 GMT",
                Some(Duration::ZERO),
            ),
            ("retry-after", "-5", None),
            ("retry-after", "-0.5", None),
            ("retry-after", "NaN", None),
            ("retry-after", "inf", None),
            ("retry-after", "-inf", None),
            ("retry-after-ms", "infinity", None),
            ("retry-after-ms", "nan", None),
            ("retry-after", "", None),
            ("retry-after", "5, 10", None),
            ("retry-after", "0x10", None),
            ("retry-after", "Fri, 31 Dec 9999 23:59:60 GMT", None),
            ("retry-after", "Fri, 32 Dec 9999 23:59:59 GMT", None),
            ("retry-after", "Fri, 31 Dec 10000 23:59:59 GMT", None),
        ] {
            assert_eq!(
                retry_after(&headers(&[(name, value)]), NOW),
                expected,
                "{name}: {value}"
            );
        }
        // Not text at all: ignored.
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
        assert_eq!(retry_after(&h, NOW), None);
        // A millisecond header that is unusable falls through to the next one.
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "soon"), ("retry-after", "2")]),
                NOW
            ),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn several_values_of_one_header_read_the_first() {
        let mut h = HeaderMap::new();
        h.append("retry-after", HeaderValue::from_static("4"));
        h.append("retry-after", HeaderValue::from_static("400"));
        assert_eq!(retry_after(&h, NOW), Some(Duration::from_secs(4)));
    }

    #[test]
    fn hints_under_a_millisecond_are_not_usable() {
        assert_eq!(usable_hint(Some(Duration::ZERO)), None);
        assert_eq!(usable_hint(Some(Duration::from_micros(999))), None);
        assert_eq!(
            usable_hint(Some(Duration::from_millis(1))),
            Some(Duration::from_millis(1))
        );
        assert_eq!(usable_hint(None), None);
    }

    /// Any bytes a server can put in a header value.
    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            "[ -~]{0,40}".prop_map(String::into_bytes),
            "[-+ .eE0-9naifNIF]{0,30}".prop_map(String::into_bytes),
        ]
    }

    fn header_map(pairs: &[(&'static str, Vec<u8>)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            // The bytes a server can send are those hyper accepts in a value.
            if let Ok(v) = HeaderValue::from_bytes(value) {
                h.append(*name, v);
            }
        }
        h
    }

    proptest! {
        #[test]
        fn any_header_bytes_give_a_capped_hint_or_none(
            ms in header_bytes(),
            x_ms in header_bytes(),
            secs in header_bytes(),
            now_secs in -62_000_000_000i64..253_000_000_000i64,
        ) {
            let now = OffsetDateTime::from_unix_timestamp(now_secs).unwrap();
            let h = header_map(&[
                ("retry-after-ms", ms),
                ("x-ms-retry-after-ms", x_ms),
                ("retry-after", secs),
            ]);
            if let Some(d) = RetryOptions::parse_retry_after(&h, now) {
                prop_assert!(d <= RetryOptions::MAX_RETRY_AFTER);
            }
        }

        #[test]
        fn whole_numbers_round_trip_capped(n in any::<u64>()) {
            let cap = RetryOptions::MAX_RETRY_AFTER;
            let text = n.to_string();
            prop_assert_eq!(
                retry_after(&headers(&[("retry-after", &text)]), NOW),
                Some(Duration::from_secs(n).min(cap))
            );
            prop_assert_eq!(
                retry_after(&headers(&[("retry-after-ms", &text)]), NOW),
                Some(Duration::from_millis(n).min(cap))
            );
            prop_assert_eq!(
                retry_after(&headers(&[("x-ms-retry-after-ms", &text)]), NOW),
                Some(Duration::from_millis(n).min(cap))
            );
        }

        #[test]
        fn any_float_text_never_panics_and_stays_capped(x in any::<f64>()) {
            for name in ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"] {
                let text = format!("{x}");
                let got = retry_after(&headers(&[(name, &text)]), NOW);
                if x.is_finite() && x >= 0.0 {
                    let got = got.unwrap();
                    prop_assert!(got <= RetryOptions::MAX_RETRY_AFTER);
                } else {
                    prop_assert_eq!(got, None, "{}: {}", name, text);
                }
            }
        }

        #[test]
        fn http_dates_round_trip_to_the_wait_capped(
            offset in -400_000_000_000i64..=250_000_000_000i64,
        ) {
            // Any date the format can write, from year 1 to 9999.
            let Some(at) = NOW.checked_add(time::Duration::seconds(offset)) else {
                return Ok(());
            };
            prop_assume!((1..=9999).contains(&at.year()));
            let text = azure_core::time::to_rfc7231(&at);
            let expected = u64::try_from(offset)
                .map_or(Duration::ZERO, Duration::from_secs)
                .min(RetryOptions::MAX_RETRY_AFTER);
            prop_assert_eq!(
                retry_after(&headers(&[("retry-after", &text)]), NOW),
                Some(expected),
                "{}",
                text
            );
        }
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
