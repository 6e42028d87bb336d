//! Microsoft.ContainerService agent pools (R13): list and GET, the long-running PUT that scales
//! a pool or switches its autoscaler, the rules that refuse a PUT before anything changes, and
//! the computes on the cluster following the pool AML deploys to.

use aml_emulator::Emulator;
use aml_model::wire::{AgentPool, AgentPoolListResult, AgentPoolMode, OsType};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::{AKS_API, Answer, Env, attach, cluster_id, create, frozen};

/// `.../managedClusters/{cluster}/agentPools[/{pool}]?api-version=2024-09-01`.
pub(crate) fn pools_url(cluster: &str, pool: Option<&str>) -> String {
    match pool {
        Some(pool) => format!("{}/agentPools/{pool}?{AKS_API}", cluster_id(cluster)),
        None => format!("{}/agentPools?{AKS_API}", cluster_id(cluster)),
    }
}

/// A PUT body with these `properties`.
pub(crate) fn body(properties: &Value) -> Value {
    json!({ "properties": properties })
}

impl Env {
    pub(crate) async fn get_pool(&self, cluster: &str, pool: &str) -> Answer {
        self.get(&pools_url(cluster, Some(pool))).await
    }

    pub(crate) async fn put_pool(&self, cluster: &str, pool: &str, body: &Value) -> Answer {
        self.call(Method::PUT, &pools_url(cluster, Some(pool)), Some(body))
            .await
    }

    /// The cluster's `agentPoolProfiles` as GET shows them.
    pub(crate) async fn profiles(&self, cluster: &str) -> Value {
        let answer = self
            .get(&format!("{}?{AKS_API}", cluster_id(cluster)))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.json["properties"]["agentPoolProfiles"].clone()
    }

    /// A compute's `agentCount`.
    pub(crate) async fn agent_count(&self, compute: &str) -> Value {
        let answer = self.get_compute(compute).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.json["properties"]["properties"]["agentCount"].clone()
    }

    /// Attaches `cluster` as `name`, ending the operation however long it takes.
    pub(crate) async fn attached(&self, name: &str, cluster: &str) {
        let answer = self.put_compute(name, &attach(cluster)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        self.emulator.complete_operations();
        assert_eq!(self.wait(&answer).await["status"], "Succeeded");
    }

    /// Operations not finished yet, from the admin state dump.
    pub(crate) async fn pending(&self) -> Value {
        let url = self.emulator.url("/_emulator/state");
        let state: Value = self
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        state["pendingOperations"].clone()
    }
}

#[tokio::test]
async fn a_cluster_lists_its_pools_and_each_pool_reads_alone() {
    let env = Env::start().await;
    let list = env.get(&pools_url("aks-gpu", None)).await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    let pools: AgentPoolListResult = serde_json::from_value(list.json.clone()).unwrap();
    let pools = pools.value.unwrap();
    assert_eq!(pools.len(), 2);
    let system = &pools[0];
    assert_eq!(
        system.id.as_deref(),
        Some(format!("{}/agentPools/system", cluster_id("aks-gpu")).as_str())
    );
    assert_eq!(system.name.as_deref(), Some("system"));
    assert_eq!(
        system.type_.as_deref(),
        Some("Microsoft.ContainerService/managedClusters/agentPools")
    );
    let properties = system.properties.as_ref().unwrap();
    assert_eq!(properties.name, None, "the name is the resource's");
    assert_eq!(properties.count, Some(3));
    assert_eq!(properties.vm_size.as_deref(), Some("Standard_D4s_v3"));
    assert_eq!(properties.mode, Some(AgentPoolMode::System));
    assert_eq!(properties.os_type, Some(OsType::Linux));
    assert_eq!(properties.orchestrator_version.as_deref(), Some("1.30.4"));
    assert_eq!(properties.enable_auto_scaling, Some(false));
    assert_eq!((properties.min_count, properties.max_count), (None, None));
    assert_eq!(properties.provisioning_state.as_deref(), Some("Succeeded"));
    let gpu = pools[1].properties.as_ref().unwrap();
    assert_eq!(gpu.mode, Some(AgentPoolMode::User));
    assert_eq!(
        (gpu.count, gpu.vm_size.as_deref()),
        (Some(2), Some("Standard_NC6s_v3"))
    );

    // One pool, named in any case, reads as the list shows it.
    let one = env.get_pool("aks-gpu", "GPU").await;
    assert_eq!(one.status, StatusCode::OK, "{one:?}");
    assert_eq!(one.json, list.json["value"][1]);
    let typed: AgentPool = serde_json::from_value(one.json).unwrap();
    assert_eq!(typed.name.as_deref(), Some("gpu"));
}

#[tokio::test]
async fn missing_clusters_and_pools_are_404() {
    let env = Env::start().await;
    for url in [
        pools_url("nope", None),
        pools_url("nope", Some("nodepool1")),
        pools_url("aks-prod", Some("nope")),
    ] {
        let answer = env.get(&url).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{url}: {answer:?}");
        assert_eq!(answer.code(), "ResourceNotFound", "{answer:?}");
    }
    let pool = env.get_pool("aks-prod", "nope").await;
    assert!(
        pool.message()
            .contains("Microsoft.ContainerService/managedClusters/aks-prod/agentPools/nope"),
        "{pool:?}"
    );
    let put = env
        .put_pool("nope", "nodepool1", &body(&json!({"count": 4})))
        .await;
    assert_eq!(put.status, StatusCode::NOT_FOUND, "{put:?}");
    assert_eq!(put.code(), "ResourceNotFound");
    // Known paths, other methods.
    let delete = env
        .call(
            Method::DELETE,
            &pools_url("aks-prod", Some("nodepool1")),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::METHOD_NOT_ALLOWED, "{delete:?}");
    let post = env
        .call(Method::POST, &pools_url("aks-prod", None), None)
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED, "{post:?}");
    let deeper = env
        .get(&format!(
            "{}/agentPools/nodepool1/upgradeProfiles/default?{AKS_API}",
            cluster_id("aks-prod")
        ))
        .await;
    assert_eq!(deeper.status, StatusCode::NOT_FOUND, "{deeper:?}");
}

#[tokio::test]
async fn a_scale_runs_as_an_operation_and_shows_on_the_pool_the_cluster_and_the_compute() {
    let env = Env::start().await;
    env.put_and_wait("prod", &attach("aks-prod")).await;
    assert_eq!(env.agent_count("prod").await, 3);

    let put = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 5})))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:?}");
    assert_eq!(put.json["name"], "nodepool1");
    assert_eq!(put.json["properties"]["count"], 5);
    assert_eq!(put.json["properties"]["provisioningState"], "Updating");
    assert_eq!(put.json["properties"]["vmSize"], "Standard_D3_v2");
    let status_url = put.header("azure-asyncoperation").unwrap().to_owned();
    assert!(
        status_url.contains(
            "/subscriptions/00000000-0000-0000-0000-000000000000/providers/\
             Microsoft.ContainerService/locations/eastus/operations/"
        ),
        "{status_url}"
    );
    assert!(status_url.ends_with(&format!("?{AKS_API}")), "{status_url}");
    assert_eq!(put.header("retry-after"), Some("1"));
    assert_eq!(put.header("retry-after-ms"), Some("10"));

    let status = env.wait(&put).await;
    assert_eq!(status["status"], "Succeeded", "{status}");
    assert!(status["endTime"].is_string(), "{status}");

    let pool = env.get_pool("aks-prod", "nodepool1").await;
    assert_eq!(pool.json["properties"]["count"], 5);
    assert_eq!(pool.json["properties"]["provisioningState"], "Succeeded");
    let profiles = env.profiles("aks-prod").await;
    assert_eq!(profiles[0]["count"], 5);
    assert_eq!(profiles[0]["provisioningState"], "Succeeded");
    assert_eq!(env.agent_count("prod").await, 5);

    // The ContainerService `Location` form of the same operation, and the compute routes'
    // status URL does not know it.
    let id = status_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let result = env
        .get(&format!(
            "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ContainerService/locations/eastus/operationresults/{id}?{AKS_API}"
        ))
        .await;
    assert_eq!(result.status, StatusCode::NO_CONTENT, "{result:?}");
    let elsewhere = env
        .get(&format!(
            "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.MachineLearningServices/locations/eastus/computeOperationsStatus/{id}?api-version=2024-04-01"
        ))
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{elsewhere:?}");
}

#[tokio::test]
async fn the_pool_shows_updating_until_the_operation_ends() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    env.attached("prod", "aks-prod").await;
    let put = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 4})))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:?}");
    let status = env.get(put.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(status.json["status"], "InProgress", "{status:?}");
    assert!(status.header("retry-after-ms").is_some());
    let pool = env.get_pool("aks-prod", "nodepool1").await;
    assert_eq!(pool.json["properties"]["provisioningState"], "Updating");
    assert_eq!(
        pool.json["properties"]["count"], 4,
        "the goal, as AKS shows it"
    );
    assert_eq!(
        env.profiles("aks-prod").await[0]["provisioningState"],
        "Updating"
    );
    assert_eq!(env.pending().await, 1);

    assert_eq!(env.emulator.complete_operations(), 1);
    assert_eq!(env.wait(&put).await["status"], "Succeeded");
    let pool = env.get_pool("aks-prod", "nodepool1").await;
    assert_eq!(pool.json["properties"]["provisioningState"], "Succeeded");
    assert_eq!(env.agent_count("prod").await, 4);
}

#[tokio::test]
async fn a_get_modify_put_of_the_whole_pool_is_accepted() {
    let env = Env::start().await;
    let mut pool = env.get_pool("aks-authorized", "nodepool1").await.json;
    pool["properties"]["count"] = json!(6);
    let put = env.put_pool("aks-authorized", "nodepool1", &pool).await;
    assert_eq!(put.status, StatusCode::OK, "{put:?}");
    assert_eq!(env.wait(&put).await["status"], "Succeeded");
    let after = env.get_pool("aks-authorized", "nodepool1").await.json;
    pool["properties"]["count"] = json!(6);
    assert_eq!(after, pool, "only the count changed");
}

#[tokio::test]
async fn computes_follow_the_pool_aml_deploys_to() {
    let env = Env::start().await;
    // Attached: aks-gpu has a System pool of 3 and a User GPU pool of 2.
    env.put_and_wait("gpu", &attach("aks-gpu")).await;
    assert_eq!(env.agent_count("gpu").await, 3, "the System pool's nodes");
    let user = env
        .put_pool("aks-gpu", "gpu", &body(&json!({"count": 4})))
        .await;
    assert_eq!(env.wait(&user).await["status"], "Succeeded");
    assert_eq!(env.agent_count("gpu").await, 3, "a User pool is not AML's");
    let system = env
        .put_pool("aks-gpu", "system", &body(&json!({"count": 5})))
        .await;
    assert_eq!(env.wait(&system).await["status"], "Succeeded");
    assert_eq!(env.agent_count("gpu").await, 5);
    let profiles = env.profiles("aks-gpu").await;
    assert_eq!(
        (profiles[0]["count"].clone(), profiles[1]["count"].clone()),
        (json!(5), json!(4))
    );

    // Created: the workspace's new cluster has one System pool.
    env.put_and_wait("made", &create(3, "Standard_D3_v2", "FastProd"))
        .await;
    let made = env.get_compute("made").await;
    let cluster = made.json["properties"]["resourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = env.get(&format!("{cluster}/agentPools?{AKS_API}")).await;
    assert_eq!(list.json["value"][0]["name"], "agentpool", "{list:?}");
    let scale = env
        .call(
            Method::PUT,
            &format!("{cluster}/agentPools/agentpool?{AKS_API}"),
            Some(&body(&json!({"count": 7}))),
        )
        .await;
    assert_eq!(scale.status, StatusCode::OK, "{scale:?}");
    assert_eq!(env.wait(&scale).await["status"], "Succeeded");
    assert_eq!(env.agent_count("made").await, 7);
    // The compute's list shows the same.
    let computes = env
        .get(&format!(
            "{}/computes?api-version=2024-04-01",
            Env::workspace()
        ))
        .await;
    let made = computes.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|compute| compute["name"] == "made")
        .unwrap()
        .clone();
    assert_eq!(made["properties"]["properties"]["agentCount"], 7);
}

#[tokio::test]
async fn the_autoscaler_goes_on_and_off() {
    let env = Env::start().await;
    env.put_and_wait("prod", &attach("aks-prod")).await;
    let on = env
        .put_pool(
            "aks-prod",
            "nodepool1",
            &body(&json!({"enableAutoScaling": true, "minCount": 2, "maxCount": 6, "count": 3})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{on:?}");
    assert_eq!(env.wait(&on).await["status"], "Succeeded");
    let pool = env.get_pool("aks-prod", "nodepool1").await.json;
    assert_eq!(pool["properties"]["enableAutoScaling"], true);
    assert_eq!(pool["properties"]["minCount"], 2);
    assert_eq!(pool["properties"]["maxCount"], 6);
    assert_eq!(pool["properties"]["count"], 3);
    let profile = &env.profiles("aks-prod").await[0];
    assert_eq!(
        (
            profile["enableAutoScaling"].clone(),
            profile["minCount"].clone(),
            profile["maxCount"].clone()
        ),
        (json!(true), json!(2), json!(6))
    );

    // New bounds without a count bring the count within them.
    let raise = env
        .put_pool(
            "aks-prod",
            "nodepool1",
            &body(&json!({"enableAutoScaling": true, "minCount": 4, "maxCount": 8})),
        )
        .await;
    assert_eq!(env.wait(&raise).await["status"], "Succeeded");
    let pool = env.get_pool("aks-prod", "nodepool1").await.json;
    assert_eq!(pool["properties"]["count"], 4);
    assert_eq!(env.agent_count("prod").await, 4);

    // Off, with a fixed count: the bounds go away.
    let off = env
        .put_pool(
            "aks-prod",
            "nodepool1",
            &body(&json!({"enableAutoScaling": false, "count": 3})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{off:?}");
    assert_eq!(env.wait(&off).await["status"], "Succeeded");
    let pool = env.get_pool("aks-prod", "nodepool1").await.json;
    assert_eq!(pool["properties"]["enableAutoScaling"], false);
    assert!(pool["properties"].get("minCount").is_none(), "{pool}");
    assert!(pool["properties"].get("maxCount").is_none(), "{pool}");
    assert_eq!(pool["properties"]["count"], 3);
    assert_eq!(env.agent_count("prod").await, 3);
}
