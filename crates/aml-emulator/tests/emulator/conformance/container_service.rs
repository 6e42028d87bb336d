//! Conformance of the Microsoft.ContainerService, Microsoft.Network and Microsoft.Resources
//! examples: managed clusters, agent pools, versions, credentials, service tags, locations.

use super::*;

/// Microsoft.ContainerService: cluster GET, user credentials, both version listings.
#[tokio::test]
async fn container_service_answers() {
    let plain = Shape::default();
    let env = env().await;
    let file = format!("{AKS}/2024-09-01/examples/ManagedClustersGet.json");
    let cluster = env
        .get("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1?api-version=2024-09-01")
        .await;
    // A disk encryption set, cluster upgrade overrides and user-chosen outbound IPs are
    // optional features the emulated clusters do not have.
    let shape = Shape {
        optional: vec![
            "properties.diskEncryptionSetID".into(),
            "properties.upgradeSettings".into(),
            "properties.networkProfile.loadBalancerProfile.outboundIPs".into(),
        ],
        ..Shape::default()
    };
    conforms::<ManagedCluster>(&file, "200", &shape, &cluster.json);

    let file = format!("{AKS}/2024-09-01/examples/ManagedClustersListClusterUserCredentials.json");
    let credentials = env
        .call(Method::POST, "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1/listClusterUserCredential?api-version=2024-09-01", None)
        .await;
    conforms::<CredentialResults>(&file, "200", &plain, &credentials.json);

    let file = format!("{AKS}/2024-09-01/examples/KubernetesVersions_List.json");
    let versions = env
        .get("/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ContainerService/locations/location1/kubernetesVersions?api-version=2024-09-01")
        .await;
    let shape = Shape {
        maps: &["values[].patchVersions"],
        ..Shape::default()
    };
    conforms::<KubernetesVersionListResult>(&file, "200", &shape, &versions.json);

    let file = format!("{AKS}/2019-04-01/examples/ContainerServiceListOrchestrators.json");
    let orchestrators = env
        .get("/subscriptions/subid1/providers/Microsoft.ContainerService/locations/location1/orchestrators?api-version=2019-04-01")
        .await;
    conforms::<OrchestratorVersionProfileListResult>(&file, "200", &plain, &orchestrators.json);
}

/// The examples' cluster: `/subscriptions/0000.../resourceGroups/rg1/.../clustername1`.
fn cluster_url(example: &Value) -> String {
    let parameters = &example["parameters"];
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}?api-version={}",
        parameters["subscriptionId"].as_str().unwrap(),
        parameters["resourceGroupName"].as_str().unwrap(),
        parameters["resourceName"].as_str().unwrap(),
        parameters["api-version"].as_str().unwrap(),
    )
}

/// DELETE a managed cluster as ManagedClustersDelete.json does: 202 with the example's
/// headers, then 204 once it is gone.
async fn delete_example_cluster(env: &Env) {
    let file = format!("{AKS}/2024-08-01/examples/ManagedClustersDelete.json");
    let example = example(&file);
    let url = cluster_url(&example);
    let answer = env.call(Method::DELETE, &url, None).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{answer:?}");
    for header in example["responses"]["202"]["headers"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(answer.header(header).is_some(), "{file}: no {header}");
    }
    assert_eq!(env.wait(&answer).await["status"], "Succeeded");
    assert!(example["responses"]["204"].is_object());
    assert_eq!(
        env.call(Method::DELETE, &url, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(env.get(&url).await.status, StatusCode::NOT_FOUND);
}

/// ManagedClustersDelete.json: the seeded cluster goes away.
#[tokio::test]
async fn delete_a_managed_cluster() {
    delete_example_cluster(&env().await).await;
}

/// Each create example, PUT on a name that is free: 201 in the example's 201 shape, then GET
/// in its 200 shape; the same PUT again is an update, 200 in the 200 shape.
#[tokio::test]
async fn create_and_update_managed_clusters() {
    for name in [
        "ManagedClustersCreate_Update.json",
        "ManagedClustersCreate_PrivateClusterPublicFQDN.json",
        "ManagedClustersCreate_GPUMIG.json",
        "ManagedClustersCreate_UpdateWithEnableAzureRBAC.json",
    ] {
        let file = format!("{AKS}/2024-09-01/examples/{name}");
        let env = env().await;
        delete_example_cluster(&env).await;
        let example_value = example(&file);
        let url = cluster_url(&example_value);
        let body = &example_value["parameters"]["parameters"];
        // The examples show a cluster with a disk encryption set, upgrade overrides and the
        // rest as sent: the emulator echoes what it does not model, so the shapes match
        // without exceptions.
        let plain = Shape::default();
        let created = env.call(Method::PUT, &url, Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{file}: {created:?}");
        assert_eq!(created.json["properties"]["provisioningState"], "Creating");
        conforms::<ManagedCluster>(&file, "201", &plain, &created.json);
        assert_eq!(env.wait(&created).await["status"], "Succeeded", "{file}");
        let get = env.get(&url).await;
        conforms::<ManagedCluster>(&file, "200", &plain, &get.json);
        // Secrets sent are never shown.
        assert!(!get.text.contains("replacePassword1234$"), "{file}");
        assert!(!get.text.contains("\"secret\""), "{file}");
        let updated = env.call(Method::PUT, &url, Some(body)).await;
        assert_eq!(updated.status, StatusCode::OK, "{file}: {updated:?}");
        assert_eq!(updated.json["properties"]["provisioningState"], "Updating");
        conforms::<ManagedCluster>(&file, "200", &plain, &updated.json);
        assert_eq!(env.wait(&updated).await["status"], "Succeeded", "{file}");
    }
}

/// AgentPoolsGet.json: one pool of the seeded cluster.
#[tokio::test]
async fn get_an_agent_pool() {
    let file = format!("{AKS}/2024-09-01/examples/AgentPoolsGet.json");
    let env = env().await;
    let parameters = example(&file)["parameters"].clone();
    let url = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}/agentPools/{}?api-version={}",
        parameters["subscriptionId"].as_str().unwrap(),
        parameters["resourceGroupName"].as_str().unwrap(),
        parameters["resourceName"].as_str().unwrap(),
        parameters["agentPoolName"].as_str().unwrap(),
        parameters["api-version"].as_str().unwrap(),
    );
    let pool = env.get(&url).await;
    assert_eq!(pool.status, StatusCode::OK, "{pool:?}");
    conforms::<AgentPool>(&file, "200", &Shape::default(), &pool.json);
}

/// ServiceTagsList.json: the emulator's list fits one page, so it has no `nextLink`.
#[tokio::test]
async fn list_service_tags() {
    let file = format!("{NETWORK}/2024-05-01/examples/ServiceTagsList.json");
    let env = env().await;
    let parameters = example(&file)["parameters"].clone();
    let url = format!(
        "/subscriptions/{}/providers/Microsoft.Network/locations/{}/serviceTags?api-version={}",
        parameters["subscriptionId"].as_str().unwrap(),
        parameters["location"].as_str().unwrap(),
        parameters["api-version"].as_str().unwrap(),
    );
    let tags = env.get(&url).await;
    assert_eq!(tags.status, StatusCode::OK, "{tags:?}");
    let shape = Shape {
        optional: vec!["nextLink".into()],
        ..Shape::default()
    };
    conforms::<ServiceTagsListResult>(&file, "200", &shape, &tags.json);
}

/// GetLocations.json and GetLocationsWithExtendedLocations.json. Their response body is a bare
/// array, while the service (and the swagger's `LocationListResult`) answers `{"value": [...]}`:
/// the emulator answers as the service does, and each element of the example is checked
/// against the elements of `value`.
#[tokio::test]
async fn list_locations() {
    let env = env().await;
    for name in [
        "GetLocations.json",
        "GetLocationsWithExtendedLocations.json",
    ] {
        let file = format!("{RESOURCES}/2022-12-01/examples/{name}");
        let example_value = example(&file);
        let parameters = &example_value["parameters"];
        let mut url = format!(
            "/subscriptions/{}/locations?api-version={}",
            parameters["subscriptionId"].as_str().unwrap(),
            parameters["api-version"].as_str().unwrap(),
        );
        if let Some(flag) = parameters["includeExtendedLocations"].as_str() {
            url = format!("{url}&includeExtendedLocations={flag}");
        }
        let answer = env.get(&url).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        let expected = example_value["responses"]["200"]["body"].clone();
        assert!(
            expected.is_array(),
            "{file}: the example body is no longer an array"
        );
        let problems = Shape::default().check(&expected, &answer.json["value"]);
        assert!(problems.is_empty(), "{file}:\n{}", problems.join("\n"));
        for location in expected.as_array().unwrap() {
            serde_json::from_value::<Location>(location.clone())
                .unwrap_or_else(|err| panic!("{file}: {err}"));
            // The example's regions are the emulator's, with the same pairs (its edge zones
            // are not all the emulator's: one is a lab's).
            if location["type"] != "Region" {
                continue;
            }
            let name = location["name"].as_str().unwrap();
            let ours = answer.json["value"]
                .as_array()
                .unwrap()
                .iter()
                .find(|candidate| candidate["name"] == name)
                .unwrap_or_else(|| panic!("{file}: no {name}"));
            assert_eq!(ours["type"], location["type"], "{name}");
            assert_eq!(
                ours["metadata"]["pairedRegion"][0]["name"],
                location["metadata"]["pairedRegion"][0]["name"],
                "{name}"
            );
            assert_eq!(ours["displayName"], location["displayName"], "{name}");
        }
    }
}

#[test]
fn the_shape_check_catches_missing_keys_and_kind_changes() {
    let shape = Shape {
        maps: &["m"],
        ..Shape::default()
    };
    let example = serde_json::json!({"a": 1, "b": {"c": "x"}, "n": null, "l": [{"k": true}], "m": {"1.2": {"u": []}}});
    let good = serde_json::json!({"a": 2, "b": {"c": "y", "extra": 1}, "l": [{"z": 1}, {"k": false}], "m": {"9.9": {"u": ["v"]}}});
    assert!(
        shape.check(&example, &good).is_empty(),
        "{:?}",
        shape.check(&example, &good)
    );
    let bad = serde_json::json!({"a": "1", "b": {}, "l": [{"z": 1}], "m": {"9.9": {}}});
    assert_eq!(
        shape.check(&example, &bad).len(),
        4,
        "{:?}",
        shape.check(&example, &bad)
    );
}
