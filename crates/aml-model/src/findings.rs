//! What the guide warns about, read from a managed cluster itself (R12, R15, R16): advice
//! reported when the cluster is attached. Each finding is an [`Issue`] whose rule is in the
//! catalogue (`docs/rules.md`).
//!
//! Not reported: edits of the cluster's Kubernetes objects (R23, rule `cluster.yaml_edits`).
//! The ARM API describes the managed cluster, not the objects inside it (the Azure ML
//! namespace, its deployments), so nothing here can see them.

use crate::Rule;
use crate::validate::Issue;
use crate::vm_size;
use crate::wire::{AgentPoolMode, LoadBalancerSku, ManagedCluster, OutboundType};

const PATH: &str = "attach.resource_id";

fn issue(code: Rule, message: String) -> Issue {
    Issue {
        path: PATH.to_owned(),
        code,
        message,
    }
}

/// The findings on `cluster`. `created_here` says the cluster was just created with its pools
/// (an accelerator pool made with the cluster is not one added later).
pub fn findings(cluster: &ManagedCluster, created_here: bool) -> Vec<Issue> {
    let name = cluster.name.as_deref().unwrap_or("the cluster");
    let mut out = Vec::new();
    let Some(props) = cluster.properties.as_ref() else {
        return out;
    };
    if props.is_private() {
        out.push(issue(
            Rule::ClusterPrivate,
            format!(
                "cluster {name} is private: its API server has only a private endpoint{}, and Azure ML deploys through that API server; the guide has private clusters created first and then attached, and the workspace must reach the cluster's virtual network (see the guide's network isolation article)",
                props
                    .private_fqdn
                    .as_deref()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default()
            ),
        ));
    }
    let aad = props.aad_profile.as_ref();
    let azure_rbac = aad.and_then(|a| a.enable_azure_rbac).unwrap_or(false);
    if aad.is_some() || props.disable_local_accounts == Some(true) {
        let mut what = vec!["Microsoft Entra ID (Azure AD) integration"];
        if azure_rbac {
            what.push("Azure RBAC for Kubernetes authorization");
        }
        if props.disable_local_accounts == Some(true) {
            what.push("local accounts disabled");
        }
        out.push(issue(
            Rule::ClusterAad,
            format!(
                "cluster {name} has {}; the guide does not cover such clusters: Azure ML's deployments act through the cluster's credentials, so check that the workspace may still deploy to it",
                what.join(", ")
            ),
        ));
    }
    let network = props.network_profile.as_ref();
    let ranges = !cluster.authorized_ip_ranges().is_empty();
    let standard = network
        .and_then(|n| n.load_balancer_sku.as_ref())
        .is_some_and(|s| matches!(s, LoadBalancerSku::Standard));
    if ranges && !standard {
        out.push(issue(
            Rule::ClusterAuthorizedRangesBasicLb,
            format!(
                "cluster {name} restricts its API server to authorized IP ranges but does not use a Standard load balancer; authorized ranges work only with a Standard load balancer"
            ),
        ));
    }
    if !created_here && let Some(message) = accelerator_only_secondary(cluster, name) {
        out.push(issue(Rule::ClusterAcceleratorSecondaryPool, message));
    }
    match network.and_then(|n| n.outbound_type.as_ref()) {
        Some(OutboundType::UserDefinedRouting) => out.push(issue(
            Rule::ClusterEgress,
            format!(
                "cluster {name} sends egress through its subnet's user-defined routes (a firewall): the firewall must let through what AKS and Azure ML's pods need (images, the workspace's storage and registry); the Azure ML control plane itself talks to the API server, not through this egress"
            ),
        )),
        Some(kind @ (OutboundType::ManagedNatGateway | OutboundType::UserAssignedNatGateway)) => {
            out.push(issue(
                Rule::ClusterEgress,
                format!(
                    "cluster {name} sends egress through a NAT gateway ({kind:?}): the guide knows egress through a public IP or a firewall with user-defined routes; check that the gateway lets through what Azure ML's pods need"
                ),
            ));
        }
        _ => {}
    }
    out
}

/// R12: accelerator sizes only in pools of mode `User`: Azure ML may not deploy there (a pool
/// added to a cluster for deployment is not supported).
fn accelerator_only_secondary(cluster: &ManagedCluster, name: &str) -> Option<String> {
    let pools = cluster.properties.as_ref()?.agent_pool_profiles.as_ref()?;
    let accelerated = |size: Option<&str>| {
        size.and_then(vm_size::lookup)
            .is_some_and(vm_size::VmSize::is_accelerated)
    };
    let in_system = pools.iter().any(|p| {
        matches!(p.mode, None | Some(AgentPoolMode::System)) && accelerated(p.vm_size.as_deref())
    });
    let secondary: Vec<String> = pools
        .iter()
        .filter(|p| {
            matches!(p.mode, Some(AgentPoolMode::User)) && accelerated(p.vm_size.as_deref())
        })
        .map(|p| {
            format!(
                "{} ({})",
                p.name.as_deref().unwrap_or("?"),
                p.vm_size.as_deref().unwrap_or("?")
            )
        })
        .collect();
    (!in_system && !secondary.is_empty()).then(|| {
        format!(
            "cluster {name} has GPU or FPGA nodes only in the secondary pool {}; the guide: a cluster for GPU or FPGA must be created with that SKU, and deploying to a second pool added to an existing cluster is not supported",
            secondary.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cluster(props: &serde_json::Value) -> ManagedCluster {
        serde_json::from_value(json!({"name": "c", "properties": props})).unwrap()
    }

    fn codes(issues: &[Issue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.code.code()).collect()
    }

    #[test]
    fn a_plain_cluster_has_no_findings() {
        let c = cluster(&json!({
            "agentPoolProfiles": [{"name": "nodepool1", "count": 3, "vmSize": "Standard_D3_v2", "mode": "System"}],
            "networkProfile": {"loadBalancerSku": "standard", "outboundType": "loadBalancer"}
        }));
        assert!(findings(&c, false).is_empty());
    }

    #[test]
    fn each_hazard_is_a_finding_with_its_rule() {
        let c = cluster(&json!({
            "privateFQDN": "c-1.privatelink.eastus.azmk8s.io",
            "apiServerAccessProfile": {"enablePrivateCluster": true},
            "aadProfile": {"managed": true, "enableAzureRBAC": true},
            "disableLocalAccounts": true,
            "agentPoolProfiles": [
                {"name": "system", "count": 3, "vmSize": "Standard_D4s_v3", "mode": "System"},
                {"name": "gpu", "count": 2, "vmSize": "Standard_NC6s_v3", "mode": "User"}
            ],
            "networkProfile": {"loadBalancerSku": "standard", "outboundType": "userDefinedRouting"}
        }));
        let found = findings(&c, false);
        assert_eq!(
            codes(&found),
            [
                "cluster.private",
                "cluster.aad",
                "cluster.accelerator_secondary_pool",
                "cluster.egress"
            ]
        );
        assert!(found[0].message.contains("c-1.privatelink"), "{}", found[0]);
        assert!(found[1].message.contains("Azure RBAC"), "{}", found[1]);
        assert!(found[1].message.contains("local accounts"), "{}", found[1]);
        assert!(
            found[2].message.contains("gpu (Standard_NC6s_v3)"),
            "{}",
            found[2]
        );
        // A pool made with the cluster is not one added later.
        assert!(!codes(&findings(&c, true)).contains(&"cluster.accelerator_secondary_pool"));
    }

    #[test]
    fn ranges_without_a_standard_load_balancer_are_reported() {
        let c = cluster(&json!({
            "apiServerAccessProfile": {"authorizedIPRanges": ["203.0.113.0/24"]},
            "networkProfile": {"loadBalancerSku": "basic", "outboundType": "managedNATGateway"}
        }));
        assert_eq!(
            codes(&findings(&c, false)),
            ["cluster.authorized_ranges_basic_lb", "cluster.egress"]
        );
    }
}
