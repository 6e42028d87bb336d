//! ARM error answers: a status code and the `{"error": {...}}` envelope, with the codes and
//! messages ARM and the services use.

use aml_model::wire::{ErrorDetail, ErrorResponse};

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArmError {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The error itself (boxed: errors are the rare path, and results stay small).
    pub(crate) detail: Box<ErrorDetail>,
}

/// An error detail with a code and a message.
pub(crate) fn detail(code: &str, message: impl Into<String>) -> ErrorDetail {
    ErrorDetail {
        code: Some(code.to_owned()),
        message: Some(message.into()),
        ..Default::default()
    }
}

impl ArmError {
    /// An error with this status, code and message.
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            detail: Box::new(detail(code, message)),
        }
    }

    /// Adds finer-grained errors.
    #[must_use]
    pub(crate) fn with_details(mut self, details: Vec<ErrorDetail>) -> Self {
        self.detail.details = Some(details);
        self
    }

    /// Names the property the error is about.
    #[must_use]
    pub(crate) fn with_target(mut self, target: impl Into<String>) -> Self {
        self.detail.target = Some(target.into());
        self
    }

    /// The body: `{"error": {...}}`.
    pub(crate) fn envelope(&self) -> ErrorResponse {
        ErrorResponse {
            error: Some((*self.detail).clone()),
            ..Default::default()
        }
    }

    /// 400 `BadRequest`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 400 `InvalidRequestContent`: a body that is not JSON of the expected shape.
    pub(crate) fn invalid_content(reason: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{reason}'."),
        )
    }

    /// 404 `ResourceNotFound` for a resource of `kind` (`Microsoft.X/type/name`) in a group.
    pub(crate) fn resource_not_found(kind_and_name: &str, resource_group: &str) -> Self {
        Self::new(
            404,
            "ResourceNotFound",
            format!(
                "The Resource '{kind_and_name}' under resource group '{resource_group}' was not found. \
                 For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    /// 404 `SubscriptionNotFound`.
    pub(crate) fn subscription_not_found(subscription: &str) -> Self {
        Self::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        )
    }

    /// 404 `ResourceGroupNotFound`.
    pub(crate) fn resource_group_not_found(resource_group: &str) -> Self {
        Self::new(
            404,
            "ResourceGroupNotFound",
            format!("Resource group '{resource_group}' could not be found."),
        )
    }

    /// 409 `Conflict`.
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "Conflict", message)
    }
}

/// The ARM code for an HTTP status injected by a fault.
pub(crate) fn code_for_status(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "AuthenticationFailed",
        403 => "AuthorizationFailed",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn envelope_shape() {
        let error = ArmError::bad_request("nope")
            .with_target("properties.agentCount")
            .with_details(vec![detail("Inner", "why")]);
        assert_eq!(
            serde_json::to_value(error.envelope()).unwrap(),
            json!({"error": {"code": "BadRequest", "message": "nope",
                   "target": "properties.agentCount",
                   "details": [{"code": "Inner", "message": "why"}]}})
        );
        assert_eq!(code_for_status(503), "ServiceUnavailable");
    }
}
