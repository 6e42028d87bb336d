//! The request log: every ARM request the emulator answered (or dropped), so tests can assert how
//! many PUTs or polls a client made.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One request, as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LoggedRequest {
    /// The method, such as `PUT`.
    pub method: String,
    /// The path, as sent (not decoded).
    pub path: String,
    /// The query string without `?`, if any.
    pub query: Option<String>,
    /// The status answered; `None` when the connection was reset instead.
    pub status: Option<u16>,
    /// When the request arrived (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// How long the emulator took to answer, injected delays included.
    #[serde(rename = "durationMs", with = "micros_as_ms")]
    pub duration: Duration,
    /// The `x-ms-request-id` the emulator gave it.
    pub request_id: String,
    /// The `x-ms-client-request-id` the client sent, if any.
    pub client_request_id: Option<String>,
    /// The injected fault that applied, by [`Fault::kind`](crate::Fault::kind), if any
    /// (`throttled` for a request refused by [`Throttling`](crate::Throttling)).
    pub fault: Option<String>,
}

/// Durations as fractional milliseconds.
mod micros_as_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(value.as_secs_f64() * 1000.0)
    }

    /// Negative durations read as zero; one too long for a `Duration` (`1e30`, which made
    /// `Duration::from_secs_f64` panic) is an error, not a panic.
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64((ms / 1000.0).max(0.0)).map_err(|_| {
            serde::de::Error::custom(format!("durationMs {ms} is not a usable duration"))
        })
    }
}

impl LoggedRequest {
    /// Whether the request had this method (ignoring case) and its path contains `text`
    /// (ignoring ASCII case).
    pub fn is(&self, method: &str, text: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
            && self
                .path
                .to_ascii_lowercase()
                .contains(&text.to_ascii_lowercase())
    }
}

#[derive(Debug)]
struct Entries {
    capacity: usize,
    items: VecDeque<LoggedRequest>,
}

/// The log of a running emulator; cheap to clone, shared with the server. Holds the most
/// recent requests up to a capacity ([`EmulatorBuilder::request_log_capacity`]).
///
/// [`EmulatorBuilder::request_log_capacity`]: crate::EmulatorBuilder::request_log_capacity
#[derive(Debug, Clone)]
pub struct RequestLog {
    inner: Arc<Mutex<Entries>>,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Entries {
                capacity,
                items: VecDeque::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, entry: LoggedRequest) {
        let mut entries = self.lock();
        if entries.capacity == 0 {
            return;
        }
        if entries.items.len() == entries.capacity {
            entries.items.pop_front();
        }
        entries.items.push_back(entry);
    }

    /// Every logged request, oldest first.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.lock().items.iter().cloned().collect()
    }

    /// The logged requests with this method whose path contains `text` (see
    /// [`LoggedRequest::is`]).
    pub fn matching(&self, method: &str, text: &str) -> Vec<LoggedRequest> {
        self.lock()
            .items
            .iter()
            .filter(|entry| entry.is(method, text))
            .cloned()
            .collect()
    }

    /// How many logged requests have this method and a path containing `text`.
    pub fn count(&self, method: &str, text: &str) -> usize {
        self.lock()
            .items
            .iter()
            .filter(|entry| entry.is(method, text))
            .count()
    }

    /// How many requests are logged.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.lock().items.is_empty()
    }

    /// Forgets every logged request.
    pub fn clear(&self) {
        self.lock().items.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(method: &str, path: &str) -> LoggedRequest {
        LoggedRequest {
            method: method.into(),
            path: path.into(),
            query: None,
            status: Some(200),
            time: OffsetDateTime::UNIX_EPOCH,
            duration: Duration::from_micros(1500),
            request_id: "r".into(),
            client_request_id: None,
            fault: None,
        }
    }

    #[test]
    fn keeps_the_newest_entries_up_to_capacity() {
        let log = RequestLog::new(2);
        log.push(entry("GET", "/a"));
        log.push(entry("PUT", "/b/Computes/x"));
        log.push(entry("put", "/c/computes/y"));
        assert_eq!(log.len(), 2);
        assert_eq!(log.entries()[0].path, "/b/Computes/x");
        assert_eq!(log.count("PUT", "/computes/"), 2);
        assert_eq!(log.matching("GET", "/").len(), 0);
        log.clear();
        assert!(log.is_empty());
    }

    #[test]
    fn serializes_time_and_duration() {
        let json = serde_json::to_value(entry("GET", "/a")).unwrap();
        assert_eq!(json["time"], "1970-01-01T00:00:00Z");
        assert_eq!(json["durationMs"], 1.5);
        let back: LoggedRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back.duration, Duration::from_micros(1500));
    }

    #[test]
    fn absurd_durations_are_errors_or_zero_never_a_panic() {
        let with = |ms: serde_json::Value| {
            let mut json = serde_json::to_value(entry("GET", "/a")).unwrap();
            json["durationMs"] = ms;
            serde_json::from_value::<LoggedRequest>(json)
        };
        for huge in [serde_json::json!(1e30), serde_json::json!(f64::MAX)] {
            let err = with(huge.clone()).unwrap_err();
            assert!(
                err.to_string().contains("not a usable duration"),
                "{huge}: {err}"
            );
        }
        assert_eq!(
            with(serde_json::json!(-5.0)).unwrap().duration,
            Duration::ZERO
        );
        assert_eq!(
            with(serde_json::json!(-1e308)).unwrap().duration,
            Duration::ZERO
        );
        assert_eq!(
            with(serde_json::json!(1e12)).unwrap().duration,
            Duration::from_secs(1_000_000_000)
        );
        // Text JSON cannot write NaN or infinity; out-of-range numbers are refused by the parser.
        let text = r#"{"method":"GET","path":"/","query":null,"status":200,
            "time":"1970-01-01T00:00:00Z","durationMs":1e400,"requestId":"r",
            "clientRequestId":null,"fault":null}"#;
        assert!(serde_json::from_str::<LoggedRequest>(text).is_err());
    }
}
