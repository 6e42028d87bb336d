//! The checks of a plan, against what its reads found. A check sends nothing: it refuses with a
//! typed error (nothing written) or returns warnings.

use aml_model::config::ScaleConfiguration;
use aml_model::plan::Check;
use aml_model::wire::{AgentPool, ClusterPurpose, ManagedCluster};
use aml_model::{AksClusterId, Issue, Report, Rule, vm_size};

use crate::aks::{AksCompute, ComputeTarget};
use crate::error::{Error, Result, from_model};
use crate::operation::ComputeOperation;
use crate::run::Lookup;

/// Runs `check`; returns its warnings.
pub(crate) fn run(check: &Check, op: &ComputeOperation) -> Result<Vec<Issue>> {
    let name = op.name();
    let ws = &op.workspace;
    match check {
        Check::NameFree => {
            let existing = match (&op.seen.computes, &op.seen.compute) {
                (Some(computes), _) => computes
                    .iter()
                    .find(|c| c.name().eq_ignore_ascii_case(name))
                    .map(|c| c.compute_type().to_owned()),
                (None, Lookup::Found(resource)) => Some(
                    resource
                        .properties
                        .as_ref()
                        .map(|p| p.compute_type().to_string())
                        .unwrap_or_default(),
                ),
                _ => None,
            };
            match existing {
                Some(compute_type) => Err(Error::AlreadyExists {
                    name: name.to_owned(),
                    workspace: ws.id().to_string(),
                    compute_type,
                }),
                None => Ok(Vec::new()),
            }
        }
        Check::IsAks => aks(op, op.kind().as_str()).map(|_| Vec::new()),
        Check::CreatedByWorkspace => {
            if aks(op, "delete")?.is_attached() {
                return Err(Error::Refused {
                    action: "delete",
                    name: name.to_owned(),
                    reason: "its cluster was attached, not created by the workspace, so deleting it through the workspace is not allowed; detach it, then delete the cluster explicitly (Workspace::begin_delete_cluster) if you mean to".into(),
                    rule: None,
                });
            }
            Ok(Vec::new())
        }
        Check::Reattachable(cluster) => reattachable(op, cluster).map(|()| Vec::new()),
        Check::KubernetesVersion => {
            let (Some((id, cluster)), Some(versions)) = (&op.seen.cluster, &op.seen.versions)
            else {
                return Ok(Vec::new());
            };
            let props = cluster.properties.as_ref();
            let version = props
                .and_then(|p| p.current_kubernetes_version.clone())
                .or_else(|| props.and_then(|p| p.kubernetes_version.clone()));
            match version {
                Some(version) if !versions.supports(&version) => {
                    Err(Error::UnsupportedKubernetesVersion {
                        cluster: id.to_string(),
                        version,
                        location: versions.location.clone(),
                        supported: versions.supported_list(),
                    })
                }
                _ => Ok(Vec::new()),
            }
        }
        Check::Capacity(purpose) => match &op.seen.cluster {
            Some((id, cluster)) => capacity(id, cluster, purpose),
            None => Ok(Vec::new()),
        },
        Check::NotAttachedElsewhere => {
            let (Some(computes), Some((cluster, _))) = (&op.seen.computes, &op.seen.cluster) else {
                return Ok(Vec::new());
            };
            match attached_to(computes, cluster) {
                Some(existing) if !existing.eq_ignore_ascii_case(name) => {
                    Err(Error::AlreadyAttached {
                        cluster: cluster.to_string(),
                        existing,
                    })
                }
                _ => Ok(Vec::new()),
            }
        }
        Check::ClusterUnused(cluster) => cluster_unused(op, cluster).map(|()| Vec::new()),
        Check::ScaleFits {
            pool,
            scale,
            purpose,
        } => scale_fits(op, pool, scale, purpose),
        Check::ClusterAbsent => crate::secured::cluster_absent(op).map(|()| Vec::new()),
        Check::VersionAvailable(requested) => {
            crate::secured::version_available(op, requested.as_deref())
        }
        Check::Findings { created_here } => Ok(op
            .seen
            .cluster
            .as_ref()
            .map(|(_, c)| aml_model::findings::findings(c, *created_here))
            .unwrap_or_default()),
        _ => Ok(Vec::new()),
    }
}

/// The agent pool `name` among those the plan read; `scale.pool_missing` when it is not there.
pub(crate) fn pool_named<'a>(op: &'a ComputeOperation, name: &str) -> Result<&'a AgentPool> {
    let pools = op.seen.pools.as_deref().unwrap_or_default();
    pools
        .iter()
        .find(|p| {
            p.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| {
            let names: Vec<&str> = pools.iter().filter_map(|p| p.name.as_deref()).collect();
            let mut report = Report::new();
            report.error(
                "scale.pool",
                Rule::ScalePoolMissing,
                format!(
                    "the cluster has no agent pool {name:?}; its pools are: {}",
                    names.join(", ")
                ),
            );
            Error::Validation(report)
        })
}

/// The VM size of an agent pool.
fn size(pool: &AgentPool) -> Option<&str> {
    pool.properties.as_ref().and_then(|x| x.vm_size.as_deref())
}

/// R8 on a scale-down: a production cluster keeps at least 3 nodes and 12 vCPUs once the pool
/// has its fewest nodes.
fn scale_fits(
    op: &ComputeOperation,
    pool: &str,
    scale: &ScaleConfiguration,
    purpose: &ClusterPurpose,
) -> Result<Vec<Issue>> {
    let target = pool_named(op, pool)?;
    let pools = op.seen.pools.as_deref().unwrap_or_default();
    let count = |p: &AgentPool| p.properties.as_ref().and_then(|x| x.count).unwrap_or(0);
    let (before_vcpus, before_nodes, _) = capacity_of(pools.iter().map(|p| (count(p), size(p))));
    let (after_vcpus, after_nodes, _) = capacity_of(pools.iter().map(|p| {
        let now = count(p);
        let then = if std::ptr::eq(p, target) {
            scale.fewest_nodes(now)
        } else {
            now
        };
        (then, size(p))
    }));
    let scaling_down = after_nodes < before_nodes
        || matches!((after_vcpus, before_vcpus), (Some(a), Some(b)) if a < b);
    let mut report = Report::new();
    if purpose.is_production() && scaling_down {
        if after_nodes < aml_model::config::PRODUCTION_MIN_NODES {
            report.error(
                "scale.node_count",
                Rule::PurposeProductionNodes,
                format!(
                    "{purpose} needs at least {} nodes and the cluster would keep {after_nodes}; scale to more nodes, or re-attach the cluster as DevTest",
                    aml_model::config::PRODUCTION_MIN_NODES
                ),
            );
        }
        if let Some(v) = after_vcpus
            && v < aml_model::config::PRODUCTION_MIN_VCPUS
        {
            report.error(
                "scale.node_count",
                Rule::PurposeProductionVcpus,
                format!(
                    "{purpose} needs at least {} vCPUs and the cluster would keep {v}; scale to more nodes, or re-attach the cluster as DevTest",
                    aml_model::config::PRODUCTION_MIN_VCPUS
                ),
            );
        }
        if after_vcpus.is_none() {
            report.warn(
                "scale.node_count",
                Rule::VmSizeUnknown,
                "a pool's VM size is not in the built-in catalog; the vCPUs left after scaling down were not checked",
            );
        }
    }
    let warnings = report.warnings.clone();
    report.into_result().map_err(from_model)?;
    Ok(warnings)
}

/// The compute the latest read found, as an AKS compute; `NotFound` or a refusal otherwise.
fn aks(op: &ComputeOperation, action: &'static str) -> Result<AksCompute> {
    let Lookup::Found(resource) = &op.seen.compute else {
        return Err(op.workspace.not_found(op.name()));
    };
    match ComputeTarget::from_resource((**resource).clone()) {
        ComputeTarget::Aks(aks) => Ok(aks),
        ComputeTarget::Other { .. } => Err(Error::Refused {
            action,
            name: op.name().to_owned(),
            reason: "it is not an AKS compute; this library manages AKS computes only".into(),
            rule: None,
        }),
    }
}

/// A re-attach detaches first: refuse a compute moved to another cluster since the plan was
/// made (its attach would name the wrong one).
fn reattachable(op: &ComputeOperation, cluster: &AksClusterId) -> Result<()> {
    let existing = aks(op, "re-attach")?;
    if existing.cluster_id().as_ref() != Some(cluster) {
        return Err(Error::Refused {
            action: "re-attach",
            name: op.name().to_owned(),
            reason:
                "it is no longer attached to the cluster the plan was made for; make the plan again"
                    .into(),
            rule: None,
        });
    }
    Ok(())
}

/// R8 (nodes and vCPUs for the purpose): errors refuse, warnings are returned.
fn capacity(
    id: &AksClusterId,
    cluster: &ManagedCluster,
    purpose: &aml_model::wire::ClusterPurpose,
) -> Result<Vec<Issue>> {
    let mut report = Report::new();
    let (vcpus, nodes, unknown) = cluster_capacity(cluster);
    if purpose.is_production() {
        if nodes < aml_model::config::PRODUCTION_MIN_NODES {
            report.error(
                "attach.cluster_purpose",
                Rule::PurposeProductionNodes,
                format!(
                    "{purpose} needs at least {} nodes and cluster {} has {nodes}; scale it out or attach with cluster_purpose: DevTest",
                    aml_model::config::PRODUCTION_MIN_NODES,
                    id.name()
                ),
            );
        }
        if let Some(v) = vcpus
            && v < aml_model::config::PRODUCTION_MIN_VCPUS
        {
            report.error(
                "attach.cluster_purpose",
                Rule::PurposeProductionVcpus,
                format!(
                    "{purpose} needs at least {} vCPUs and cluster {} has {v}; add nodes or attach with cluster_purpose: DevTest",
                    aml_model::config::PRODUCTION_MIN_VCPUS,
                    id.name()
                ),
            );
        }
    } else if let Some(v) = vcpus.filter(|v| *v < aml_model::config::DEVTEST_RECOMMENDED_VCPUS) {
        report.warn(
            "attach.cluster_purpose",
            Rule::PurposeDevtestVcpus,
            format!("a dev-test cluster should have at least 2 vCPUs, this one has {v}"),
        );
    }
    if !unknown.is_empty() {
        report.warn(
            "attach.resource_id",
            Rule::VmSizeUnknown,
            format!(
                "the cluster's VM sizes {} are not in the built-in catalog; its vCPUs were not checked, the service will decide",
                unknown.join(", ")
            ),
        );
    }
    let warnings = report.warnings.clone();
    report.into_result().map_err(from_model)?;
    Ok(warnings)
}

/// Total vCPUs and nodes of a managed cluster's agent pools; `None` vCPUs when a pool's size is
/// not in the catalog (the sizes listed third).
fn cluster_capacity(cluster: &ManagedCluster) -> (Option<u32>, u32, Vec<String>) {
    capacity_of(
        cluster
            .properties
            .iter()
            .flat_map(|p| p.agent_pool_profiles.iter().flatten())
            .map(|pool| (pool.count.unwrap_or(0), pool.vm_size.as_deref())),
    )
}

/// Total vCPUs and nodes of pools given as (node count, VM size); `None` vCPUs when a size is
/// not in the catalog (the sizes listed third).
fn capacity_of<'a>(
    pools: impl Iterator<Item = (u32, Option<&'a str>)>,
) -> (Option<u32>, u32, Vec<String>) {
    let mut vcpus = Some(0u32);
    let mut nodes = 0u32;
    let mut unknown = Vec::new();
    for (count, size) in pools {
        nodes = nodes.saturating_add(count);
        if let Some(size) = size.and_then(vm_size::lookup) {
            vcpus = vcpus.map(|v| v.saturating_add(count.saturating_mul(size.vcpus)));
        } else {
            vcpus = None;
            unknown.push(size.unwrap_or_default().to_owned());
        }
    }
    (vcpus, nodes, unknown)
}

/// A cluster is deleted only once no compute of the workspace uses it (rule
/// `cluster.still_attached`): every compute listed whose cluster it is refuses, attached or
/// created on it, whatever its state.
fn cluster_unused(op: &ComputeOperation, cluster: &AksClusterId) -> Result<()> {
    let Some(computes) = &op.seen.computes else {
        return Err(Error::Refused {
            action: op.kind().as_str(),
            name: op.name().to_owned(),
            reason:
                "the workspace's computes were not listed before the check; make the plan again"
                    .to_owned(),
            rule: Some(Rule::ClusterStillAttached),
        });
    };
    let users: Vec<String> = computes
        .iter()
        .filter_map(ComputeTarget::as_aks)
        .filter(|aks| aks.cluster_id().as_ref() == Some(cluster))
        .map(|aks| aks.name().to_owned())
        .collect();
    if users.is_empty() {
        Ok(())
    } else {
        Err(Error::ClusterStillAttached {
            cluster: cluster.to_string(),
            computes: users,
        })
    }
}

/// The name of the AKS compute among `computes` that `cluster` is attached to (ARM ids compare
/// case-insensitively).
pub(crate) fn attached_to(computes: &[ComputeTarget], cluster: &AksClusterId) -> Option<String> {
    computes.iter().find_map(|c| {
        let aks = c.as_aks()?;
        (aks.cluster_id().as_ref() == Some(cluster)).then(|| aks.name().to_owned())
    })
}
