//! Dry runs: the ordered ARM requests an operation would send, secrets redacted, nothing sent.

use std::fmt;

use aml_model::Issue;
use aml_model::spec::PlannedRequest;

/// The requests an operation would send, in order.
#[derive(Debug, Clone)]
pub struct DryRun {
    warnings: Vec<Issue>,
    steps: Vec<PlannedRequest>,
    endpoint: String,
}

impl DryRun {
    pub(crate) fn new(warnings: Vec<Issue>, steps: Vec<PlannedRequest>) -> Self {
        Self {
            warnings,
            steps,
            endpoint: "https://management.azure.com".into(),
        }
    }

    /// Renders URLs against `endpoint` (the workspace's ARM endpoint by default).
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Advice found while validating.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }

    /// The requests, in order. Bodies may hold secrets: render them with
    /// [`aml_model::request::ArmRequest::render_redacted`] (as `Display` does).
    pub fn steps(&self) -> &[PlannedRequest] {
        &self.steps
    }
}

impl fmt::Display for DryRun {
    /// Warnings, then each step: its purpose, `METHOD URL` and the redacted body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        for (i, step) in self.steps.iter().enumerate() {
            writeln!(f, "# {}. {}", i + 1, step.purpose)?;
            writeln!(f, "{}", step.request.render_redacted(&self.endpoint))?;
        }
        Ok(())
    }
}
