//! Ensure for [`Desired::CreateCluster`](super::Desired::CreateCluster): the compute compared
//! like an attach, and the live managed cluster compared with the cluster's configuration.

use aml_model::config::{ManagedClusterConfiguration, NodePool, ScaleConfiguration};
use aml_model::plan::{OperationKind, Plan};
use aml_model::request::CreateCluster;
use aml_model::wire::{
    ClusterPurpose, LoadBalancerSku, LocationListResult, ManagedCluster, ManagedClusterProperties,
    OutboundType, ServiceTagsListResult,
};
use aml_model::{AksClusterId, Report, Rule, control_plane};

use super::{diff, eq_opt, lb_differences, purpose_difference, show, tls_differences};
use crate::aks::AksCompute;
use crate::difference::{Difference, Remedy};
use crate::error::{Error, Result};
use crate::secured::CreateClusterOptions;
use crate::workspace::Workspace;

/// The spec's names of a pool's fields.
pub(super) struct PoolFields {
    /// The pool itself.
    pub pool: &'static str,
    /// Its VM size.
    pub vm_size: &'static str,
    /// Its node count.
    pub count: &'static str,
}

const SYSTEM: PoolFields = PoolFields {
    pool: "create_cluster.system_pool",
    vm_size: "create_cluster.system_pool.vm_size",
    count: "create_cluster.system_pool.count",
};

const ACCELERATOR: PoolFields = PoolFields {
    pool: "create_cluster.accelerator_pool",
    vm_size: "create_cluster.accelerator_pool.vm_size",
    count: "create_cluster.accelerator_pool.count",
};

/// The configured pools with the names of their fields.
pub(super) fn pools(c: &ManagedClusterConfiguration) -> Vec<(&NodePool, PoolFields)> {
    let mut out = vec![(c.system_pool(), SYSTEM)];
    if let Some(accelerator) = c.accelerator_pool() {
        out.push((accelerator, ACCELERATOR));
    }
    out
}

/// What ensure does for a create-and-attach whose compute is absent.
pub(super) struct AbsentCompute {
    /// The live cluster's differences from the spec (each changeable in place); empty when
    /// the cluster does not exist.
    pub differences: Vec<Difference>,
    /// The create-and-attach, or the attach of the cluster that exists already.
    pub plan: Plan,
    /// The cluster, when it exists already.
    pub existing_cluster: Option<String>,
}

/// What the control plane's check found on a live cluster with authorized ranges.
pub(super) struct ControlPlaneGap {
    /// The regions whose control plane was looked up.
    regions: Vec<String>,
    /// The prefixes the cluster's ranges miss.
    missing: Vec<String>,
}

impl Workspace {
    /// The plan for an absent compute of a create-and-attach: creating the cluster and
    /// attaching it; or, when the cluster exists already (a create-and-attach that stopped
    /// after creating it), the live cluster compared with the spec exactly as for an existing
    /// compute, refused when a difference cannot change in place, else attached (the
    /// control plane admitted by the attach when the options say so) and its pools scaled.
    pub(super) async fn absent_compute_plan(
        &self,
        name: &str,
        op: &CreateCluster,
        options: CreateClusterOptions,
    ) -> Result<AbsentCompute> {
        let admit = options.admit_control_plane;
        let Some(live) = self
            .get_cluster(self.requests.cluster(op.cluster()))
            .await?
        else {
            return Ok(AbsentCompute {
                differences: Vec::new(),
                plan: Plan::create_cluster(&self.requests, op, admit),
                existing_cluster: None,
            });
        };
        let cluster = op.cluster();
        let mut differences = Vec::new();
        differences_cluster(&live, op.config(), &mut differences);
        let gap = self.control_plane_gaps(&live).await?;
        differences_ranges(&live, op, gap.as_ref(), admit, &mut differences)?;
        if differences.iter().any(|d| d.remedy == Remedy::Recreate) {
            return Err(Error::Refused {
                action: OperationKind::CreateCluster.as_str(),
                name: name.to_owned(),
                reason: format!(
                    "AKS cluster {cluster} exists already (a create-and-attach stopped after creating it?) with settings that cannot change in place: {}; delete the cluster and ensure again, or change the spec to match it",
                    differences
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                rule: Some(Rule::ClusterExists),
            });
        }
        let mut attach = Plan::attach(&self.requests, op.attach(), false, admit);
        let mut report = Report::new();
        report.warn(
            "create_cluster.cluster_name",
            Rule::ClusterExists,
            format!(
                "AKS cluster {cluster} exists already (a create-and-attach stopped after creating it?) and matches the spec{}: it is attached, not created",
                if differences.is_empty() {
                    ""
                } else {
                    " but for what changes in place"
                }
            ),
        );
        attach.push_warnings(report.warnings);
        let mut parts = vec![attach];
        let purpose = op.attach().config().cluster_purpose().clone();
        parts.extend(self.pool_scales(op, cluster, &purpose, &differences)?);
        Ok(AbsentCompute {
            differences,
            plan: Plan::converge(op.id(), parts),
            existing_cluster: Some(cluster.to_string()),
        })
    }

    /// For a live cluster with authorized ranges (and a public API server), the Azure ML
    /// control-plane prefixes of the workspace's region and its pair that the ranges miss
    /// (reads the workspace's region when unknown, the locations and the service tags);
    /// `None` when the cluster's API server is not restricted by ranges.
    pub(super) async fn control_plane_gaps(
        &self,
        live: &ManagedCluster,
    ) -> Result<Option<ControlPlaneGap>> {
        let ranges = live.authorized_ip_ranges().to_vec();
        let private = live
            .properties
            .as_ref()
            .is_some_and(ManagedClusterProperties::is_private);
        if ranges.is_empty() || private {
            return Ok(None);
        }
        let region = if let Some(l) = self.location() {
            l.to_owned()
        } else {
            let mut fresh = self.clone();
            Box::pin(fresh.refresh()).await?;
            fresh
                .location()
                .map(str::to_owned)
                .ok_or_else(Error::unknown_workspace_region)?
        };
        let subscription = self.id().subscription_id();
        let locations: LocationListResult = self
            .arm()
            .send(self.requests.locations(subscription))
            .await?
            .json()?;
        let tags: ServiceTagsListResult = self
            .arm()
            .send(self.requests.service_tags(subscription, &region))
            .await?
            .json()?;
        let (plane, admission) = control_plane::assess(&region, &ranges, &locations, &tags)
            .map_err(|e| Error::Model(aml_model::Error::ControlPlane(e)))?;
        Ok(Some(ControlPlaneGap {
            regions: plane.regions,
            missing: admission.missing,
        }))
    }
}

/// The compute, compared like an attach: the same cluster, purpose (re-attach), load balancer
/// and TLS (updates).
pub(super) fn differences_compute(existing: &AksCompute, op: &CreateCluster) -> Vec<Difference> {
    let c = op.attach().config();
    let mut out = Vec::new();
    if existing.cluster_id().as_ref() != Some(op.cluster()) {
        out.push(diff(
            "create_cluster.cluster_name",
            show(existing.cluster_resource_id()),
            op.cluster().to_string(),
            Remedy::Recreate,
        ));
    }
    purpose_difference(
        existing,
        c.cluster_purpose(),
        "create_cluster.cluster_purpose",
        Remedy::Reattach,
        &mut out,
    );
    lb_differences(existing, c.load_balancer(), &mut out);
    tls_differences(existing, c.tls(), &mut out);
    out
}

/// The live cluster's settings that AKS cannot change (region, private flag, outbound type,
/// load balancer SKU, subnet, a pool's VM size, a missing pool) and the node counts (a scale of
/// the pool; not compared while the pool's autoscaler owns its count).
pub(super) fn differences_cluster(
    live: &ManagedCluster,
    c: &ManagedClusterConfiguration,
    out: &mut Vec<Difference>,
) {
    if !eq_opt(live.location.as_deref(), Some(c.location())) {
        out.push(diff(
            "create_cluster.location",
            show(live.location.as_deref()),
            c.location().to_owned(),
            Remedy::Recreate,
        ));
    }
    let props = live.properties.as_ref();
    let private = props.is_some_and(ManagedClusterProperties::is_private);
    if private != c.private_cluster() {
        out.push(diff(
            "create_cluster.private_cluster",
            private.to_string(),
            c.private_cluster().to_string(),
            Remedy::Recreate,
        ));
    }
    let network = props.and_then(|p| p.network_profile.as_ref());
    let outbound = network
        .and_then(|n| n.outbound_type.clone())
        .unwrap_or(OutboundType::LoadBalancer);
    if outbound != c.outbound().outbound_type() {
        out.push(diff(
            "create_cluster.outbound_type",
            outbound.as_str().to_owned(),
            c.outbound().outbound_type().as_str().to_owned(),
            Remedy::Recreate,
        ));
    }
    let sku = network
        .and_then(|n| n.load_balancer_sku.clone())
        .unwrap_or(LoadBalancerSku::Standard);
    if sku != LoadBalancerSku::Standard {
        out.push(diff(
            "create_cluster.load_balancer_sku",
            sku.as_str().to_owned(),
            LoadBalancerSku::Standard.as_str().to_owned(),
            Remedy::Recreate,
        ));
    }
    let profiles = props
        .and_then(|p| p.agent_pool_profiles.as_deref())
        .unwrap_or_default();
    let want_subnet = c.outbound().subnet().map(ToString::to_string);
    let mut subnet_differs = None;
    for (pool, fields) in pools(c) {
        let Some(profile) = profiles.iter().find(|p| {
            p.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(pool.name()))
        }) else {
            out.push(diff(
                fields.pool,
                "absent".to_owned(),
                format!(
                    "pool {} ({} x {}), which only a new cluster gets: the guide does not support adding a node pool to an existing cluster to deploy to",
                    pool.name(),
                    pool.count(),
                    pool.vm_size()
                ),
                Remedy::Recreate,
            ));
            continue;
        };
        if !eq_opt(profile.vm_size.as_deref(), Some(pool.vm_size())) {
            out.push(diff(
                fields.vm_size,
                show(profile.vm_size.as_deref()),
                pool.vm_size().to_owned(),
                Remedy::Recreate,
            ));
        }
        if profile.enable_auto_scaling != Some(true) && profile.count != Some(pool.count()) {
            out.push(diff(
                fields.count,
                profile
                    .count
                    .map_or_else(|| "unset".to_owned(), |n| n.to_string()),
                pool.count().to_string(),
                Remedy::Scale,
            ));
        }
        if let Some(want) = &want_subnet
            && !eq_opt(profile.vnet_subnet_id.as_deref(), Some(want))
            && subnet_differs.is_none()
        {
            subnet_differs = Some(show(profile.vnet_subnet_id.as_deref()));
        }
    }
    if let (Some(have), Some(want)) = (subnet_differs, want_subnet) {
        out.push(diff(
            "create_cluster.subnet_id",
            have,
            want,
            Remedy::Recreate,
        ));
    }
}

/// The authorized ranges: every range of the spec, and (found by
/// [`Workspace::control_plane_gaps`]) the Azure ML control plane's prefixes. Ranges that miss
/// the control plane without `admit` are [`Error::ControlPlaneNotAdmitted`]. With `admit`,
/// ranges that miss only the control plane are one [`Remedy::AdmitControlPlane`] difference,
/// applied in place (a GET-modify-PUT of the cluster). Ranges that miss the spec's own ranges
/// are one difference that cannot change in place, whose remedy is the `az aks update` command
/// that adds every missing range (the control plane's too): no plan step of this library sets
/// a live cluster's ranges to the spec's.
pub(super) fn differences_ranges(
    live: &ManagedCluster,
    op: &CreateCluster,
    gap: Option<&ControlPlaneGap>,
    admit: bool,
    out: &mut Vec<Difference>,
) -> Result<()> {
    let have = live.authorized_ip_ranges().to_vec();
    let want = op.config().authorized_ip_ranges();
    let missing_spec = if want.is_empty() {
        Vec::new()
    } else {
        control_plane::admission(&have, want)
            .map_err(|e| Error::Model(aml_model::Error::ControlPlane(e)))?
            .missing
    };
    let missing_plane = gap.map(|g| g.missing.clone()).unwrap_or_default();
    if missing_spec.is_empty() {
        out.extend(control_plane_difference(
            "create_cluster.authorized_ip_ranges",
            live,
            op.cluster(),
            gap,
            admit,
        )?);
        return Ok(());
    }
    if let Some(gap) = gap
        && !missing_plane.is_empty()
        && !admit
    {
        return Err(not_admitted(op.cluster(), gap));
    }
    let existing = shown_ranges(&have);
    let all = control_plane::with_admitted(
        &control_plane::with_admitted(&have, &missing_spec),
        &missing_plane,
    );
    let mut missing = vec![format!("the spec's {}", missing_spec.join(", "))];
    if !missing_plane.is_empty() {
        missing.push(format!(
            "the Azure ML control plane's {}",
            missing_plane.join(", ")
        ));
    }
    out.push(diff(
        "create_cluster.authorized_ip_ranges",
        existing,
        format!(
            "also {}; add them with `az aks update -g {} -n {} --api-server-authorized-ip-ranges {}`",
            missing.join(" and "),
            op.cluster().resource_group(),
            op.cluster().name(),
            all.join(",")
        ),
        Remedy::Recreate,
    ));
    Ok(())
}

fn not_admitted(cluster: &AksClusterId, gap: &ControlPlaneGap) -> Error {
    Error::ControlPlaneNotAdmitted {
        cluster: cluster.to_string(),
        regions: gap.regions.clone(),
        missing: gap.missing.clone(),
    }
}

fn shown_ranges(ranges: &[String]) -> String {
    if ranges.is_empty() {
        "none (the API server is open)".to_owned()
    } else {
        ranges.join(", ")
    }
}

/// The live cluster's ranges missing the Azure ML control plane (`gap`, found by
/// [`Workspace::control_plane_gaps`]) as the difference `field`, applied in place with `admit`
/// ([`Remedy::AdmitControlPlane`]: a GET-modify-PUT of the cluster), refused without it
/// ([`Error::ControlPlaneNotAdmitted`]); `None` when nothing is missing.
pub(super) fn control_plane_difference(
    field: &'static str,
    live: &ManagedCluster,
    cluster: &AksClusterId,
    gap: Option<&ControlPlaneGap>,
    admit: bool,
) -> Result<Option<Difference>> {
    let Some(gap) = gap.filter(|g| !g.missing.is_empty()) else {
        return Ok(None);
    };
    if !admit {
        return Err(not_admitted(cluster, gap));
    }
    Ok(Some(diff(
        field,
        shown_ranges(live.authorized_ip_ranges()),
        format!(
            "also the Azure ML control plane's {} (added to the cluster's ranges as read)",
            gap.missing.join(", ")
        ),
        Remedy::AdmitControlPlane,
    )))
}

impl Workspace {
    /// The scales of the spec's pools whose node count differs (the `Scale` differences), one
    /// plan each, for the convergence plan.
    pub(super) fn pool_scales(
        &self,
        op: &CreateCluster,
        cluster: &AksClusterId,
        purpose: &ClusterPurpose,
        differences: &[Difference],
    ) -> Result<Vec<Plan>> {
        let mut plans = Vec::new();
        for (pool, fields) in pools(op.config()) {
            if !differences
                .iter()
                .any(|d| d.remedy == Remedy::Scale && d.field == fields.count)
            {
                continue;
            }
            let scale = ScaleConfiguration::builder()
                .node_count(pool.count())
                .pool(pool.name())
                .build()
                .map_err(Error::from)?;
            plans.push(Plan::scale(
                &self.requests,
                op.id(),
                cluster,
                pool.name(),
                purpose.clone(),
                scale,
            ));
        }
        Ok(plans)
    }
}
