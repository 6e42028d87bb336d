//! Updating an attached cluster: the body keeps what it does not know, renew needs Auto.

use aml_model::config::{AksUpdateConfiguration, LoadBalancerSettings, TlsSettings};
use aml_model::request::Requests;

use crate::workspace;

#[test]
fn update_body_keeps_unknown_fields_and_drops_read_only_ones() {
    let id = aml_model::ComputeId::new(workspace().id, "myaks".parse().unwrap());
    let current = serde_json::json!({
        "id": id.to_string(),
        "location": "eastus",
        "systemData": {"createdBy": "x"},
        "futureTopLevel": 1,
        "properties": {
            "computeType": "AKS",
            "provisioningState": "Succeeded",
            "isAttachedCompute": true,
            "resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c",
            "futureField": {"a": 1},
            "properties": {
                "agentCount": 3,
                "clusterPurpose": "FastProd",
                "systemServices": [{"systemServiceType": "x"}],
                "sslConfiguration": {"status": "Auto", "leafDomainLabel": "contoso"},
                "futureAks": "kept"
            }
        }
    });
    let update = AksUpdateConfiguration::builder()
        .ssl(TlsSettings::disabled())
        .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
        .build()
        .unwrap();
    let body = Requests::default()
        .update(&id, &current, &update)
        .unwrap()
        .body()
        .redacted()
        .unwrap();
    assert_eq!(body["futureTopLevel"], 1);
    assert_eq!(body["properties"]["futureField"]["a"], 1);
    assert_eq!(body["properties"]["properties"]["futureAks"], "kept");
    assert_eq!(body["properties"]["properties"]["agentCount"], 3);
    assert_eq!(
        body["properties"]["properties"]["loadBalancerType"],
        "InternalLoadBalancer"
    );
    assert_eq!(
        body["properties"]["properties"]["loadBalancerSubnet"],
        "aks-subnet"
    );
    assert_eq!(
        body["properties"]["properties"]["sslConfiguration"]["status"],
        "Disabled"
    );
    assert!(body.get("systemData").is_none());
    assert!(body["properties"].get("provisioningState").is_none());
    assert!(
        body["properties"]["properties"]
            .get("systemServices")
            .is_none()
    );

    // Switching to an internal load balancer while TLS stays on is R18.
    let lb_only = AksUpdateConfiguration::builder()
        .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
        .build()
        .unwrap();
    let err = Requests::default()
        .update(&id, &current, &lb_only)
        .unwrap_err();
    assert!(
        err.to_string().ends_with("[tls.internal_load_balancer]"),
        "{err}"
    );

    // Renew keeps the current label.
    let renew = AksUpdateConfiguration::builder()
        .ssl(TlsSettings::renew())
        .build()
        .unwrap();
    let body = Requests::default()
        .update(&id, &current, &renew)
        .unwrap()
        .body()
        .redacted()
        .unwrap();
    let ssl = &body["properties"]["properties"]["sslConfiguration"];
    assert_eq!(ssl["status"], "Auto");
    assert_eq!(ssl["leafDomainLabel"], "contoso");
    assert_eq!(ssl["overwriteExistingDomain"], true);
}

#[test]
fn renew_of_a_non_auto_configuration_is_refused() {
    let id = aml_model::ComputeId::new(workspace().id, "myaks".parse().unwrap());
    let current = serde_json::json!({"properties": {"computeType": "AKS", "properties": {"sslConfiguration": {"status": "Enabled", "cname": "a.b.c"}}}});
    let renew = AksUpdateConfiguration::builder()
        .ssl(TlsSettings::renew())
        .build()
        .unwrap();
    let err = Requests::default()
        .update(&id, &current, &renew)
        .unwrap_err();
    assert!(err.to_string().contains("Auto"), "{err}");
}

#[test]
fn an_empty_update_is_refused() {
    let err = AksUpdateConfiguration::builder().build().unwrap_err();
    assert!(err.report().unwrap().has_error("update.empty"));
}
