//! Tests of the typed ids.

use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

const SUB: &str = "00000000-0000-0000-0000-000000000000";

#[test]
fn the_guides_example_is_an_aks_cluster_id() {
    let text = format!(
        "/subscriptions/{SUB}/resourcegroups/myrg/providers/Microsoft.ContainerService/managedClusters/myaks"
    );
    let aks: AksClusterId = text.parse().unwrap();
    assert_eq!(aks.subscription_id(), SUB);
    assert_eq!(aks.resource_group(), "myrg");
    assert_eq!(aks.name(), "myaks");
    let canonical = format!(
        "/subscriptions/{SUB}/resourceGroups/myrg/providers/Microsoft.ContainerService/managedClusters/myaks"
    );
    assert_eq!(aks.to_string(), canonical);
    assert_eq!(aks.path(), canonical);
    assert_eq!(
        aks,
        AksClusterId::new(SUB, "MyRG", "MyAKS").unwrap(),
        "ids compare ignoring case"
    );
}

#[test]
fn typed_ids_use_arms_casing_for_namespaces_and_types() {
    let text = "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerservice/MANAGEDCLUSTERS/aks";
    let aks: AksClusterId = text.parse().unwrap();
    assert_eq!(
        aks.to_string(),
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks"
    );
    assert_eq!(ResourceId::from(&aks), text.parse::<ResourceId>().unwrap());
}

#[test]
fn case_insensitive_equality_and_hash_agree() {
    let set: HashSet<AksClusterId> = [
        AksClusterId::new("ABC", "RG", "Aks").unwrap(),
        "/subscriptions/abc/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks"
            .parse()
            .unwrap(),
        "/SUBSCRIPTIONS/Abc/RESOURCEGROUPS/Rg/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS"
            .parse()
            .unwrap(),
    ]
    .into_iter()
    .collect();
    assert_eq!(set.len(), 1, "{set:?}");

    let computes: HashSet<ComputeId> = [
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/WS/computes/Aks1",
        "/subscriptions/S/resourceGroups/RG/providers/microsoft.machinelearningservices/workspaces/ws/computes/aks1",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    assert_eq!(computes.len(), 1, "{computes:?}");
}

#[test]
fn workspace_and_compute_ids() {
    let ws = WorkspaceId::new("s", "rg", "ws").unwrap();
    assert_eq!(
        ws.path(),
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
    );
    let compute = ws.compute("aks-1".parse().unwrap());
    assert_eq!(
        compute.to_string(),
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/aks-1"
    );
    assert_eq!(compute.workspace(), &ws);
    assert_eq!(compute.name().as_str(), "aks-1");
    assert_eq!(compute.subscription_id(), "s");
    assert_eq!(compute.resource_group(), "rg");

    let parsed: ComputeId = compute.path().parse().unwrap();
    assert_eq!(parsed, compute);
    let general = ResourceId::from(compute.clone());
    assert_eq!(general.parent().unwrap(), ResourceId::from(&ws));
    assert_eq!(ComputeId::try_from(general).unwrap(), compute);
}

#[test]
fn subnet_ids() {
    let subnet = SubnetId::new("s", "net-rg", "vnet1", "aks-subnet").unwrap();
    assert_eq!(
        subnet.to_string(),
        "/subscriptions/s/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/aks-subnet"
    );
    assert_eq!(subnet.vnet_name(), "vnet1");
    assert_eq!(subnet.subnet_name(), "aks-subnet");
    assert_eq!(subnet.path().parse::<SubnetId>().unwrap(), subnet);
}

#[test]
fn wrong_type_errors_name_both_types() {
    let vnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";
    let e = vnet.parse::<AksClusterId>().unwrap_err();
    assert!(matches!(
        &e,
        ResourceIdError::WrongType { expected: "Microsoft.ContainerService/managedClusters", found, .. }
            if found == "Microsoft.Network/virtualNetworks"
    ));
    let msg = e.to_string();
    assert!(
        msg.contains("Microsoft.ContainerService/managedClusters")
            && msg.contains("Microsoft.Network/virtualNetworks"),
        "{msg}"
    );

    // a workspace is not a compute, nor a compute a workspace
    let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
    assert!(matches!(
        ws.parse::<ComputeId>(),
        Err(ResourceIdError::WrongType { .. })
    ));
    assert!(matches!(
        format!("{ws}/computes/c").parse::<WorkspaceId>(),
        Err(ResourceIdError::WrongType { .. })
    ));
    // a resource group is not a cluster
    assert!(matches!(
        "/subscriptions/s/resourceGroups/rg".parse::<AksClusterId>(),
        Err(ResourceIdError::WrongType { found, .. }) if found == "Microsoft.Resources/resourceGroups"
    ));
}

#[test]
fn an_extension_of_the_right_type_is_still_refused() {
    let e = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/providers/Microsoft.ContainerService/managedClusters/x"
        .parse::<AksClusterId>()
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("extension resource on a Microsoft.Compute/virtualMachines"),
        "{msg}"
    );
}

#[test]
fn a_typed_resource_needs_a_resource_group() {
    let e = "/subscriptions/s/providers/Microsoft.ContainerService/managedClusters/x"
        .parse::<AksClusterId>()
        .unwrap_err();
    assert!(matches!(e, ResourceIdError::MissingResourceGroup { .. }));
    assert!(e.to_string().contains("has no resource group"), "{e}");
}

#[test]
fn malformed_text_reports_the_parse_error() {
    assert!(matches!(
        "subscriptions/s".parse::<AksClusterId>(),
        Err(ResourceIdError::MissingLeadingSlash { .. })
    ));
}

#[test]
fn constructors_validate_resource_groups() {
    for bad in ["", "rg.", "my rg", "a\u{1}b"] {
        let e = AksClusterId::new("s", bad, "aks").unwrap_err();
        assert!(
            matches!(
                e,
                ResourceIdError::InvalidResourceGroup { .. }
                    | ResourceIdError::InvalidSegment { .. }
            ),
            "{bad:?}: {e}"
        );
    }
    let long = "r".repeat(91);
    let e = WorkspaceId::new("s", long, "ws").unwrap_err();
    assert!(e.to_string().contains("1 to 90 characters"), "{e}");
    assert!(WorkspaceId::new("s", "rg_(prod)-1.a", "ws").is_ok());
    // the parser applies the same rule
    assert!(matches!(
        "/subscriptions/s/resourceGroups/bad!rg/providers/Microsoft.ContainerService/managedClusters/x"
            .parse::<AksClusterId>(),
        Err(ResourceIdError::InvalidResourceGroup { .. })
    ));
}

#[test]
fn constructors_refuse_empty_parts_and_slashes() {
    assert!(matches!(
        WorkspaceId::new("", "rg", "ws"),
        Err(ResourceIdError::InvalidSegment {
            what: "subscription id",
            ..
        })
    ));
    let e = SubnetId::new("s", "rg", "vnet/x", "sn").unwrap_err();
    assert!(matches!(
        e,
        ResourceIdError::InvalidSegment {
            what: "vnet name",
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        "vnet name \"vnet/x\" must be non-empty and contain no '/' or control characters"
    );
    assert!(AksClusterId::new("s", "rg", "").is_err());
}

#[test]
fn a_compute_id_needs_a_valid_compute_name() {
    let e = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/1bad_name"
        .parse::<ComputeId>()
        .unwrap_err();
    assert!(matches!(e, ResourceIdError::InvalidComputeName { .. }));
    assert!(std::error::Error::source(&e).is_some());
    assert!(e.to_string().contains("\"1bad_name\""), "{e}");
}

#[test]
fn subscription_check() {
    let aks = AksClusterId::new("SUB-A", "rg", "aks").unwrap();
    assert!(aks.ensure_subscription("sub-a").is_ok());
    let e = aks.ensure_subscription("sub-b").unwrap_err();
    assert!(matches!(e, ResourceIdError::WrongSubscription { .. }));
    assert!(
        e.to_string().contains("expected subscription \"sub-b\""),
        "{e}"
    );
}

#[test]
fn serde_is_a_validated_string() {
    let ws = WorkspaceId::new("s", "rg", "ws").unwrap();
    let json = serde_json::to_string(&ws).unwrap();
    assert_eq!(json, format!("\"{ws}\""));
    assert_eq!(serde_json::from_str::<WorkspaceId>(&json).unwrap(), ws);
    let aks_json =
        "\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v\"";
    let e = serde_json::from_str::<AksClusterId>(aks_json).unwrap_err();
    assert!(
        e.to_string()
            .contains("not a Microsoft.ContainerService/managedClusters id"),
        "{e}"
    );
}

#[test]
fn debug_shows_the_id() {
    let aks = AksClusterId::new("s", "rg", "aks").unwrap();
    assert_eq!(
        format!("{aks:?}"),
        "AksClusterId(\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks\")"
    );
}

proptest! {
    #[test]
    fn typed_ids_round_trip(
        sub in "[A-Za-z0-9-]{1,36}",
        rg in "[A-Za-z0-9_().-]{0,89}[A-Za-z0-9_()-]",
        ws in "[A-Za-z0-9][A-Za-z0-9_-]{0,20}",
        compute in "[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]",
        vnet in "[^/\\p{Cc}]{1,20}",
        subnet in "[^/\\p{Cc}]{1,20}",
    ) {
        let workspace = WorkspaceId::new(&sub, &rg, &ws).unwrap();
        prop_assert_eq!(workspace.path().parse::<WorkspaceId>().unwrap(), workspace.clone());
        let compute = workspace.compute(compute.parse().unwrap());
        prop_assert_eq!(compute.path().parse::<ComputeId>().unwrap(), compute.clone());
        let aks = AksClusterId::new(&sub, &rg, &ws).unwrap();
        prop_assert_eq!(aks.path().parse::<AksClusterId>().unwrap(), aks);
        let subnet = SubnetId::new(&sub, &rg, &vnet, &subnet).unwrap();
        let general: ResourceId = subnet.path().parse().unwrap();
        prop_assert_eq!(&ResourceId::from(&subnet), &general);
        prop_assert_eq!(SubnetId::try_from(general).unwrap(), subnet);
    }

    #[test]
    fn typed_parsing_never_panics(s in any::<String>()) {
        let _ = s.parse::<ComputeId>();
        let _ = s.parse::<SubnetId>();
    }
}
