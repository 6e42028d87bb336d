//! Host pinning: URLs from a response, a caller or a resume token that point at another host
//! are refused before anything is sent there.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aml_arm::{Error, UrlSource};
use aml_emulator::STANDARD_SUBSCRIPTION;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{
    API_VERSION, TOKEN, aks_create, client, client_with, compute, computes, emulator, get, lines,
    options, workspace,
};

/// A scripted HTTP/1.1 server on 127.0.0.1 that answers every request with `reply(method,
/// path)` and counts them: an "ARM" that hands out URLs of another host.
async fn scripted(
    reply: impl Fn(&str, &str) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let (reply, counter) = (Arc::new(reply), Arc::clone(&count));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (reply, counter) = (Arc::clone(&reply), Arc::clone(&counter));
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                let head = loop {
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break String::from_utf8_lossy(&request[..end]).into_owned();
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                };
                let length: usize = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse().ok())
                    .unwrap_or(0);
                while request.len() < head.len() + 4 + length {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let mut parts = head.split(' ');
                let method = parts.next().unwrap_or_default();
                let path = parts.next().unwrap_or_default().split('?').next().unwrap();
                let (status, headers, body) = reply(method, path);
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    let _ = write!(out, "{name}: {value}\r\n");
                }
                out.push_str("\r\n");
                out.push_str(&body);
                socket.write_all(out.as_bytes()).await.ok();
                socket.shutdown().await.ok();
            });
        }
    });
    (base, count)
}

#[tokio::test]
async fn urls_pointing_at_another_host_are_refused_and_that_host_hears_nothing() {
    // The emulator is the "other host": its request log proves nothing reached it.
    let other = emulator().await;
    let poll_url = other.url(&format!(
        "/subscriptions/{STANDARD_SUBSCRIPTION}/providers/Microsoft.MachineLearningServices\
         /locations/eastus/computeOperationsStatus/x?api-version={API_VERSION}"
    ));
    let next_link = other.url(&format!("{}?api-version={API_VERSION}&$skip=a", computes()));
    let (base, count) = scripted(move |method, _| match method {
        "PUT" => (
            201,
            vec![
                ("azure-asyncoperation", poll_url.clone()),
                ("retry-after-ms", "5".into()),
            ],
            json!({ "properties": { "provisioningState": "Creating" } }).to_string(),
        ),
        _ => (
            200,
            Vec::new(),
            json!({ "value": [ { "name": "a" } ], "nextLink": next_link }).to_string(),
        ),
    })
    .await;
    let scripted_client = client_with(options(&base));
    let mut errors = Vec::new();

    // An Azure-AsyncOperation URL on the other host.
    let err = scripted_client
        .begin_put(&compute("a"), &aks_create())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ForeignHost {
                source_kind: UrlSource::AzureAsyncOperation,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(other.base_url()), "{err}");
    errors.push(err);

    // A nextLink on the other host: the first page's items, then the refusal.
    let listed: Vec<_> = scripted_client.list::<Value>(&computes()).collect().await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].as_ref().unwrap()["name"], "a");
    let Some(Err(err)) = listed.into_iter().nth(1) else {
        panic!("expected a refusal")
    };
    assert!(
        matches!(
            err,
            Error::ForeignHost {
                source_kind: UrlSource::NextLink,
                ..
            }
        ),
        "{err:?}"
    );
    errors.push(err);
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "the PUT and the first page"
    );

    // A target, and a resume token, from another emulator.
    let home = emulator().await;
    let home_client = client(&home);
    let err = home_client
        .send(get(other.url(&workspace())))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignHost { .. }), "{err:?}");
    errors.push(err);
    let elsewhere = client(&other)
        .begin_put(&compute("elsewhere"), &aks_create())
        .await
        .unwrap()
        .resume_token();
    other.requests().clear();
    let err = home_client.resume(&elsewhere).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ForeignHost {
                source_kind: UrlSource::ResumeToken,
                ..
            }
        ),
        "{err:?}"
    );
    errors.push(err);

    assert!(other.requests().is_empty(), "{:?}", lines(&other));
    assert!(home.requests().is_empty());
    for err in &errors {
        let text = format!("{err} {err:?}");
        assert!(!text.contains(TOKEN), "{text}");
    }
}
