//! Listing computes with `nextLink` paging.

use aml_emulator::Emulator;
use aml_model::wire::PaginatedComputeResourcesList;
use reqwest::StatusCode;
use serde_json::json;

use super::support::{API, Env, frozen};

fn aml_compute() -> serde_json::Value {
    json!({"properties": {"computeType": "AmlCompute", "properties": {"vmSize": "STANDARD_D2_V2"}}})
}

#[tokio::test]
async fn next_link_walks_every_compute_once_in_name_order() {
    let env = Env::with(Emulator::builder().timings(frozen()).page_size(2)).await;
    let names = ["delta", "Alpha", "echo", "charlie", "bravo"];
    for name in names {
        assert_eq!(
            env.put_compute(name, &aml_compute()).await.status,
            StatusCode::CREATED
        );
    }
    let mut url = env
        .emulator
        .url(&format!("{}/computes?{API}", Env::workspace()));
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let answer = env.get(&url).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        let page: PaginatedComputeResourcesList = serde_json::from_value(answer.json).unwrap();
        let value = page.value.unwrap();
        assert!(value.len() <= 2);
        seen.extend(value.into_iter().map(|compute| compute.name.unwrap()));
        pages += 1;
        match page.next_link {
            Some(next) => {
                // Absolute, on the emulator, keeping the api-version.
                assert!(next.starts_with(env.emulator.base_url()), "{next}");
                assert!(next.contains(API), "{next}");
                url = next;
            }
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["Alpha", "bravo", "charlie", "delta", "echo"]);
}

#[tokio::test]
async fn a_page_reflects_changes_between_requests() {
    let env = Env::with(Emulator::builder().timings(frozen()).page_size(2)).await;
    for name in ["aaa", "bbb", "ccc"] {
        env.put_compute(name, &aml_compute()).await;
    }
    let first = env
        .get(&format!("{}/computes?{API}", Env::workspace()))
        .await;
    let next = first.json["nextLink"].as_str().unwrap().to_owned();
    // A compute added before the cursor does not shift the next page.
    env.put_compute("aab", &aml_compute()).await;
    let second = env.get(&next).await;
    let names: Vec<&str> = second.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|compute| compute["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ccc"]);
    assert!(second.json.get("nextLink").is_none());
}

#[tokio::test]
async fn an_empty_workspace_lists_nothing_without_next_link() {
    let env = Env::start().await;
    let answer = env
        .get(&format!("{}/computes?{API}", Env::workspace()))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json, json!({"value": []}));
}
