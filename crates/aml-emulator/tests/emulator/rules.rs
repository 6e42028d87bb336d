//! The service's own rules: R7, R8, R9, R10, R11, R14, R18, missing clusters and workspaces,
//! and busy computes.

use aml_emulator::Emulator;
use aml_model::wire::{ComputeResource, ProvisioningState};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::{API, Env, attach, attach_with, cluster_id, create, frozen, tls};

/// R11 (a): a create (no `properties.resourceId`) on a taken name is 409 "already exists",
/// whatever the body says, identical settings included; the compute is untouched.
#[tokio::test]
async fn r11_a_create_on_an_existing_name_fails_already_exists_whatever_the_body() {
    let env = Env::start().await;
    env.put_and_wait("taken", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    let mut new_load_balancer = create(3, "Standard_D3_v2", "FastProd");
    new_load_balancer["properties"]["properties"]["loadBalancerType"] =
        json!("InternalLoadBalancer");
    let cases = [
        // The very same create again (the SDK, the CLI, a re-deployed create template).
        create(3, "Standard_D3_v2", "FastProd"),
        // Only settings an update may change differ: still a create.
        new_load_balancer,
        json!({"properties": {"computeType": "AKS"}}),
        create(3, "Standard_D4s_v3", "FastProd"),
        create(3, "Standard_D3_v2", "DevTest"),
        json!({"properties": {"computeType": "AmlCompute"}}),
        json!({"location": "westus2", "properties": {"computeType": "AKS"}}),
    ];
    for body in cases {
        let answer = env.put_compute("taken", &body).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{body}: {answer:?}");
        assert_eq!(answer.code(), "Conflict");
        assert!(answer.message().contains("already exists"), "{answer:?}");
    }
    let get = env.get_compute("taken").await;
    let settings = &get.json["properties"]["properties"];
    assert_eq!(settings["agentVmSize"], "Standard_D3_v2");
    assert_eq!(settings["loadBalancerType"], "PublicIp");
    assert_eq!(get.json["properties"]["provisioningState"], "Succeeded");

    // An attached compute refuses a create just the same.
    env.put_and_wait("web", &attach("aks-prod")).await;
    let answer = env
        .put_compute("web", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{answer:?}");
    assert_eq!(answer.json["error"]["target"], "properties.resourceId");
}

/// R11 (b): attaching another cluster under a taken name is 409, naming `resourceId`.
#[tokio::test]
async fn r11_attaching_another_cluster_under_a_taken_name_fails() {
    let env = Env::start().await;
    env.put_and_wait("web", &attach("aks-prod")).await;
    let answer = env.put_compute("web", &attach("aks-private")).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(answer.message().contains("already exists"), "{answer:?}");
    assert!(
        answer.message().contains("properties.resourceId"),
        "{answer:?}"
    );
    // A created compute too: its GET names the cluster the workspace made.
    env.put_and_wait("made", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    let answer = env.put_compute("made", &attach("aks-prod")).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{answer:?}");
    let get = env.get_compute("web").await;
    assert_eq!(get.json["properties"]["resourceId"], cluster_id("aks-prod"));
}

/// R11 (c): the body of a GET, modified, with the same `resourceId` (spelled in any case, as
/// ARM ids are) is an update, of a created compute as of an attached one.
#[tokio::test]
async fn r11_a_get_modify_put_with_the_same_resource_id_is_an_update() {
    let env = Env::start().await;
    env.put_and_wait("made", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    env.put_and_wait("web", &attach("aks-prod")).await;
    for name in ["made", "web"] {
        let mut body = env.get_compute(name).await.json;
        let resource_id = body["properties"]["resourceId"]
            .as_str()
            .unwrap()
            .to_owned();
        body["properties"]["resourceId"] = json!(
            resource_id
                .to_uppercase()
                .replace("/RESOURCEGROUPS/", "/resourceGroups/")
        );
        body["properties"]["properties"]["loadBalancerType"] = json!("InternalLoadBalancer");
        body["properties"]["properties"]["loadBalancerSubnet"] = json!("aks-lb");
        let answer = env.put_compute(name, &body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{name}: {answer:?}");
        assert_eq!(answer.json["properties"]["provisioningState"], "Updating");
        assert_eq!(env.wait(&answer).await["status"], "Succeeded");
        let get = env.get_compute(name).await;
        assert_eq!(
            get.json["properties"]["properties"]["loadBalancerType"],
            "InternalLoadBalancer"
        );
        // The id is reported as first given.
        assert_eq!(get.json["properties"]["resourceId"], resource_id.as_str());
    }
}

/// R11 (d): an attach body with the same `resourceId` (a re-deployed attach template) is an
/// update: it cannot be told from a GET-modify-PUT (the swagger's "Update an AKS Compute"
/// example is such a body). What it leaves out is kept; settings that cannot change are 409.
#[tokio::test]
async fn r11_an_attach_body_with_the_same_cluster_is_an_update() {
    let env = Env::start().await;
    let leaf = json!({"sslConfiguration": {"status": "Auto", "leafDomainLabel": "myapp"}});
    env.put_and_wait("web", &attach_with("aks-prod", &leaf))
        .await;
    let before = env.get_compute("web").await;
    let answer = env.put_compute("web", &attach("aks-prod")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert_eq!(answer.json["properties"]["provisioningState"], "Updating");
    assert_eq!(env.wait(&answer).await["status"], "Succeeded");
    let after = env.get_compute("web").await;
    assert_eq!(
        after.json["properties"]["properties"]["sslConfiguration"],
        before.json["properties"]["properties"]["sslConfiguration"]
    );
    assert_eq!(
        after.json["properties"]["createdOn"],
        before.json["properties"]["createdOn"]
    );

    let other_purpose = attach_with("aks-prod", &json!({"clusterPurpose": "DevTest"}));
    let answer = env.put_compute("web", &other_purpose).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{answer:?}");
    assert!(answer.message().contains("clusterPurpose"), "{answer:?}");
}

#[tokio::test]
async fn r8_production_needs_12_vcpus_and_3_nodes() {
    let env = Env::start().await;
    let answer = env
        .put_compute("small", &create(2, "Standard_DS2_v2", "FastProd"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    let codes: Vec<&str> = answer.json["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|detail| detail["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["InsufficientCores", "InsufficientNodes"]);
    assert!(answer.message().contains("12 vCPUs"), "{answer:?}");
    assert_eq!(env.get_compute("small").await.status, StatusCode::NOT_FOUND);

    // 3 x 2 vCPUs is still too few for DenseProd; 3 x 4 is enough (the guide's example).
    let dense = env
        .put_compute("dense", &create(3, "Standard_DS2_v2", "DenseProd"))
        .await;
    assert_eq!(dense.status, StatusCode::BAD_REQUEST);
    assert_eq!(dense.json["error"]["details"].as_array().unwrap().len(), 1);
    let enough = env
        .put_compute("enough", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    assert_eq!(enough.status, StatusCode::CREATED);
    // Dev-test takes a single small node.
    let dev = env
        .put_compute("dev", &create(1, "Standard_DS2_v2", "DevTest"))
        .await;
    assert_eq!(dev.status, StatusCode::CREATED, "{dev:?}");
    let none = env
        .put_compute("none", &create(0, "Standard_DS2_v2", "DevTest"))
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn r8_applies_to_attached_clusters_too() {
    let env = Env::start().await;
    // aks-dev is 1 x Standard_DS2_v2: fine for dev-test, not for production.
    let refused = env.put_compute("dev-prod", &attach("aks-dev")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.message().contains("aks-dev"), "{refused:?}");
    let accepted = env
        .put_and_wait(
            "dev-test",
            &attach_with("aks-dev", &json!({"clusterPurpose": "DevTest"})),
        )
        .await;
    assert_eq!(accepted["status"], "Succeeded");
    // Scaling a production compute below 3 nodes is refused as well.
    env.put_and_wait("prod", &attach("aks-prod")).await;
    let shrink = env
        .put_compute("prod", &attach_with("aks-prod", &json!({"agentCount": 2})))
        .await;
    assert_eq!(shrink.status, StatusCode::BAD_REQUEST, "{shrink:?}");
}

#[tokio::test]
async fn r9_a_cluster_in_another_subscription_cannot_be_attached() {
    let env = Env::start().await;
    let body = json!({"properties": {"computeType": "AKS", "resourceId":
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/other-rg/providers/Microsoft.ContainerService/managedClusters/aks-other-sub"}});
    let answer = env.put_compute("elsewhere", &body).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json["error"]["target"], "properties.resourceId");
    assert!(answer.message().contains("same subscription"), "{answer:?}");
    // A cluster in another region of the same subscription is fine (aks-dev is in westus2).
    let status = env
        .put_and_wait(
            "other-region",
            &attach_with("aks-dev", &json!({"clusterPurpose": "DevTest"})),
        )
        .await;
    assert_eq!(status["status"], "Succeeded");
    let get = env.get_compute("other-region").await;
    assert_eq!(get.json["properties"]["computeLocation"], "westus2");
}

#[tokio::test]
async fn a_missing_cluster_or_workspace_is_404() {
    let env = Env::start().await;
    let answer = env.put_compute("ghost", &attach("aks-ghost")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "ResourceNotFound");
    assert!(answer.message().contains("aks-ghost"));
    let not_an_id = json!({"properties": {"computeType": "AKS", "resourceId": "aks-prod"}});
    let answer = env.put_compute("ghost", &not_an_id).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let workspace = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aml-rg/providers/Microsoft.MachineLearningServices/workspaces/nope/computes/web";
    let answer = env
        .call(
            Method::PUT,
            &format!("{workspace}?{API}"),
            Some(&attach("aks-prod")),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn r14_an_unsupported_version_fails_the_operation_listing_the_supported_ones() {
    let env = Env::start().await;
    // aks-old runs 1.25.11; the table has 1.28 to 1.31. The PUT is accepted, the operation fails.
    let answer = env.put_compute("old", &attach("aks-old")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    let status = env.wait(&answer).await;
    assert_eq!(status["status"], "Failed");
    let message = status["error"]["message"].as_str().unwrap();
    assert!(message.contains("1.25.11"), "{message}");
    assert!(message.contains("1.28, 1.29, 1.30, 1.31"), "{message}");
    assert_eq!(
        status["error"]["details"][0]["code"],
        "UnsupportedKubernetesVersion"
    );

    let get = env.get_compute("old").await;
    let compute: ComputeResource = serde_json::from_value(get.json).unwrap();
    let aks = compute.aks().unwrap();
    assert_eq!(aks.provisioning_state, Some(ProvisioningState::Failed));
    let errors = aks.provisioning_errors.as_ref().unwrap();
    assert!(
        errors[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .as_deref()
            .unwrap()
            .contains("1.25.11")
    );
}

#[tokio::test]
async fn r18_tls_with_an_internal_load_balancer_is_refused() {
    let env = Env::start().await;
    let mut body = create(3, "Standard_D3_v2", "FastProd");
    body["properties"]["properties"]["sslConfiguration"] = tls("Enabled");
    body["properties"]["properties"]["loadBalancerType"] = json!("InternalLoadBalancer");
    let answer = env.put_compute("ilb-tls", &body).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json["error"]["details"][0]["code"],
        "TlsNotSupportedWithInternalLoadBalancer"
    );

    // The same through an update: TLS first, then an internal load balancer.
    let with_tls = attach_with("aks-prod", &json!({"sslConfiguration": tls("Enabled")}));
    env.put_and_wait("tls-then-ilb", &with_tls).await;
    let answer = env
        .put_compute(
            "tls-then-ilb",
            &attach_with(
                "aks-prod",
                &json!({"loadBalancerType": "InternalLoadBalancer"}),
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    // Turning TLS off at the same time is accepted (R20: internal load balancer by update).
    let answer = env
        .put_compute(
            "tls-then-ilb",
            &attach_with("aks-prod", &json!({"loadBalancerType": "InternalLoadBalancer", "loadBalancerSubnet": "aks-subnet",
                       "sslConfiguration": {"status": "Disabled"}}),
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
}

#[tokio::test]
async fn incomplete_tls_and_network_settings_are_refused() {
    let env = Env::start().await;
    let half_tls = attach_with(
        "aks-prod",
        &json!({"sslConfiguration": {"status": "Enabled", "cert": "x"}}),
    );
    let answer = env.put_compute("half-tls", &half_tls).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json["error"]["details"][0]["code"],
        "InvalidSslConfiguration"
    );
    let mut half_network = create(3, "Standard_D3_v2", "FastProd");
    half_network["properties"]["properties"]["aksNetworkingConfiguration"] = json!({"subnetId": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/a"});
    let answer = env.put_compute("half-net", &half_network).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json["error"]["details"][0]["code"],
        "InvalidNetworkConfiguration"
    );
}

#[tokio::test]
async fn r10_a_second_attachment_succeeds_and_breaks_the_first() {
    let env = Env::start().await;
    assert_eq!(
        env.put_and_wait("first", &attach("aks-prod")).await["status"],
        "Succeeded"
    );
    assert_eq!(
        env.put_and_wait("second", &attach("aks-prod")).await["status"],
        "Succeeded"
    );
    let first = env.get_compute("first").await;
    assert_eq!(first.json["properties"]["provisioningState"], "Failed");
    let error = &first.json["properties"]["provisioningErrors"][0]["error"];
    assert_eq!(error["code"], "ClusterAttachedElsewhere");
    assert!(error["message"].as_str().unwrap().contains("second"));
    let second = env.get_compute("second").await;
    assert_eq!(second.json["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn r7_names_are_checked() {
    let env = Env::start().await;
    for name in ["ab", "1abc", "abc-", "a_bc", "abcdefghijklmnopqrstuvwxy"] {
        let answer = env.put_compute(name, &attach("aks-prod")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(answer.json["error"]["target"], "computeName", "{name}");
    }
    let reserved = env.put_compute("local", &attach("aks-prod")).await;
    assert_eq!(reserved.status, StatusCode::BAD_REQUEST);
    assert!(reserved.message().contains("reserved"));
}

#[tokio::test]
async fn a_compute_with_an_operation_running_is_busy() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    let answer = env.put_compute("busy", &attach("aks-prod")).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let again = env.put_compute("busy", &attach("aks-prod")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.message().contains("Creating"), "{again:?}");
    env.emulator.complete_operations();
    let again = env.put_compute("busy", &attach("aks-prod")).await;
    assert_eq!(again.status, StatusCode::CREATED);
}
