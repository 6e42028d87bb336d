//! What goes on the wire: headers, api-version, bodies.

use aml_arm::{Error, RequestOptions};
use serde_json::json;

use crate::support::{
    API_VERSION, Reply, Server, TOKEN, TestCredential, WithOptions, client, client_with, get,
    json_request,
};

// EMULATOR: also against aml-emulator: `requests_carry_the_ids_and_the_token_the_emulator_checks`
// in tests/emulator/.
#[tokio::test]
async fn requests_carry_the_documented_headers() {
    let server = Server::start(|_, _| Reply::json(200, &json!({ "ok": true }))).await;
    let client = client_with(&server, TestCredential::new(), |o| {
        o.correlation_id = Some("corr-1".to_owned());
        o.user_agent_suffix = Some("my-tool/2".to_owned());
    });
    let body = json!({ "properties": { "computeType": "AKS" } });
    client
        .send(json_request(http::Method::PUT, "/subscriptions/s/x", &body))
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "PUT");
    assert_eq!(
        r.target,
        format!("/subscriptions/s/x?api-version={API_VERSION}")
    );
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let ua = r.header("user-agent").unwrap();
    assert!(
        ua.starts_with(concat!("aml-arm/", env!("CARGO_PKG_VERSION"), " (rust; ")),
        "{ua}"
    );
    assert!(ua.ends_with(" my-tool/2"), "{ua}");
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-ms-correlation-request-id"), Some("corr-1"));
    assert_eq!(r.header("x-ms-return-client-request-id"), Some("true"));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(),
        body
    );
}

#[tokio::test]
async fn per_call_options_override_the_client() {
    let server = Server::start(|_, _| Reply::json(200, &json!({}))).await;
    let client = client(&server);
    client
        .send(
            get("/x?api-version=2000-01-01&$top=3")
                .options(RequestOptions {
                    api_version: Some("2025-01-01-preview".to_owned()),
                    client_request_id: Some("my-id".to_owned()),
                    correlation_id: Some("corr-2".to_owned()),
                    ..RequestOptions::default()
                })
                .with_header("If-Match", "\"etag-1\""),
        )
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.target, "/x?$top=3&api-version=2025-01-01-preview");
    assert_eq!(r.header("x-ms-client-request-id"), Some("my-id"));
    assert_eq!(r.header("x-ms-correlation-request-id"), Some("corr-2"));
    assert_eq!(r.header("if-match"), Some("\"etag-1\""));
}

#[tokio::test]
async fn response_ids_and_json_are_exposed() {
    #[derive(serde::Deserialize)]
    struct Ws {
        name: String,
    }

    let server = Server::start(|_, _| {
        Reply::json(200, &json!({ "name": "ws", "location": "westeurope" }))
            .header("x-ms-request-id", "rid-1")
            .header("x-ms-correlation-request-id", "cid-1")
    })
    .await;
    let client = client(&server);
    let response = client.send(get("/ws")).await.unwrap();
    assert_eq!(response.request_ids().request_id.as_deref(), Some("rid-1"));
    assert_eq!(
        response.request_ids().correlation_request_id.as_deref(),
        Some("cid-1")
    );
    assert_eq!(response.json::<Ws>().unwrap().name, "ws");
    let v: serde_json::Value = client.get_json("/ws").await.unwrap();
    assert_eq!(v["location"], "westeurope");
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_a_decode_error_that_does_not_quote_it() {
    let server = Server::start(|_, _| Reply::json(200, &json!({ "kubeconfig": "c2VjcmV0" }))).await;
    let err = client(&server)
        .get_json::<Vec<u32>>("/listCredentials")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    assert!(!err.to_string().contains("c2VjcmV0"), "{err}");
}

#[tokio::test]
async fn a_missing_api_version_is_refused_before_sending() {
    let server = Server::start_ok().await;
    let client = client_with(&server, TestCredential::new(), |o| o.api_version = None);
    let err = client.send(get("/ws")).await.unwrap_err();
    assert!(matches!(err, Error::MissingApiVersion { .. }), "{err:?}");
    assert_eq!(server.count(), 0);
}
