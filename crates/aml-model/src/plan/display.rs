//! A plan's `Display`: the dry run.

use std::fmt;

use super::{Change, Plan, Read, Step, Subject};
use crate::request::render;

impl fmt::Display for Plan {
    /// The operation, its warnings, then each step numbered: reads and writes with
    /// `METHOD URL`, writes with their redacted body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            Subject::Compute(id) => writeln!(
                f,
                "{} compute {} in workspace {}",
                self.kind,
                id.name(),
                id.workspace().name()
            )?,
            Subject::Cluster { workspace, cluster } => writeln!(
                f,
                "{} {} (resource group {}), for workspace {}",
                self.kind,
                cluster.name(),
                cluster.resource_group(),
                workspace.name()
            )?,
        }
        for w in &self.warnings {
            writeln!(f, "  warning: {w}")?;
        }
        // Numbers right-aligned, continuation lines under the text: `   9. ...`, `  10. ...`.
        let width = self.steps.len().to_string().len();
        let pad = " ".repeat(width + 4);
        for (i, step) in self.steps.iter().enumerate() {
            let n = format!("{:>width$}", i + 1);
            if let Some(condition) = self.condition(i) {
                writeln!(f, "  {n}. ({condition})")?;
            }
            match step {
                Step::Read { read, request } => {
                    writeln!(f, "  {n}. read: {}", step.summary())?;
                    match (read, request) {
                        (_, Some(r)) => writeln!(f, "{pad}{}", render(r, &self.endpoint))?,
                        (Read::KubernetesVersions, None) => writeln!(
                            f,
                            "{pad}GET {}/subscriptions/{}/providers/Microsoft.ContainerService/locations/{{cluster's region}}/kubernetesVersions",
                            self.endpoint.trim_end_matches('/'),
                            self.subject.workspace().subscription_id()
                        )?,
                        (Read::ServiceTags, None) => writeln!(
                            f,
                            "{pad}GET {}/subscriptions/{}/providers/Microsoft.Network/locations/{{workspace's region}}/serviceTags?api-version={}",
                            self.endpoint.trim_end_matches('/'),
                            self.subject.workspace().subscription_id(),
                            crate::request::NETWORK_API_VERSION
                        )?,
                        (_, None) => {}
                    }
                }
                Step::Check(check) => writeln!(f, "  {n}. check: {check}")?,
                Step::Write { purpose, request } => {
                    writeln!(f, "  {n}. write: {purpose}")?;
                    for line in render(request, &self.endpoint).lines() {
                        writeln!(f, "{pad}{line}")?;
                    }
                }
                Step::Modify {
                    purpose,
                    request,
                    change: Change::AdmitControlPlane,
                } if !request.body().is_empty() => {
                    writeln!(f, "  {n}. write: {purpose}")?;
                    for line in render(request, &self.endpoint).lines() {
                        writeln!(f, "{pad}{line}")?;
                    }
                    writeln!(
                        f,
                        "{pad}(authorized IP ranges: as shown, plus the missing control-plane prefixes the check above finds)"
                    )?;
                }
                Step::Modify {
                    purpose, request, ..
                } => {
                    writeln!(f, "  {n}. write: {purpose}")?;
                    writeln!(
                        f,
                        "{pad}{} (body: as read, with the changes above)",
                        render(request, &self.endpoint)
                    )?;
                }
                Step::Wait => writeln!(f, "  {n}. wait for the operation to finish")?,
            }
        }
        self.fmt_rollback(f, &pad)
    }
}

impl Plan {
    /// What a re-attach does if attaching fails after its detach.
    fn fmt_rollback(&self, f: &mut fmt::Formatter<'_>, pad: &str) -> fmt::Result {
        let Some(rollback) = &self.rollback else {
            return Ok(());
        };
        writeln!(
            f,
            "  if attaching fails after the detach: detach what the failed attach left (if anything), attach again as before ({}), and wait",
            rollback.previous
        )?;
        if let Some(lost) = &rollback.lost {
            writeln!(f, "{pad}not restored: {lost}")?;
        }
        for line in render(&rollback.request, &self.endpoint).lines() {
            writeln!(f, "{pad}{line}")?;
        }
        if rollback.load_balancer.is_some() {
            writeln!(
                f,
                "{pad}then switch back to the internal load balancer (an update once attached), and wait"
            )?;
        }
        Ok(())
    }
}
