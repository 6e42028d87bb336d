//! The compute resource (`Microsoft.MachineLearningServices/workspaces/computes`) and its list.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::Error as _;
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::wire::{AksCompute, ComputeType, ManagedServiceIdentity, RedactedJson, Sku, SystemData};

/// The JSON key of the compute type tag.
const COMPUTE_TYPE: &str = "computeType";

wire_object! {
    /// A Machine Learning compute in its ARM envelope (swagger `ComputeResource`): the body of
    /// a compute GET, and of a create-or-update PUT.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ComputeResource {
        /// The ARM resource id (read only).
        pub id: Option<String> = "id",
        /// The compute name (read only).
        pub name: Option<String> = "name",
        /// `Microsoft.MachineLearningServices/workspaces/computes` (read only).
        pub type_: Option<String> = "type",
        /// The Azure region of the compute resource.
        pub location: Option<String> = "location",
        /// Resource tags.
        pub tags: Option<BTreeMap<String, String>> = "tags",
        /// The SKU.
        pub sku: Option<Sku> = "sku",
        /// The managed identity.
        pub identity: Option<ManagedServiceIdentity> = "identity",
        /// Creation and modification metadata (read only).
        pub system_data: Option<SystemData> = "systemData",
        /// The compute itself, tagged by `computeType`.
        pub properties: Option<Compute> = "properties",
    }
}

impl ComputeResource {
    /// The AKS compute, if this is one.
    pub fn aks(&self) -> Option<&AksCompute> {
        self.properties.as_ref().and_then(Compute::as_aks)
    }

    /// The AKS compute, mutably, if this is one (for GET-modify-PUT).
    pub fn aks_mut(&mut self) -> Option<&mut AksCompute> {
        self.properties.as_mut().and_then(Compute::as_aks_mut)
    }
}

/// The `properties` of a compute resource, tagged by `computeType` (swagger `Compute`).
///
/// `AKS` (matched ignoring case, written back as `AKS`) is typed; every other compute type,
/// including ones this crate has never heard of, is kept as its raw JSON object, `computeType`
/// included, so nothing is lost. `Debug` redacts secret-looking keys in that raw JSON.
#[derive(Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "AKS is the case this crate exists for; boxing it would only make bodies harder \
              to build and match"
)]
pub enum Compute {
    /// `computeType: "AKS"`.
    Aks(AksCompute),
    /// Any other compute type: the whole JSON object, verbatim.
    Other(Map<String, Value>),
}

impl Compute {
    /// The compute type: `AKS`, or what the raw object says.
    pub fn compute_type(&self) -> ComputeType {
        match self {
            Self::Aks(_) => ComputeType::Aks,
            Self::Other(raw) => {
                ComputeType::parse(raw.get(COMPUTE_TYPE).and_then(Value::as_str).unwrap_or(""))
            }
        }
    }

    /// The AKS compute, if this is one.
    pub fn as_aks(&self) -> Option<&AksCompute> {
        match self {
            Self::Aks(aks) => Some(aks),
            Self::Other(_) => None,
        }
    }

    /// The AKS compute, mutably, if this is one.
    pub fn as_aks_mut(&mut self) -> Option<&mut AksCompute> {
        match self {
            Self::Aks(aks) => Some(aks),
            Self::Other(_) => None,
        }
    }
}

impl From<AksCompute> for Compute {
    fn from(aks: AksCompute) -> Self {
        Self::Aks(aks)
    }
}

impl fmt::Debug for Compute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aks(aks) => f.debug_tuple("Aks").field(aks).finish(),
            Self::Other(raw) => f.debug_tuple("Other").field(&RedactedJson(raw)).finish(),
        }
    }
}

impl Serialize for Compute {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Aks(aks) => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry(COMPUTE_TYPE, &ComputeType::Aks)?;
                aks.serialize_fields(&mut map, &[COMPUTE_TYPE])?;
                map.end()
            }
            Self::Other(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Compute {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut raw = Map::<String, Value>::deserialize(deserializer)?;
        let compute_type = match raw.get(COMPUTE_TYPE) {
            None => return Err(D::Error::missing_field(COMPUTE_TYPE)),
            Some(Value::String(text)) => ComputeType::parse(text),
            Some(other) => {
                return Err(D::Error::custom(format_args!(
                    "`{COMPUTE_TYPE}` must be a string, found {other}"
                )));
            }
        };
        match compute_type {
            ComputeType::Aks => {
                raw.remove(COMPUTE_TYPE);
                AksCompute::deserialize(Value::Object(raw))
                    .map(Self::Aks)
                    .map_err(D::Error::custom)
            }
            _ => Ok(Self::Other(raw)),
        }
    }
}

wire_object! {
    /// One page of computes (swagger `PaginatedComputeResourcesList`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct PaginatedComputeResourcesList {
        /// The computes on this page.
        pub value: Option<Vec<ComputeResource>> = "value",
        /// The URL of the next page, absent on the last page.
        pub next_link: Option<String> = "nextLink",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::secret::REDACTED;
    use crate::wire::{AksProperties, ClusterPurpose, LoadBalancerType, ProvisioningState};

    const ID: &str = "/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourceGroups/testrg123/providers/Microsoft.MachineLearningServices/workspaces/workspaces123/computes/compute123";

    #[test]
    fn aks_compute_is_typed() {
        let body = json!({
            "id": ID,
            "type": "Microsoft.MachineLearningServices/workspaces/computes",
            "name": "compute123",
            "location": "eastus",
            "tags": {"team": "scoring"},
            "systemData": {"createdBy": "me@contoso.com", "createdByType": "User",
                           "createdAt": "2024-05-01T10:00:00Z"},
            "properties": {
                "description": "some compute",
                "computeType": "AKS",
                "provisioningState": "Succeeded",
                "properties": {"agentCount": 4, "clusterPurpose": "FastProd"}
            }
        });
        let compute: ComputeResource = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(
            compute.type_.as_deref(),
            Some("Microsoft.MachineLearningServices/workspaces/computes")
        );
        assert_eq!(compute.tags.as_ref().unwrap()["team"], "scoring");
        assert_eq!(
            compute
                .system_data
                .as_ref()
                .unwrap()
                .created_by_type
                .as_deref(),
            Some("User")
        );
        let aks = compute.aks().expect("AKS is typed");
        assert_eq!(aks.provisioning_state, Some(ProvisioningState::Succeeded));
        assert!(
            aks.extra.is_empty(),
            "computeType is the tag, not an extra field"
        );
        assert_eq!(aks.properties.as_ref().unwrap().agent_count, Some(4));
        assert_eq!(serde_json::to_value(&compute).unwrap(), body);
    }

    #[test]
    fn compute_type_tag_is_matched_ignoring_case() {
        let compute: Compute = serde_json::from_value(json!({"computeType": "aks"})).unwrap();
        assert_eq!(compute.compute_type(), ComputeType::Aks);
        assert!(compute.as_aks().is_some());
        assert_eq!(
            serde_json::to_value(&compute).unwrap(),
            json!({"computeType": "AKS"})
        );
    }

    #[test]
    fn unknown_and_other_compute_types_are_kept_verbatim() {
        let future = json!({
            "computeType": "QuantumAnnealer",
            "provisioningState": "Succeeded",
            "properties": {"qubits": 5000, "calibration": null, "ratio": 0.5}
        });
        let compute: Compute = serde_json::from_value(future.clone()).unwrap();
        assert_eq!(
            compute.compute_type(),
            ComputeType::Unknown("QuantumAnnealer".into())
        );
        assert!(matches!(&compute, Compute::Other(raw) if raw == future.as_object().unwrap()));
        assert_eq!(serde_json::to_value(&compute).unwrap(), future);

        let aml = json!({"computeType": "AmlCompute", "properties": {"vmSize": "STANDARD_NC6",
                         "errors": null, "scaleSettings": {"maxNodeCount": 1}}});
        let compute: Compute = serde_json::from_value(aml.clone()).unwrap();
        assert_eq!(compute.compute_type(), ComputeType::AmlCompute);
        assert_eq!(serde_json::to_value(&compute).unwrap(), aml);
    }

    #[test]
    fn compute_without_a_string_type_is_an_error() {
        let err = serde_json::from_value::<Compute>(json!({"description": "x"})).unwrap_err();
        assert!(
            err.to_string().contains("missing field `computeType`"),
            "{err}"
        );
        let err = serde_json::from_value::<Compute>(json!({"computeType": 3})).unwrap_err();
        assert!(err.to_string().contains("must be a string"), "{err}");
        let err = serde_json::from_value::<Compute>(
            json!({"computeType": "AKS", "properties": {"agentCount": "x"}}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
    }

    #[test]
    fn a_request_body_built_from_defaults_sends_only_what_was_set() {
        let body = ComputeResource {
            location: Some("eastus".into()),
            properties: Some(
                AksCompute {
                    compute_location: Some("eastus".into()),
                    properties: Some(AksProperties {
                        agent_count: Some(3),
                        agent_vm_size: Some("Standard_D3_v2".into()),
                        cluster_purpose: Some(ClusterPurpose::FastProd),
                        load_balancer_type: Some(LoadBalancerType::PublicIp),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
                .into(),
            ),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "location": "eastus",
                "properties": {
                    "computeType": "AKS",
                    "computeLocation": "eastus",
                    "properties": {
                        "agentCount": 3,
                        "agentVmSize": "Standard_D3_v2",
                        "clusterPurpose": "FastProd",
                        "loadBalancerType": "PublicIp"
                    }
                }
            })
        );
    }

    #[test]
    fn get_modify_put_keeps_what_the_model_does_not_know() {
        let get = json!({
            "id": ID,
            "location": "eastus",
            "tags": null,
            "futureEnvelopeField": {"x": 1},
            "properties": {
                "computeType": "AKS",
                "resourceId": null,
                "futureComputeField": "kept",
                "properties": {"agentCount": 3, "sslConfiguration": null, "futureAksField": [1]}
            }
        });
        let mut compute: ComputeResource = serde_json::from_value(get.clone()).unwrap();
        compute
            .aks_mut()
            .unwrap()
            .properties
            .as_mut()
            .unwrap()
            .agent_count = Some(5);
        let mut expected = get;
        expected["properties"]["properties"]["agentCount"] = json!(5);
        assert_eq!(serde_json::to_value(&compute).unwrap(), expected);
    }

    #[test]
    fn debug_of_other_computes_redacts_secret_looking_fields() {
        let compute: Compute = serde_json::from_value(json!({
            "computeType": "Kubernetes",
            "properties": {"namespace": "default", "relayConnectionString": "Endpoint=sb://x;SharedAccessKey=abc"}
        }))
        .unwrap();
        let shown = format!("{compute:?}");
        assert!(!shown.contains("SharedAccessKey"), "{shown}");
        assert!(
            shown.contains(REDACTED) && shown.contains("default"),
            "{shown}"
        );
    }

    #[test]
    fn list_page_round_trips() {
        let body = json!({
            "value": [
                {"id": ID, "name": "compute123", "properties": {"computeType": "AKS"}},
                {"name": "cpu", "properties": {"computeType": "AmlCompute", "properties": null}}
            ],
            "nextLink": "https://management.azure.com/next?page=2"
        });
        let page: PaginatedComputeResourcesList = serde_json::from_value(body.clone()).unwrap();
        let value = page.value.as_ref().unwrap();
        assert!(value[0].aks().is_some());
        assert_eq!(
            value[1].properties.as_ref().unwrap().compute_type(),
            ComputeType::AmlCompute
        );
        assert_eq!(serde_json::to_value(&page).unwrap(), body);
    }
}
