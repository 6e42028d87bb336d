//! Typed ids for the resources this crate addresses, each a checked view of a [`ResourceId`].
//!
//! Every typed id is built through a validating `new`, [`FromStr`] or
//! [`TryFrom<ResourceId>`](TryFrom); all of them check the same rules (resource group naming,
//! non-empty segments without `/`, R7 for compute names). `Display` and `path()` give the
//! canonical text with ARM's own casing of keywords, namespaces and types, so it can go straight
//! into a request URL. Equality and hashing ignore ASCII case, like [`ResourceId`]'s.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    Provider, ResourceId, ResourceIdError, ensure_subscription, hash_ignoring_case,
    validate_resource_group,
};
use crate::name::ComputeName;

const ML_NAMESPACE: &str = "Microsoft.MachineLearningServices";
const AKS_NAMESPACE: &str = "Microsoft.ContainerService";
const NETWORK_NAMESPACE: &str = "Microsoft.Network";

/// Checks a part given to a constructor: non-empty, no `/`, no control characters.
fn segment(what: &'static str, value: String) -> Result<String, ResourceIdError> {
    if value.is_empty() || value.contains('/') || value.chars().any(char::is_control) {
        Err(ResourceIdError::InvalidSegment { what, value })
    } else {
        Ok(value)
    }
}

fn resource_group(value: String) -> Result<String, ResourceIdError> {
    let value = segment("resource group", value)?;
    validate_resource_group(&value)?;
    Ok(value)
}

/// The resource group and the `N` names of `id` when it is a resource of exactly `expected`
/// type (with `N` types) inside a resource group, not an extension of another resource.
fn expect_type<'a, const N: usize>(
    id: &'a ResourceId,
    expected: &'static str,
) -> Result<(&'a str, [&'a str; N]), ResourceIdError> {
    let wrong = |found: String| ResourceIdError::WrongType {
        id: id.to_string(),
        expected,
        found,
    };
    if !id.is_type(expected) {
        return Err(wrong(id.resource_type()));
    }
    let [block] = id.providers.as_slice() else {
        let scope = id.parent().map(|p| p.resource_type()).unwrap_or_default();
        return Err(wrong(format!(
            "{} extension resource on a {scope}",
            id.resource_type()
        )));
    };
    let names: Vec<&str> = block.resources.iter().map(|(_, n)| n.as_str()).collect();
    // `is_type` has matched the types one by one, so there are exactly `N` names.
    let names: [&str; N] = names.try_into().map_err(|_| wrong(id.resource_type()))?;
    let Some(group) = id.resource_group() else {
        return Err(ResourceIdError::MissingResourceGroup {
            id: id.to_string(),
            expected,
        });
    };
    validate_resource_group(group)?;
    Ok((group, names))
}

fn resource_id(
    subscription_id: &str,
    resource_group: &str,
    namespace: &str,
    resources: &[(&str, &str)],
) -> ResourceId {
    ResourceId {
        subscription_id: subscription_id.to_owned(),
        resource_group: Some(resource_group.to_owned()),
        providers: vec![Provider {
            namespace: namespace.to_owned(),
            resources: resources
                .iter()
                .map(|(t, n)| ((*t).to_owned(), (*n).to_owned()))
                .collect(),
        }],
    }
}

/// What every typed id shares: parsing, conversion, case-insensitive hashing, serde as a string,
/// `path()` and the subscription check.
macro_rules! typed_id {
    ($ty:ident) => {
        impl $ty {
            /// The canonical path used in request URLs (the same text as `Display`).
            pub fn path(&self) -> String {
                self.to_string()
            }

            /// `Ok` when the id is in `subscription_id` (compared ignoring case), otherwise
            /// [`ResourceIdError::WrongSubscription`].
            pub fn ensure_subscription(
                &self,
                subscription_id: &str,
            ) -> Result<(), ResourceIdError> {
                ensure_subscription(self, self.subscription_id(), subscription_id)
            }
        }

        impl FromStr for $ty {
            type Err = ResourceIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_resource_id(&s.parse()?)
            }
        }

        impl TryFrom<ResourceId> for $ty {
            type Error = ResourceIdError;

            fn try_from(id: ResourceId) -> Result<Self, Self::Error> {
                Self::from_resource_id(&id)
            }
        }

        impl TryFrom<&ResourceId> for $ty {
            type Error = ResourceIdError;

            fn try_from(id: &ResourceId) -> Result<Self, Self::Error> {
                Self::from_resource_id(id)
            }
        }

        impl From<$ty> for ResourceId {
            fn from(id: $ty) -> Self {
                id.to_resource_id()
            }
        }

        impl From<&$ty> for ResourceId {
            fn from(id: &$ty) -> Self {
                id.to_resource_id()
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($ty))
                    .field(&self.to_string())
                    .finish()
            }
        }

        impl Eq for $ty {}

        impl Hash for $ty {
            fn hash<H: Hasher>(&self, state: &mut H) {
                hash_ignoring_case(self, state);
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------

/// An Azure Machine Learning workspace:
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}`.
#[derive(Clone)]
pub struct WorkspaceId {
    subscription_id: String,
    resource_group: String,
    name: String,
}

impl WorkspaceId {
    /// The resource type, as ARM spells it.
    pub const RESOURCE_TYPE: &'static str = "Microsoft.MachineLearningServices/workspaces";

    /// A workspace id from its parts, checking each.
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        name: impl Into<String>,
    ) -> Result<Self, ResourceIdError> {
        Ok(Self {
            subscription_id: segment("subscription id", subscription_id.into())?,
            resource_group: self::resource_group(resource_group.into())?,
            name: segment("workspace name", name.into())?,
        })
    }

    fn from_resource_id(id: &ResourceId) -> Result<Self, ResourceIdError> {
        let (group, [name]) = expect_type(id, Self::RESOURCE_TYPE)?;
        Ok(Self {
            subscription_id: id.subscription_id.clone(),
            resource_group: group.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The subscription.
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    /// The resource group.
    pub fn resource_group(&self) -> &str {
        &self.resource_group
    }

    /// The workspace name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The id of compute `name` in this workspace.
    pub fn compute(&self, name: ComputeName) -> ComputeId {
        ComputeId::new(self.clone(), name)
    }

    /// The same id as a general [`ResourceId`].
    pub fn to_resource_id(&self) -> ResourceId {
        resource_id(
            &self.subscription_id,
            &self.resource_group,
            ML_NAMESPACE,
            &[("workspaces", &self.name)],
        )
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/{ML_NAMESPACE}/workspaces/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

impl PartialEq for WorkspaceId {
    fn eq(&self, other: &Self) -> bool {
        self.subscription_id
            .eq_ignore_ascii_case(&other.subscription_id)
            && self
                .resource_group
                .eq_ignore_ascii_case(&other.resource_group)
            && self.name.eq_ignore_ascii_case(&other.name)
    }
}

typed_id!(WorkspaceId);

// ---------------------------------------------------------------------------------------------

/// A compute target in a workspace:
/// `.../providers/Microsoft.MachineLearningServices/workspaces/{ws}/computes/{name}`.
#[derive(Clone)]
pub struct ComputeId {
    workspace: WorkspaceId,
    name: ComputeName,
}

impl ComputeId {
    /// The resource type, as ARM spells it.
    pub const RESOURCE_TYPE: &'static str = "Microsoft.MachineLearningServices/workspaces/computes";

    /// The id of compute `name` in `workspace` (both already validated).
    pub fn new(workspace: WorkspaceId, name: ComputeName) -> Self {
        Self { workspace, name }
    }

    fn from_resource_id(id: &ResourceId) -> Result<Self, ResourceIdError> {
        let (group, [workspace, compute]) = expect_type(id, Self::RESOURCE_TYPE)?;
        let name = compute
            .parse()
            .map_err(|source| ResourceIdError::InvalidComputeName {
                id: id.to_string(),
                name: compute.to_owned(),
                source,
            })?;
        Ok(Self {
            workspace: WorkspaceId {
                subscription_id: id.subscription_id.clone(),
                resource_group: group.to_owned(),
                name: workspace.to_owned(),
            },
            name,
        })
    }

    /// The workspace holding the compute.
    pub fn workspace(&self) -> &WorkspaceId {
        &self.workspace
    }

    /// The compute name.
    pub fn name(&self) -> &ComputeName {
        &self.name
    }

    /// The subscription (the workspace's).
    pub fn subscription_id(&self) -> &str {
        self.workspace.subscription_id()
    }

    /// The resource group (the workspace's).
    pub fn resource_group(&self) -> &str {
        self.workspace.resource_group()
    }

    /// The same id as a general [`ResourceId`].
    pub fn to_resource_id(&self) -> ResourceId {
        resource_id(
            self.subscription_id(),
            self.resource_group(),
            ML_NAMESPACE,
            &[
                ("workspaces", self.workspace.name()),
                ("computes", self.name.as_str()),
            ],
        )
    }
}

impl fmt::Display for ComputeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/computes/{}", self.workspace, self.name)
    }
}

impl PartialEq for ComputeId {
    fn eq(&self, other: &Self) -> bool {
        self.workspace == other.workspace
            && self.name.as_str().eq_ignore_ascii_case(other.name.as_str())
    }
}

typed_id!(ComputeId);

// ---------------------------------------------------------------------------------------------

/// An AKS managed cluster:
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}`.
#[derive(Clone)]
pub struct AksClusterId {
    subscription_id: String,
    resource_group: String,
    name: String,
}

impl AksClusterId {
    /// The resource type, as ARM spells it.
    pub const RESOURCE_TYPE: &'static str = "Microsoft.ContainerService/managedClusters";

    /// A cluster id from its parts, checking each.
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        name: impl Into<String>,
    ) -> Result<Self, ResourceIdError> {
        Ok(Self {
            subscription_id: segment("subscription id", subscription_id.into())?,
            resource_group: self::resource_group(resource_group.into())?,
            name: segment("cluster name", name.into())?,
        })
    }

    fn from_resource_id(id: &ResourceId) -> Result<Self, ResourceIdError> {
        let (group, [name]) = expect_type(id, Self::RESOURCE_TYPE)?;
        Ok(Self {
            subscription_id: id.subscription_id.clone(),
            resource_group: group.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The subscription.
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    /// The resource group.
    pub fn resource_group(&self) -> &str {
        &self.resource_group
    }

    /// The cluster name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same id as a general [`ResourceId`].
    pub fn to_resource_id(&self) -> ResourceId {
        resource_id(
            &self.subscription_id,
            &self.resource_group,
            AKS_NAMESPACE,
            &[("managedClusters", &self.name)],
        )
    }
}

impl fmt::Display for AksClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/{AKS_NAMESPACE}/managedClusters/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

impl PartialEq for AksClusterId {
    fn eq(&self, other: &Self) -> bool {
        self.subscription_id
            .eq_ignore_ascii_case(&other.subscription_id)
            && self
                .resource_group
                .eq_ignore_ascii_case(&other.resource_group)
            && self.name.eq_ignore_ascii_case(&other.name)
    }
}

typed_id!(AksClusterId);

// ---------------------------------------------------------------------------------------------

/// A subnet of a virtual network:
/// `.../providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}`.
#[derive(Clone)]
pub struct SubnetId {
    subscription_id: String,
    resource_group: String,
    vnet_name: String,
    subnet_name: String,
}

impl SubnetId {
    /// The resource type, as ARM spells it.
    pub const RESOURCE_TYPE: &'static str = "Microsoft.Network/virtualNetworks/subnets";

    /// A subnet id from its parts, checking each.
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        vnet_name: impl Into<String>,
        subnet_name: impl Into<String>,
    ) -> Result<Self, ResourceIdError> {
        Ok(Self {
            subscription_id: segment("subscription id", subscription_id.into())?,
            resource_group: self::resource_group(resource_group.into())?,
            vnet_name: segment("vnet name", vnet_name.into())?,
            subnet_name: segment("subnet name", subnet_name.into())?,
        })
    }

    fn from_resource_id(id: &ResourceId) -> Result<Self, ResourceIdError> {
        let (group, [vnet, subnet]) = expect_type(id, Self::RESOURCE_TYPE)?;
        Ok(Self {
            subscription_id: id.subscription_id.clone(),
            resource_group: group.to_owned(),
            vnet_name: vnet.to_owned(),
            subnet_name: subnet.to_owned(),
        })
    }

    /// The subscription.
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    /// The resource group of the virtual network.
    pub fn resource_group(&self) -> &str {
        &self.resource_group
    }

    /// The virtual network's name.
    pub fn vnet_name(&self) -> &str {
        &self.vnet_name
    }

    /// The subnet's name.
    pub fn subnet_name(&self) -> &str {
        &self.subnet_name
    }

    /// The same id as a general [`ResourceId`].
    pub fn to_resource_id(&self) -> ResourceId {
        resource_id(
            &self.subscription_id,
            &self.resource_group,
            NETWORK_NAMESPACE,
            &[
                ("virtualNetworks", &self.vnet_name),
                ("subnets", &self.subnet_name),
            ],
        )
    }
}

impl fmt::Display for SubnetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/{NETWORK_NAMESPACE}/virtualNetworks/{}/subnets/{}",
            self.subscription_id, self.resource_group, self.vnet_name, self.subnet_name
        )
    }
}

impl PartialEq for SubnetId {
    fn eq(&self, other: &Self) -> bool {
        self.subscription_id
            .eq_ignore_ascii_case(&other.subscription_id)
            && self
                .resource_group
                .eq_ignore_ascii_case(&other.resource_group)
            && self.vnet_name.eq_ignore_ascii_case(&other.vnet_name)
            && self.subnet_name.eq_ignore_ascii_case(&other.subnet_name)
    }
}

typed_id!(SubnetId);

#[cfg(test)]
mod tests {
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
        let vnet =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";
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
}
