//! Fault injection: what the emulator does wrong on purpose, so a client's retries, timeouts and
//! error handling can be tested.
//!
//! Three kinds, all controlled through [`Faults`] (from Rust, via [`Emulator::faults`]) or the
//! admin endpoint (`/_emulator/faults`, `/_emulator/operations/outcomes`,
//! `/_emulator/throttling`):
//!
//! - **Request faults** ([`FaultRule`]): the next N requests matching a method and path answer
//!   429 or 5xx, lose their connection, are delayed, or come back with broken JSON.
//! - **Operation outcomes** ([`OperationOutcome`]): the next N long-running operations end
//!   `Failed` (with an error body) or `Canceled` instead of `Succeeded`.
//! - **Throttling** ([`Throttling`]): a token bucket per subscription for reads and for writes,
//!   reported in `x-ms-ratelimit-remaining-subscription-reads/writes` and enforced with 429.
//!
//! Faults apply to ARM requests only, never to the admin endpoint.
//!
//! [`Emulator::faults`]: crate::Emulator::faults

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aml_model::wire::ErrorDetail;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// Durations on the admin endpoint are whole milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

/// What happens to a request a [`FaultRule`] matches.
///
/// On the admin endpoint a fault is a JSON object tagged by `kind`, with durations in
/// milliseconds: `{"kind": "throttle", "retryAfterMs": 1000}`, `{"kind": "status",
/// "status": 503}`, `{"kind": "reset"}`, `{"kind": "delay", "delayMs": 200}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After` (whole seconds, rounded up) and
    /// `retry-after-ms`, and an ARM error envelope (`TooManyRequests`). The request is not
    /// handled.
    Throttle {
        /// The wait to advertise.
        #[serde(rename = "retryAfterMs", with = "millis")]
        retry_after: Duration,
    },
    /// This status (500, 502, 503, 504, ...) with an ARM error envelope. The request is not
    /// handled.
    Status {
        /// The HTTP status code.
        status: u16,
        /// A wait to advertise in `Retry-After` and `retry-after-ms`, if any.
        #[serde(
            default,
            rename = "retryAfterMs",
            skip_serializing_if = "Option::is_none",
            with = "option_millis"
        )]
        retry_after: Option<Duration>,
    },
    /// The connection is closed (TCP reset) before any response byte. The request is not
    /// handled: safe to retry.
    Reset,
    /// The request is handled (state changes happen), then the connection is reset instead of
    /// answering: the client cannot know whether its request took effect.
    ResetAfterHandling,
    /// The request waits this long, then is handled normally.
    Delay {
        /// How long to wait.
        #[serde(rename = "delayMs", with = "millis")]
        delay: Duration,
    },
    /// The request is handled, and the body is replaced with text that is not JSON (the status
    /// and headers are the real ones).
    MalformedJson,
    /// The request is handled, and its JSON body is cut in half (with a matching
    /// `Content-Length`, so only the JSON is broken, not the HTTP message).
    TruncatedJson,
}

/// Optional durations in milliseconds.
mod option_millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(
        clippy::ref_option,
        reason = "serde's `with` passes a reference to the field"
    )]
    pub(super) fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => super::millis::serialize(duration, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(deserializer).map(|ms| ms.map(Duration::from_millis))
    }
}

impl Fault {
    /// [`Fault::Throttle`]: 429 advertising `retry_after`.
    pub fn throttle(retry_after: Duration) -> Self {
        Self::Throttle { retry_after }
    }

    /// [`Fault::Status`]: `status` (such as 503) with no `Retry-After`.
    pub fn status(status: u16) -> Self {
        Self::Status {
            status,
            retry_after: None,
        }
    }

    /// [`Fault::Delay`]: wait `delay`, then answer normally.
    pub fn delay(delay: Duration) -> Self {
        Self::Delay { delay }
    }

    /// The fault's name as the request log and the admin endpoint spell it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Throttle { .. } => "throttle",
            Self::Status { .. } => "status",
            Self::Reset => "reset",
            Self::ResetAfterHandling => "resetAfterHandling",
            Self::Delay { .. } => "delay",
            Self::MalformedJson => "malformedJson",
            Self::TruncatedJson => "truncatedJson",
        }
    }
}

/// A fault and the requests it applies to.
///
/// ```
/// use std::time::Duration;
/// use aml_emulator::{Fault, FaultRule};
///
/// // The next three GETs of any compute answer 429 asking for a 10 ms wait.
/// let rule = FaultRule::new(Fault::throttle(Duration::from_millis(10)))
///     .times(3)
///     .method("GET")
///     .path_contains("/computes/");
/// # let _ = rule;
/// ```
///
/// On the admin endpoint: `{"fault": {"kind": "status", "status": 503}, "times": 2,
/// "method": "PUT", "pathContains": "/computes/"}` (`times` defaults to 1; `null` means every
/// matching request until removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// What happens.
    pub fault: Fault,
    /// How many matching requests it applies to; `None` for all of them until removed.
    #[serde(default = "once")]
    pub times: Option<u32>,
    /// Only requests with this method (ignoring case); any method when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path contains this text (ignoring ASCII case); any path when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "serde's default must return the field's type"
)]
fn once() -> Option<u32> {
    Some(1)
}

impl FaultRule {
    /// `fault` for the next request of any method and path.
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            times: Some(1),
            method: None,
            path_contains: None,
        }
    }

    /// Applies to the next `times` matching requests.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Applies to every matching request until removed.
    #[must_use]
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Applies only to requests with this method.
    #[must_use]
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Applies only to requests whose path contains `text` (ignoring ASCII case).
    #[must_use]
    pub fn path_contains(mut self, text: impl Into<String>) -> Self {
        self.path_contains = Some(text.into());
        self
    }

    fn matches(&self, method: &str, path_lower: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|text| path_lower.contains(&text.to_ascii_lowercase()))
    }
}

/// The id of an injected rule, to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultId(pub u64);

/// An injected rule and how many more requests it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ActiveFault {
    /// Its id.
    pub id: FaultId,
    /// The rule, with `times` counting down as requests match.
    pub rule: FaultRule,
}

/// How a long-running operation ends when a fault says so, instead of `Succeeded`.
///
/// On the admin endpoint: `{"status": "Failed", "error": {"code": "InternalServerError",
/// "message": "..."}}` or `{"status": "Canceled"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status")]
#[non_exhaustive]
pub enum OperationOutcome {
    /// The operation ends `Failed` with this error; the compute goes `Failed` with it in
    /// `provisioningErrors`.
    Failed {
        /// The error the operation status and the compute report.
        error: ErrorDetail,
    },
    /// The operation ends `Canceled`; the compute goes `Canceled`.
    Canceled,
}

impl OperationOutcome {
    /// A `Failed` outcome with this code and message.
    pub fn failed(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Failed {
            error: ErrorDetail {
                code: Some(code.into()),
                message: Some(message.into()),
                ..Default::default()
            },
        }
    }
}

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
struct Level {
    tokens: f64,
    at: Instant,
}

#[derive(Debug, Default)]
struct FaultState {
    next_id: u64,
    rules: Vec<ActiveFault>,
    outcomes: VecDeque<OperationOutcome>,
    throttling: Option<Throttling>,
    levels: HashMap<(String, bool), Level>,
}

/// The fault controls of a running emulator; cheap to clone, shared with the server.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
    /// Whether any rule or outcome is pending, so the common path skips the lock.
    armed: Arc<AtomicBool>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn rearm(&self, state: &FaultState) {
        self.armed.store(
            !state.rules.is_empty() || !state.outcomes.is_empty() || state.throttling.is_some(),
            Ordering::Release,
        );
    }

    /// Adds a rule; rules are tried in the order they were added.
    pub fn inject(&self, rule: FaultRule) -> FaultId {
        let mut state = self.lock();
        state.next_id += 1;
        let id = FaultId(state.next_id);
        if rule.times != Some(0) {
            state.rules.push(ActiveFault { id, rule });
        }
        self.rearm(&state);
        id
    }

    /// Removes a rule; `false` if it was not there (or was used up).
    pub fn remove(&self, id: FaultId) -> bool {
        let mut state = self.lock();
        let before = state.rules.len();
        state.rules.retain(|active| active.id != id);
        let removed = state.rules.len() != before;
        self.rearm(&state);
        removed
    }

    /// The rules still in force.
    pub fn active(&self) -> Vec<ActiveFault> {
        self.lock().rules.clone()
    }

    /// Makes the next `times` long-running operations end with `outcome`.
    pub fn end_next_operations(&self, outcome: OperationOutcome, times: u32) {
        let mut state = self.lock();
        state.outcomes.extend(std::iter::repeat_n(
            outcome,
            usize::try_from(times).unwrap_or(usize::MAX),
        ));
        self.rearm(&state);
    }

    /// Makes the next long-running operation end `Failed` with `error`.
    pub fn fail_next_operation(&self, error: ErrorDetail) {
        self.end_next_operations(OperationOutcome::Failed { error }, 1);
    }

    /// Turns throttling on with these buckets (full), or off with `None`.
    pub fn set_throttling(&self, throttling: Option<Throttling>) {
        let mut state = self.lock();
        state.throttling = throttling;
        state.levels.clear();
        self.rearm(&state);
    }

    /// The throttling in force.
    pub fn throttling(&self) -> Option<Throttling> {
        self.lock().throttling
    }

    /// Removes every rule, pending outcome and throttling.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.rules.clear();
        state.outcomes.clear();
        state.throttling = None;
        state.levels.clear();
        self.rearm(&state);
    }

    /// The fault for a request, using up one application of the first matching rule.
    pub(crate) fn take(&self, method: &str, path: &str) -> Option<Fault> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let path_lower = path.to_ascii_lowercase();
        let mut state = self.lock();
        let index = state
            .rules
            .iter()
            .position(|active| active.rule.matches(method, &path_lower))?;
        let active = &mut state.rules[index];
        let fault = active.rule.fault.clone();
        if let Some(times) = &mut active.rule.times {
            *times -= 1;
            if *times == 0 {
                state.rules.remove(index);
            }
        }
        self.rearm(&state);
        Some(fault)
    }

    /// The outcome a new operation must end with, if a fault says so.
    pub(crate) fn take_outcome(&self) -> Option<OperationOutcome> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.lock();
        let outcome = state.outcomes.pop_front();
        self.rearm(&state);
        outcome
    }

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
    use serde_json::json;

    use super::*;

    #[test]
    fn rules_count_down_and_match_method_and_path() {
        let faults = Faults::default();
        faults.inject(
            FaultRule::new(Fault::status(503))
                .times(2)
                .method("get")
                .path_contains("/COMPUTES/"),
        );
        assert_eq!(faults.take("PUT", "/x/computes/a"), None);
        assert_eq!(faults.take("GET", "/x/workspaces/w"), None);
        assert_eq!(
            faults.take("GET", "/x/computes/a"),
            Some(Fault::status(503))
        );
        assert_eq!(
            faults.take("GET", "/x/computes/b"),
            Some(Fault::status(503))
        );
        assert_eq!(faults.take("GET", "/x/computes/a"), None);
        assert!(faults.active().is_empty());
    }

    #[test]
    fn always_rules_stay_until_removed() {
        let faults = Faults::default();
        let id = faults.inject(FaultRule::new(Fault::Reset).always());
        for _ in 0..5 {
            assert_eq!(faults.take("GET", "/"), Some(Fault::Reset));
        }
        assert!(faults.remove(id));
        assert!(!faults.remove(id));
        assert_eq!(faults.take("GET", "/"), None);
    }

    #[test]
    fn admin_json_shapes() {
        let rule: FaultRule = serde_json::from_value(json!({
            "fault": {"kind": "throttle", "retryAfterMs": 1500},
            "method": "GET"
        }))
        .unwrap();
        assert_eq!(rule.times, Some(1));
        assert_eq!(rule.fault, Fault::throttle(Duration::from_millis(1500)));
        let forever: FaultRule =
            serde_json::from_value(json!({"fault": {"kind": "resetAfterHandling"}, "times": null}))
                .unwrap();
        assert_eq!(forever.times, None);
        let status: Fault =
            serde_json::from_value(json!({"kind": "status", "status": 502, "retryAfterMs": 20}))
                .unwrap();
        assert_eq!(
            status,
            Fault::Status {
                status: 502,
                retry_after: Some(Duration::from_millis(20))
            }
        );
        assert_eq!(
            serde_json::to_value(Fault::delay(Duration::from_millis(5))).unwrap(),
            json!({"kind": "delay", "delayMs": 5})
        );
        let outcome: OperationOutcome = serde_json::from_value(
            json!({"status": "Failed", "error": {"code": "X", "message": "m"}}),
        )
        .unwrap();
        assert_eq!(outcome, OperationOutcome::failed("X", "m"));
        let canceled: OperationOutcome =
            serde_json::from_value(json!({"status": "Canceled"})).unwrap();
        assert_eq!(canceled, OperationOutcome::Canceled);
    }

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

    #[test]
    fn outcomes_are_used_in_order() {
        let faults = Faults::default();
        faults.end_next_operations(OperationOutcome::Canceled, 1);
        faults.fail_next_operation(ErrorDetail::default());
        assert_eq!(faults.take_outcome(), Some(OperationOutcome::Canceled));
        assert!(matches!(
            faults.take_outcome(),
            Some(OperationOutcome::Failed { .. })
        ));
        assert_eq!(faults.take_outcome(), None);
    }
}
