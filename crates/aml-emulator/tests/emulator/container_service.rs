//! Microsoft.ContainerService: managed clusters, user credentials, Kubernetes versions.

use aml_emulator::{Emulator, MinorVersion, VersionTable};
use aml_model::wire::{
    CredentialResults, KubernetesVersionListResult, LoadBalancerSku, ManagedCluster,
    OrchestratorVersionProfileListResult,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::{Method, StatusCode};

use super::support::{AKS_API, Env, cluster_id};

const VERSIONS: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ContainerService/locations";

#[tokio::test]
async fn managed_clusters_show_access_and_load_balancer_settings() {
    let env = Env::start().await;
    let private = env
        .get(&format!("{}?{AKS_API}", cluster_id("aks-private")))
        .await;
    assert_eq!(private.status, StatusCode::OK);
    let cluster: ManagedCluster = serde_json::from_value(private.json).unwrap();
    assert_eq!(
        cluster.id.as_deref(),
        Some(cluster_id("aks-private").as_str())
    );
    let properties = cluster.properties.unwrap();
    assert!(properties.is_private());
    assert!(properties.fqdn.is_none());
    assert!(
        properties
            .private_fqdn
            .unwrap()
            .contains(".privatelink.eastus.azmk8s.io")
    );
    assert_eq!(
        properties.current_kubernetes_version.as_deref(),
        Some("1.29.9")
    );
    assert_eq!(properties.kubernetes_version.as_deref(), Some("1.29"));

    let authorized = env
        .get(&format!("{}?{AKS_API}", cluster_id("aks-authorized")))
        .await;
    let cluster: ManagedCluster = serde_json::from_value(authorized.json).unwrap();
    let properties = cluster.properties.unwrap();
    assert!(!properties.is_private());
    assert_eq!(
        properties
            .api_server_access_profile
            .unwrap()
            .authorized_ip_ranges,
        Some(vec!["203.0.113.0/24".to_owned()])
    );
    assert_eq!(
        properties.network_profile.unwrap().load_balancer_sku,
        Some(LoadBalancerSku::Basic)
    );

    let gpu = env
        .get(&format!("{}?{AKS_API}", cluster_id("aks-gpu")))
        .await;
    let pools = gpu.json["properties"]["agentPoolProfiles"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(pools.len(), 2);
    assert_eq!(pools[0]["mode"], "System");
    assert_eq!(pools[1]["vmSize"], "Standard_NC6s_v3");
    assert_eq!(pools[1]["mode"], "User");
}

#[tokio::test]
async fn missing_clusters_are_404_and_a_group_lists_its_clusters() {
    let env = Env::start().await;
    let missing = env.get(&format!("{}?{AKS_API}", cluster_id("nope"))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "ResourceNotFound");
    let list = env
        .get(&format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters?{AKS_API}"))
        .await;
    let names: Vec<&str> = list.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cluster| cluster["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "aks-authorized",
            "aks-dev",
            "aks-entra-udr",
            "aks-gpu",
            "aks-office-ranges",
            "aks-old",
            "aks-private",
            "aks-prod"
        ]
    );
}

#[tokio::test]
async fn user_credentials_are_base64_kubeconfigs() {
    let env = Env::start().await;
    for (action, name) in [
        ("listClusterUserCredential", "clusterUser"),
        ("listClusterAdminCredential", "clusterAdmin"),
    ] {
        let answer = env
            .call(
                Method::POST,
                &format!("{}/{action}?{AKS_API}", cluster_id("aks-prod")),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        let credentials: CredentialResults = serde_json::from_value(answer.json).unwrap();
        let kubeconfig = &credentials.kubeconfigs.unwrap()[0];
        assert_eq!(kubeconfig.name.as_deref(), Some(name));
        let text =
            String::from_utf8(BASE64.decode(kubeconfig.value.as_ref().unwrap()).unwrap()).unwrap();
        assert!(text.contains("server: https://aks-prod-dns-"), "{text}");
        assert!(text.contains(&format!("{name}_aks-rg_aks-prod")));
    }
    let get = env
        .get(&format!(
            "{}/listClusterUserCredential?{AKS_API}",
            cluster_id("aks-prod")
        ))
        .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn kubernetes_versions_are_listed_in_both_shapes() {
    let env = Env::start().await;
    let answer = env
        .get(&format!("{VERSIONS}/eastus/kubernetesVersions?{AKS_API}"))
        .await;
    let list: KubernetesVersionListResult = serde_json::from_value(answer.json).unwrap();
    assert_eq!(
        list.default_version().unwrap().version.as_deref(),
        Some("1.30")
    );
    let versions: Vec<&str> = list
        .values
        .iter()
        .flatten()
        .map(|version| version.version.as_deref().unwrap())
        .collect();
    assert_eq!(versions, ["1.28", "1.29", "1.30", "1.31"]);
    assert_eq!(list.values.as_ref().unwrap()[3].is_preview, Some(true));

    let answer = env
        .get(&format!(
            "{VERSIONS}/eastus/orchestrators?api-version=2019-04-01&resource-type=managedClusters"
        ))
        .await;
    let old: OrchestratorVersionProfileListResult = serde_json::from_value(answer.json).unwrap();
    let default: Vec<_> = old
        .kubernetes()
        .filter(|profile| profile.default == Some(true))
        .map(|profile| profile.orchestrator_version.clone().unwrap())
        .collect();
    assert_eq!(default, ["1.30.5"]);
    assert_eq!(old.kubernetes().count(), 7);
    // Unknown subscriptions are 404 here too.
    let unknown = env
        .get(&format!("/subscriptions/x/providers/Microsoft.ContainerService/locations/eastus/kubernetesVersions?{AKS_API}"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_version_table_is_configurable_per_location() {
    let mut table = VersionTable::default();
    table.locations.insert(
        "westus2".into(),
        vec![MinorVersion::new("1.29", &["1.29.7"]).default_version()],
    );
    let env = Env::with(
        Emulator::builder()
            .timings(super::support::quick())
            .kubernetes_versions(table),
    )
    .await;
    let west = env
        .get(&format!(
            "{VERSIONS}/West%20US%202/kubernetesVersions?{AKS_API}"
        ))
        .await;
    assert_eq!(west.json["values"].as_array().unwrap().len(), 1);
    // A cluster created in westus2 gets that location's default.
    let mut body = super::support::create(1, "Standard_DS2_v2", "DevTest");
    body["properties"]["computeLocation"] = "westus2".into();
    env.put_and_wait("west", &body).await;
    let cluster = env.get_compute("west").await.json["properties"]["resourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let cluster = env.get(&format!("{cluster}?{AKS_API}")).await;
    assert_eq!(
        cluster.json["properties"]["currentKubernetesVersion"],
        "1.29.7"
    );
    assert_eq!(cluster.json["location"], "westus2");
}
