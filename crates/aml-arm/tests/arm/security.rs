//! The token goes to the configured endpoint only, and never into logs, `Debug` or errors.

use aml_arm::{Cloud, Error, ResumeToken, UrlSource};
use futures::StreamExt;
use serde_json::json;

use crate::lro::RESOURCE;
use crate::support::{API_VERSION, Reply, Server, client, get};

fn assert_foreign(err: &Error, evil: &Server, source: UrlSource) {
    match err {
        Error::ForeignHost {
            origin,
            source_kind,
            ..
        } => {
            assert_eq!(origin, &evil.base(), "{err}");
            assert_eq!(*source_kind, source, "{err}");
        }
        other => panic!("expected ForeignHost, got {other:?}"),
    }
    assert!(!err.may_have_been_sent());
    assert!(err.to_string().contains(&evil.base()), "{err}");
}

#[tokio::test(start_paused = true)]
async fn an_async_operation_url_on_another_host_is_refused_and_never_requested() {
    let evil = Server::start_ok().await;
    let evil_ops = evil.url("/operations/1?api-version=x");
    let server = Server::start(move |_, _| {
        Reply::json(201, &json!({})).header("azure-asyncoperation", &evil_ops)
    })
    .await;
    let err = client(&server)
        .begin_put(RESOURCE, &json!({}))
        .await
        .unwrap_err();
    assert_foreign(&err, &evil, UrlSource::AzureAsyncOperation);
    assert_eq!(evil.count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_location_on_another_host_is_refused_and_never_requested() {
    let evil = Server::start_ok().await;
    let evil_loc = evil.url("/results/1");
    let server = Server::start(move |_, _| Reply::status(202).header("location", &evil_loc)).await;
    let err = client(&server).begin_delete(RESOURCE).await.unwrap_err();
    assert_foreign(&err, &evil, UrlSource::Location);
    assert_eq!(evil.count(), 0);
}

#[tokio::test]
async fn a_next_link_on_another_host_is_refused_and_never_requested() {
    let evil = Server::start_ok().await;
    let evil_next = evil.url(&format!("/computes?page=2&api-version={API_VERSION}"));
    let server = Server::start(move |_, _| {
        Reply::json(200, &json!({ "value": [1], "nextLink": evil_next.clone() }))
    })
    .await;
    let results: Vec<_> = client(&server).list::<u32>("/computes").collect().await;
    assert_eq!(results.len(), 2, "page 1's item, then the error");
    assert_eq!(*results[0].as_ref().unwrap(), 1);
    assert_foreign(results[1].as_ref().unwrap_err(), &evil, UrlSource::NextLink);
    assert_eq!(evil.count(), 0);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let evil = Server::start_ok().await;
    let evil_url = evil.url("/steal?code=1");
    let server = Server::start(move |_, _| Reply::status(307).header("location", &evil_url)).await;
    let err = client(&server).send(get("/ws")).await.unwrap_err();
    let Error::Redirect {
        status, location, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 307);
    assert_eq!(location, &evil.url("/steal"), "query dropped");
    assert_eq!(evil.count(), 0);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_request_target_on_another_host_is_refused() {
    let evil = Server::start_ok().await;
    let server = Server::start_ok().await;
    let err = client(&server).send(get(evil.url("/x"))).await.unwrap_err();
    assert_foreign(&err, &evil, UrlSource::Request);
    assert_eq!(evil.count(), 0);
    let err = client(&server)
        .send(get("http://10.1.2.3/x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignHost { .. }), "{err:?}");
}

#[test]
fn plain_http_off_loopback_is_refused() {
    for endpoint in [
        "http://management.azure.com",
        "http://10.0.0.4:8080",
        "http://[fe80::1]",
    ] {
        let err = Cloud::custom(endpoint, "s").unwrap_err();
        assert!(
            matches!(err, Error::InsecureEndpoint { .. }),
            "{endpoint}: {err}"
        );
        assert!(err.to_string().contains("use https"), "{err}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_resume_token_pointing_elsewhere_is_refused() {
    let evil = Server::start_ok().await;
    let server = Server::start_based(|base, _, _| {
        Reply::json(201, &json!({})).header(
            "azure-asyncoperation",
            &format!("{base}/operations/1?api-version=x"),
        )
    })
    .await;
    let client = client(&server);
    let poller = client.begin_put(RESOURCE, &json!({})).await.unwrap();
    let tampered: ResumeToken = poller
        .resume_token()
        .as_str()
        .replace(&server.base(), &evil.base())
        .parse()
        .unwrap();
    let err = client.resume(&tampered).unwrap_err();
    assert_foreign(&err, &evil, UrlSource::ResumeToken);
    assert_eq!(evil.count(), 0);
}
