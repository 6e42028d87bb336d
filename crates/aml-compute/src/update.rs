//! Update: TLS and the load balancer of a compute, by GET-modify-PUT (R5, R20).

use aml_model::config::{AksUpdateBuilder, AksUpdateConfiguration};
use aml_model::plan::Plan;
use aml_model::{ComputeId, Report};
use aml_tls::OffsetDateTime;

use crate::error::{Error, Result};
use crate::operation::ComputeOperation;
use crate::workspace::Workspace;

impl Workspace {
    /// The plan of [`Workspace::begin_update`]: read the compute, `PUT` it back with the
    /// changes, wait. Validates the changes (and the certificate); sends nothing.
    pub fn plan_update(&self, name: &str, config: AksUpdateBuilder) -> Result<Plan> {
        let (id, update) = self.prepare_update(name, config)?;
        Ok(self.plan(Plan::update(&self.requests, &id, update)))
    }

    /// Changes TLS and/or the load balancer of a compute (R5, R20) by GET-modify-PUT, keeping
    /// every field this library does not know. TLS with an internal load balancer is refused
    /// (R18), judged against the compute's current settings too. Returns once the `PUT` is
    /// accepted; await the operation to wait for it.
    pub async fn begin_update(
        &self,
        name: &str,
        config: AksUpdateBuilder,
    ) -> Result<ComputeOperation> {
        let plan = self.plan_update(name, config)?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }

    fn prepare_update(
        &self,
        name: &str,
        config: AksUpdateBuilder,
    ) -> Result<(ComputeId, AksUpdateConfiguration)> {
        let tls = config
            .tls
            .as_ref()
            .map(|t| crate::tls::check_settings(t, OffsetDateTime::now_utc()))
            .unwrap_or_default();
        let mut report = Report::new();
        let id = match self.compute_id(name) {
            Ok(id) => Some(id),
            Err(Error::Validation(r)) => {
                report.merge(r);
                None
            }
            Err(other) => return Err(other),
        };
        let update = config.check(&mut report);
        report.merge(tls);
        match (id, update) {
            (Some(id), Some(update)) if report.is_ok() => Ok((id, update)),
            _ => Err(Error::Validation(report)),
        }
    }
}
