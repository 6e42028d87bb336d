//! `nextLink` paging through the emulator's compute list.

use futures::StreamExt;
use serde_json::Value;

use crate::support::{begin_computes, client, computes, get, paged_emulator};

#[tokio::test]
async fn items_and_pages_follow_next_link_to_the_end() {
    let emu = paged_emulator(2).await;
    let client = client(&emu);
    let names = ["cpu-1", "cpu-2", "cpu-3", "cpu-4", "cpu-5"];
    begin_computes(&client, &names).await;
    emu.requests().clear();
    let list = computes();

    let listed: Vec<String> = client
        .list::<Value>(&list)
        .map(|c| c.unwrap()["name"].as_str().unwrap().to_owned())
        .collect()
        .await;
    assert_eq!(listed, names);

    let pages: Vec<_> = client
        .list_pages::<Value>(get(&list))
        .map(Result::unwrap)
        .collect()
        .await;
    let sizes: Vec<_> = pages.iter().map(|p| (p.items.len(), p.has_next)).collect();
    assert_eq!(sizes, [(2, true), (2, true), (1, false)]);
    assert!(pages.iter().all(|p| p.request_ids.request_id.is_some()));

    // Three GETs per listing; the nextLinks' api-version and $skip are used as given.
    let entries = emu.requests().entries();
    assert_eq!(entries.len(), 6);
    for (i, entry) in entries.iter().enumerate() {
        assert!(entry.is("GET", &list) && entry.path.ends_with("/computes"));
        let query = entry.query.as_deref().unwrap();
        assert_eq!(query.matches("api-version=").count(), 1, "{query}");
        assert_eq!(i % 3 != 0, query.contains("$skip="), "{query}");
    }
}
