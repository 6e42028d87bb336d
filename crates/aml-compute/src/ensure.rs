//! Ensure: make a compute true idempotently, adopting an identical one, refusing one that
//! differs (every difference listed) or that failed.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use aml_model::config::{
    AksAttachBuilder, AksProvisioningBuilder, AksUpdateBuilder, LoadBalancerSettings,
    ManagedClusterBuilder, ScaleConfiguration, TlsConfig, TlsSettings,
};
use aml_model::plan::Plan;
use aml_model::request::{AttachCompute, CreateCluster, CreateCompute};
use aml_model::wire::ComputeResource;
use aml_model::{ComputeId, PrivateKeyPem};

use crate::aks::{AksCompute, ComputeTarget};
use crate::attach::AttachOptions;
use crate::difference::{Difference, Remedy};
use crate::error::{Error, Result};
use crate::operation::{Completion, ComputeOperation};
use crate::secured::CreateClusterOptions;
use crate::workspace::Workspace;

mod cluster;
pub(crate) mod differences;

use differences::{
    diff, differences_attach, differences_create, eq_opt, lb_differences, purpose_difference, show,
    tls_differences,
};

/// What [`Workspace::begin_ensure`] should make true.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // built once per call, never stored in bulk
pub enum Desired {
    /// A compute created through the workspace.
    Create(AksProvisioningBuilder),
    /// An attached existing cluster (what [`Workspace::begin_attach`] does).
    Attach {
        /// The attach: the cluster's reference, TLS, purpose, load balancer.
        attach: AksAttachBuilder,
        /// When the compute is absent, whether the attach admits the Azure ML control plane
        /// into the cluster's authorized IP ranges (instead of refusing) and may attach a
        /// cluster attached already under another name.
        options: AttachOptions,
    },
    /// A new AKS cluster created in the workspace's subscription, then attached (what
    /// [`Workspace::begin_create_cluster`] does). Once the compute exists, it is compared like
    /// an attach, and the cluster's own settings are read from the live managed cluster and
    /// compared with `cluster`.
    CreateCluster {
        /// The new cluster.
        cluster: ManagedClusterBuilder,
        /// The attach: the cluster's reference (`.cluster(resource_group, name)`), TLS,
        /// purpose, load balancer.
        attach: AksAttachBuilder,
        /// Whether missing control-plane prefixes are added (when creating) instead of refused.
        options: CreateClusterOptions,
    },
}

/// What [`Workspace::begin_ensure`] did. Await it for the compute.
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

/// What [`Workspace::begin_ensure`] does for a compute, worked out from the live compute without
/// writing: its `plan_*` counterpart ([`Workspace::plan_ensure`]).
#[derive(Debug)]
pub struct Convergence {
    name: String,
    existing: Option<AksCompute>,
    differences: Vec<Difference>,
    plan: Option<Plan>,
    /// For a create-and-attach whose compute is absent: the cluster that exists already and is
    /// attached rather than created.
    existing_cluster: Option<String>,
}

impl Convergence {
    /// An absent compute and the plan that creates or attaches it.
    fn absent(name: &str, plan: Plan) -> Self {
        Self {
            name: name.to_owned(),
            existing: None,
            differences: Vec::new(),
            plan: Some(plan),
            existing_cluster: None,
        }
    }

    /// The compute as it is, when it exists.
    pub fn existing(&self) -> Option<&AksCompute> {
        self.existing.as_ref()
    }
    /// Every difference between the compute and the desired one, with its remedy; for a
    /// create-and-attach whose compute is absent but whose cluster exists already, the
    /// differences between that cluster and the desired one (each changeable in place).
    pub fn differences(&self) -> &[Difference] {
        &self.differences
    }
    /// The plan that makes the compute match (creates or attaches an absent one); `None` when
    /// it matches already.
    pub fn plan(&self) -> Option<&Plan> {
        self.plan.as_ref()
    }
    /// Whether the compute matches: nothing would be written.
    pub fn is_up_to_date(&self) -> bool {
        self.plan.is_none()
    }
    /// The plan, to run with [`Workspace::begin_plan`]; `None` when up to date.
    pub fn into_plan(self) -> Option<Plan> {
        self.plan
    }
}

impl std::fmt::Display for Convergence {
    /// Terraform-like: `+ compute` (absent), `~ compute` with each difference, or `compute is
    /// up to date`; then the plan.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.existing, &self.plan) {
            (None, _) => {
                match &self.existing_cluster {
                    Some(cluster) => writeln!(
                        f,
                        "+ compute {} (absent; AKS cluster {cluster} exists already: attached, not created)",
                        self.name
                    )?,
                    None => writeln!(f, "+ compute {} (absent)", self.name)?,
                }
                for d in &self.differences {
                    writeln!(f, "  {d}")?;
                }
            }
            (Some(_), None) => return writeln!(f, "compute {} is up to date", self.name),
            (Some(_), Some(_)) => {
                writeln!(f, "~ compute {}", self.name)?;
                for d in &self.differences {
                    writeln!(f, "  {d}")?;
                }
            }
        }
        if let Some(plan) = &self.plan {
            write!(f, "{plan}")?;
        }
        Ok(())
    }
}

impl Workspace {
    /// What [`Workspace::begin_ensure`] would do, without writing: the compute is read; absent, the
    /// plan creates or attaches it; present, every difference is listed with its remedy, and
    /// the plan applies the ones that can change in place (updates of TLS and the load
    /// balancer, a scale of the node count) or by re-attaching (an attached cluster's purpose).
    /// A difference that cannot change in place (VM size, region, virtual network, a created
    /// compute's purpose, another cluster) is [`Error::Conflict`] with every difference; a
    /// `Failed` compute is [`Error::FailedCompute`].
    ///
    /// For [`Desired::Attach`], an absent compute gets [`Workspace::plan_attach`]'s plan with
    /// the variant's [`AttachOptions`] (so `admit_control_plane` adds the control plane's
    /// missing prefixes to the cluster's ranges before the attach); an existing one is compared
    /// as above, and its cluster's authorized IP ranges (read live) with the Azure ML control
    /// plane: prefixes they lost are admitted in place with `admit_control_plane`
    /// ([`Remedy::AdmitControlPlane`], difference `cluster.authorized_ip_ranges`) and refused
    /// without it ([`Error::ControlPlaneNotAdmitted`]).
    ///
    /// For [`Desired::CreateCluster`], an absent compute gets the create-and-attach plan
    /// ([`Workspace::plan_create_cluster`]'s), unless the cluster exists already (a
    /// create-and-attach that stopped after creating it): then the live cluster is compared
    /// with the spec as below, a difference that cannot change in place is refused
    /// ([`Error::Refused`], rule `cluster.exists`, every difference listed), and otherwise the
    /// plan attaches that cluster ([`Workspace::plan_attach`]'s, with `admit_control_plane`
    /// from the options; a pool's node count is scaled after), with a warning that says so.
    /// An existing one is compared like an attach (the
    /// same cluster, purpose, TLS, load balancer) and with the live managed cluster: a pool's
    /// node count is a scale of that pool; its region, private flag, outbound type, load
    /// balancer SKU, subnet, a pool's VM size or a missing pool cannot change in place
    /// (AKS refuses); authorized IP ranges that miss the Azure ML control plane are, with
    /// `admit_control_plane`, changed in place ([`Remedy::AdmitControlPlane`]: the plan reads
    /// the cluster, the subscription's locations and the service tags, then `PUT`s the cluster
    /// as read with the missing prefixes added), and without it
    /// [`Error::ControlPlaneNotAdmitted`]; ranges that miss the spec's own ranges are a
    /// difference this library does not change in place (the remedy names the `az aks update`
    /// command).
    pub async fn plan_ensure(&self, name: &str, desired: Desired) -> Result<Convergence> {
        let (id, existing, differences, target) = match desired {
            Desired::Create(config) => {
                let create = self.prepare_create(name, config).await?;
                let existing = self.get_resource(self.requests.get(create.id())).await?;
                let Some(existing) = existing else {
                    let plan = self.plan(Plan::create(&self.requests, &create));
                    return Ok(Convergence::absent(name, plan));
                };
                let existing = Self::adoptable(name, existing)?;
                let diffs = differences_create(&existing, &create);
                (create.id().clone(), existing, diffs, Target::Create(create))
            }
            Desired::Attach {
                attach: config,
                options,
            } => {
                let attach = self.prepare_attach(name, config)?;
                let existing = self.get_resource(self.requests.get(attach.id())).await?;
                let Some(existing) = existing else {
                    let plan = self.plan(Plan::attach(
                        &self.requests,
                        &attach,
                        options.allow_second_attachment,
                        options.admit_control_plane,
                    ));
                    return Ok(Convergence::absent(name, plan));
                };
                let existing = Self::adoptable(name, existing)?;
                let diffs = self
                    .attach_differences(&existing, &attach, options.admit_control_plane)
                    .await?;
                (attach.id().clone(), existing, diffs, Target::Attach(attach))
            }
            Desired::CreateCluster {
                cluster,
                attach,
                options,
            } => {
                let op = self.prepare_create_cluster(name, cluster, attach)?;
                let existing = self.get_resource(self.requests.get(op.id())).await?;
                let Some(existing) = existing else {
                    let absent = self.absent_compute_plan(name, &op, options).await?;
                    return Ok(Convergence {
                        name: name.to_owned(),
                        existing: None,
                        differences: absent.differences,
                        plan: Some(self.plan(absent.plan)),
                        existing_cluster: absent.existing_cluster,
                    });
                };
                let existing = Self::adoptable(name, existing)?;
                let mut diffs = cluster::differences_compute(&existing, &op);
                if existing.cluster_id().as_ref() == Some(op.cluster()) {
                    let live = self.managed_cluster(op.cluster()).await?;
                    cluster::differences_cluster(&live, op.config(), &mut diffs);
                    let gap = self.control_plane_gaps(&live).await?;
                    cluster::differences_ranges(
                        &live,
                        &op,
                        gap.as_ref(),
                        options.admit_control_plane,
                        &mut diffs,
                    )?;
                }
                let id = op.id().clone();
                (id, existing, diffs, Target::CreateCluster(Box::new(op)))
            }
        };
        if differences.iter().any(|d| d.remedy == Remedy::Recreate) {
            return Err(Error::Conflict {
                name: name.to_owned(),
                differences,
            });
        }
        let plan = if differences.is_empty() {
            None
        } else {
            Some(
                self.plan(
                    self.converge_plan(&id, &existing, &differences, &target)
                        .await?,
                ),
            )
        };
        Ok(Convergence {
            name: name.to_owned(),
            existing: Some(existing),
            differences,
            plan,
            existing_cluster: None,
        })
    }

    /// Creates or attaches, idempotently, and converges: runs [`Workspace::plan_ensure`]'s
    /// plan. An absent compute is created or attached; an identical one is adopted without any
    /// write; a different one is changed in place or re-attached, or refused with every
    /// difference when a change needs it made again.
    pub async fn begin_ensure(&self, name: &str, desired: Desired) -> Result<Ensured> {
        let convergence = self.plan_ensure(name, desired).await?;
        match (convergence.plan, convergence.existing) {
            (Some(plan), _) => Ok(Ensured::Started(
                Box::pin(ComputeOperation::start(self.clone(), plan)).await?,
            )),
            (None, Some(existing)) => Ok(Ensured::Adopted(existing)),
            (None, None) => Err(self.not_found(name)),
        }
    }

    /// An existing compute against a desired attach: its settings, and the cluster's ranges,
    /// which may have lost the Azure ML control plane since it was attached.
    async fn attach_differences(
        &self,
        existing: &AksCompute,
        attach: &AttachCompute,
        admit: bool,
    ) -> Result<Vec<Difference>> {
        let mut diffs = differences_attach(existing, attach);
        if existing.cluster_id().as_ref() == Some(attach.cluster()) {
            let live = self.managed_cluster(attach.cluster()).await?;
            let gap = self.control_plane_gaps(&live).await?;
            diffs.extend(cluster::control_plane_difference(
                "cluster.authorized_ip_ranges",
                &live,
                attach.cluster(),
                gap.as_ref(),
                admit,
            )?);
        }
        Ok(diffs)
    }

    /// The parts that make `existing` match: the cluster's control-plane admission first (a
    /// re-attach checks the control plane before its detach), then a re-attach (its rollback is
    /// for its own attach), then an update of TLS and the load balancer, then a scale.
    async fn converge_plan(
        &self,
        id: &ComputeId,
        existing: &AksCompute,
        differences: &[Difference],
        target: &Target,
    ) -> Result<Plan> {
        let has = |remedy, prefix: &str| {
            differences
                .iter()
                .any(|d| d.remedy == remedy && d.field.starts_with(prefix))
        };
        let mut parts = Vec::new();
        // The control plane first: a re-attach checks it before its detach.
        if has(Remedy::AdmitControlPlane, "") {
            match target {
                Target::CreateCluster(op) => {
                    parts.push(Plan::admit_control_plane(&self.requests, op.attach()));
                }
                Target::Attach(attach) => {
                    parts.push(Plan::admit_control_plane(&self.requests, attach));
                }
                Target::Create(_) => {}
            }
        }
        let reattach = has(Remedy::Reattach, "");
        match (reattach, target) {
            (true, Target::Attach(attach)) => parts.push(self.reattach_plan(existing, attach)?),
            (true, Target::CreateCluster(op)) => {
                parts.push(self.reattach_plan(existing, op.attach())?);
            }
            _ => {}
        }
        let (tls, lb) = match target {
            Target::Create(c) => (c.config().tls(), c.config().load_balancer()),
            Target::Attach(a) => (a.config().tls(), a.config().load_balancer()),
            Target::CreateCluster(op) => (
                op.attach().config().tls(),
                op.attach().config().load_balancer(),
            ),
        };
        // A re-attach sets TLS and the load balancer itself (its attach, then for an internal
        // load balancer the update that switches to it: R20).
        let update_tls = has(Remedy::Update, "tls.") && !reattach;
        let update_lb = has(Remedy::Update, "load_balancer.") && !reattach;
        if update_tls || update_lb {
            let mut builder = AksUpdateBuilder::default();
            if update_tls {
                builder = builder.ssl(tls_settings(tls));
            }
            if update_lb {
                builder = builder.load_balancer(LoadBalancerSettings {
                    kind: Some(lb.kind().clone()),
                    subnet: lb.subnet().map(str::to_owned),
                });
            }
            let update = builder.build().map_err(Error::from)?;
            parts.push(Plan::update(&self.requests, id, update));
        }
        if let (true, Target::Create(create)) = (has(Remedy::Scale, ""), target)
            && let Some(cluster) = existing.cluster_id()
        {
            let scale = ScaleConfiguration::builder()
                .node_count(create.config().agent_count())
                .build()
                .map_err(Error::from)?;
            let pool = self.deployment_pool(&cluster).await?;
            let purpose = existing.cluster_purpose().cloned().unwrap_or_default();
            parts.push(Plan::scale(
                &self.requests,
                id,
                &cluster,
                &pool,
                purpose,
                scale,
            ));
        }
        if let Target::CreateCluster(op) = target {
            let purpose = existing.cluster_purpose().cloned().unwrap_or_default();
            parts.extend(self.pool_scales(op, op.cluster(), &purpose, differences)?);
        }
        Ok(Plan::converge(id, parts))
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
                    remedy: Remedy::Recreate,
                }],
            }),
        }
    }
}

/// The validated create or attach a convergence works towards.
enum Target {
    Create(CreateCompute),
    Attach(AttachCompute),
    CreateCluster(Box<CreateCluster>),
}

/// TLS settings that say what `tls` says (an update takes settings, not a validated config).
fn tls_settings(tls: &TlsConfig) -> TlsSettings {
    match tls {
        TlsConfig::Disabled => TlsSettings::disabled(),
        TlsConfig::Custom(c) => TlsSettings::custom(
            c.cert_pem(),
            PrivateKeyPem::new(c.key_pem().expose()),
            c.cname(),
        ),
        TlsConfig::Microsoft(m) => {
            TlsSettings::microsoft(m.leaf_domain_label(), m.overwrite_existing_domain())
        }
        TlsConfig::Renew { leaf_domain_label } => {
            let mut renew = TlsSettings::renew();
            renew.leaf_domain_label.clone_from(leaf_domain_label);
            renew
        }
    }
}
