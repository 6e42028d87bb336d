//! Every variant of [`Error`], built as the client builds it: no message repeats its source's
//! text (smithy-rs RFC 0022), and none shows a token, a proxy password or a signed query.

use std::error::Error as _;
use std::time::Duration;

use aml_model::wire::{ErrorDetail, OperationStatus};
use http::Method;

use super::*;
use crate::poller::resume::{PollMode, TOKEN_VERSION, TokenState};

const SECRET: &str = "sig=s3cr3t";

fn ids() -> RequestIds {
    RequestIds {
        request_id: Some("7c9e6679-7425-40de-944b-e07fc1f90ae7".to_owned()),
        correlation_request_id: None,
        client_request_id: Some("0f8fad5b-d9cb-469f-a165-70867728950e".to_owned()),
    }
}

fn detail(code: &str, message: &str) -> ErrorDetail {
    ErrorDetail {
        code: Some(code.to_owned()),
        message: Some(message.to_owned()),
        ..ErrorDetail::default()
    }
}

fn api_error(status: u16) -> Box<ApiError> {
    Box::new(ApiError {
        method: Method::PUT,
        path: "/subscriptions/s/resourceGroups/rg/providers/X/computes/aks1".to_owned(),
        status,
        error: Some(ErrorDetail {
            details: Some(vec![detail("QuotaExceeded", "not enough cores in eastus")]),
            ..detail("BadRequest", "The request is invalid.")
        }),
        body_excerpt: None,
        request_ids: ids(),
        retry_after: (status == 429).then_some(Duration::from_secs(7200)),
        attempts: 4,
    })
}

/// One value of every variant, with the sources the client attaches.
#[allow(
    clippy::too_many_lines,
    reason = "one value per variant, in declaration order"
)]
async fn every_variant() -> Vec<Error> {
    let transport = reqwest::Client::new()
        .get(format!("http://127.0.0.1:1/x?{SECRET}"))
        .send()
        .await
        .expect_err("nothing listens on port 1")
        .without_url();
    let builder = reqwest::Client::new()
        .get("not a url")
        .build()
        .expect_err("not a URL");
    let parse = url::Url::parse("http://[::1").expect_err("not a URL");
    let json = serde_json::from_str::<u32>("{").expect_err("not JSON");
    let json2 = serde_json::from_str::<u32>("\"x\"").expect_err("not a number");
    let json3 = serde_json::from_str::<u32>("[]").expect_err("not a number");
    let credential = azure_core::Error::with_message(
        azure_core::error::ErrorKind::Credential,
        "no credential in the chain produced a token: developer tools (az, azd): failed \
         (az: not signed in)",
    );
    let token = ResumeToken::of(&TokenState {
        v: TOKEN_VERSION,
        method: Method::PUT,
        resource_url: format!("http://127.0.0.1:1/r?{SECRET}"),
        async_operation_url: None,
        location_url: None,
        mode: PollMode::ResourceState,
        status: "Creating".to_owned(),
        elapsed_ms: 5,
    });
    vec![
        Error::InvalidConfig {
            message: "header \"authorization\" is set by the client; use RequestOptions for \
                      request ids"
                .to_owned(),
        },
        Error::Serialize { source: json },
        Error::HttpClient { source: builder },
        Error::InvalidUrl {
            url: "http://[::1".to_owned(),
            source: parse,
        },
        Error::InsecureEndpoint {
            origin: "http://management.azure.com:80".to_owned(),
        },
        Error::ForeignHost {
            origin: "https://evil.example:443".to_owned(),
            allowed: "https://management.azure.com:443".to_owned(),
            source_kind: UrlSource::Location,
        },
        Error::MissingApiVersion {
            method: Method::GET,
            path: "/subscriptions/s".to_owned(),
        },
        Error::Credential {
            scope: "https://management.azure.com/.default".to_owned(),
            source: credential,
        },
        Error::CredentialUnavailable {
            reasons: vec![
                "workload identity: AZURE_FEDERATED_TOKEN_FILE not set".to_owned(),
                "client secret: AZURE_CLIENT_SECRET not set".to_owned(),
            ],
        },
        Error::Transport {
            method: Method::GET,
            path: "/x".to_owned(),
            attempts: 4,
            may_have_been_sent: false,
            request_ids: Box::new(ids()),
            source: transport,
        },
        Error::Timeout {
            method: Method::GET,
            path: "/x".to_owned(),
            scope: TimeoutScope::Try,
            limit: Duration::from_secs(60),
            attempts: 4,
            may_have_been_sent: true,
            request_ids: Box::new(ids()),
        },
        Error::Api(api_error(409)),
        Error::Throttled(api_error(429)),
        Error::ResponseTooLarge {
            method: Method::GET,
            path: "/x".to_owned(),
            limit: 16 << 20,
            request_ids: Box::new(ids()),
        },
        Error::Decode {
            method: Method::POST,
            path: "/x/listKeys".to_owned(),
            status: 200,
            len: 2,
            expected: "u32",
            request_ids: Box::new(ids()),
            source: json2,
        },
        Error::Redirect {
            method: Method::GET,
            path: "/x".to_owned(),
            status: 307,
            location: "https://evil.example:443/steal".to_owned(),
            request_ids: Box::new(ids()),
        },
        Error::OperationFailed(Box::new(OperationError {
            path: "/subscriptions/s/x/computes/aks1".to_owned(),
            status: OperationStatus::Failed,
            error: Some(detail("QuotaExceeded", "not enough cores")),
            provisioning_errors: vec![detail("AksQuota", "no quota left in the region")],
            http_status: None,
            request_ids: ids(),
        })),
        Error::OperationTimeout {
            path: "/subscriptions/s/x/computes/aks1".to_owned(),
            status: OperationStatus::Unknown("Creating".to_owned()),
            elapsed: Duration::from_secs(600),
            limit: Duration::from_secs(600),
            resume_token: Box::new(token),
        },
        Error::UnexpectedResponse {
            method: Method::PUT,
            path: "/x".to_owned(),
            status: 202,
            reason: "202 Accepted without an Azure-AsyncOperation or Location header".to_owned(),
            request_ids: Box::new(ids()),
        },
        Error::InvalidHeader {
            name: "Location",
            path: "/x".to_owned(),
            request_ids: Box::new(ids()),
        },
        Error::NextLinkLoop {
            url: "https://management.azure.com:443/x".to_owned(),
        },
        Error::InvalidResumeToken {
            reason: "the text is not the JSON of a resume token".to_owned(),
            source: Some(json3),
        },
    ]
}

#[tokio::test]
async fn no_message_repeats_its_source_or_shows_a_secret() {
    let errors = every_variant().await;
    assert_eq!(errors.len(), 22, "one value per variant");
    for e in &errors {
        let text = e.to_string();
        assert_eq!(
            aml_model::error::repeated_sentence(e),
            None,
            "{e:?}: {:?}",
            aml_model::error::chain(e)
        );
        if let Some(source) = e.source() {
            let cause = source.to_string();
            assert!(
                !text.contains(&cause),
                "{text:?} formats its source {cause:?}"
            );
        }
        for shown in aml_model::error::chain(e)
            .into_iter()
            .chain([format!("{e:?}")])
        {
            assert!(!shown.contains("s3cr3t"), "{shown}");
        }
    }
}

#[tokio::test]
async fn forwarding_variants_are_transparent() {
    for e in every_variant().await {
        match &e {
            Error::Api(inner) | Error::Throttled(inner) => {
                assert_eq!(e.to_string(), inner.to_string());
            }
            Error::OperationFailed(inner) => assert_eq!(e.to_string(), inner.to_string()),
            _ => {}
        }
    }
}

#[test]
fn the_error_stays_small() {
    assert!(
        std::mem::size_of::<Error>() <= 128,
        "{}",
        std::mem::size_of::<Error>()
    );
}
