//! The Microsoft.ContainerService managed cluster fields an AKS compute client reads, and the
//! cluster user credentials.

use std::collections::BTreeMap;
use std::fmt;

use crate::wire::{
    AgentPoolMode, LoadBalancerSku, ManagedServiceIdentity, OsType, OutboundType, RedactedJson,
    redacted,
};

wire_object! {
    /// An AKS managed cluster (ContainerService `ManagedCluster`, 2024-09-01), reduced to the
    /// fields a compute client needs; everything else is kept in `extra`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ManagedCluster {
        /// The ARM resource id.
        pub id: Option<String> = "id",
        /// The cluster name.
        pub name: Option<String> = "name",
        /// `Microsoft.ContainerService/ManagedClusters`.
        pub type_: Option<String> = "type",
        /// The Azure region.
        pub location: Option<String> = "location",
        /// Resource tags.
        pub tags: Option<BTreeMap<String, String>> = "tags",
        /// The entity tag, for optimistic concurrency.
        pub e_tag: Option<String> = "eTag",
        /// The cluster's managed identity (`SystemAssigned` or `UserAssigned`).
        pub identity: Option<ManagedServiceIdentity> = "identity",
        /// The cluster properties.
        pub properties: Option<ManagedClusterProperties> = "properties",
    }
}

wire_object! {
    /// The properties of a managed cluster that a compute client reads.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ManagedClusterProperties {
        /// The provisioning state, such as `Succeeded`.
        pub provisioning_state: Option<String> = "provisioningState",
        /// The requested Kubernetes version.
        pub kubernetes_version: Option<String> = "kubernetesVersion",
        /// The Kubernetes version the cluster runs.
        pub current_kubernetes_version: Option<String> = "currentKubernetesVersion",
        /// The DNS prefix.
        pub dns_prefix: Option<String> = "dnsPrefix",
        /// The API server's public FQDN.
        pub fqdn: Option<String> = "fqdn",
        /// The API server's private FQDN (private clusters).
        pub private_fqdn: Option<String> = "privateFQDN",
        /// The agent pools.
        pub agent_pool_profiles: Option<Vec<AgentPoolProfile>> = "agentPoolProfiles",
        /// Network settings.
        pub network_profile: Option<NetworkProfile> = "networkProfile",
        /// API server access settings.
        pub api_server_access_profile: Option<ApiServerAccessProfile> = "apiServerAccessProfile",
        /// The resource group holding the cluster's nodes.
        pub node_resource_group: Option<String> = "nodeResourceGroup",
        /// Whether Kubernetes RBAC is enabled.
        pub enable_rbac: Option<bool> = "enableRBAC",
        /// Microsoft Entra ID (Azure AD) integration.
        pub aad_profile: Option<AadProfile> = "aadProfile",
        /// Whether local accounts (the cluster admin certificate) are disabled.
        pub disable_local_accounts: Option<bool> = "disableLocalAccounts",
    }
}

wire_object! {
    /// Microsoft Entra ID (Azure AD) integration of a managed cluster (ContainerService
    /// `ManagedClusterAADProfile`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct AadProfile {
        /// Whether the integration is AKS-managed.
        pub managed: Option<bool> = "managed",
        /// Whether Azure RBAC authorizes Kubernetes requests.
        pub enable_azure_rbac: Option<bool> = "enableAzureRBAC",
        /// The object ids of the groups that administer the cluster.
        pub admin_group_object_ids: Option<Vec<String>> = "adminGroupObjectIDs",
        /// The tenant of the integration.
        pub tenant_id: Option<String> = "tenantID",
    }
}

impl ManagedCluster {
    /// The authorized IP ranges of the API server (empty when it admits every address).
    pub fn authorized_ip_ranges(&self) -> &[String] {
        self.properties
            .as_ref()
            .and_then(|p| p.api_server_access_profile.as_ref())
            .and_then(|a| a.authorized_ip_ranges.as_deref())
            .unwrap_or_default()
    }
}

impl ManagedClusterProperties {
    /// Whether the API server is only reachable from a private network.
    pub fn is_private(&self) -> bool {
        self.api_server_access_profile
            .as_ref()
            .and_then(|profile| profile.enable_private_cluster)
            .unwrap_or(false)
    }
}

wire_object! {
    /// One agent pool of a managed cluster (ContainerService `ManagedClusterAgentPoolProfile`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct AgentPoolProfile {
        /// The pool name.
        pub name: Option<String> = "name",
        /// The number of nodes.
        pub count: Option<u32> = "count",
        /// The VM size of the nodes, such as `Standard_DS2_v2`.
        pub vm_size: Option<String> = "vmSize",
        /// `System` or `User`.
        pub mode: Option<AgentPoolMode> = "mode",
        /// `Linux` or `Windows`.
        pub os_type: Option<OsType> = "osType",
        /// The Kubernetes version of the pool.
        pub orchestrator_version: Option<String> = "orchestratorVersion",
        /// Whether the cluster autoscaler is on for this pool.
        pub enable_auto_scaling: Option<bool> = "enableAutoScaling",
        /// The autoscaler's minimum node count.
        pub min_count: Option<u32> = "minCount",
        /// The autoscaler's maximum node count.
        pub max_count: Option<u32> = "maxCount",
        /// The pool's provisioning state.
        pub provisioning_state: Option<String> = "provisioningState",
        /// The subnet of the pool's nodes (a bring-your-own virtual network).
        pub vnet_subnet_id: Option<String> = "vnetSubnetID",
    }
}

wire_object! {
    /// An agent pool as its own resource (ContainerService `AgentPool`, the body of
    /// `.../managedClusters/{cluster}/agentPools/{pool}`): the properties are those of an
    /// [`AgentPoolProfile`] without its name, which is the resource's.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct AgentPool {
        /// The ARM resource id.
        pub id: Option<String> = "id",
        /// The pool name.
        pub name: Option<String> = "name",
        /// `Microsoft.ContainerService/managedClusters/agentPools`.
        pub type_: Option<String> = "type",
        /// The pool's settings (`name` is unset here).
        pub properties: Option<AgentPoolProfile> = "properties",
    }
}

wire_object! {
    /// A page of agent pools (ContainerService `AgentPoolListResult`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct AgentPoolListResult {
        /// The pools.
        pub value: Option<Vec<AgentPool>> = "value",
        /// The next page, if any.
        pub next_link: Option<String> = "nextLink",
    }
}

wire_object! {
    /// Network settings of a managed cluster (ContainerService `ContainerServiceNetworkProfile`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct NetworkProfile {
        /// `azure`, `kubenet` or `none`.
        pub network_plugin: Option<String> = "networkPlugin",
        /// `calico`, `azure` or `cilium`.
        pub network_policy: Option<String> = "networkPolicy",
        /// The pod CIDR (kubenet).
        pub pod_cidr: Option<String> = "podCidr",
        /// The Kubernetes service CIDR.
        pub service_cidr: Option<String> = "serviceCidr",
        /// The Kubernetes DNS service IP.
        pub dns_service_ip: Option<String> = "dnsServiceIP",
        /// The outbound routing method, such as `loadBalancer`.
        pub outbound_type: Option<OutboundType> = "outboundType",
        /// The load balancer SKU (`standard` or `basic`).
        pub load_balancer_sku: Option<LoadBalancerSku> = "loadBalancerSku",
    }
}

wire_object! {
    /// API server access settings (ContainerService `ManagedClusterAPIServerAccessProfile`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ApiServerAccessProfile {
        /// The IP ranges allowed to reach the API server (CIDR text).
        pub authorized_ip_ranges: Option<Vec<String>> = "authorizedIPRanges",
        /// Whether the cluster is private.
        pub enable_private_cluster: Option<bool> = "enablePrivateCluster",
        /// The private DNS zone mode or id.
        pub private_dns_zone: Option<String> = "privateDNSZone",
    }
}

wire_object! {
    /// The body of `listClusterUserCredential` (ContainerService `CredentialResults`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CredentialResults {
        /// The kubeconfigs.
        pub kubeconfigs: Option<Vec<CredentialResult>> = "kubeconfigs",
    }
}

wire_object! {
    /// One kubeconfig (ContainerService `CredentialResult`). `Debug` redacts `value`.
    #[derive(Clone, Default, PartialEq)]
    pub struct CredentialResult {
        /// The credential name, such as `clusterUser`.
        pub name: Option<String> = "name",
        /// The kubeconfig file, base64-encoded as on the wire. Secret.
        pub value: Option<String> = "value",
    }
}

impl fmt::Debug for CredentialResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialResult")
            .field("name", &self.name)
            .field("value", &redacted(self.value.as_ref()))
            .field("extra", &RedactedJson(&self.extra))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::secret::REDACTED;

    #[test]
    fn private_cluster_fields_are_typed() {
        let body = json!({
            "id": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/c1",
            "name": "c1",
            "type": "Microsoft.ContainerService/ManagedClusters",
            "location": "westeurope",
            "sku": {"name": "Base", "tier": "Free"},
            "properties": {
                "kubernetesVersion": "1.29",
                "currentKubernetesVersion": "1.29.4",
                "provisioningState": "Succeeded",
                "privateFQDN": "c1-abc.privatelink.westeurope.azmk8s.io",
                "agentPoolProfiles": [
                    {"name": "system", "count": 3, "vmSize": "Standard_D4s_v5", "mode": "System",
                     "osType": "Linux", "enableAutoScaling": true, "minCount": 3, "maxCount": 6},
                    {"name": "gpu", "count": 1, "vmSize": "Standard_NC6s_v3", "mode": "user",
                     "osType": "Linux", "osSKU": "AzureLinux"}
                ],
                "networkProfile": {"networkPlugin": "azure", "loadBalancerSku": "standard",
                                   "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10"},
                "apiServerAccessProfile": {"enablePrivateCluster": true,
                                           "authorizedIPRanges": [],
                                           "privateDNSZone": "system"}
            }
        });
        let cluster: ManagedCluster = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(cluster.location.as_deref(), Some("westeurope"));
        assert!(cluster.extra.contains_key("sku"));
        let props = cluster.properties.as_ref().unwrap();
        assert!(props.is_private());
        assert_eq!(props.fqdn, None);
        assert_eq!(
            props.private_fqdn.as_deref(),
            Some("c1-abc.privatelink.westeurope.azmk8s.io")
        );
        let pools = props.agent_pool_profiles.as_ref().unwrap();
        assert_eq!((pools[0].count, pools[0].max_count), (Some(3), Some(6)));
        assert_eq!(pools[1].mode, Some(AgentPoolMode::User));
        assert_eq!(pools[1].os_type, Some(OsType::Linux));
        let network = props.network_profile.as_ref().unwrap();
        assert_eq!(network.load_balancer_sku, Some(LoadBalancerSku::Standard));
        assert_eq!(network.dns_service_ip.as_deref(), Some("10.0.0.10"));
        let access = props.api_server_access_profile.as_ref().unwrap();
        assert_eq!(access.authorized_ip_ranges, Some(vec![]));

        // "user" was read case-insensitively, so it is written back canonically.
        let mut expected = body;
        expected["properties"]["agentPoolProfiles"][1]["mode"] = json!("User");
        assert_eq!(serde_json::to_value(&cluster).unwrap(), expected);
    }

    #[test]
    fn public_cluster_with_authorized_ranges() {
        let props: ManagedClusterProperties = serde_json::from_value(json!({
            "fqdn": "c2-dns.hcp.eastus.azmk8s.io",
            "apiServerAccessProfile": {"authorizedIPRanges": ["73.140.245.0/24"]}
        }))
        .unwrap();
        assert!(!props.is_private());
        let ranges = props
            .api_server_access_profile
            .unwrap()
            .authorized_ip_ranges
            .unwrap();
        assert_eq!(ranges, ["73.140.245.0/24"]);
    }

    #[test]
    fn debug_redacts_kubeconfig_values() {
        let body = json!({"kubeconfigs": [{"name": "clusterUser", "value": "S1VCRUNPTkZJRw=="}]});
        let creds: CredentialResults = serde_json::from_value(body.clone()).unwrap();
        let kubeconfig = &creds.kubeconfigs.as_ref().unwrap()[0];
        assert_eq!(kubeconfig.value.as_deref(), Some("S1VCRUNPTkZJRw=="));
        assert_eq!(serde_json::to_value(&creds).unwrap(), body);
        let shown = format!("{creds:?} {creds:#?}");
        assert!(!shown.contains("S1VCRUNPTkZJRw"), "{shown}");
        assert!(
            shown.contains("clusterUser") && shown.contains(REDACTED),
            "{shown}"
        );
    }
}
