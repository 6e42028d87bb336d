//! Microsoft.ContainerService managed clusters as their own resources: the long-running PUT
//! (create and update), AKS's rules refusing a PUT before anything changes, the long-running
//! DELETE and what it does to a compute on the cluster, and the seeded secured clusters.

use aml_emulator::Emulator;
use aml_model::wire::{LoadBalancerSku, ManagedCluster, OutboundType};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::{AKS_API, Answer, Env, attach, cluster_id, frozen};

const SUBNET: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aks-rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/nodes";

fn url(name: &str) -> String {
    format!("{}?{AKS_API}", cluster_id(name))
}

/// A cluster with everything the library sets: identity, Entra ID with Azure RBAC, a CPU
/// system pool and a GPU user pool in a subnet, user-defined routing. No Kubernetes version:
/// the location's default.
fn secured() -> Value {
    json!({
        "location": "eastus",
        "identity": {"type": "SystemAssigned"},
        "tags": {"team": "ml"},
        "properties": {
            "dnsPrefix": "secured",
            "enableRBAC": true,
            "aadProfile": {"managed": true, "enableAzureRBAC": true},
            "agentPoolProfiles": [
                {"name": "system", "count": 3, "vmSize": "Standard_D4s_v3", "mode": "System",
                 "osType": "Linux", "vnetSubnetID": SUBNET},
                {"name": "gpu", "count": 1, "vmSize": "Standard_NC6s_v3", "mode": "User",
                 "osType": "Linux", "vnetSubnetID": SUBNET, "enableAutoScaling": true,
                 "minCount": 1, "maxCount": 3}
            ],
            "networkProfile": {"networkPlugin": "azure", "loadBalancerSku": "standard",
                               "outboundType": "userDefinedRouting"}
        }
    })
}

/// A minimal public cluster: one system pool.
fn public() -> Value {
    json!({
        "location": "eastus",
        "properties": {
            "dnsPrefix": "public1",
            "agentPoolProfiles": [{"name": "nodepool1", "count": 3, "vmSize": "Standard_D3_v2"}]
        }
    })
}

impl Env {
    async fn put_cluster(&self, name: &str, body: &Value) -> Answer {
        self.call(Method::PUT, &url(name), Some(body)).await
    }

    async fn cluster(&self, name: &str) -> ManagedCluster {
        let answer = self.get(&url(name)).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        serde_json::from_value(answer.json).unwrap()
    }
}

#[tokio::test]
async fn a_put_creates_a_cluster_through_a_long_running_operation() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    let created = env.put_cluster("aks-secured", &secured()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.json["properties"]["provisioningState"], "Creating");
    let poll = created.header("azure-asyncoperation").unwrap();
    assert!(
        poll.contains("/providers/Microsoft.ContainerService/locations/eastus/operations/"),
        "{poll}"
    );
    assert!(created.header("retry-after").is_some());
    // The cluster exists at once, in its goal state, Creating.
    let during = env.get(&url("aks-secured")).await;
    assert_eq!(during.json["properties"]["provisioningState"], "Creating");
    assert_eq!(
        during.json["properties"]["agentPoolProfiles"][1]["provisioningState"],
        "Creating"
    );
    // A second PUT while it is created is refused.
    let busy = env.put_cluster("aks-secured", &secured()).await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{busy:?}");

    env.emulator.complete_operations();
    assert_eq!(env.wait(&created).await["status"], "Succeeded");
    let cluster = env.cluster("aks-secured").await;
    assert_eq!(cluster.tags.unwrap()["team"], "ml");
    let identity = cluster.identity.unwrap();
    assert_eq!(identity.type_.as_deref(), Some("SystemAssigned"));
    assert!(identity.principal_id.is_some() && identity.tenant_id.is_some());
    let properties = cluster.properties.unwrap();
    assert_eq!(properties.provisioning_state.as_deref(), Some("Succeeded"));
    // No version given: the location's default minor, at its newest patch.
    assert_eq!(
        properties.current_kubernetes_version.as_deref(),
        Some("1.30.5")
    );
    assert_eq!(properties.dns_prefix.as_deref(), Some("secured"));
    assert!(properties.fqdn.unwrap().starts_with("secured-"));
    assert_eq!(properties.enable_rbac, Some(true));
    let aad = properties.aad_profile.unwrap();
    assert_eq!(
        (aad.managed, aad.enable_azure_rbac),
        (Some(true), Some(true))
    );
    assert!(aad.tenant_id.is_some());
    let network = properties.network_profile.unwrap();
    assert_eq!(
        network.outbound_type,
        Some(OutboundType::UserDefinedRouting)
    );
    assert_eq!(network.network_plugin.as_deref(), Some("azure"));
    assert_eq!(network.load_balancer_sku, Some(LoadBalancerSku::Standard));
    let pools = properties.agent_pool_profiles.unwrap();
    assert_eq!(pools.len(), 2);
    assert_eq!(pools[1].vm_size.as_deref(), Some("Standard_NC6s_v3"));
    assert_eq!((pools[1].min_count, pools[1].max_count), (Some(1), Some(3)));
    assert!(
        pools
            .iter()
            .all(|pool| pool.vnet_subnet_id.as_deref() == Some(SUBNET))
    );
    assert!(properties.api_server_access_profile.is_none());
    // The agent pool routes see the same pools.
    let gpu = env
        .get(&format!(
            "{}/agentPools/gpu?{AKS_API}",
            cluster_id("aks-secured")
        ))
        .await;
    assert_eq!(gpu.json["properties"]["vmSize"], "Standard_NC6s_v3");
}

#[tokio::test]
async fn a_get_modify_put_updates_the_cluster() {
    let env = Env::start().await;
    let created = env.put_cluster("aks-new", &public()).await;
    env.wait(&created).await;

    // The body of a GET, with authorized ranges added and a pool scaled.
    let mut body = env.get(&url("aks-new")).await.json;
    body["properties"]["apiServerAccessProfile"] =
        json!({"authorizedIPRanges": ["203.0.113.0/24", "198.18.0.0/24"]});
    body["properties"]["agentPoolProfiles"][0]["count"] = json!(5);
    let updated = env.put_cluster("aks-new", &body).await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    assert_eq!(updated.json["properties"]["provisioningState"], "Updating");
    assert_eq!(env.wait(&updated).await["status"], "Succeeded");
    let cluster = env.cluster("aks-new").await;
    let properties = cluster.properties.unwrap();
    assert_eq!(properties.provisioning_state.as_deref(), Some("Succeeded"));
    assert_eq!(
        properties
            .api_server_access_profile
            .unwrap()
            .authorized_ip_ranges
            .unwrap(),
        ["203.0.113.0/24", "198.18.0.0/24"]
    );
    assert_eq!(properties.agent_pool_profiles.unwrap()[0].count, Some(5));

    // An upgrade by one minor version is an update too; a downgrade is refused.
    let upgrade = json!({"location": "eastus", "properties": {"kubernetesVersion": "1.31"}});
    let answer = env.put_cluster("aks-new", &upgrade).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    env.wait(&answer).await;
    assert_eq!(
        env.cluster("aks-new")
            .await
            .properties
            .unwrap()
            .current_kubernetes_version
            .as_deref(),
        Some("1.31.1")
    );
    let downgrade = json!({"properties": {"kubernetesVersion": "1.30.4"}});
    let answer = env.put_cluster("aks-new", &downgrade).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert!(answer.message().contains("never downgrades"), "{answer:?}");
}

/// A create body with `change` applied to it: `(pointer, value)` pairs.
fn changed(mut body: Value, change: &[(&str, Value)]) -> Value {
    for (pointer, value) in change {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = body.pointer_mut(parent).unwrap();
        match (target, key.parse::<usize>()) {
            (Value::Array(items), Ok(index)) => items[index] = value.clone(),
            (target, _) => {
                target[key] = value.clone();
            }
        }
    }
    body
}

/// One refused create: what is wrong, the body, the code, the target, part of the message.
type Refusal = (
    &'static str,
    Value,
    &'static str,
    &'static str,
    &'static str,
);

/// Create bodies AKS refuses, one per rule.
#[allow(clippy::too_many_lines, reason = "a table of cases, one per rule")]
fn refusals() -> Vec<Refusal> {
    let ranges = |list: &[&str]| json!({"authorizedIPRanges": list});
    vec![
        (
            "authorized ranges on a basic load balancer",
            changed(
                public(),
                &[
                    (
                        "/properties/networkProfile",
                        json!({"loadBalancerSku": "basic"}),
                    ),
                    (
                        "/properties/apiServerAccessProfile",
                        ranges(&["203.0.113.0/24"]),
                    ),
                ],
            ),
            "InvalidParameter",
            "properties.apiServerAccessProfile.authorizedIPRanges",
            "needs a Standard load balancer",
        ),
        (
            "a private cluster with authorized ranges",
            changed(
                public(),
                &[(
                    "/properties/apiServerAccessProfile",
                    json!({"enablePrivateCluster": true, "authorizedIPRanges": ["203.0.113.0/24"]}),
                )],
            ),
            "InvalidParameter",
            "properties.apiServerAccessProfile.authorizedIPRanges",
            "cannot be used together",
        ),
        (
            "an authorized range that is not a CIDR",
            changed(
                public(),
                &[(
                    "/properties/apiServerAccessProfile",
                    ranges(&["203.0.113.0/24", "office"]),
                )],
            ),
            "InvalidParameter",
            "properties.apiServerAccessProfile.authorizedIPRanges",
            "not CIDRs such as 203.0.113.0/24: office",
        ),
        (
            "user-defined routing without a subnet",
            changed(
                public(),
                &[(
                    "/properties/networkProfile",
                    json!({"outboundType": "userDefinedRouting"}),
                )],
            ),
            "InvalidParameter",
            "properties.networkProfile.outboundType",
            "these pools have none: nodepool1",
        ),
        (
            "user-defined routing on a basic load balancer",
            changed(
                secured(),
                &[("/properties/networkProfile/loadBalancerSku", json!("basic"))],
            ),
            "InvalidParameter",
            "properties.networkProfile.outboundType",
            "needs a Standard load balancer",
        ),
        (
            "an unknown VM size",
            changed(
                public(),
                &[(
                    "/properties/agentPoolProfiles/0/vmSize",
                    json!("Standard_Imaginary_v9"),
                )],
            ),
            "InvalidParameter",
            "properties.agentPoolProfiles[0].vmSize",
            "Standard_Imaginary_v9",
        ),
        (
            "a Kubernetes version the region does not offer",
            changed(
                public(),
                &[("/properties/kubernetesVersion", json!("1.25.11"))],
            ),
            "K8sVersionNotSupported",
            "properties.kubernetesVersion",
            "Version 1.25.11 is not supported in this region",
        ),
        (
            "no System pool",
            changed(
                public(),
                &[("/properties/agentPoolProfiles/0/mode", json!("User"))],
            ),
            "InvalidParameter",
            "properties.agentPoolProfiles",
            "at least one agent pool with mode 'System'",
        ),
        (
            "a pool name AKS refuses",
            changed(
                public(),
                &[(
                    "/properties/agentPoolProfiles/0/name",
                    json!("nodepool-one"),
                )],
            ),
            "InvalidParameter",
            "properties.agentPoolProfiles[0].name",
            "lowercase letters and digits",
        ),
        (
            "a pool name longer than 12 characters",
            changed(
                public(),
                &[(
                    "/properties/agentPoolProfiles/0/name",
                    json!("systemnodepool1"),
                )],
            ),
            "InvalidParameter",
            "properties.agentPoolProfiles[0].name",
            "at most 12 characters",
        ),
        (
            "no pools",
            changed(public(), &[("/properties/agentPoolProfiles", json!([]))]),
            "InvalidParameter",
            "properties.agentPoolProfiles",
            "at least one agent pool",
        ),
        (
            "some pools in a subnet and some not",
            changed(
                secured(),
                &[
                    (
                        "/properties/networkProfile/outboundType",
                        json!("loadBalancer"),
                    ),
                    ("/properties/agentPoolProfiles/1/vnetSubnetID", Value::Null),
                ],
            ),
            "InvalidParameter",
            "properties.agentPoolProfiles",
            "All or none of the agent pools should set vnetSubnetID",
        ),
        (
            "Azure RBAC without Kubernetes RBAC",
            changed(secured(), &[("/properties/enableRBAC", json!(false))]),
            "InvalidParameter",
            "properties.aadProfile",
            "needs enableRBAC: true",
        ),
        (
            "a DNS prefix AKS refuses",
            changed(public(), &[("/properties/dnsPrefix", json!("-bad_prefix"))]),
            "InvalidParameter",
            "properties.dnsPrefix",
            "DNS prefix '-bad_prefix' is invalid",
        ),
    ]
}

#[tokio::test]
async fn each_aks_rule_refuses_a_create_with_400_naming_the_property() {
    let env = Env::start().await;
    let ranges = |list: &[&str]| json!({"authorizedIPRanges": list});
    for (what, body, code, target, message) in refusals() {
        let answer = env.put_cluster("aks-refused", &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}: {answer:?}");
        assert_eq!(answer.code(), code, "{what}: {answer:?}");
        assert_eq!(answer.json["error"]["target"], target, "{what}: {answer:?}");
        assert!(answer.message().contains(message), "{what}: {answer:?}");
        // Nothing was made.
        assert_eq!(
            env.get(&url("aks-refused")).await.status,
            StatusCode::NOT_FOUND,
            "{what}"
        );
    }
    assert_eq!(env.emulator.requests().count("GET", "/operations/"), 0);

    // Without a location, ARM refuses before AKS looks.
    let answer = env
        .put_cluster(
            "aks-refused",
            &json!({"properties": public()["properties"]}),
        )
        .await;
    assert_eq!(answer.code(), "LocationRequired", "{answer:?}");

    // Every problem at once, each in details.
    let answer = env
        .put_cluster(
            "aks-refused",
            &changed(
                secured(),
                &[
                    ("/properties/networkProfile/loadBalancerSku", json!("basic")),
                    ("/properties/apiServerAccessProfile", ranges(&["bad"])),
                ],
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let details = answer.json["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 3, "{answer:?}");
    assert!(answer.json["error"].get("target").is_none());
}

#[tokio::test]
async fn what_cannot_change_on_an_existing_cluster_is_refused() {
    let env = Env::start().await;
    let cases = [
        (
            json!({"location": "westus", "properties": {}}),
            "InvalidResourceLocation",
            "location",
        ),
        (
            json!({"location": "eastus", "properties": {"dnsPrefix": "other"}}),
            "PropertyChangeNotAllowed",
            "properties.dnsPrefix",
        ),
        (
            json!({"properties": {"apiServerAccessProfile": {"enablePrivateCluster": true}}}),
            "PropertyChangeNotAllowed",
            "properties.apiServerAccessProfile.enablePrivateCluster",
        ),
        (
            json!({"properties": {"networkProfile": {"loadBalancerSku": "basic"}}}),
            "PropertyChangeNotAllowed",
            "properties.networkProfile.loadBalancerSku",
        ),
        (
            json!({"properties": {"agentPoolProfiles": [
                {"name": "nodepool1", "vmSize": "Standard_D4s_v3"}]}}),
            "PropertyChangeNotAllowed",
            "properties.agentPoolProfiles[0].vmSize",
        ),
    ];
    let before = env.get(&url("aks-prod")).await.json;
    for (body, code, target) in cases {
        let answer = env.put_cluster("aks-prod", &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}: {answer:?}");
        assert_eq!(answer.code(), code, "{body}: {answer:?}");
        assert_eq!(answer.json["error"]["target"], target, "{body}: {answer:?}");
    }
    assert_eq!(env.get(&url("aks-prod")).await.json, before);
    // A private cluster stays private: making it public is refused too.
    let answer = env
        .put_cluster(
            "aks-private",
            &json!({"properties": {"apiServerAccessProfile": {"enablePrivateCluster": false}}}),
        )
        .await;
    assert_eq!(answer.code(), "PropertyChangeNotAllowed", "{answer:?}");
}

#[tokio::test]
async fn a_delete_runs_to_404_and_an_attached_compute_turns_failed() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    env.attached("web", "aks-prod").await;
    let answer = env.call(Method::DELETE, &url("aks-prod"), None).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{answer:?}");
    let location = answer.header("location").unwrap().to_owned();
    assert!(location.contains("/Microsoft.ContainerService/locations/eastus/operationresults/"));
    assert!(answer.header("azure-asyncoperation").is_some());
    assert_eq!(
        env.get(&url("aks-prod")).await.json["properties"]["provisioningState"],
        "Deleting"
    );
    // A second DELETE answers with the running operation; a PUT is refused meanwhile.
    let again = env.call(Method::DELETE, &url("aks-prod"), None).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(again.header("location"), Some(location.as_str()));
    assert_eq!(
        env.put_cluster("aks-prod", &public()).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(env.get(&location).await.status, StatusCode::ACCEPTED);

    env.emulator.complete_operations();
    assert_eq!(env.get(&location).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        env.get(&url("aks-prod")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.call(Method::DELETE, &url("aks-prod"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // AKS does not know about the compute: it was not refused, and the compute now says its
    // cluster is gone; an update of the failed compute is refused (detach it first); a detach
    // still works.
    let compute = env.get_compute("web").await;
    assert_eq!(compute.json["properties"]["provisioningState"], "Failed");
    let error = &compute.json["properties"]["provisioningErrors"][0]["error"];
    assert_eq!(error["code"], "ClusterNotFound", "{compute:?}");
    assert!(error["message"].as_str().unwrap().contains("aks-prod"));
    let mut body = compute.json.clone();
    body["properties"]["description"] = json!("still there?");
    let update = env.put_compute("web", &body).await;
    assert_eq!(update.status, StatusCode::CONFLICT, "{update:?}");
    assert!(
        update.text.contains("provisioning state 'Failed'"),
        "{update:?}"
    );
    let detach = env.delete_compute("web", "Detach").await;
    assert_eq!(detach.status, StatusCode::ACCEPTED);
    env.emulator.complete_operations();
    assert_eq!(env.get_compute("web").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_new_seeds_show_their_security_settings() {
    let env = Env::start().await;
    let entra = env.cluster("aks-entra-udr").await;
    let properties = entra.properties.unwrap();
    let aad = properties.aad_profile.unwrap();
    assert_eq!(
        (aad.managed, aad.enable_azure_rbac),
        (Some(true), Some(true))
    );
    assert_eq!(
        properties.network_profile.unwrap().outbound_type,
        Some(OutboundType::UserDefinedRouting)
    );
    let pool = &properties.agent_pool_profiles.unwrap()[0];
    assert!(
        pool.vnet_subnet_id
            .as_deref()
            .unwrap()
            .ends_with("/subnets/aks-nodes")
    );

    let office = env.cluster("aks-office-ranges").await;
    let properties = office.properties.unwrap();
    assert_eq!(
        properties.network_profile.unwrap().load_balancer_sku,
        Some(LoadBalancerSku::Standard)
    );
    assert_eq!(
        properties
            .api_server_access_profile
            .unwrap()
            .authorized_ip_ranges
            .unwrap(),
        ["203.0.113.0/24"]
    );

    let private = env.cluster("aks-private").await.properties.unwrap();
    assert!(private.is_private() && private.fqdn.is_none());
    assert!(
        private
            .private_fqdn
            .unwrap()
            .contains(".privatelink.eastus.azmk8s.io")
    );

    let gpu = env.cluster("aks-gpu").await.properties.unwrap();
    let pools = gpu.agent_pool_profiles.unwrap();
    assert_eq!(pools[0].vm_size.as_deref(), Some("Standard_D4s_v3"));
    assert_eq!(pools[1].vm_size.as_deref(), Some("Standard_NC6s_v3"));

    // Every cluster reports its managed identity now; the seeded ones are system-assigned.
    assert_eq!(
        env.cluster("aks-prod")
            .await
            .identity
            .unwrap()
            .type_
            .as_deref(),
        Some("SystemAssigned")
    );
    // The seeded entra cluster attaches like any other.
    env.put_and_wait("entra", &attach("aks-entra-udr")).await;
}
