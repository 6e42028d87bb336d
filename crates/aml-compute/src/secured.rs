//! Secured clusters: creating an AKS cluster and attaching it as one operation
//! ([`Workspace::begin_create_cluster`]), and the live checks it shares with attach: the
//! region's Kubernetes version (R14) and the Azure ML control plane's admission by authorized
//! IP ranges (R15).

use aml_model::config::{AksAttachBuilder, ManagedClusterBuilder};
use aml_model::plan::{Plan, Step};
use aml_model::request::CreateCluster;
use aml_model::{Issue, Report, Rule, control_plane};
use aml_tls::OffsetDateTime;

use crate::error::{Error, Result};
use crate::operation::ComputeOperation;
use crate::run::with_tls_report;
use crate::workspace::Workspace;

/// Options of [`Workspace::begin_create_cluster`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateClusterOptions {
    /// When the configured authorized IP ranges miss prefixes of the Azure ML control plane
    /// (of the workspace's region and its paired region, from the service tags), add them to
    /// the ranges the cluster is created with instead of refusing with
    /// [`Error::ControlPlaneNotAdmitted`].
    pub admit_control_plane: bool,
}

impl CreateClusterOptions {
    /// Adds the missing control-plane prefixes (see the field).
    #[must_use]
    pub fn admit_control_plane(mut self, admit: bool) -> Self {
        self.admit_control_plane = admit;
        self
    }
}

impl Workspace {
    /// The plan of [`Workspace::begin_create_cluster`]: the compute name must be free; the
    /// region's Kubernetes versions are read (a version asked for must be supported, else the
    /// region's default is reported); the cluster must not exist yet; with authorized IP
    /// ranges, the locations and service tags are read and the ranges must admit the Azure ML
    /// control plane of the workspace's region and its pair; then the cluster's `PUT` and wait,
    /// the attach's checks against the new cluster, the compute's `PUT` and wait (and an
    /// internal load balancer's update). Validates the cluster and the attach settings together
    /// (every problem at once, certificates included); sends nothing.
    ///
    /// `attach` names the cluster to create (`.cluster(resource_group, name)` or
    /// `.resource_id(...)`) and sets TLS, purpose and load balancer as for
    /// [`Workspace::begin_attach`].
    pub fn plan_create_cluster(
        &self,
        name: &str,
        cluster: ManagedClusterBuilder,
        attach: AksAttachBuilder,
        options: CreateClusterOptions,
    ) -> Result<Plan> {
        let op = self.prepare_create_cluster(name, cluster, attach)?;
        Ok(self.plan(Plan::create_cluster(
            &self.requests,
            &op,
            options.admit_control_plane,
        )))
    }

    /// Creates an AKS cluster (`Microsoft.ContainerService/managedClusters`, long-running) and
    /// attaches it as compute `name`, running [`plan_create_cluster`]'s plan as one operation:
    /// one progress stream, one plan, resumable from its token while either write runs
    /// ([`ComputeOperation::resume_step`], [`Workspace::resume_plan`]). Refusals come before
    /// the first write: a taken name ([`Error::AlreadyExists`]), an unsupported version, an
    /// existing cluster (a create-and-attach interrupted after creating it is finished by
    /// [`Workspace::begin_ensure`] with [`Desired::CreateCluster`](crate::Desired::CreateCluster),
    /// which compares the cluster and attaches it), or ranges that miss the control plane
    /// ([`Error::ControlPlaneNotAdmitted`], listing the exact prefixes). Returns once the
    /// cluster's `PUT` is accepted; await the operation for the rest.
    ///
    /// The compute is an attached one from ARM's point of view: detaching it keeps the cluster,
    /// and [`Workspace::begin_delete`] refuses it; deleting the cluster is an explicit action,
    /// once the compute is detached: [`Workspace::begin_delete_cluster`].
    ///
    /// [`plan_create_cluster`]: Workspace::plan_create_cluster
    pub async fn begin_create_cluster(
        &self,
        name: &str,
        cluster: ManagedClusterBuilder,
        attach: AksAttachBuilder,
        options: CreateClusterOptions,
    ) -> Result<ComputeOperation> {
        let plan = self.plan_create_cluster(name, cluster, attach, options)?;
        Box::pin(ComputeOperation::start(self.clone(), plan)).await
    }

    /// Validates a create-and-attach (certificates included); `ensure` validates the same way.
    pub(crate) fn prepare_create_cluster(
        &self,
        name: &str,
        cluster: ManagedClusterBuilder,
        attach: AksAttachBuilder,
    ) -> Result<CreateCluster> {
        let tls = crate::tls::check_settings(&attach.tls, OffsetDateTime::now_utc());
        with_tls_report(
            CreateCluster::new(self.workspace_ref(), name, cluster, attach),
            tls,
        )
    }
}

/// The cluster a plan is to create does not exist yet (rule `cluster.exists`).
pub(crate) fn cluster_absent(op: &ComputeOperation) -> Result<()> {
    if op.seen.new_cluster_exists != Some(true) {
        return Ok(());
    }
    let cluster = op
        .plan
        .steps()
        .iter()
        .find_map(|s| match s {
            Step::Read {
                read: aml_model::plan::Read::NewCluster(id),
                ..
            } => Some(id.to_string()),
            _ => None,
        })
        .unwrap_or_default();
    Err(Error::Refused {
        action: op.kind().as_str(),
        name: op.name().to_owned(),
        reason: format!(
            "AKS cluster {cluster} exists already; to finish a create-and-attach that stopped after creating it, ensure the same settings (Workspace::begin_ensure with Desired::CreateCluster, or `aml apply` of the spec), which compares the cluster and attaches it; or attach it (Workspace::begin_attach, with AttachOptions::admit_control_plane if its authorized IP ranges miss the control plane)"
        ),
        rule: Some(Rule::ClusterExists),
    })
}

/// R14 for a new cluster: the version asked for is supported in the region; without one, the
/// region's default is reported.
pub(crate) fn version_available(
    op: &ComputeOperation,
    requested: Option<&str>,
) -> Result<Vec<Issue>> {
    let Some(versions) = &op.seen.versions else {
        return Ok(Vec::new());
    };
    match requested {
        Some(v) if !versions.supports(v) => Err(Error::Refused {
            action: op.kind().as_str(),
            name: op.name().to_owned(),
            reason: format!(
                "{} does not support Kubernetes {v}; ask for one of: {} (or none, for the region's default)",
                versions.location,
                versions.supported_list().join(", ")
            ),
            rule: Some(Rule::ClusterKubernetesVersion),
        }),
        Some(_) => Ok(Vec::new()),
        None => {
            let mut report = Report::new();
            let default = versions
                .default_version()
                .map_or_else(|| "not listed".to_owned(), |d| d.version.clone());
            report.warn(
                "cluster.kubernetes_version",
                Rule::ClusterDefaultVersion,
                format!(
                    "no version asked for: the cluster gets {}'s default Kubernetes version ({default})",
                    versions.location
                ),
            );
            Ok(report.warnings)
        }
    }
}

/// R15: the authorized ranges (of the cluster read, or of the cluster the plan creates) admit
/// the control plane of the workspace's region and its pair. With `add`, the missing prefixes
/// are kept for the write that adds them; without, they refuse.
pub(crate) fn control_plane_admitted(op: &mut ComputeOperation, add: bool) -> Result<Vec<Issue>> {
    let (cluster, ranges) = match (&op.seen.cluster, op.seen.cluster_ranges()) {
        (Some((id, _)), Some(ranges)) => (id.to_string(), ranges.to_vec()),
        (Some(_), None) => return Ok(Vec::new()),
        (None, _) => match planned_ranges(&op.plan) {
            Some(found) => found,
            None => return Ok(Vec::new()),
        },
    };
    let region = op
        .workspace_region()
        .ok_or_else(Error::unknown_workspace_region)?;
    let locations = op.seen.locations.clone().unwrap_or_default();
    let tags = op.seen.service_tags.clone().unwrap_or_default();
    let (plane, admission) = control_plane::assess(&region, &ranges, &locations, &tags)
        .map_err(|e| Error::Model(aml_model::Error::ControlPlane(e)))?;
    let mut report = Report::new();
    if !plane.unpublished.is_empty() {
        report.warn(
            "attach.resource_id",
            Rule::ClusterAuthorizedRanges,
            format!(
                "the service tags list no Azure ML control plane for {}; compare the cluster's authorized IP ranges with the published ranges of that region by hand",
                plane.unpublished.join(", ")
            ),
        );
    }
    if !admission.not_applicable.is_empty() {
        report.warn(
            "attach.resource_id",
            Rule::ClusterControlPlaneIpv6,
            format!(
                "the control plane's IPv6 prefixes {} cannot be admitted: AKS authorized IP ranges are IPv4 only",
                admission.not_applicable.join(", ")
            ),
        );
    }
    if !admission.missing.is_empty() && !add {
        return Err(Error::ControlPlaneNotAdmitted {
            cluster,
            regions: plane.regions,
            missing: admission.missing,
        });
    }
    // The ranges with the prefixes added must fit AKS's limit: refused here, before any write
    // (the write's body is checked again when it is built, from the latest read).
    control_plane::admitted(&ranges, &admission.missing)
        .map_err(|e| too_many_ranges(cluster, &e))?;
    op.seen.missing_prefixes = admission.missing;
    Ok(report.warnings)
}

/// [`Error::TooManyAuthorizedRanges`] for `cluster`, from the count
/// [`control_plane::admitted`] refused.
pub(crate) fn too_many_ranges(cluster: String, e: &control_plane::TooManyRanges) -> Error {
    Error::TooManyAuthorizedRanges {
        cluster,
        ranges: e.ranges,
        adding: e.adding,
        limit: e.limit,
    }
}

/// The cluster id and authorized ranges of the cluster a plan creates (its `PUT` body).
fn planned_ranges(plan: &Plan) -> Option<(String, Vec<String>)> {
    plan.steps().iter().find_map(|step| match step {
        Step::Read {
            read: aml_model::plan::Read::NewCluster(id),
            ..
        } => {
            let put = plan.writes().next()?;
            let body: serde_json::Value = serde_json::from_slice(put.body()).ok()?;
            let ranges = serde_json::from_value(
                body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"].clone(),
            )
            .ok()?;
            Some((id.to_string(), ranges))
        }
        _ => None,
    })
}
