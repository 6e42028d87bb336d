//! The body of an ARM asynchronous operation (`Azure-AsyncOperation` status URL).

use crate::wire::{ErrorDetail, OperationStatus};

wire_object! {
    /// The status of a long-running operation (common-types `OperationStatusResult`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct OperationStatusResult {
        /// The operation's id.
        pub id: Option<String> = "id",
        /// The operation's name.
        pub name: Option<String> = "name",
        /// Where the operation is: see [`OperationStatus::is_terminal`].
        pub status: Option<OperationStatus> = "status",
        /// When it started (RFC 3339 text, as sent).
        pub start_time: Option<String> = "startTime",
        /// When it ended (RFC 3339 text, as sent).
        pub end_time: Option<String> = "endTime",
        /// Progress from 0 to 100, kept as the JSON number sent (see
        /// [`OperationStatusResult::percent`]).
        pub percent_complete: Option<serde_json::Number> = "percentComplete",
        /// Why the operation failed, when it did.
        pub error: Option<ErrorDetail> = "error",
        /// Operation-specific results.
        pub properties: Option<serde_json::Value> = "properties",
    }
}

impl OperationStatusResult {
    /// `percentComplete` as a float, if the service sent it.
    pub fn percent(&self) -> Option<f64> {
        self.percent_complete
            .as_ref()
            .and_then(serde_json::Number::as_f64)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn in_progress_status_keeps_an_integer_percentage() {
        let body = json!({
            "id": "/subscriptions/s/providers/Microsoft.MachineLearningServices/locations/eastus/computeOperationsStatus/op1",
            "name": "op1",
            "status": "InProgress",
            "startTime": "2024-05-01T10:00:00Z",
            "percentComplete": 50
        });
        let parsed: OperationStatusResult = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(parsed.status, Some(OperationStatus::InProgress));
        assert!(!parsed.status.as_ref().unwrap().is_terminal());
        assert_eq!(parsed.percent(), Some(50.0));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), body);
    }

    #[test]
    fn failed_status_carries_the_error() {
        let body = json!({
            "name": "op2",
            "status": "Failed",
            "endTime": "2024-05-01T10:05:00Z",
            "percentComplete": 99.5,
            "error": {"code": "QuotaExceeded", "message": "not enough cores"},
            "properties": {"retryable": false}
        });
        let parsed: OperationStatusResult = serde_json::from_value(body.clone()).unwrap();
        assert!(parsed.status.as_ref().unwrap().is_terminal());
        assert_eq!(
            parsed.error.as_ref().unwrap().code.as_deref(),
            Some("QuotaExceeded")
        );
        assert_eq!(parsed.percent(), Some(99.5));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), body);
    }
}
