//! Reading the bodies of a long-running operation: the operation status
//! (`aml_model::wire::OperationStatusResult`) and a resource's `provisioningState` and
//! `provisioningErrors`. Leniently: a field of an unexpected shape is skipped, never fatal.

use aml_model::wire::{ErrorDetail, OperationStatus, OperationStatusResult};
use serde_json::Value;

/// An operation status body. A field of the wrong type (an `error` that is a string, a quoted
/// `percentComplete`) does not hide the others: what reads is kept.
pub(crate) fn read_status(body: &Value) -> OperationStatusResult {
    if let Ok(status) = serde_json::from_value::<OperationStatusResult>(body.clone()) {
        return status;
    }
    OperationStatusResult {
        status: body
            .get("status")
            .and_then(Value::as_str)
            .map(OperationStatus::parse),
        error: body
            .get("error")
            .and_then(|e| serde_json::from_value::<ErrorDetail>(e.clone()).ok()),
        percent_complete: body
            .get("percentComplete")
            .and_then(Value::as_number)
            .cloned(),
        ..OperationStatusResult::default()
    }
}

/// `percentComplete` of an operation status, if it is a number, clamped to `0..=100` (a service
/// can send any number; JSON has no NaN or infinity, and `as_f64` reads big integers as finite).
pub(crate) fn percent_complete(status: &OperationStatusResult) -> Option<f64> {
    status
        .percent()
        .filter(|p| p.is_finite())
        .map(|p| p.clamp(0.0, 100.0))
}

/// `properties.provisioningState` of a resource body.
pub(crate) fn provisioning_state(body: &[u8]) -> Option<OperationStatus> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("properties")?
        .get("provisioningState")?
        .as_str()
        .map(OperationStatus::parse)
}

/// `properties.provisioningErrors` of a resource body. Items are either `{ "error": {...} }`
/// (Azure Machine Learning's shape) or bare error objects.
pub(crate) fn provisioning_errors(body: &[u8]) -> Vec<ErrorDetail> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let Some(items) = v
        .get("properties")
        .and_then(|p| p.get("provisioningErrors"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let inner = item.get("error").unwrap_or(item);
            serde_json::from_value::<ErrorDetail>(inner.clone()).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_case_insensitively() {
        assert_eq!(
            OperationStatus::parse("SUCCEEDED"),
            OperationStatus::Succeeded
        );
        assert_eq!(OperationStatus::parse("failed"), OperationStatus::Failed);
        assert_eq!(
            OperationStatus::parse("Cancelled"),
            OperationStatus::Canceled
        );
        let s = OperationStatus::parse("Creating");
        assert!(!s.is_terminal());
        assert_eq!(s.to_string(), "Creating");
    }

    #[test]
    fn provisioning_errors_accept_both_shapes() {
        let body = br#"{"properties":{"provisioningState":"Failed","provisioningErrors":[
            {"error":{"code":"AksQuota","message":"no quota"}},
            {"code":"Bare","message":"bare"}]}}"#;
        let e = provisioning_errors(body);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].code.as_deref(), Some("AksQuota"));
        assert_eq!(e[1].code.as_deref(), Some("Bare"));
        assert_eq!(provisioning_state(body), Some(OperationStatus::Failed));
        assert!(provisioning_errors(b"{}").is_empty());
    }

    #[test]
    fn percent_complete_is_a_number_between_0_and_100() {
        let read =
            |text: &str| percent_complete(&read_status(&serde_json::from_str(text).unwrap()));
        assert_eq!(read(r#"{"percentComplete": 42.5}"#), Some(42.5));
        assert_eq!(read(r#"{"percentComplete": 1e308}"#), Some(100.0));
        assert_eq!(read(r#"{"percentComplete": -1e308}"#), Some(0.0));
        assert_eq!(
            read(r#"{"percentComplete": 18446744073709551615}"#),
            Some(100.0)
        );
        assert_eq!(
            read(r#"{"percentComplete": -9223372036854775808}"#),
            Some(0.0)
        );
        assert_eq!(read(r#"{"percentComplete": "50"}"#), None);
        assert_eq!(read(r#"{"percentComplete": null}"#), None);
        assert_eq!(read("{}"), None);
    }

    #[test]
    fn a_malformed_field_does_not_hide_the_status() {
        let body = serde_json::json!({"status": "Failed", "error": "boom", "percentComplete": "x"});
        let s = read_status(&body);
        assert_eq!(s.status, Some(OperationStatus::Failed));
        assert_eq!(s.error, None);
        let body = serde_json::json!({"status": "Failed", "error": {"code": "Quota"}});
        assert_eq!(
            read_status(&body).error.and_then(|e| e.code).as_deref(),
            Some("Quota")
        );
        assert_eq!(read_status(&serde_json::json!([1])).status, None);
    }
}
