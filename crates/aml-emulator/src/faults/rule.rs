//! Request faults and operation outcomes: what a fault does, which requests a rule applies to,
//! and how an operation ends when a fault says so.

use std::time::Duration;

use aml_model::wire::ErrorDetail;
use serde::{Deserialize, Serialize};

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
/// "method": "PUT", "pathContains": "/computes/", "skip": 1}` (`times` defaults to 1; `null`
/// means every matching request until removed; `skip` defaults to 0).
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
    /// How many matching requests that reach this rule (no earlier rule applied to them) pass
    /// untouched before it applies; 0 by default.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skip: u32,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &u32) -> bool {
    *n == 0
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
            skip: 0,
        }
    }

    /// Lets the first `skip` matching requests that reach this rule through before it applies.
    #[must_use]
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = skip;
        self
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

    pub(super) fn matches(&self, method: &str, path_lower: &str) -> bool {
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
    /// `provisioningErrors` (an agent pool goes `Failed` with its earlier settings).
    Failed {
        /// The error the operation status and the compute report.
        error: ErrorDetail,
    },
    /// The operation ends `Canceled`; the compute (or agent pool) goes `Canceled`.
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
}
