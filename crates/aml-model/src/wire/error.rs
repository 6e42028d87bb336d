//! The ARM error envelope (common-types v3 `ErrorResponse`; ContainerService's `CloudError` has
//! the same shape).

wire_object! {
    /// The body of a failed ARM request: `{"error": {...}}`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ErrorResponse {
        /// The error.
        pub error: Option<ErrorDetail> = "error",
    }
}

wire_object! {
    /// One ARM error, with nested details.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ErrorDetail {
        /// The machine-readable error code, such as `ResourceNotFound`.
        pub code: Option<String> = "code",
        /// The human-readable message.
        pub message: Option<String> = "message",
        /// What the error is about, such as a property name.
        pub target: Option<String> = "target",
        /// Finer-grained errors.
        pub details: Option<Vec<ErrorDetail>> = "details",
        /// Extra information (for example policy violations).
        pub additional_info: Option<Vec<ErrorAdditionalInfo>> = "additionalInfo",
    }
}

wire_object! {
    /// Additional information attached to an ARM error.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ErrorAdditionalInfo {
        /// The kind of information, such as `PolicyViolation`.
        pub type_: Option<String> = "type",
        /// The information itself, shaped by `type`.
        pub info: Option<serde_json::Value> = "info",
    }
}

impl std::fmt::Display for ErrorDetail {
    /// `code: message (target t); detail; detail`: one line, the nested details after the error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => write!(f, "{c}: {m}")?,
            (Some(c), None) => f.write_str(c)?,
            (None, Some(m)) => f.write_str(m)?,
            (None, None) => f.write_str("no error code or message")?,
        }
        if let Some(t) = &self.target {
            write!(f, " (target {t})")?;
        }
        for d in self.details.iter().flatten() {
            write!(f, "; {d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn error_envelope_with_details_and_additional_info() {
        let body = json!({
            "error": {
                "code": "BadRequest",
                "message": "The request is invalid.",
                "target": "properties.agentCount",
                "details": [
                    {"code": "AgentCountTooLow", "message": "needs 3", "details": []}
                ],
                "additionalInfo": [
                    {"type": "PolicyViolation", "info": {"policyDefinitionId": "/x", "n": 1.5}}
                ]
            }
        });
        let parsed: ErrorResponse = serde_json::from_value(body.clone()).unwrap();
        let error = parsed.error.as_ref().unwrap();
        assert_eq!(error.code.as_deref(), Some("BadRequest"));
        assert_eq!(error.target.as_deref(), Some("properties.agentCount"));
        let details = error.details.as_ref().unwrap();
        assert_eq!(details[0].code.as_deref(), Some("AgentCountTooLow"));
        assert_eq!(details[0].details, Some(vec![]));
        assert_eq!(
            error.to_string(),
            "BadRequest: The request is invalid. (target properties.agentCount); \
             AgentCountTooLow: needs 3"
        );
        let info = &error.additional_info.as_ref().unwrap()[0];
        assert_eq!(info.type_.as_deref(), Some("PolicyViolation"));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), body);
    }

    #[test]
    fn error_with_nulls_and_extra_fields_round_trips() {
        // Some services send `"target": null` and extra fields next to the standard ones.
        let body = json!({"error": {"code": "Conflict", "message": "busy", "target": null,
                                    "innererror": {"trace": "abc"}}});
        let parsed: ErrorResponse = serde_json::from_value(body.clone()).unwrap();
        let error = parsed.error.as_ref().unwrap();
        assert_eq!(error.target, None);
        assert!(error.extra.contains_key("innererror"));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), body);
    }
}
