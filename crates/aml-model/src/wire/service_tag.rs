//! The Microsoft.Network service tags of a region (`GET
//! /subscriptions/{id}/providers/Microsoft.Network/locations/{location}/serviceTags`,
//! api-version 2024-05-01, swagger `serviceTags.json`): the published address prefixes of Azure
//! services, such as `AzureMachineLearning.<Region>`, the Azure Machine Learning control plane.

wire_object! {
    /// The service tags of a cloud (Network `ServiceTagsListResult`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ServiceTagsListResult {
        /// The name of the cloud, such as `public`.
        pub name: Option<String> = "name",
        /// The ARM resource id.
        pub id: Option<String> = "id",
        /// `Microsoft.Network/serviceTags`.
        pub type_: Option<String> = "type",
        /// The iteration number of the whole list.
        pub change_number: Option<String> = "changeNumber",
        /// The cloud, such as `Public`.
        pub cloud: Option<String> = "cloud",
        /// The tags.
        pub values: Option<Vec<ServiceTagInformation>> = "values",
        /// The next page, if any.
        pub next_link: Option<String> = "nextLink",
    }
}

impl ServiceTagsListResult {
    /// The tag named `name` (ASCII case-insensitive, as ARM compares names).
    pub fn tag(&self, name: &str) -> Option<&ServiceTagInformation> {
        self.values
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|tag| {
                tag.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
    }
}

wire_object! {
    /// One service tag (Network `ServiceTagInformation`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ServiceTagInformation {
        /// The tag's name, such as `AzureMachineLearning.WestEurope`.
        pub name: Option<String> = "name",
        /// The tag's id (equal to its name).
        pub id: Option<String> = "id",
        /// The iteration number of this tag.
        pub service_tag_change_number: Option<String> = "serviceTagChangeNumber",
        /// The tag's properties.
        pub properties: Option<ServiceTagInformationProperties> = "properties",
    }
}

impl ServiceTagInformation {
    /// The tag's address prefixes, as the service wrote them (CIDR strings, IPv4 and IPv6).
    pub fn address_prefixes(&self) -> &[String] {
        self.properties
            .as_ref()
            .and_then(|p| p.address_prefixes.as_deref())
            .unwrap_or_default()
    }
}

wire_object! {
    /// The properties of a service tag (Network `ServiceTagInformationPropertiesFormat`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ServiceTagInformationProperties {
        /// The iteration number of the tag.
        pub change_number: Option<String> = "changeNumber",
        /// The region of the tag; empty for a global tag.
        pub region: Option<String> = "region",
        /// The service the tag belongs to, such as `AzureMachineLearning`.
        pub system_service: Option<String> = "systemService",
        /// The address prefixes (CIDR).
        pub address_prefixes: Option<Vec<String>> = "addressPrefixes",
        /// The state of the tag.
        pub state: Option<String> = "state",
    }
}

/// The name of the service tag of the Azure Machine Learning control plane in `region`, a
/// location name such as `westeurope` or a display name such as `West Europe`. The service
/// writes `AzureMachineLearning.WestEurope`; [`ServiceTagsListResult::tag`] compares names
/// without case, so `AzureMachineLearning.westeurope` finds it.
pub fn machine_learning_tag(region: &str) -> String {
    let compact: String = region.chars().filter(|c| !c.is_whitespace()).collect();
    format!("AzureMachineLearning.{compact}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_tag_by_name_in_any_case_and_reads_its_prefixes() {
        let list: ServiceTagsListResult = serde_json::from_value(serde_json::json!({
            "values": [
                {"name": "AzureMachineLearning.WestEurope", "id": "AzureMachineLearning.WestEurope",
                 "properties": {"region": "westeurope", "systemService": "AzureMachineLearning",
                                "addressPrefixes": ["20.50.0.0/28", "2603:1020::/120"]}},
            ]
        }))
        .unwrap();
        let tag = list.tag(&machine_learning_tag("westeurope")).unwrap();
        assert_eq!(tag.address_prefixes(), ["20.50.0.0/28", "2603:1020::/120"]);
        assert!(list.tag(&machine_learning_tag("West Europe")).is_some());
        assert!(list.tag("AzureMachineLearning.NorthEurope").is_none());
    }
}
