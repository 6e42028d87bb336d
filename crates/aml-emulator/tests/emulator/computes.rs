//! Computes: create, attach, update, GET, listKeys, DELETE (Detach and Delete), PATCH.

use aml_emulator::{STANDARD_SUBSCRIPTION, STANDARD_WORKSPACE};
use aml_model::config::{
    AksUpdateBuilder, AksUpdateConfiguration, LoadBalancerSettings, TlsSettings,
};
use aml_model::request::Requests;
use aml_model::wire::{AksComputeSecrets, ComputeResource, ProvisioningState};
use aml_model::{AksClusterId, ComputeId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::{AKS_API, API, Env, attach, attach_with, cluster_id, create, tls};

fn compute_id(env: &Env, name: &str) -> ComputeId {
    env.emulator
        .workspace_id()
        .unwrap()
        .compute(name.parse().unwrap())
}

#[tokio::test]
async fn create_provisions_a_new_cluster_that_later_gets_can_see() {
    let env = Env::start().await;
    let answer = env
        .put_compute("web-create", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert!(answer.header("retry-after").is_some());
    assert_eq!(answer.header("retry-after-ms"), Some("10"));
    let created: ComputeResource = serde_json::from_value(answer.json.clone()).unwrap();
    let aks = created.aks().unwrap();
    assert_eq!(aks.provisioning_state, Some(ProvisioningState::Creating));
    assert_eq!(aks.is_attached_compute, Some(false));
    assert_eq!(created.name.as_deref(), Some("web-create"));

    let status = env.wait(&answer).await;
    assert_eq!(status["status"], "Succeeded");

    let get = env.get_compute("web-create").await;
    let compute: ComputeResource = serde_json::from_value(get.json).unwrap();
    let aks = compute.aks().unwrap();
    assert_eq!(aks.provisioning_state, Some(ProvisioningState::Succeeded));
    let properties = aks.properties.as_ref().unwrap();
    assert_eq!(properties.agent_count, Some(3));
    assert_eq!(properties.agent_vm_size.as_deref(), Some("Standard_D3_v2"));
    // The new cluster lives in the workspace's resource group and runs the default version.
    let cluster_path = aks.resource_id.clone().unwrap();
    assert!(
        cluster_path.contains("/resourcegroups/aml-rg/"),
        "{cluster_path}"
    );
    let cluster = env.get(&format!("{cluster_path}?{AKS_API}")).await;
    assert_eq!(cluster.status, StatusCode::OK, "{cluster:?}");
    assert_eq!(cluster.json["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        cluster.json["properties"]["currentKubernetesVersion"],
        "1.30.5"
    );
    assert_eq!(
        cluster.json["properties"]["agentPoolProfiles"][0]["count"],
        3
    );
    // The Rust handle sees the same.
    let id: AksClusterId = cluster_path.parse().unwrap();
    assert!(env.emulator.cluster(&id).is_some());
    assert_eq!(
        env.emulator
            .compute(&compute_id(&env, "web-create"))
            .unwrap()
            .aks()
            .unwrap()
            .provisioning_state,
        Some(ProvisioningState::Succeeded)
    );
}

#[tokio::test]
async fn create_uses_the_service_defaults() {
    let env = Env::start().await;
    let status = env
        .put_and_wait("defaults", &json!({"properties": {"computeType": "AKS"}}))
        .await;
    assert_eq!(status["status"], "Succeeded");
    let get = env.get_compute("defaults").await;
    let properties = &get.json["properties"];
    assert_eq!(properties["computeLocation"], "eastus");
    assert_eq!(properties["properties"]["agentCount"], 3);
    assert_eq!(properties["properties"]["agentVmSize"], "Standard_D3_v2");
    assert_eq!(properties["properties"]["clusterPurpose"], "FastProd");
    assert_eq!(properties["properties"]["loadBalancerType"], "PublicIp");
}

#[tokio::test]
async fn attach_takes_the_cluster_as_it_is() {
    let env = Env::start().await;
    let status = env.put_and_wait("attached", &attach("aks-prod")).await;
    assert_eq!(status["status"], "Succeeded");
    let get = env.get_compute("attached").await;
    let compute: ComputeResource = serde_json::from_value(get.json.clone()).unwrap();
    let aks = compute.aks().unwrap();
    assert_eq!(aks.is_attached_compute, Some(true));
    // The resource id is reported as it was given (lower-case `resourcegroups`).
    assert_eq!(
        aks.resource_id.as_deref(),
        Some(cluster_id("aks-prod").as_str())
    );
    let properties = aks.properties.as_ref().unwrap();
    assert_eq!(properties.agent_count, Some(3));
    assert_eq!(properties.agent_vm_size.as_deref(), Some("Standard_D3_v2"));
    assert!(
        properties
            .cluster_fqdn
            .as_deref()
            .unwrap()
            .ends_with(".hcp.eastus.azmk8s.io")
    );
    let services = properties.system_services.as_ref().unwrap();
    assert_eq!(
        services[0].system_service_type.as_deref(),
        Some("ScoringFrontEnd")
    );
}

#[tokio::test]
async fn attach_by_an_id_in_canonical_case_finds_the_same_cluster() {
    let env = Env::start().await;
    let id = format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/resourceGroups/AKS-RG/providers/Microsoft.ContainerService/managedClusters/AKS-PROD"
    );
    let body = json!({"properties": {"computeType": "aks", "resourceId": id}});
    let status = env.put_and_wait("canonical", &body).await;
    assert_eq!(status["status"], "Succeeded");
}

#[tokio::test]
async fn a_tls_update_is_an_update_and_the_key_is_never_returned() {
    let env = Env::start().await;
    env.put_and_wait("tls-web", &attach("aks-prod")).await;
    let update = env
        .put_compute(
            "tls-web",
            &attach_with("aks-prod", &json!({"sslConfiguration": tls("Enabled")})),
        )
        .await;
    assert_eq!(update.status, StatusCode::CREATED, "{update:?}");
    assert_eq!(update.json["properties"]["provisioningState"], "Updating");
    assert!(!update.text.contains("SECRETKEY"));
    env.wait(&update).await;

    let get = env.get_compute("tls-web").await;
    let ssl = &get.json["properties"]["properties"]["sslConfiguration"];
    assert_eq!(ssl["status"], "Enabled");
    assert_eq!(ssl["cname"], "www.contoso.com");
    assert!(ssl.get("key").is_none(), "{ssl}");
    assert!(!get.text.contains("SECRETKEY"));

    // GET-modify-PUT: the GET has no key, the certificate is unchanged, so the stored key is
    // kept and the update is accepted.
    let mut body = get.json.clone();
    body["properties"]["properties"]["loadBalancerSubnet"] = json!("aks-subnet");
    let again = env.put_compute("tls-web", &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
    assert_eq!(env.wait(&again).await["status"], "Succeeded");
    let get = env.get_compute("tls-web").await;
    assert_eq!(
        get.json["properties"]["properties"]["loadBalancerSubnet"],
        "aks-subnet"
    );
    assert_eq!(
        get.json["properties"]["properties"]["sslConfiguration"]["status"],
        "Enabled"
    );
}

/// The library's update body for `update`, from the compute as GET shows it now.
async fn update_body(env: &Env, name: &str, update: AksUpdateBuilder) -> Value {
    let current = env.get_compute(name).await.json;
    let request = Requests::default()
        .update(&compute_id(env, name), &current, &update.build().unwrap())
        .unwrap();
    serde_json::from_slice(request.body().as_bytes()).unwrap()
}

/// An update that leaves TLS alone sends no `sslConfiguration`, and the compute keeps its TLS
/// configuration, key included (a later update that re-sends only the certificate finds it).
#[tokio::test]
async fn an_update_without_tls_keeps_the_tls_configuration() {
    let env = Env::start().await;
    env.put_and_wait(
        "keep-tls",
        &attach_with("aks-prod", &json!({"sslConfiguration": tls("Enabled")})),
    )
    .await;
    let before =
        env.get_compute("keep-tls").await.json["properties"]["properties"]["sslConfiguration"]
            .clone();
    let body = update_body(
        &env,
        "keep-tls",
        AksUpdateConfiguration::builder().load_balancer(LoadBalancerSettings::public()),
    )
    .await;
    assert!(
        body["properties"]["properties"]
            .get("sslConfiguration")
            .is_none(),
        "{body}"
    );
    let answer = env.put_compute("keep-tls", &body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert_eq!(env.wait(&answer).await["status"], "Succeeded");
    let get = env.get_compute("keep-tls").await;
    let ssl = &get.json["properties"]["properties"]["sslConfiguration"];
    assert_eq!(ssl, &before);
    assert_eq!(ssl["status"], "Enabled");
    assert_eq!(ssl["cname"], "www.contoso.com");
    // The key is still there: the block without a key, for the same certificate, is complete.
    let mut again = get.json.clone();
    again["properties"]["properties"]["agentCount"] = json!(3);
    let answer = env.put_compute("keep-tls", &again).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
}

/// Renewing a Microsoft certificate keeps its label and domain, and `renew` is never shown;
/// renewing a custom certificate is refused.
#[tokio::test]
async fn renewing_a_microsoft_certificate_keeps_its_domain() {
    let env = Env::start().await;
    let leaf = json!({"sslConfiguration": {"status": "Auto", "leafDomainLabel": "myapp"}});
    env.put_and_wait("renewed", &attach_with("aks-prod", &leaf))
        .await;
    let before =
        env.get_compute("renewed").await.json["properties"]["properties"]["sslConfiguration"]
            .clone();
    let body = update_body(
        &env,
        "renewed",
        AksUpdateConfiguration::builder().ssl(TlsSettings::renew()),
    )
    .await;
    assert_eq!(
        body["properties"]["properties"]["sslConfiguration"]["renew"],
        true
    );
    let answer = env.put_compute("renewed", &body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert_eq!(env.wait(&answer).await["status"], "Succeeded");
    let ssl = env.get_compute("renewed").await.json["properties"]["properties"]["sslConfiguration"]
        .clone();
    assert_eq!(ssl["status"], "Auto");
    assert_eq!(ssl["leafDomainLabel"], "myapp");
    assert_eq!(ssl["cname"], before["cname"]);
    assert!(ssl.get("renew").is_none(), "{ssl}");

    // A new label is a new domain.
    let body = update_body(
        &env,
        "renewed",
        AksUpdateConfiguration::builder().ssl(TlsSettings::microsoft("other", true)),
    )
    .await;
    let answer = env.put_compute("renewed", &body).await;
    env.wait(&answer).await;
    let ssl = env.get_compute("renewed").await.json["properties"]["properties"]["sslConfiguration"]
        .clone();
    let cname = ssl["cname"].as_str().unwrap();
    assert!(
        cname.starts_with("other") && cname.ends_with(".eastus.cloudapp.azure.com"),
        "{ssl}"
    );

    env.put_and_wait(
        "custom",
        &attach_with("aks-private", &json!({"sslConfiguration": tls("Enabled")})),
    )
    .await;
    let mut body = env.get_compute("custom").await.json;
    body["properties"]["properties"]["sslConfiguration"]["renew"] = json!(true);
    let answer = env.put_compute("custom", &body).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(
        answer.json["error"]["target"],
        "properties.properties.sslConfiguration.renew"
    );
}

#[tokio::test]
async fn a_microsoft_certificate_gets_a_leaf_domain_fqdn() {
    let env = Env::start().await;
    let body = attach_with(
        "aks-prod",
        &json!({"sslConfiguration": {"status": "Enabled", "leafDomainLabel": "myapp"}}),
    );
    env.put_and_wait("leaf", &body).await;
    let get = env.get_compute("leaf").await;
    let cname = get.json["properties"]["properties"]["sslConfiguration"]["cname"]
        .as_str()
        .unwrap()
        .to_owned();
    // <label> + six random characters + .<region>.cloudapp.azure.com (R17).
    let suffix = cname.strip_prefix("myapp").unwrap();
    let (random, rest) = suffix.split_at(6);
    assert!(random.chars().all(|c| c.is_ascii_alphanumeric()), "{cname}");
    assert_eq!(rest, ".eastus.cloudapp.azure.com");
}

#[tokio::test]
async fn scaling_changes_the_node_count_of_the_cluster() {
    let env = Env::start().await;
    env.put_and_wait("scaled", &attach("aks-prod")).await;
    let answer = env
        .put_compute(
            "scaled",
            &attach_with("aks-prod", &json!({"agentCount": 5})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    env.wait(&answer).await;
    let get = env.get_compute("scaled").await;
    assert_eq!(get.json["properties"]["properties"]["agentCount"], 5);
    let cluster = env
        .get(&format!("{}?{AKS_API}", cluster_id("aks-prod")))
        .await;
    assert_eq!(
        cluster.json["properties"]["agentPoolProfiles"][0]["count"],
        5
    );
}

#[tokio::test]
async fn list_keys_returns_kubeconfigs_for_the_cluster() {
    let env = Env::start().await;
    env.put_and_wait("keys", &attach("aks-private")).await;
    let answer = env
        .call(
            Method::POST,
            &format!("{}/listKeys?{API}", Env::compute("keys")),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let secrets: AksComputeSecrets = serde_json::from_value(answer.json).unwrap();
    let user = secrets.user_kube_config.unwrap().expose().to_owned();
    let admin = secrets.admin_kube_config.unwrap().expose().to_owned();
    assert!(user.contains("kind: Config") && user.contains("clusterUser_aks-rg_aks-private"));
    assert!(admin.contains("clusterAdmin_aks-rg_aks-private"));
    // A private cluster's kubeconfig points at its private FQDN.
    assert!(user.contains(".privatelink.eastus.azmk8s.io:443"), "{user}");
    let missing = env
        .call(
            Method::POST,
            &format!("{}/listKeys?{API}", Env::compute("absent")),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn detach_keeps_the_cluster_and_accepts_the_lower_case_action() {
    let env = Env::start().await;
    env.put_and_wait("detached", &attach("aks-prod")).await;
    let answer = env.delete_compute("detached", "detach").await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{answer:?}");
    assert!(answer.header("azure-asyncoperation").is_some());
    assert!(answer.header("location").is_some());
    assert!(answer.header("retry-after").is_some());
    let get = env.get_compute("detached").await;
    assert!(
        get.status == StatusCode::NOT_FOUND
            || get.json["properties"]["provisioningState"] == "Deleting",
        "{get:?}"
    );
    assert_eq!(env.wait(&answer).await["status"], "Succeeded");
    assert_eq!(
        env.get_compute("detached").await.status,
        StatusCode::NOT_FOUND
    );
    let cluster = env
        .get(&format!("{}?{AKS_API}", cluster_id("aks-prod")))
        .await;
    assert_eq!(cluster.status, StatusCode::OK);
    // Deleting what is not there is a 204.
    let again = env.delete_compute("detached", "Detach").await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn delete_removes_a_created_cluster_and_is_refused_for_an_attached_one() {
    let env = Env::start().await;
    env.put_and_wait("made", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    let cluster_path = env.get_compute("made").await.json["properties"]["resourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = env.delete_compute("made", "delete").await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{answer:?}");
    env.wait(&answer).await;
    assert_eq!(env.get_compute("made").await.status, StatusCode::NOT_FOUND);
    let cluster = env.get(&format!("{cluster_path}?{AKS_API}")).await;
    assert_eq!(cluster.status, StatusCode::NOT_FOUND, "{cluster:?}");

    env.put_and_wait("borrowed", &attach("aks-prod")).await;
    let refused = env.delete_compute("borrowed", "Delete").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.message().contains("Detach"), "{refused:?}");
    assert_eq!(env.get_compute("borrowed").await.status, StatusCode::OK);
}

#[tokio::test]
async fn delete_needs_an_underlying_resource_action() {
    let env = Env::start().await;
    env.put_and_wait("needs-action", &attach("aks-prod")).await;
    for query in ["", "&underlyingResourceAction=Destroy"] {
        let answer = env
            .call(
                Method::DELETE,
                &format!("{}?{API}{query}", Env::compute("needs-action")),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(answer.message().contains("underlyingResourceAction"));
    }
}

#[tokio::test]
async fn the_location_header_polls_202_then_204() {
    let env = Env::with(aml_emulator::Emulator::builder().timings(super::support::frozen())).await;
    env.put_compute("located", &attach("aks-prod")).await;
    env.emulator.complete_operations();
    let answer = env.delete_compute("located", "Detach").await;
    let location = answer.header("location").unwrap().to_owned();
    let running = env.get(&location).await;
    assert_eq!(running.status, StatusCode::ACCEPTED);
    assert!(running.header("location").is_some() && running.header("retry-after").is_some());
    assert_eq!(env.emulator.complete_operations(), 1);
    let done = env.get(&location).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn patch_scales_an_aml_compute_and_refuses_an_aks_one() {
    let env = Env::start().await;
    let aml = json!({"location": "eastus", "properties": {
        "computeType": "AmlCompute",
        "properties": {"vmSize": "STANDARD_NC6", "scaleSettings": {"maxNodeCount": 1, "minNodeCount": 0}}
    }});
    assert_eq!(
        env.put_and_wait("cpu-cluster", &aml).await["status"],
        "Succeeded"
    );
    let patch = json!({"properties": {"properties": {"scaleSettings": {"maxNodeCount": 4, "minNodeCount": 4, "nodeIdleTimeBeforeScaleDown": "PT5M"}}}});
    let answer = env
        .call(
            Method::PATCH,
            &format!("{}?{API}", Env::compute("cpu-cluster")),
            Some(&patch),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.json["properties"]["provisioningState"], "Updating");
    assert_eq!(env.wait(&answer).await["status"], "Succeeded");
    let get = env.get_compute("cpu-cluster").await;
    assert_eq!(
        get.json["properties"]["properties"]["scaleSettings"]["maxNodeCount"],
        4
    );
    assert_eq!(
        get.json["properties"]["properties"]["vmSize"],
        "STANDARD_NC6"
    );

    env.put_and_wait("aks-one", &attach("aks-prod")).await;
    let refused = env
        .call(
            Method::PATCH,
            &format!("{}?{API}", Env::compute("aks-one")),
            Some(&patch),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let malformed = env
        .call(
            Method::PATCH,
            &format!("{}?{API}", Env::compute("cpu-cluster")),
            Some(&json!({"tags": {}})),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "InvalidRequestContent");
}

#[tokio::test]
async fn other_compute_types_are_kept_verbatim() {
    let env = Env::start().await;
    let body = json!({"location": "eastus", "properties": {
        "computeType": "Kubernetes",
        "resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/arc",
        "properties": {"namespace": "default", "relayConnectionString": null}
    }});
    env.put_and_wait("arc", &body).await;
    let get = env.get_compute("arc").await;
    let properties = &get.json["properties"];
    assert_eq!(properties["computeType"], "Kubernetes");
    assert_eq!(properties["provisioningState"], "Succeeded");
    assert_eq!(properties["isAttachedCompute"], true);
    assert_eq!(properties["properties"]["namespace"], "default");
    assert_eq!(
        properties["properties"]["relayConnectionString"],
        Value::Null
    );
}

#[tokio::test]
async fn bad_bodies_are_invalid_request_content() {
    let env = Env::start().await;
    for body in [
        json!({"location": "eastus"}),
        json!({"properties": {"computeType": 3}}),
        json!([]),
    ] {
        let answer = env.put_compute("bad-body", &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.code(), "InvalidRequestContent", "{body}");
    }
    let empty = env
        .call(
            Method::PUT,
            &format!("{}?{API}", Env::compute("bad-body")),
            None,
        )
        .await;
    assert_eq!(empty.code(), "InvalidRequestContent");
}

#[tokio::test]
async fn the_workspace_itself_can_be_read() {
    let env = Env::start().await;
    let answer = env.get(&format!("{}?{API}", Env::workspace())).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json["name"], STANDARD_WORKSPACE);
    assert_eq!(
        answer.json["type"],
        "Microsoft.MachineLearningServices/workspaces"
    );
    assert_eq!(answer.json["location"], "eastus");
}
