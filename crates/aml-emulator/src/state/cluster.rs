//! Emulated AKS managed clusters: seeded ones and those a workspace creates, their GET body,
//! their kubeconfigs and credentials.

use std::collections::BTreeMap;

use aml_model::AksClusterId;
use aml_model::wire::{
    AadProfile, AgentPoolMode, AgentPoolProfile, ApiServerAccessProfile, CredentialResult,
    CredentialResults, LoadBalancerSku, ManagedCluster, ManagedClusterProperties,
    ManagedServiceIdentity, NetworkProfile, OsType, OutboundType, ProvisioningState,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

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
    /// The subnet of its nodes (a bring-your-own virtual network).
    pub(crate) vnet_subnet_id: Option<String>,
    /// Fields of a managed cluster PUT the emulator does not model, echoed in answers.
    pub(crate) echo: Map<String, Value>,
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
            vnet_subnet_id: None,
            echo: Map::new(),
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
    pub(crate) e_tag: String,
    /// The compute whose creation made this cluster, if a workspace created it.
    pub(crate) created_by: Option<ComputeKey>,
    /// The cluster's managed identity (`SystemAssigned` unless a PUT said otherwise); `None`
    /// for a cluster with a service principal.
    pub(crate) identity: Option<ManagedServiceIdentity>,
    /// AKS-managed Microsoft Entra ID integration: `Some(azure_rbac)` when on.
    pub(crate) aad: Option<bool>,
    /// Kubernetes RBAC.
    pub(crate) enable_rbac: bool,
    pub(crate) outbound_type: OutboundType,
    pub(crate) network_plugin: String,
    /// A private cluster's public FQDN too (`enablePrivateClusterPublicFQDN`).
    pub(crate) public_fqdn: Option<String>,
    /// Fields of a managed cluster PUT the emulator does not model, echoed in answers.
    pub(crate) echo: Echo,
}

/// What a managed cluster PUT sent that the emulator does not model, by place, echoed in GETs
/// over the emulator's own values (secrets removed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Echo {
    /// Top-level fields (`sku`, `kind`, ...).
    pub(crate) resource: Map<String, Value>,
    /// `properties` fields (`linuxProfile`, `autoScalerProfile`, ...).
    pub(crate) properties: Map<String, Value>,
    /// `properties.networkProfile` fields (`loadBalancerProfile`, ...).
    pub(crate) network: Map<String, Value>,
    /// `properties.apiServerAccessProfile` fields.
    pub(crate) access: Map<String, Value>,
    /// `privateDNSZone` when the PUT gave one (`system` otherwise, for a private cluster).
    pub(crate) private_dns_zone: Option<String>,
    /// The typed `networkProfile` fields the PUT gave: `networkPolicy`, `podCidr`,
    /// `serviceCidr`, `dnsServiceIP`.
    pub(crate) cidrs: Map<String, Value>,
    /// `disableLocalAccounts` when the PUT gave it.
    pub(crate) disable_local_accounts: Option<bool>,
}

/// The emulator's one Microsoft Entra tenant: the tenant of every identity and Entra ID
/// integration it reports.
pub(crate) const TENANT: &str = "7e5a1c0d-3b52-4f7c-9a0e-5d1e2f3a4b6c";

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
                let mut seeded = Pool::new(&pool.name, pool.count, &pool.vm_size, mode);
                seeded.vnet_subnet_id.clone_from(&pool.vnet_subnet_id);
                seeded
            })
            .collect();
        let mut cluster = Self::new(id, &seed.location, &seed.kubernetes_version, pools, ids);
        cluster.private = seed.private;
        cluster
            .authorized_ip_ranges
            .clone_from(&seed.authorized_ip_ranges);
        cluster.load_balancer_sku = seed.load_balancer_sku.clone();
        cluster.tags.clone_from(&seed.tags);
        cluster.aad = seed.aad.then_some(seed.azure_rbac);
        cluster.outbound_type = seed.outbound_type.clone();
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
            identity: Some(system_identity()),
            aad: None,
            enable_rbac: true,
            outbound_type: OutboundType::LoadBalancer,
            network_plugin: "kubenet".into(),
            public_fqdn: None,
            echo: Echo::default(),
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

    /// The GET body: the fields aml-model types, the usual rest of an AKS answer, and what a
    /// PUT sent that the emulator does not model.
    pub(crate) fn render(&self) -> ManagedCluster {
        let pools = self.render_pools();
        let mut access_extra = self.echo.access.clone();
        if self.public_fqdn.is_some() {
            access_extra.insert("enablePrivateClusterPublicFQDN".into(), Value::Bool(true));
        }
        let access =
            (self.private || !self.authorized_ip_ranges.is_empty() || !access_extra.is_empty())
                .then(|| ApiServerAccessProfile {
                    authorized_ip_ranges: (!self.authorized_ip_ranges.is_empty())
                        .then(|| self.authorized_ip_ranges.clone()),
                    enable_private_cluster: self.private.then_some(true),
                    private_dns_zone: self.private.then(|| {
                        self.echo
                            .private_dns_zone
                            .clone()
                            .unwrap_or_else(|| "system".to_owned())
                    }),
                    extra: access_extra,
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
            (self.public_fqdn.clone(), Some(self.fqdn.clone()))
        } else {
            (Some(self.fqdn.clone()), None)
        };
        if let Some(public) = &fqdn {
            extra.insert(
                "azurePortalFQDN".into(),
                Value::from(public.replacen(".hcp.", ".portal.hcp.", 1)),
            );
        }
        extra.extend(self.echo.properties.clone());
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
            enable_rbac: Some(self.enable_rbac),
            aad_profile: self.aad.map(|azure_rbac| AadProfile {
                managed: Some(true),
                enable_azure_rbac: Some(azure_rbac),
                tenant_id: Some(TENANT.to_owned()),
                ..Default::default()
            }),
            disable_local_accounts: self.echo.disable_local_accounts,
            extra,
        };
        let mut extra = object(json!({"sku": {"name": "Base", "tier": "Free"}}));
        extra.extend(self.echo.resource.clone());
        ManagedCluster {
            id: Some(self.id_text()),
            name: Some(self.id.name().to_owned()),
            type_: Some("Microsoft.ContainerService/ManagedClusters".into()),
            location: Some(self.location.clone()),
            tags: (!self.tags.is_empty()).then(|| self.tags.clone()),
            e_tag: Some(self.e_tag.clone()),
            identity: self.identity.clone(),
            properties: Some(properties),
            extra,
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
        let mut extra = object(json!({
            "maxPods": 110,
            "type": "VirtualMachineScaleSets",
            "eTag": self.e_tag,
            "currentOrchestratorVersion": self.kubernetes_version,
            "availabilityZones": ["1", "2", "3"],
            "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202410.15.0",
            "upgradeSettings": {"maxSurge": "10%"},
        }));
        extra.extend(pool.echo.clone());
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
            vnet_subnet_id: pool.vnet_subnet_id.clone(),
            extra,
        }
    }

    fn render_network(&self, node_resource_group: &str) -> NetworkProfile {
        let kubenet = self.network_plugin == "kubenet";
        let given = |field: &str| {
            self.echo
                .cidrs
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let pod_cidr = given("podCidr").or_else(|| kubenet.then(|| "10.244.0.0/16".into()));
        let service_cidr = given("serviceCidr").unwrap_or_else(|| "10.0.0.0/16".into());
        let mut network_extra = object(json!({
            "serviceCidrs": [service_cidr],
            "ipFamilies": ["IPv4"],
        }));
        if let Some(pod_cidr) = &pod_cidr {
            network_extra.insert("podCidrs".into(), json!([pod_cidr]));
        }
        if self.load_balancer_sku == LoadBalancerSku::Standard
            && self.outbound_type == OutboundType::LoadBalancer
        {
            let managed = self
                .echo
                .network
                .get("loadBalancerProfile")
                .and_then(|profile| profile.pointer("/managedOutboundIPs/count"))
                .and_then(Value::as_u64)
                .unwrap_or(1);
            let effective: Vec<Value> = (1..=managed)
                .map(|n| {
                    let suffix = if n == 1 { String::new() } else { format!("-{n}") };
                    json!({"id": format!(
                        "/subscriptions/{}/resourceGroups/{node_resource_group}/providers/Microsoft.Network/publicIPAddresses/{}-outbound{suffix}",
                        self.id.subscription_id(), self.id.name()
                    )})
                })
                .collect();
            network_extra.insert(
                "loadBalancerProfile".into(),
                json!({
                    "managedOutboundIPs": {"count": managed},
                    "effectiveOutboundIPs": effective,
                    "allocatedOutboundPorts": 0,
                    "idleTimeoutInMinutes": 30,
                }),
            );
        }
        for (name, value) in &self.echo.network {
            // The emulator's load balancer profile has the effective IPs; the PUT's settings go
            // over it.
            match (network_extra.get_mut(name), value) {
                (Some(Value::Object(ours)), Value::Object(theirs)) => {
                    ours.extend(theirs.clone());
                }
                _ => {
                    network_extra.insert(name.clone(), value.clone());
                }
            }
        }
        NetworkProfile {
            network_plugin: Some(self.network_plugin.clone()),
            network_policy: given("networkPolicy"),
            pod_cidr,
            service_cidr: Some(service_cidr),
            dns_service_ip: given("dnsServiceIP").or_else(|| Some("10.0.0.10".into())),
            outbound_type: Some(self.outbound_type.clone()),
            load_balancer_sku: Some(self.load_balancer_sku.clone()),
            extra: network_extra,
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
pub(crate) fn fqdn(dns_prefix: &str, location: &str, private: bool, ids: &IdSource) -> String {
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

/// A system-assigned identity with a fresh principal, in the emulator's tenant.
pub(crate) fn system_identity() -> ManagedServiceIdentity {
    ManagedServiceIdentity {
        type_: Some("SystemAssigned".into()),
        principal_id: Some(crate::ids::uuid()),
        tenant_id: Some(TENANT.into()),
        ..Default::default()
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
