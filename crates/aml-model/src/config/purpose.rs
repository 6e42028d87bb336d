//! The cluster purpose and the capacity it needs (R8, R12).

use crate::Rule;
use crate::validate::Report;
use crate::vm_size;
use crate::wire::ClusterPurpose;

/// vCPUs a production cluster needs in total (R8: node count x cores of the VM size).
pub const PRODUCTION_MIN_VCPUS: u32 = 12;
/// Nodes a production cluster needs.
pub const PRODUCTION_MIN_NODES: u32 = 3;
/// vCPUs recommended for a dev-test cluster (R8).
pub const DEVTEST_RECOMMENDED_VCPUS: u32 = 2;

/// The purpose to use: the one given or `FastProd`; `None`, with an error at `path`, for an
/// `Unknown` purpose.
pub(super) fn check_purpose(
    purpose: Option<ClusterPurpose>,
    path: &str,
    report: &mut Report,
) -> Option<ClusterPurpose> {
    match purpose.unwrap_or_default() {
        ClusterPurpose::Unknown(text) => {
            report.error(
                path,
                Rule::PurposeUnknown,
                format!("cluster purpose {text:?} is unknown; use DevTest, FastProd or DenseProd"),
            );
            None
        }
        known => Some(known),
    }
}

/// R8 and R12: node count x vCPUs for the purpose, and accelerator notes. Without a known
/// `purpose` (an `Unknown` one is reported already) only the VM size notes apply.
pub(super) fn check_capacity(
    agent_count: u32,
    vm_size: &str,
    purpose: Option<&ClusterPurpose>,
    report: &mut Report,
) {
    let production = purpose.filter(|p| p.is_production());
    let Some(size) = vm_size::lookup(vm_size) else {
        report.warn(
            "create.vm_size",
            Rule::VmSizeUnknown,
            format!(
                "{vm_size:?} is not in the built-in catalog, so its vCPUs cannot be checked here; the service will decide (see `az vm list-sizes`)"
            ),
        );
        if let Some(purpose) = production
            && agent_count < PRODUCTION_MIN_NODES
        {
            report.error(
                "create.agent_count",
                Rule::PurposeProductionNodes,
                format!(
                    "{purpose} needs at least {PRODUCTION_MIN_NODES} nodes, this has {agent_count}; add nodes or use cluster_purpose: DevTest"
                ),
            );
        }
        return;
    };
    let total = agent_count.saturating_mul(size.vcpus);
    if let Some(purpose) = production {
        if agent_count < PRODUCTION_MIN_NODES {
            report.error(
                "create.agent_count",
                Rule::PurposeProductionNodes,
                format!(
                    "{purpose} needs at least {PRODUCTION_MIN_NODES} nodes, this has {agent_count}; add nodes or use cluster_purpose: DevTest"
                ),
            );
        }
        if total < PRODUCTION_MIN_VCPUS {
            let needed = PRODUCTION_MIN_VCPUS.div_ceil(size.vcpus.max(1));
            report.error(
                "create.agent_count",
                Rule::PurposeProductionVcpus,
                format!(
                    "{purpose} needs at least {PRODUCTION_MIN_VCPUS} vCPUs, {agent_count} x {} ({} vCPUs each) has {total}; use at least {} nodes of this size, a larger size, or cluster_purpose: DevTest",
                    size.name,
                    size.vcpus,
                    needed.max(PRODUCTION_MIN_NODES)
                ),
            );
        }
    } else if purpose == Some(&ClusterPurpose::DevTest) && total < DEVTEST_RECOMMENDED_VCPUS {
        report.warn(
            "create.agent_count",
            Rule::PurposeDevtestVcpus,
            format!(
                "a dev-test cluster should have at least {DEVTEST_RECOMMENDED_VCPUS} vCPUs, {agent_count} x {} has {total}",
                size.name
            ),
        );
    }
    if size.is_accelerated() {
        report.warn(
            "create.vm_size",
            Rule::VmSizeAccelerator,
            format!(
                "{} carries {}; GPU and FPGA nodes must be chosen when the cluster is created, a second node pool for deployment is not supported",
                size.name,
                size.accelerator.unwrap_or("an accelerator")
            ),
        );
    }
}
