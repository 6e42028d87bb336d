//! `nextLink` paging.

use aml_arm::Error;
use futures::StreamExt;
use serde_json::json;

use crate::support::{API_VERSION, Reply, Server, WithOptions, client, get};

// EMULATOR: also against aml-emulator (page size 2, five computes): same name in tests/emulator/ (paging.rs).
#[tokio::test]
async fn items_and_pages_follow_next_link_to_the_end() {
    #[derive(serde::Deserialize)]
    struct Item {
        id: u32,
    }

    let server = Server::start_based(|base, r, _| {
        let page: u32 = r
            .target
            .split("page=")
            .nth(1)
            .and_then(|p| p.split('&').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let items: Vec<_> = (page * 3..page * 3 + 3)
            .map(|i| json!({ "id": i }))
            .collect();
        let next = match page {
            0 | 1 => json!(format!(
                "{base}/computes?page={}&api-version={API_VERSION}",
                page + 1
            )),
            _ => json!(null),
        };
        Reply::json(200, &json!({ "value": items, "nextLink": next }))
    })
    .await;
    let client = client(&server);
    let ids: Vec<u32> = client
        .list::<Item>("/computes")
        .map(|i| i.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids, (0..9).collect::<Vec<_>>());
    assert_eq!(server.count(), 3);

    let pages: Vec<_> = client
        .list_pages::<serde_json::Value>(get("/computes"))
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
    let first = pages[0].as_ref().unwrap();
    assert_eq!(first.items.len(), 3);
    assert!(first.has_next);
    assert!(!pages[2].as_ref().unwrap().has_next);
    // The api-version in each nextLink is used as given, not duplicated.
    for r in &server.requests()[4..] {
        assert_eq!(r.target.matches("api-version").count(), 1, "{}", r.target);
    }
}

#[tokio::test]
async fn an_empty_or_missing_next_link_ends_paging() {
    for next in [json!(""), json!(null)] {
        let server = Server::start(move |_, _| {
            Reply::json(200, &json!({ "value": [1, 2], "nextLink": next.clone() }))
        })
        .await;
        let all = client(&server)
            .list_pages::<u32>(get("/x"))
            .collect_all()
            .await
            .unwrap();
        assert_eq!(all, [1, 2]);
        assert_eq!(server.count(), 1);
    }
}

#[tokio::test]
async fn a_repeated_next_link_is_an_error_not_a_loop() {
    // Page 1 links to page 2, which links back to page 1.
    let server = Server::start_based(|base, r, _| {
        let next = if r.target.contains("p=2") {
            format!("{base}/x?api-version={API_VERSION}")
        } else {
            format!("{base}/x?p=2&api-version={API_VERSION}")
        };
        Reply::json(200, &json!({ "value": ["item"], "nextLink": next }))
    })
    .await;
    let results: Vec<_> = client(&server).list::<String>("/x").collect().await;
    assert_eq!(
        results.len(),
        3,
        "both pages' items, then the error, then the end"
    );
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].as_ref().unwrap_err();
    assert!(matches!(err, Error::NextLinkLoop { .. }), "{err:?}");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_next_link_to_itself_is_caught_at_once() {
    let server = Server::start_based(|base, _, _| {
        Reply::json(
            200,
            &json!({ "value": [], "nextLink": format!("{base}/x?api-version={API_VERSION}") }),
        )
    })
    .await;
    let pages: Vec<_> = client(&server).list_pages::<u32>(get("/x")).collect().await;
    assert_eq!(pages.len(), 2);
    assert!(pages[0].as_ref().unwrap().has_next);
    let err = pages[1].as_ref().unwrap_err();
    assert!(matches!(err, Error::NextLinkLoop { .. }), "{err:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_per_call_api_version_reaches_every_next_link_without_one() {
    // Links without api-version, three pages deep: each inherits the listing's override, not
    // only the second page.
    let server = Server::start_based(|base, r, _| {
        let page: u32 = r
            .target
            .split("p=")
            .nth(1)
            .and_then(|p| p.split('&').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let next = match page {
            0 => json!(format!("{base}/x?p=1")),
            1 => json!(format!("{base}/x?p=2")),
            _ => json!(null),
        };
        Reply::json(200, &json!({ "value": [page], "nextLink": next }))
    })
    .await;
    let all = client(&server)
        .list_pages::<u32>(get("/x").api_version("2025-01-01-preview"))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all, [0, 1, 2]);
    for r in server.requests() {
        assert!(
            r.target.ends_with("api-version=2025-01-01-preview"),
            "{}",
            r.target
        );
    }
}
