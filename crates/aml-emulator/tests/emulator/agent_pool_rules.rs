//! Microsoft.ContainerService agent pools (R13), continued: the rules that refuse a PUT before
//! anything changes, bodies that are not agent pools, conflicts with running operations, new
//! pools, and faults.

use aml_emulator::{Emulator, Fault, FaultRule, OperationOutcome};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::agent_pools::{body, pools_url};
use super::support::{AKS_API, Env, attach, frozen};

/// A refused PUT on aks-gpu: the pool, the body's `properties`, the error code, and the
/// error's target (`None` when there are several problems).
type Refusal = (&'static str, Value, &'static str, Option<&'static str>);

/// Every rule a PUT can break on aks-gpu (its `gpu` pool with the autoscaler on, 1 to 3).
fn refusals() -> Vec<Refusal> {
    vec![
        (
            "system",
            json!({"vmSize": "Standard_D8s_v3", "count": 3}),
            "PropertyChangeNotAllowed",
            Some("properties.vmSize"),
        ),
        (
            "system",
            json!({"count": 0}),
            "InvalidParameter",
            Some("properties.count"),
        ),
        (
            "system",
            json!({"enableAutoScaling": true, "maxCount": 5}),
            "InvalidParameter",
            Some("properties.minCount"),
        ),
        (
            "system",
            json!({"enableAutoScaling": true, "minCount": 2}),
            "InvalidParameter",
            Some("properties.maxCount"),
        ),
        (
            "system",
            json!({"enableAutoScaling": true, "minCount": 0, "maxCount": 5}),
            "InvalidParameter",
            Some("properties.minCount"),
        ),
        (
            "system",
            json!({"enableAutoScaling": true, "minCount": 5, "maxCount": 4}),
            "InvalidParameter",
            Some("properties.minCount"),
        ),
        (
            "system",
            json!({"enableAutoScaling": true, "minCount": 2, "maxCount": 4, "count": 5}),
            "InvalidParameter",
            Some("properties.count"),
        ),
        (
            "system",
            json!({"enableAutoScaling": false, "minCount": 1}),
            "InvalidParameter",
            Some("properties.minCount"),
        ),
        (
            "system",
            json!({"maxCount": 4}),
            "InvalidParameter",
            Some("properties.maxCount"),
        ),
        (
            "gpu",
            json!({"enableAutoScaling": false, "count": 2, "minCount": 1, "maxCount": 3}),
            "InvalidParameter",
            None,
        ),
        (
            "gpu",
            json!({"count": 4}),
            "InvalidParameter",
            Some("properties.count"),
        ),
        (
            "system",
            json!({"vmSize": "Standard_D8s_v3", "count": 0}),
            "PropertyChangeNotAllowed",
            None,
        ),
        (
            "system",
            json!({"count": 1001}),
            "InvalidParameter",
            Some("properties.count"),
        ),
        (
            "New-Pool",
            json!({"vmSize": "Standard_D4s_v3"}),
            "InvalidParameter",
            Some("name"),
        ),
        (
            "extra",
            json!({"count": 2}),
            "InvalidParameter",
            Some("properties.vmSize"),
        ),
    ]
}

#[tokio::test]
async fn every_refusal_is_a_400_and_changes_nothing() {
    let env = Env::start().await;
    env.put_and_wait("gpu", &attach("aks-gpu")).await;
    // The User pool with the autoscaler on, so that "off" refusals have something to keep.
    let on = env
        .put_pool(
            "aks-gpu",
            "gpu",
            &body(&json!({"enableAutoScaling": true, "minCount": 1, "maxCount": 3})),
        )
        .await;
    assert_eq!(env.wait(&on).await["status"], "Succeeded");
    let before_pools = env.get(&pools_url("aks-gpu", None)).await.json;
    let before_cluster = env.profiles("aks-gpu").await;
    let before_compute = env.get_compute("gpu").await.json;
    for (pool, properties, code, target) in refusals() {
        let answer = env.put_pool("aks-gpu", pool, &body(&properties)).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{properties}: {answer:?}"
        );
        assert_eq!(answer.code(), code, "{properties}: {answer:?}");
        assert_eq!(
            answer.json["error"]["target"].as_str(),
            target,
            "{properties}: {answer:?}"
        );
        assert!(answer.header("azure-asyncoperation").is_none());
        let details = answer.json["error"]["details"].as_array().unwrap();
        assert!(!details.is_empty(), "{answer:?}");
    }
    let vm_size = env
        .put_pool(
            "aks-gpu",
            "system",
            &body(&json!({"vmSize": "Standard_D8s_v3"})),
        )
        .await;
    assert!(vm_size.message().contains("vmSize"), "{vm_size:?}");
    assert!(vm_size.message().contains("new agent pool"), "{vm_size:?}");
    assert_eq!(
        env.get(&pools_url("aks-gpu", None)).await.json,
        before_pools
    );
    assert_eq!(env.profiles("aks-gpu").await, before_cluster);
    assert_eq!(env.get_compute("gpu").await.json, before_compute);
    assert_eq!(env.pending().await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_an_agent_pool_is_a_400() {
    let env = Env::start().await;
    let before = env.get(&pools_url("aks-gpu", None)).await.json;
    for text in [
        "{\"properties\": {\"count\": \"many\"}}",
        "not json",
        "{}",
        "",
    ] {
        let answer = env
            .client
            .put(env.emulator.url(&pools_url("aks-gpu", Some("system"))))
            .bearer_auth("t")
            .header("content-type", "application/json")
            .body(text)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{text}");
        let error: Value = answer.json().await.unwrap();
        assert_eq!(error["error"]["code"], "InvalidRequestContent", "{text}");
    }
    assert_eq!(env.get(&pools_url("aks-gpu", None)).await.json, before);
    assert_eq!(env.pending().await, 0);
}

#[tokio::test]
async fn an_operation_running_on_the_cluster_is_a_409() {
    let env = Env::with(Emulator::builder().timings(frozen())).await;
    // A compute being attached to the cluster.
    let attaching = env.put_compute("prod", &attach("aks-prod")).await;
    assert_eq!(attaching.status, StatusCode::CREATED);
    let busy = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 4})))
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{busy:?}");
    assert_eq!(busy.code(), "Conflict");
    env.emulator.complete_operations();

    // A pool PUT running: a second one, and an update of the compute, wait for it.
    let first = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 4})))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let before = env.get_pool("aks-prod", "nodepool1").await.json;
    let second = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 6})))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{second:?}");
    assert!(second.message().contains("in progress"), "{second:?}");
    let other_pool = env
        .put_pool(
            "aks-prod",
            "extra",
            &body(&json!({"vmSize": "Standard_D3_v2"})),
        )
        .await;
    assert_eq!(other_pool.status, StatusCode::CONFLICT, "{other_pool:?}");
    let mut update = env.get_compute("prod").await.json;
    update["properties"]["properties"]["agentCount"] = json!(5);
    let compute = env.put_compute("prod", &update).await;
    assert_eq!(compute.status, StatusCode::CONFLICT, "{compute:?}");
    assert_eq!(env.get_pool("aks-prod", "nodepool1").await.json, before);
    assert_eq!(env.pending().await, 1);

    // Another cluster is not busy.
    let elsewhere = env
        .put_pool("aks-dev", "nodepool1", &body(&json!({"count": 2})))
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{elsewhere:?}");
    env.emulator.complete_operations();
    assert_eq!(env.agent_count("prod").await, 4);
}

#[tokio::test]
async fn a_put_of_a_new_pool_adds_a_user_pool() {
    let env = Env::start().await;
    env.put_and_wait("prod", &attach("aks-prod")).await;
    let put = env
        .put_pool(
            "aks-prod",
            "batch",
            &body(&json!({"vmSize": "Standard_D4s_v3", "count": 2})),
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED, "{put:?}");
    assert_eq!(put.json["properties"]["provisioningState"], "Creating");
    assert_eq!(put.json["properties"]["mode"], "User");
    assert!(put.header("azure-asyncoperation").is_some());
    assert_eq!(env.wait(&put).await["status"], "Succeeded");
    let list = env.get(&pools_url("aks-prod", None)).await.json;
    let names: Vec<_> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pool| pool["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["nodepool1", "batch"]);
    assert_eq!(
        list["value"][1]["properties"]["provisioningState"],
        "Succeeded"
    );
    assert_eq!(env.profiles("aks-prod").await[1]["count"], 2);
    assert_eq!(
        env.agent_count("prod").await,
        3,
        "AML stays on the System pool"
    );
    // A User pool may scale to 0.
    let zero = env
        .put_pool("aks-prod", "batch", &body(&json!({"count": 0})))
        .await;
    assert_eq!(zero.status, StatusCode::OK, "{zero:?}");
    assert_eq!(env.wait(&zero).await["status"], "Succeeded");
}

#[tokio::test]
async fn faults_apply_to_the_put_and_to_its_operation() {
    let env = Env::start().await;
    env.put_and_wait("prod", &attach("aks-prod")).await;
    let before = env.get_pool("aks-prod", "nodepool1").await.json;

    // An injected 503 on the PUT: not handled, nothing changes; the retry goes through.
    env.emulator.faults().inject(
        FaultRule::new(Fault::status(503))
            .method("PUT")
            .path_contains("/agentPools/"),
    );
    let refused = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 5})))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{refused:?}"
    );
    assert_eq!(env.get_pool("aks-prod", "nodepool1").await.json, before);
    assert_eq!(env.pending().await, 0);

    // The operation fails: the pool keeps its count, in Failed; so does the compute.
    env.emulator.faults().end_next_operations(
        OperationOutcome::failed("AllocationFailed", "No capacity for Standard_D3_v2."),
        1,
    );
    let failing = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 5})))
        .await;
    assert_eq!(failing.status, StatusCode::OK, "{failing:?}");
    let status = env.wait(&failing).await;
    assert_eq!(status["status"], "Failed", "{status}");
    assert_eq!(status["error"]["code"], "AllocationFailed", "{status}");
    let pool = env.get_pool("aks-prod", "nodepool1").await.json;
    assert_eq!(pool["properties"]["count"], 3);
    assert_eq!(pool["properties"]["provisioningState"], "Failed");
    assert_eq!(env.agent_count("prod").await, 3);
    let id = failing
        .header("azure-asyncoperation")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let result = env
        .get(&format!(
            "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ContainerService/locations/eastus/operationresults/{id}?{AKS_API}"
        ))
        .await;
    assert_eq!(result.code(), "AllocationFailed", "{result:?}");

    // Canceled likewise; then a plain retry succeeds.
    env.emulator
        .faults()
        .end_next_operations(OperationOutcome::Canceled, 1);
    let canceled = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 5})))
        .await;
    assert_eq!(env.wait(&canceled).await["status"], "Canceled");
    let pool = env.get_pool("aks-prod", "nodepool1").await.json;
    assert_eq!(pool["properties"]["provisioningState"], "Canceled");
    assert_eq!(pool["properties"]["count"], 3);
    let retry = env
        .put_pool("aks-prod", "nodepool1", &body(&json!({"count": 5})))
        .await;
    assert_eq!(env.wait(&retry).await["status"], "Succeeded");
    assert_eq!(env.agent_count("prod").await, 5);
    assert_eq!(
        env.emulator
            .requests()
            .count("PUT", "/agentPools/nodepool1"),
        4
    );
}
