//! Emulated AKS managed clusters: seeded ones and those a workspace creates, their GET body,
//! their kubeconfigs and credentials.

use std::collections::BTreeMap;

use aml_model::AksClusterId;
use aml_model::wire::{
    AgentPoolMode, AgentPoolProfile, ApiServerAccessProfile, CredentialResult, CredentialResults,
    LoadBalancerSku, ManagedCluster, ManagedClusterProperties, NetworkProfile, OsType,
    OutboundType, ProvisioningState,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::arm_error::ArmError;
use crate::ids::IdSource;
use crate::seed::ClusterSeed;
use crate::state::{ComputeKey, State, key};
use crate::versions::minor_of;

/// One agent pool.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub(crate) name: String,
    pub(crate) count: u32,
    pub(crate) vm_size: String,
    pub(crate) mode: AgentPoolMode,
    /// The cluster autoscaler's `(minCount, maxCount)` when it is on.
    pub(crate) autoscale: Option<(u32, u32)>,
    /// The pool's own provisioning state once an agent pool PUT set one; the cluster's until
    /// then.
    pub(crate) state: Option<ProvisioningState>,
}

impl Pool {
    /// A pool with the autoscaler off, in the cluster's provisioning state.
    pub(crate) fn new(name: &str, count: u32, vm_size: &str, mode: AgentPoolMode) -> Self {
        Self {
            name: name.to_owned(),
            count,
            vm_size: vm_size.to_owned(),
            mode,
            autoscale: None,
            state: None,
        }
    }
}

/// One managed cluster.
#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub(crate) id: AksClusterId,
    pub(crate) location: String,
    pub(crate) kubernetes_version: String,
    pub(crate) pools: Vec<Pool>,
    pub(crate) private: bool,
    pub(crate) authorized_ip_ranges: Vec<String>,
    pub(crate) load_balancer_sku: LoadBalancerSku,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) provisioning_state: ProvisioningState,
    pub(crate) dns_prefix: String,
    /// The API server's FQDN (the private one for a private cluster).
    pub(crate) fqdn: String,
    user_token: String,
    admin_token: String,
    ca_data: String,
    e_tag: String,
    /// The compute whose creation made this cluster, if a workspace created it.
    pub(crate) created_by: Option<ComputeKey>,
}

impl Cluster {
    pub(crate) fn from_seed(id: AksClusterId, seed: &ClusterSeed, ids: &IdSource) -> Self {
        let pools = seed
            .agent_pools
            .iter()
            .enumerate()
            .map(|(index, pool)| {
                let mode = pool.mode.clone().unwrap_or(if index == 0 {
                    AgentPoolMode::System
                } else {
                    AgentPoolMode::User
                });
                Pool::new(&pool.name, pool.count, &pool.vm_size, mode)
            })
            .collect();
        let mut cluster = Self::new(id, &seed.location, &seed.kubernetes_version, pools, ids);
        cluster.private = seed.private;
        cluster
            .authorized_ip_ranges
            .clone_from(&seed.authorized_ip_ranges);
        cluster.load_balancer_sku = seed.load_balancer_sku.clone();
        cluster.tags.clone_from(&seed.tags);
        cluster.fqdn = fqdn(&cluster.dns_prefix, &cluster.location, cluster.private, ids);
        cluster
    }

    /// A public cluster with a standard load balancer, provisioned.
    pub(crate) fn new(
        id: AksClusterId,
        location: &str,
        kubernetes_version: &str,
        pools: Vec<Pool>,
        ids: &IdSource,
    ) -> Self {
        let dns_prefix = format!("{}-dns", id.name());
        let fqdn = fqdn(&dns_prefix, location, false, ids);
        let fake_ca = format!(
            "-----BEGIN CERTIFICATE-----\nMIIE{}\n-----END CERTIFICATE-----\n",
            ids.alphanumeric(60)
        );
        Self {
            id,
            location: location.to_owned(),
            kubernetes_version: kubernetes_version.to_owned(),
            pools,
            private: false,
            authorized_ip_ranges: Vec::new(),
            load_balancer_sku: LoadBalancerSku::Standard,
            tags: BTreeMap::new(),
            provisioning_state: ProvisioningState::Succeeded,
            dns_prefix,
            fqdn,
            user_token: ids.hex(64),
            admin_token: ids.hex(64),
            ca_data: BASE64.encode(fake_ca),
            e_tag: ids.alphanumeric(8),
            created_by: None,
        }
    }

    /// The id as AKS prints it (`resourcegroups` in lower case, as `az aks show` does).
    pub(crate) fn id_text(&self) -> String {
        format!(
            "/subscriptions/{}/resourcegroups/{}/providers/Microsoft.ContainerService/managedClusters/{}",
            self.id.subscription_id(),
            self.id.resource_group(),
            self.id.name()
        )
    }

    /// The pool AML deploys to: the first `System` pool, or the first pool. A compute on the
    /// cluster reports its node count as `agentCount`.
    pub(crate) fn deploy_pool(&self) -> Option<&Pool> {
        self.pools
            .iter()
            .find(|pool| pool.mode == AgentPoolMode::System)
            .or_else(|| self.pools.first())
    }

    /// The pool AML deploys to, to change.
    pub(crate) fn deploy_pool_mut(&mut self) -> Option<&mut Pool> {
        let index = self
            .pools
            .iter()
            .position(|pool| pool.mode == AgentPoolMode::System)
            .unwrap_or(0);
        self.pools.get_mut(index)
    }

    /// Nodes across every pool.
    pub(crate) fn node_count(&self) -> u32 {
        self.pools.iter().map(|pool| pool.count).sum()
    }

    /// vCPUs across every pool, if every pool's VM size is in aml-model's catalog.
    pub(crate) fn vcpus(&self) -> Option<u32> {
        self.pools
            .iter()
            .map(|pool| {
                aml_model::vm_size::lookup(&pool.vm_size).map(|size| size.vcpus * pool.count)
            })
            .sum()
    }

    /// The pools as text: `3 x Standard_D3_v2 + 1 x Standard_NC6s_v3`.
    pub(crate) fn pools_text(&self) -> String {
        self.pools
            .iter()
            .map(|pool| format!("{} x {}", pool.count, pool.vm_size))
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// The GET body: the fields aml-model types, and the usual rest of an AKS answer.
    pub(crate) fn render(&self) -> ManagedCluster {
        let pools = self.render_pools();
        let access = (self.private || !self.authorized_ip_ranges.is_empty()).then(|| {
            ApiServerAccessProfile {
                authorized_ip_ranges: (!self.authorized_ip_ranges.is_empty())
                    .then(|| self.authorized_ip_ranges.clone()),
                enable_private_cluster: self.private.then_some(true),
                private_dns_zone: self.private.then(|| "system".to_owned()),
                ..Default::default()
            }
        });
        let node_resource_group = format!(
            "MC_{}_{}_{}",
            self.id.resource_group(),
            self.id.name(),
            self.location
        );
        let mut extra = object(json!({
            "maxAgentPools": 100,
            "linuxProfile": {
                "adminUsername": "azureuser",
                "ssh": {"publicKeys": [{"keyData": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ emulator"}]}
            },
            "servicePrincipalProfile": {"clientId": "msi"},
        }));
        let (fqdn, private_fqdn) = if self.private {
            (None, Some(self.fqdn.clone()))
        } else {
            extra.insert(
                "azurePortalFQDN".into(),
                Value::from(self.fqdn.replacen(".hcp.", ".portal.hcp.", 1)),
            );
            (Some(self.fqdn.clone()), None)
        };
        let properties = ManagedClusterProperties {
            provisioning_state: Some(self.provisioning_state.to_string()),
            kubernetes_version: Some(minor_of(&self.kubernetes_version).to_owned()),
            current_kubernetes_version: Some(self.kubernetes_version.clone()),
            dns_prefix: Some(self.dns_prefix.clone()),
            fqdn,
            private_fqdn,
            agent_pool_profiles: Some(pools),
            network_profile: Some(self.render_network(&node_resource_group)),
            api_server_access_profile: access,
            node_resource_group: Some(node_resource_group),
            enable_rbac: Some(true),
            aad_profile: None,
            disable_local_accounts: None,
            extra,
        };
        ManagedCluster {
            id: Some(self.id_text()),
            name: Some(self.id.name().to_owned()),
            type_: Some("Microsoft.ContainerService/ManagedClusters".into()),
            location: Some(self.location.clone()),
            tags: (!self.tags.is_empty()).then(|| self.tags.clone()),
            e_tag: Some(self.e_tag.clone()),
            identity: None,
            properties: Some(properties),
            extra: object(json!({"sku": {"name": "Base", "tier": "Free"}})),
        }
    }

    fn render_pools(&self) -> Vec<AgentPoolProfile> {
        self.pools
            .iter()
            .map(|pool| self.render_pool(pool))
            .collect()
    }

    /// One pool as `agentPoolProfiles` shows it (an agent pool resource's `properties` are the
    /// same without `name`).
    pub(crate) fn render_pool(&self, pool: &Pool) -> AgentPoolProfile {
        let state = pool.state.as_ref().unwrap_or(&self.provisioning_state);
        AgentPoolProfile {
            name: Some(pool.name.clone()),
            count: Some(pool.count),
            vm_size: Some(pool.vm_size.clone()),
            mode: Some(pool.mode.clone()),
            os_type: Some(OsType::Linux),
            orchestrator_version: Some(self.kubernetes_version.clone()),
            enable_auto_scaling: Some(pool.autoscale.is_some()),
            min_count: pool.autoscale.map(|(min, _)| min),
            max_count: pool.autoscale.map(|(_, max)| max),
            provisioning_state: Some(state.to_string()),
            vnet_subnet_id: None,
            extra: object(json!({
                    "maxPods": 110,
                    "type": "VirtualMachineScaleSets",
                    "eTag": self.e_tag,
                    "currentOrchestratorVersion": self.kubernetes_version,
                    "availabilityZones": ["1", "2", "3"],
                    "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202410.15.0",
                "upgradeSettings": {"maxSurge": "10%"},
            })),
        }
    }

    fn render_network(&self, node_resource_group: &str) -> NetworkProfile {
        let mut network_extra = object(json!({
            "podCidrs": ["10.244.0.0/16"],
            "serviceCidrs": ["10.0.0.0/16"],
            "ipFamilies": ["IPv4"],
        }));
        if self.load_balancer_sku == LoadBalancerSku::Standard {
            network_extra.insert(
                "loadBalancerProfile".into(),
                json!({
                    "managedOutboundIPs": {"count": 1},
                    "effectiveOutboundIPs": [{"id": format!(
                        "/subscriptions/{}/resourceGroups/{node_resource_group}/providers/Microsoft.Network/publicIPAddresses/{}-outbound",
                        self.id.subscription_id(), self.id.name()
                    )}],
                    "allocatedOutboundPorts": 0,
                    "idleTimeoutInMinutes": 30,
                }),
            );
        }
        NetworkProfile {
            network_plugin: Some("kubenet".into()),
            pod_cidr: Some("10.244.0.0/16".into()),
            service_cidr: Some("10.0.0.0/16".into()),
            dns_service_ip: Some("10.0.0.10".into()),
            outbound_type: Some(OutboundType::LoadBalancer),
            load_balancer_sku: Some(self.load_balancer_sku.clone()),
            extra: network_extra,
            ..Default::default()
        }
    }

    /// A kubeconfig for the cluster user or the cluster admin.
    pub(crate) fn kubeconfig(&self, admin: bool) -> String {
        let name = self.id.name();
        let (user, token) = if admin {
            (
                format!("clusterAdmin_{}_{name}", self.id.resource_group()),
                &self.admin_token,
            )
        } else {
            (
                format!("clusterUser_{}_{name}", self.id.resource_group()),
                &self.user_token,
            )
        };
        format!(
            "apiVersion: v1\n\
             clusters:\n\
             - cluster:\n    certificate-authority-data: {ca}\n    server: https://{fqdn}:443\n  name: {name}\n\
             contexts:\n\
             - context:\n    cluster: {name}\n    user: {user}\n  name: {name}\n\
             current-context: {name}\n\
             kind: Config\n\
             preferences: {{}}\n\
             users:\n\
             - name: {user}\n  user:\n    token: {token}\n",
            ca = self.ca_data,
            fqdn = self.fqdn,
        )
    }
}

/// The API server FQDN: `{prefix}-{8 hex}.hcp.{location}.azmk8s.io`, or the privatelink form.
fn fqdn(dns_prefix: &str, location: &str, private: bool, ids: &IdSource) -> String {
    let location = crate::versions::normalize_location(location);
    if private {
        format!(
            "{dns_prefix}-{}.{}.privatelink.{location}.azmk8s.io",
            ids.hex(8),
            crate::ids::uuid()
        )
    } else {
        format!("{dns_prefix}-{}.hcp.{location}.azmk8s.io", ids.hex(8))
    }
}

/// A JSON object literal as a map.
fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// 404 for a managed cluster.
pub(crate) fn cluster_not_found(resource_group: &str, name: &str) -> ArmError {
    ArmError::resource_not_found(
        &format!("Microsoft.ContainerService/managedClusters/{name}"),
        resource_group,
    )
}

impl State {
    /// `GET .../managedClusters/{name}`.
    pub(crate) fn cluster_get(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<ManagedCluster, ArmError> {
        self.group(subscription, resource_group)?
            .clusters
            .get(&key(name))
            .map(Cluster::render)
            .ok_or_else(|| cluster_not_found(resource_group, name))
    }

    /// `GET .../resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters`.
    pub(crate) fn cluster_list(
        &self,
        subscription: &str,
        resource_group: &str,
    ) -> Result<Vec<ManagedCluster>, ArmError> {
        Ok(self
            .group(subscription, resource_group)?
            .clusters
            .values()
            .map(Cluster::render)
            .collect())
    }

    /// `POST .../managedClusters/{name}/listClusterUserCredential` (or `...AdminCredential`).
    pub(crate) fn cluster_credentials(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
        admin: bool,
    ) -> Result<CredentialResults, ArmError> {
        let cluster = self
            .group(subscription, resource_group)?
            .clusters
            .get(&key(name))
            .ok_or_else(|| cluster_not_found(resource_group, name))?;
        Ok(CredentialResults {
            kubeconfigs: Some(vec![CredentialResult {
                name: Some(if admin { "clusterAdmin" } else { "clusterUser" }.to_owned()),
                value: Some(BASE64.encode(cluster.kubeconfig(admin))),
                ..Default::default()
            }]),
            ..Default::default()
        })
    }
}
