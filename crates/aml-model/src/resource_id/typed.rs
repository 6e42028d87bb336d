//! Typed ids for the resources this crate addresses, each a checked view of a [`ResourceId`].
//!
//! Every typed id is built through a validating `new`, [`FromStr`] or
//! [`TryFrom<ResourceId>`](TryFrom); all of them check the same rules (resource group naming,
//! non-empty segments without `/`, R7 for compute names). `Display` and `path()` give the
//! canonical text with ARM's own casing of keywords, namespaces and types, so it can go straight
//! into a request URL. Equality and hashing ignore ASCII case, like [`ResourceId`]'s.
//!
//! The ids made of a resource group and plain names ([`WorkspaceId`], [`AksClusterId`],
//! [`SubnetId`]) are declared by one macro, `typed_id!`; [`ComputeId`] holds a [`WorkspaceId`]
//! and a validated [`ComputeName`] and shares the rest through the same macro.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    Provider, ResourceId, ResourceIdError, ensure_subscription, hash_ignoring_case,
    validate_resource_group,
};
use crate::name::ComputeName;

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

/// Declares a typed id.
///
/// `typed_id! { /// docs
/// pub struct Name = "Namespace" { /// docs
/// field: "type" ("what"), ... } }` declares an id
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Namespace/type/{field}/...`: the struct,
/// its `RESOURCE_TYPE`, a checking `new`, accessors, `to_resource_id`, `Display` and equality
/// ignoring ASCII case; `what` names the part in an [`ResourceIdError::InvalidSegment`].
///
/// `typed_id!(@common Name)` adds what every typed id shares: parsing, conversions,
/// case-insensitive hashing, serde as a string, `path()` and the subscription check. It needs
/// `Name::from_resource_id`, `Name::to_resource_id`, `Name::subscription_id`, `Display` and
/// `PartialEq`.
macro_rules! typed_id {
    (
        $(#[doc = $doc:literal])*
        pub struct $ty:ident = $namespace:literal {
            $(
                $(#[doc = $field_doc:literal])*
                $field:ident: $segment:literal ($what:literal),
            )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone)]
        pub struct $ty {
            subscription_id: String,
            resource_group: String,
            $($field: String,)+
        }

        impl $ty {
            /// The resource type, as ARM spells it.
            pub const RESOURCE_TYPE: &'static str = concat!($namespace, $("/", $segment),+);

            #[doc = concat!("A `", stringify!($ty), "` from its parts, checking each.")]
            pub fn new(
                subscription_id: impl Into<String>,
                resource_group: impl Into<String>,
                $($field: impl Into<String>,)+
            ) -> Result<Self, ResourceIdError> {
                Ok(Self {
                    subscription_id: segment("subscription id", subscription_id.into())?,
                    resource_group: self::resource_group(resource_group.into())?,
                    $($field: segment($what, $field.into())?,)+
                })
            }

            fn from_resource_id(id: &ResourceId) -> Result<Self, ResourceIdError> {
                let (group, [$($field),+]) = expect_type(id, Self::RESOURCE_TYPE)?;
                Ok(Self {
                    subscription_id: id.subscription_id.clone(),
                    resource_group: group.to_owned(),
                    $($field: $field.to_owned(),)+
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

            $(
                $(#[doc = $field_doc])*
                pub fn $field(&self) -> &str {
                    &self.$field
                }
            )+

            /// The same id as a general [`ResourceId`].
            pub fn to_resource_id(&self) -> ResourceId {
                resource_id(
                    &self.subscription_id,
                    &self.resource_group,
                    $namespace,
                    &[$(($segment, &self.$field)),+],
                )
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    concat!("/subscriptions/{}/resourceGroups/{}/providers/", $namespace),
                    self.subscription_id, self.resource_group
                )?;
                $(write!(f, concat!("/", $segment, "/{}"), self.$field)?;)+
                Ok(())
            }
        }

        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.subscription_id.eq_ignore_ascii_case(&other.subscription_id)
                    && self.resource_group.eq_ignore_ascii_case(&other.resource_group)
                    $(&& self.$field.eq_ignore_ascii_case(&other.$field))+
            }
        }

        typed_id!(@common $ty);
    };

    (@common $ty:ident) => {
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

typed_id! {
    /// An Azure Machine Learning workspace:
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}`.
    pub struct WorkspaceId = "Microsoft.MachineLearningServices" {
        /// The workspace name.
        name: "workspaces" ("workspace name"),
    }
}

impl WorkspaceId {
    /// The id of compute `name` in this workspace.
    pub fn compute(&self, name: ComputeName) -> ComputeId {
        ComputeId::new(self.clone(), name)
    }
}

typed_id! {
    /// An AKS managed cluster:
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}`.
    pub struct AksClusterId = "Microsoft.ContainerService" {
        /// The cluster name.
        name: "managedClusters" ("cluster name"),
    }
}

typed_id! {
    /// A subnet of a virtual network:
    /// `.../providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}`.
    pub struct SubnetId = "Microsoft.Network" {
        /// The virtual network's name.
        vnet_name: "virtualNetworks" ("vnet name"),
        /// The subnet's name.
        subnet_name: "subnets" ("subnet name"),
    }
}

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
        let mut id = self.workspace.to_resource_id();
        if let Some(block) = id.providers.last_mut() {
            block
                .resources
                .push(("computes".to_owned(), self.name.as_str().to_owned()));
        }
        id
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

typed_id!(@common ComputeId);

#[cfg(test)]
mod tests;
