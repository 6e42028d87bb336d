//! The ARM envelope around every request: bearer token, api-version, request ids, routing.

use std::collections::HashSet;

use aml_emulator::Emulator;
use aml_model::wire::ErrorResponse;
use reqwest::{Method, StatusCode};

use super::support::{API, Env, client};

#[tokio::test]
async fn a_request_without_a_bearer_token_is_refused_with_the_arm_envelope() {
    let env = Env::start().await;
    let url = env.emulator.url(&format!("{}?{API}", Env::workspace()));
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response
            .headers()
            .get("www-authenticate")
            .is_some_and(|value| value.to_str().unwrap().starts_with("Bearer "))
    );
    let body: ErrorResponse = response.json().await.unwrap();
    assert_eq!(
        body.error.unwrap().code.as_deref(),
        Some("AuthenticationFailed")
    );

    for bad in ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer"] {
        let response = client()
            .get(&url)
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
    // Any token is fine when none is configured, and the scheme is matched ignoring case.
    let response = client()
        .get(&url)
        .header("authorization", "bearer anything")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_configured_token_is_the_only_one_accepted() {
    let emulator = Emulator::builder().token("s3cret").start().await.unwrap();
    let url = emulator.url(&format!("{}?{API}", Env::workspace()));
    let wrong = client()
        .get(&url)
        .bearer_auth("other")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: ErrorResponse = wrong.json().await.unwrap();
    assert_eq!(
        body.error.unwrap().code.as_deref(),
        Some("InvalidAuthenticationToken")
    );
    let right = client()
        .get(&url)
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
}

#[tokio::test]
async fn api_version_is_required_and_must_look_like_one() {
    let env = Env::start().await;
    let missing = env.get(&Env::workspace()).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.code(), "MissingApiVersionParameter");
    let invalid = env
        .get(&format!("{}?api-version=latest", Env::workspace()))
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.code(), "InvalidApiVersionParameter");
    let preview = env
        .get(&format!(
            "{}?api-version=2024-10-01-preview",
            Env::workspace()
        ))
        .await;
    assert_eq!(preview.status, StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_request_ids_and_echoes_the_client_request_id() {
    let env = Env::start().await;
    let url = env.emulator.url(&format!("{}?{API}", Env::workspace()));
    let mut request_ids = HashSet::new();
    for (auth, expected) in [(true, StatusCode::OK), (false, StatusCode::UNAUTHORIZED)] {
        for _ in 0..3 {
            let mut request = client()
                .get(&url)
                .header("x-ms-client-request-id", "client-1")
                .header("x-ms-correlation-request-id", "corr-1");
            if auth {
                request = request.bearer_auth("t");
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), expected);
            let headers = response.headers();
            assert_eq!(headers["x-ms-client-request-id"], "client-1");
            assert_eq!(headers["x-ms-correlation-request-id"], "corr-1");
            let id = headers["x-ms-request-id"].to_str().unwrap().to_owned();
            assert_eq!(id.len(), 36);
            assert!(request_ids.insert(id), "request ids must differ");
        }
    }
    // Without a correlation id from the client, ARM uses its own.
    let plain = env.get(&format!("{}?{API}", Env::workspace())).await;
    assert!(plain.header("x-ms-correlation-request-id").is_some());
    assert!(plain.header("x-ms-client-request-id").is_none());
    // The request log holds the ids too.
    let logged = env.emulator.requests().entries();
    assert!(
        logged
            .iter()
            .any(|entry| entry.client_request_id.as_deref() == Some("client-1"))
    );
    assert!(
        logged
            .iter()
            .all(|entry| request_ids.contains(&entry.request_id)
                || entry.client_request_id.is_none())
    );
}

#[tokio::test]
async fn paths_match_ignoring_case_and_unknown_ones_are_404() {
    let env = Env::start().await;
    let odd_case = "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/resourcegroups/AML-RG/PROVIDERS/microsoft.machinelearningservices/WORKSPACES/Aml-Ws";
    let answer = env.get(&format!("{odd_case}?{API}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    // The answer uses the seeded spelling.
    assert_eq!(answer.json["name"], "aml-ws");
    assert_eq!(answer.json["location"], "eastus");

    let unknown = env.get(&format!("/subscriptions/x/whatever?{API}")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.code(), "NotFound");
    let wrong_method = env
        .call(
            Method::POST,
            &format!("{}?{API}", Env::compute("abc")),
            None,
        )
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn missing_subscription_group_and_workspace_are_404_with_their_codes() {
    let env = Env::start().await;
    let cases = [
        (
            format!(
                "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/aml-rg/providers/Microsoft.MachineLearningServices/workspaces/aml-ws/computes?{API}"
            ),
            "SubscriptionNotFound",
        ),
        (
            format!(
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/nope/providers/Microsoft.MachineLearningServices/workspaces/aml-ws/computes?{API}"
            ),
            "ResourceGroupNotFound",
        ),
        (
            format!(
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aml-rg/providers/Microsoft.MachineLearningServices/workspaces/nope/computes?{API}"
            ),
            "ResourceNotFound",
        ),
        (
            format!("{}?{API}", Env::compute("absent")),
            "ResourceNotFound",
        ),
    ];
    for (path, code) in cases {
        let answer = env.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.code(), code, "{path}");
        assert!(!answer.message().is_empty());
    }
}
