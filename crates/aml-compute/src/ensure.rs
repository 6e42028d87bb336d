//! Ensure: make a compute true idempotently, adopting an identical one, refusing one that
//! differs (every difference listed) or that failed.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use aml_model::config::{AksAttachBuilder, AksProvisioningBuilder, TlsConfig};
use aml_model::plan::Plan;
use aml_model::request::{AttachCompute, CreateCompute};
use aml_model::wire::ComputeResource;
use aml_model::wire::{ClusterPurpose, LoadBalancerType};

use crate::aks::{AksCompute, ComputeTarget};
use crate::attach::AttachOptions;
use crate::error::{Difference, Error, Result};
use crate::operation::{Completion, ComputeOperation};
use crate::workspace::Workspace;

/// What [`Workspace::ensure`] should make true.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // built once per call, never stored in bulk
pub enum Desired {
    /// A compute created through the workspace.
    Create(AksProvisioningBuilder),
    /// An attached existing cluster.
    Attach(AksAttachBuilder),
}

/// What [`Workspace::ensure`] did. Await it for the compute.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // returned once per call
pub enum Ensured {
    /// An identical compute existed: adopted, nothing written.
    Adopted(AksCompute),
    /// The compute was absent: creating or attaching started.
    Started(ComputeOperation),
}

impl IntoFuture for Ensured {
    type Output = Result<AksCompute>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<AksCompute>> + Send>>;

    /// Waits for a started operation; an adopted compute is returned as it is.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            match self {
                Self::Adopted(c) => Ok(c),
                Self::Started(op) => {
                    let name = op.name().to_owned();
                    match op.await? {
                        Completion::Compute(ComputeTarget::Aks(c)) => Ok(c),
                        _ => Err(Error::Refused {
                            action: "ensure",
                            name,
                            reason: "the service returned a compute that is not AKS".into(),
                            rule: None,
                        }),
                    }
                }
            }
        })
    }
}

impl Workspace {
    /// Creates or attaches, idempotently: an absent compute is created or attached (the plan of
    /// [`Workspace::plan_create`] or [`Workspace::plan_attach`] runs); an identical one is
    /// adopted without any write; a different one is an [`Error::Conflict`] listing every
    /// difference; a `Failed` one is [`Error::FailedCompute`], which says how to recover.
    pub async fn ensure(&self, name: &str, desired: Desired) -> Result<Ensured> {
        match desired {
            Desired::Create(config) => {
                let create = self.prepare_create(name, config).await?;
                match self.get_resource(self.requests.get(create.id())).await? {
                    None => {
                        let plan = self.plan(Plan::create(&self.requests, &create));
                        let op = Box::pin(ComputeOperation::start(self.clone(), plan)).await?;
                        Ok(Ensured::Started(op))
                    }
                    Some(existing) => {
                        let existing = Self::adoptable(name, existing)?;
                        let diffs = differences_create(&existing, &create);
                        Self::adopt_or_conflict(name, existing, diffs)
                    }
                }
            }
            Desired::Attach(config) => {
                let attach = self.prepare_attach(name, config)?;
                match self.get_resource(self.requests.get(attach.id())).await? {
                    None => {
                        let allow = AttachOptions::default().allow_second_attachment;
                        let plan = self.plan(Plan::attach(&self.requests, &attach, allow));
                        let op = Box::pin(ComputeOperation::start(self.clone(), plan)).await?;
                        Ok(Ensured::Started(op))
                    }
                    Some(existing) => {
                        let existing = Self::adoptable(name, existing)?;
                        let diffs = differences_attach(&existing, &attach);
                        Self::adopt_or_conflict(name, existing, diffs)
                    }
                }
            }
        }
    }

    fn adoptable(name: &str, existing: ComputeResource) -> Result<AksCompute> {
        match ComputeTarget::from_resource(existing) {
            ComputeTarget::Aks(aks) if aks.is_failed() => Err(Error::FailedCompute {
                name: name.to_owned(),
                errors: aks.provisioning_errors(),
            }),
            ComputeTarget::Aks(aks) => Ok(aks),
            ComputeTarget::Other { compute_type, .. } => Err(Error::Conflict {
                name: name.to_owned(),
                differences: vec![Difference {
                    field: "compute_type",
                    existing: compute_type,
                    desired: "AKS".into(),
                }],
            }),
        }
    }

    fn adopt_or_conflict(
        name: &str,
        existing: AksCompute,
        differences: Vec<Difference>,
    ) -> Result<Ensured> {
        if differences.is_empty() {
            Ok(Ensured::Adopted(existing))
        } else {
            Err(Error::Conflict {
                name: name.to_owned(),
                differences,
            })
        }
    }
}

fn eq_opt(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

fn show(v: Option<&str>) -> String {
    v.map_or_else(|| "unset".to_owned(), str::to_owned)
}

fn tls_differences(existing: &AksCompute, tls: &TlsConfig, out: &mut Vec<Difference>) {
    let status = existing.ssl_status().map_or("Disabled", |s| s.as_str());
    let (want_status, want_cname, want_label) = match tls {
        TlsConfig::Disabled => ("Disabled", None, None),
        TlsConfig::Custom(c) => ("Enabled", Some(c.cname()), None),
        TlsConfig::Microsoft(m) => ("Auto", None, Some(m.leaf_domain_label())),
        TlsConfig::Renew { .. } => ("Auto", None, None),
    };
    if !status.eq_ignore_ascii_case(want_status) {
        out.push(Difference {
            field: "tls.status",
            existing: status.to_owned(),
            desired: want_status.to_owned(),
        });
    }
    if want_cname.is_some() && !eq_opt(existing.ssl_cname(), want_cname) {
        out.push(Difference {
            field: "tls.cname",
            existing: show(existing.ssl_cname()),
            desired: show(want_cname),
        });
    }
    if want_label.is_some() && !eq_opt(existing.leaf_domain_label(), want_label) {
        out.push(Difference {
            field: "tls.leaf_domain_label",
            existing: show(existing.leaf_domain_label()),
            desired: show(want_label),
        });
    }
}

fn lb_differences(
    existing: &AksCompute,
    lb: &aml_model::config::LoadBalancer,
    out: &mut Vec<Difference>,
) {
    let desired: &LoadBalancerType = lb.kind();
    if existing.load_balancer_type() != desired {
        out.push(Difference {
            field: "load_balancer.type",
            existing: existing.load_balancer_type().to_string(),
            desired: desired.to_string(),
        });
    }
    if lb.subnet().is_some() && !eq_opt(existing.load_balancer_subnet(), lb.subnet()) {
        out.push(Difference {
            field: "load_balancer.subnet",
            existing: show(existing.load_balancer_subnet()),
            desired: show(lb.subnet()),
        });
    }
}

fn purpose_difference(
    existing: &AksCompute,
    purpose: &ClusterPurpose,
    field: &'static str,
    out: &mut Vec<Difference>,
) {
    // The service's default purpose is FastProd.
    let have = existing.cluster_purpose().cloned().unwrap_or_default();
    if have != *purpose {
        out.push(Difference {
            field,
            existing: have.to_string(),
            desired: purpose.to_string(),
        });
    }
}

/// Every difference between an existing compute and a desired create.
fn differences_create(existing: &AksCompute, create: &CreateCompute) -> Vec<Difference> {
    let c = create.config();
    let mut out = Vec::new();
    if existing.is_attached() {
        out.push(Difference {
            field: "create",
            existing: "an attached cluster".into(),
            desired: "a cluster created by the workspace".into(),
        });
    }
    if existing.agent_count() != Some(c.agent_count()) {
        out.push(Difference {
            field: "create.agent_count",
            existing: existing
                .agent_count()
                .map_or_else(|| "unset".into(), |n| n.to_string()),
            desired: c.agent_count().to_string(),
        });
    }
    if !eq_opt(existing.agent_vm_size(), Some(c.vm_size())) {
        out.push(Difference {
            field: "create.vm_size",
            existing: show(existing.agent_vm_size()),
            desired: c.vm_size().to_owned(),
        });
    }
    if !eq_opt(existing.compute_location(), Some(create.compute_location())) {
        out.push(Difference {
            field: "create.location",
            existing: show(existing.compute_location()),
            desired: create.compute_location().to_owned(),
        });
    }
    purpose_difference(
        existing,
        c.cluster_purpose(),
        "create.cluster_purpose",
        &mut out,
    );
    lb_differences(existing, c.load_balancer(), &mut out);
    tls_differences(existing, c.tls(), &mut out);
    out
}

/// Every difference between an existing compute and a desired attach.
fn differences_attach(existing: &AksCompute, attach: &AttachCompute) -> Vec<Difference> {
    let c = attach.config();
    let mut out = Vec::new();
    if existing.cluster_id().as_ref() != Some(attach.cluster()) {
        out.push(Difference {
            field: "attach.resource_id",
            existing: show(existing.cluster_resource_id()),
            desired: attach.cluster().to_string(),
        });
    }
    purpose_difference(
        existing,
        c.cluster_purpose(),
        "attach.cluster_purpose",
        &mut out,
    );
    lb_differences(existing, c.load_balancer(), &mut out);
    tls_differences(existing, c.tls(), &mut out);
    out
}
