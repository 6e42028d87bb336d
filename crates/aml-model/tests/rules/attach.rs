//! Attaching an existing cluster: in the workspace's subscription (R9), by a managed cluster's id.

use aml_model::config::AksAttachConfiguration;
use aml_model::request::AttachCompute;
use aml_model::wire::ClusterPurpose;

use crate::{SUB, codes, workspace};

#[test]
fn r9_attach_in_the_workspace_subscription() {
    let same = format!(
        "/subscriptions/{SUB}/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/c"
    );
    assert!(
        AttachCompute::new(
            workspace(),
            "myaks",
            AksAttachConfiguration::builder().resource_id(same)
        )
        .is_ok()
    );
    let other = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c";
    let err = AttachCompute::new(
        workspace(),
        "myaks",
        AksAttachConfiguration::builder().resource_id(other),
    )
    .unwrap_err();
    assert!(err.report().unwrap().has_error("attach.other_subscription"));
}

#[test]
fn attach_id_must_be_a_managed_cluster() {
    let vm = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"
    );
    let err = AttachCompute::new(
        workspace(),
        "myaks",
        AksAttachConfiguration::builder().resource_id(vm),
    )
    .unwrap_err();
    let r = err.report().unwrap();
    assert_eq!(codes(r), ["attach.resource_id"]);
    assert!(r.errors[0].message.contains("managedClusters"), "{r}");
}

#[test]
fn attach_body_names_the_cluster_canonically() {
    let a = AttachCompute::new(
        workspace(),
        "myaks",
        AksAttachConfiguration::builder()
            .cluster("aks-rg", "prod")
            .cluster_purpose(ClusterPurpose::DevTest),
    )
    .unwrap();
    let body = a.body();
    assert_eq!(
        body["properties"]["resourceId"],
        format!(
            "/subscriptions/{SUB}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/prod"
        )
    );
    assert_eq!(
        body["properties"]["properties"]["clusterPurpose"],
        "DevTest"
    );
    assert!(a.follow_up().is_none());
}
