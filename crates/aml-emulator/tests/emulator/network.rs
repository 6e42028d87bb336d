//! What a client reads to secure a cluster: the subscription's locations with their paired
//! regions (Microsoft.Resources), the service tags (Microsoft.Network), and the attachment that
//! fails while a cluster's authorized IP ranges shut out the Azure Machine Learning control
//! plane.

use aml_emulator::service_tags::{control_plane_prefixes, machine_learning_prefixes};
use aml_emulator::{STANDARD_SUBSCRIPTION, regions};
use aml_model::wire::{LocationListResult, ServiceTagsListResult, machine_learning_tag};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::{AKS_API, Env, attach, cluster_id};

fn tags_url(subscription: &str, location: &str) -> String {
    format!(
        "/subscriptions/{subscription}/providers/Microsoft.Network/locations/{location}/serviceTags?api-version=2024-05-01"
    )
}

#[tokio::test]
async fn service_tags_list_a_regional_machine_learning_tag_among_others() {
    let env = Env::start().await;
    let answer = env.get(&tags_url(STANDARD_SUBSCRIPTION, "eastus")).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.json["name"], "public");
    assert_eq!(answer.json["cloud"], "Public");
    assert_eq!(answer.json["type"], "Microsoft.Network/serviceTags");
    assert!(answer.json["changeNumber"].is_string());
    assert_eq!(
        answer.json["id"],
        format!(
            "/subscriptions/{STANDARD_SUBSCRIPTION}/providers/Microsoft.Network/serviceTags/public"
        )
    );
    let list: ServiceTagsListResult = serde_json::from_value(answer.json.clone()).unwrap();
    let tag = list.tag(&machine_learning_tag("eastus")).unwrap();
    assert_eq!(tag.name.as_deref(), Some("AzureMachineLearning.EastUS"));
    let properties = tag.properties.as_ref().unwrap();
    assert_eq!(properties.region.as_deref(), Some("eastus"));
    assert_eq!(
        properties.system_service.as_deref(),
        Some("AzureMachineLearning")
    );
    let prefixes = tag.address_prefixes();
    assert_eq!(prefixes, machine_learning_prefixes("eastus").unwrap());
    let (v6, v4): (Vec<&String>, Vec<&String>) = prefixes.iter().partition(|p| p.contains(':'));
    assert_eq!(v6.len(), 1);
    assert!(v4.iter().all(|p| {
        let bits: u8 = p.rsplit_once('/').unwrap().1.parse().unwrap();
        (28..=32).contains(&bits)
    }));
    // Every region has its tag; the global one is their union; other tags are there to be
    // told apart.
    for region in regions::all() {
        assert!(
            list.tag(&machine_learning_tag(region.name)).is_some(),
            "{}",
            region.name
        );
    }
    let global = list.tag("AzureMachineLearning").unwrap().address_prefixes();
    assert!(prefixes.iter().all(|p| global.contains(p)));
    for other in ["AzureCloud.EastUS", "AzureCloud", "Storage"] {
        let other = list.tag(other).unwrap().address_prefixes();
        assert!(prefixes.iter().all(|p| !other.contains(p)));
    }
    // Any known location answers the same list, in any spelling.
    let west = env
        .get(&tags_url(STANDARD_SUBSCRIPTION, "West Europe"))
        .await;
    assert_eq!(west.json, answer.json);
}

#[tokio::test]
async fn service_tags_of_an_unknown_location_or_subscription_are_refused() {
    let env = Env::start().await;
    let answer = env.get(&tags_url(STANDARD_SUBSCRIPTION, "atlantis")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(answer.code(), "LocationNotAvailableForResourceType");
    assert!(answer.message().contains("'atlantis'"));
    let answer = env
        .get(&tags_url("22222222-2222-2222-2222-222222222222", "eastus"))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "SubscriptionNotFound");
    let post = env
        .call(
            Method::POST,
            &tags_url(STANDARD_SUBSCRIPTION, "eastus"),
            None,
        )
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn locations_carry_azures_region_pairs() {
    let env = Env::start().await;
    let answer = env
        .get(&format!(
            "/subscriptions/{STANDARD_SUBSCRIPTION}/locations?api-version=2022-12-01"
        ))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let list: LocationListResult = serde_json::from_value(answer.json.clone()).unwrap();
    assert_eq!(list.value.as_ref().unwrap().len(), regions::all().len());
    for (region, pair) in [
        ("eastus", "westus"),
        ("westus", "eastus"),
        ("eastus2", "centralus"),
        ("westus2", "westcentralus"),
        ("northeurope", "westeurope"),
        ("uksouth", "ukwest"),
        ("japaneast", "japanwest"),
        ("southeastasia", "eastasia"),
        ("australiaeast", "australiasoutheast"),
        // Azure's one-way pair: West US 3 pairs with East US, which pairs with West US.
        ("westus3", "eastus"),
    ] {
        assert_eq!(
            list.location(region).unwrap().paired_regions(),
            [pair],
            "{region}"
        );
    }
    assert!(
        list.location("Poland Central")
            .unwrap()
            .paired_regions()
            .is_empty()
    );
    let east = list.location("East US").unwrap();
    assert_eq!(
        east.id.as_deref(),
        Some(format!("/subscriptions/{STANDARD_SUBSCRIPTION}/locations/eastus").as_str())
    );
    assert_eq!(east.regional_display_name.as_deref(), Some("(US) East US"));
    let metadata = east.metadata.as_ref().unwrap();
    assert_eq!(metadata.physical_location.as_deref(), Some("Virginia"));
    assert_eq!(metadata.geography_group.as_deref(), Some("US"));
    assert_eq!(metadata.region_type.as_deref(), Some("Physical"));
    assert_eq!(
        metadata.paired_region.as_ref().unwrap()[0].id.as_deref(),
        Some(format!("/subscriptions/{STANDARD_SUBSCRIPTION}/locations/westus").as_str())
    );
    // Edge zones only when asked for.
    assert!(!answer.text.contains("EdgeZone"));
}

#[tokio::test]
async fn an_unknown_subscription_is_404_like_arm() {
    let env = Env::start().await;
    let known = env
        .get(&format!(
            "/subscriptions/{STANDARD_SUBSCRIPTION}?api-version=2022-12-01"
        ))
        .await;
    assert_eq!(known.status, StatusCode::OK, "{known:?}");
    assert_eq!(known.json["subscriptionId"], STANDARD_SUBSCRIPTION);
    assert_eq!(known.json["state"], "Enabled");
    for path in ["", "/locations"] {
        let answer = env
            .get(&format!(
                "/subscriptions/22222222-2222-2222-2222-222222222222{path}?api-version=2022-12-01"
            ))
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}: {answer:?}");
        assert_eq!(answer.code(), "SubscriptionNotFound", "{path}");
    }
}

#[tokio::test]
async fn an_attach_fails_until_the_authorized_ranges_admit_the_control_plane() {
    let env = Env::start().await;
    let status = env
        .put_and_wait("office", &attach("aks-office-ranges"))
        .await;
    assert_eq!(status["status"], "Failed", "{status}");
    let error = &status["error"];
    assert_eq!(
        error["details"][0]["code"], "ApiServerNotReachable",
        "{status}"
    );
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("cannot reach the API server"), "{message}");
    assert!(
        message.contains("AzureMachineLearning.EastUS and AzureMachineLearning.WestUS"),
        "{message}"
    );
    // The workspace is in East US: its prefixes and West US's are named, each of them.
    let needed = control_plane_prefixes("eastus").unwrap();
    assert_eq!(needed.len(), 6);
    for prefix in &needed {
        assert!(
            message.contains(prefix.as_str()),
            "{prefix} not in {message}"
        );
    }
    let compute = env.get_compute("office").await;
    assert_eq!(compute.json["properties"]["provisioningState"], "Failed");

    // Admit East US only: West US's prefixes are still missing.
    let url = format!("{}?{AKS_API}", cluster_id("aks-office-ranges"));
    let mut ranges = vec!["203.0.113.0/24".to_owned()];
    ranges.extend(needed[..3].iter().cloned());
    let put = |ranges: &[String]| json!({"properties": {"apiServerAccessProfile": {"authorizedIPRanges": ranges}}});
    let answer = env.call(Method::PUT, &url, Some(&put(&ranges))).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    env.wait(&answer).await;
    let status = env
        .put_and_wait("office2", &attach("aks-office-ranges"))
        .await;
    assert_eq!(status["status"], "Failed");
    let message = status["error"]["message"].as_str().unwrap();
    let (_, missing) = message.split_once("Missing: ").unwrap();
    assert!(
        !missing.contains(needed[0].as_str()) && missing.contains(needed[3].as_str()),
        "{message}"
    );

    // A GET-modify-PUT that adds the rest: the attach succeeds. A wider range admits too.
    ranges.push("198.18.1.0/24".into());
    let answer = env.call(Method::PUT, &url, Some(&put(&ranges))).await;
    env.wait(&answer).await;
    let status = env
        .put_and_wait("office3", &attach("aks-office-ranges"))
        .await;
    assert_eq!(status["status"], "Succeeded", "{status}");

    // The seeded basic-load-balancer cluster keeps attaching: its ranges are not in force.
    let status = env.put_and_wait("basic", &attach("aks-authorized")).await;
    assert_eq!(status["status"], "Succeeded", "{status}");
}
