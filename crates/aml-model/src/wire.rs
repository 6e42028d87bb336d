//! ARM wire types: the JSON bodies of `Microsoft.MachineLearningServices/workspaces/computes`
//! (api-version 2024-04-01) and the few `Microsoft.ContainerService` bodies a client of AKS
//! computes reads (managed cluster, Kubernetes versions, user credentials).
//!
//! The models mirror the published swagger (Azure/azure-rest-api-specs; its examples are
//! vendored in the repository's `spec/` folder and round-trip in tests). They are plain data:
//! public fields, every field optional (`Option`), so a caller builds a body with
//! `..Default::default()` and reads a response without guessing which fields the service chose
//! to send.
//!
//! # Round-trips are exact
//!
//! Parsing a body and serializing it again gives JSON equal to the original, so a
//! GET-modify-PUT loses nothing:
//!
//! - **Unknown fields** (newer api-versions, fields this crate does not name) are kept verbatim
//!   in each struct's `extra` map and written back.
//! - **Explicit `null`s.** A field the service sent as `null` reads as `None`, like an absent
//!   one, and the key is remembered in `extra` as `"key": null` so it is written back. A named
//!   field that is `Some` always wins over an `extra` entry with the same key: setting
//!   `ssl_configuration` on a compute whose GET said `"sslConfiguration": null` sends the new
//!   value, once. To send an explicit `null` yourself, put the key in `extra` with
//!   [`serde_json::Value::Null`].
//! - **Numbers** keep their JSON kind: counts are integers, and the one fractional field
//!   ([`OperationStatusResult::percent_complete`]) is a [`serde_json::Number`], so `50` stays
//!   `50` rather than becoming `50.0`.
//! - **Open enums** (the swagger's `modelAsString`) match known values ignoring ASCII case and
//!   write the canonical spelling; a value this crate does not know becomes `Unknown(text)` and
//!   is written back exactly as received.
//! - **Other compute types.** Only AKS is typed ([`Compute::Aks`]); every other `computeType`
//!   is kept as its raw JSON object ([`Compute::Other`]).
//!
//! # Secrets
//!
//! `Debug` never prints secret values: the TLS private key ([`SslConfiguration::key`]), the
//! kubeconfigs of [`AksComputeSecrets`] and [`CredentialResult::value`] show as `[redacted]`,
//! and so do secret-looking keys (`password`, `token`, `connectionString`, `...Key`, ...) inside
//! raw JSON that `Debug` prints for [`Compute::Other`] and the secret-bearing structs' `extra`.
//!
//! ```
//! use aml_model::wire::{AksCompute, AksProperties, Compute, ComputeResource, ClusterPurpose};
//!
//! let body = ComputeResource {
//!     location: Some("eastus".into()),
//!     properties: Some(Compute::Aks(AksCompute {
//!         properties: Some(AksProperties {
//!             agent_count: Some(3),
//!             agent_vm_size: Some("Standard_D3_v2".into()),
//!             cluster_purpose: Some(ClusterPurpose::FastProd),
//!             ..Default::default()
//!         }),
//!         ..Default::default()
//!     })),
//!     ..Default::default()
//! };
//! let json = serde_json::to_value(&body).unwrap();
//! assert_eq!(json["properties"]["computeType"], "AKS");
//! assert_eq!(json["properties"]["properties"]["agentCount"], 3);
//! ```

use std::fmt;

use serde_json::{Map, Value};

use crate::secret::REDACTED;

/// Declares a wire struct: the struct itself (with the given derives and docs, every field
/// public and an `extra` map appended), plus hand-written `Serialize`/`Deserialize` impls that
/// keep unknown fields and explicit `null`s in `extra` (see the module docs).
///
/// Each field is written `pub name: Option<T> = "wireName",` so the JSON spelling of every field
/// is visible next to it. Every field must be an `Option`; the struct must implement `Default`.
macro_rules! wire_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                pub $field:ident : $ty:ty = $wire:literal,
            )+
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = concat!("JSON: `", $wire, "`.")]
                pub $field: $ty,
            )+
            /// Fields this model does not name and explicit `null`s, kept verbatim so that
            /// serializing the value again writes them back.
            pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }

        impl $name {
            /// Writes the named fields that are set, then every `extra` entry that no set named
            /// field shadows, skipping the keys in `except`.
            pub(crate) fn serialize_fields<M: ::serde::ser::SerializeMap>(
                &self,
                map: &mut M,
                except: &[&str],
            ) -> ::std::result::Result<(), M::Error> {
                $(
                    if let Some(value) = &self.$field {
                        map.serialize_entry($wire, value)?;
                    }
                )+
                for (key, value) in &self.extra {
                    let shadowed = match key.as_str() {
                        $($wire => self.$field.is_some(),)+
                        _ => false,
                    };
                    if !shadowed && !except.contains(&key.as_str()) {
                        map.serialize_entry(key, value)?;
                    }
                }
                Ok(())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(None)?;
                self.serialize_fields(&mut map, &[])?;
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;

                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<$name, A::Error> {
                        let mut out = <$name as ::std::default::Default>::default();
                        while let Some(key) = map.next_key::<::std::string::String>()? {
                            match key.as_str() {
                                $(
                                    $wire => {
                                        if out.$field.is_some() {
                                            return Err(::serde::de::Error::duplicate_field($wire));
                                        }
                                        out.$field = map.next_value()?;
                                        if out.$field.is_none() {
                                            out.extra.insert(key, ::serde_json::Value::Null);
                                        }
                                    }
                                )+
                                _ => {
                                    let value: ::serde_json::Value = map.next_value()?;
                                    out.extra.insert(key, value);
                                }
                            }
                        }
                        Ok(out)
                    }
                }

                deserializer.deserialize_map(Visitor)
            }
        }
    };
}

/// Declares an open enum (the swagger's `modelAsString`): the known values, each written
/// `Variant = "Canonical"` (optionally `| "alias"`), plus `Unknown(String)`. Known values match
/// ignoring ASCII case and serialize in their canonical spelling; anything else is kept verbatim.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $variant:ident = $wire:literal $(| $alias:literal)*,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = concat!("JSON: `\"", $wire, "\"`.")]
                $variant,
            )+
            /// A value this crate does not know, kept exactly as the service spelled it.
            Unknown(::std::string::String),
        }

        impl $name {
            /// The wire spelling: canonical for a known value, the original text for `Unknown`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Unknown(text) => text,
                }
            }

            /// Reads a wire value, ignoring ASCII case; anything not known becomes `Unknown`.
            pub fn parse(text: &str) -> Self {
                $(
                    if text.eq_ignore_ascii_case($wire) $(|| text.eq_ignore_ascii_case($alias))* {
                        return Self::$variant;
                    }
                )+
                Self::Unknown(text.to_owned())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::parse(text))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::parse(text)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let text: ::std::string::String =
                    ::serde::Deserialize::deserialize(deserializer)?;
                Ok(Self::parse(&text))
            }
        }
    };
}

mod aks;
mod compute;
mod enums;
mod error;
mod kubernetes_version;
mod location;
mod managed_cluster;
mod operation;
mod resource;
mod service_tag;

pub use aks::{
    AksCompute, AksComputeSecrets, AksNetworkingConfiguration, AksProperties, SslConfiguration,
    SystemService,
};
pub use compute::{Compute, ComputeResource, PaginatedComputeResourcesList};
pub use enums::{
    AgentPoolMode, ClusterPurpose, ComputeType, KubernetesSupportPlan, LoadBalancerSku,
    LoadBalancerType, OperationStatus, OsType, OutboundType, ProvisioningState, SslConfigStatus,
};
pub use error::{ErrorAdditionalInfo, ErrorDetail, ErrorResponse};
pub use kubernetes_version::{
    KubernetesPatchVersion, KubernetesVersion, KubernetesVersionCapabilities,
    KubernetesVersionListResult, OrchestratorProfile, OrchestratorVersionProfile,
    OrchestratorVersionProfileListResult, OrchestratorVersionProfileProperties,
};
pub use location::{Location, LocationListResult, LocationMetadata, PairedRegion};
pub use managed_cluster::{
    AadProfile, AgentPool, AgentPoolListResult, AgentPoolProfile, ApiServerAccessProfile,
    CredentialResult, CredentialResults, ManagedCluster, ManagedClusterProperties, NetworkProfile,
};
pub use operation::OperationStatusResult;
pub use resource::{ManagedServiceIdentity, Sku, SystemData};
pub use service_tag::{
    ServiceTagInformation, ServiceTagInformationProperties, ServiceTagsListResult,
    machine_learning_tag,
};

/// Prints `[redacted]` in place of a secret value.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// `Some([redacted])` for a set secret, `None` otherwise: shows whether the secret is there.
fn redacted<T>(secret: Option<&T>) -> Option<Redacted> {
    secret.map(|_| Redacted)
}

/// Whether a JSON key names a secret (passwords, tokens, keys, connection strings, kubeconfigs).
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "connectionstring",
        "kubeconfig",
        "credential",
    ]
    .iter()
    .any(|word| key.contains(word))
        || (key.ends_with("key") && !key.ends_with("publickey"))
}

/// `Debug` for a raw JSON object with the values of secret-looking keys redacted, at any depth.
struct RedactedJson<'a>(&'a Map<String, Value>);

impl fmt::Debug for RedactedJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// One JSON value, with nested objects redacted too.
        struct Item<'a>(&'a Value);

        impl fmt::Debug for Item<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    Value::Object(map) => RedactedJson(map).fmt(f),
                    Value::Array(items) => f.debug_list().entries(items.iter().map(Item)).finish(),
                    other => other.fmt(f),
                }
            }
        }

        let mut out = f.debug_map();
        for (key, value) in self.0 {
            if is_secret_key(key) && !value.is_null() {
                out.entry(key, &Redacted);
            } else {
                out.entry(key, &Item(value));
            }
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secret_looking_keys() {
        for key in [
            "password",
            "adminPassword",
            "databricksAccessToken",
            "relayConnectionString",
            "userKubeConfig",
            "key",
            "primaryKey",
            "clientSecret",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "keyData",
            "publicKey",
            "sshPublicKey",
            "cert",
            "name",
            "monkeys",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn redacted_json_hides_nested_secrets_but_shows_the_rest() {
        let raw = json!({
            "computeType": "VirtualMachine",
            "properties": {
                "administratorAccount": {"username": "azureuser", "password": "hunter2"},
                "sshPort": 22,
                "items": [{"token": "t0ken"}],
                "privateKeyData": null
            }
        });
        let Value::Object(map) = raw else {
            unreachable!()
        };
        let shown = format!("{:?}", RedactedJson(&map));
        assert!(
            !shown.contains("hunter2") && !shown.contains("t0ken"),
            "{shown}"
        );
        assert!(
            shown.contains("azureuser") && shown.contains("VirtualMachine"),
            "{shown}"
        );
        assert!(shown.contains(REDACTED), "{shown}");
    }
}
