//! The Kubernetes versions AKS offers in a region: the current `kubernetesVersions` listing
//! (2024-09-01) and the older `orchestrators` one (2019-04-01).

use std::collections::BTreeMap;

use crate::wire::KubernetesSupportPlan;

wire_object! {
    /// The body of `ManagedClusters_ListKubernetesVersions` (`KubernetesVersionListResult`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct KubernetesVersionListResult {
        /// One entry per minor version.
        pub values: Option<Vec<KubernetesVersion>> = "values",
    }
}

impl KubernetesVersionListResult {
    /// The minor version AKS uses when none is given (`isDefault: true`).
    pub fn default_version(&self) -> Option<&KubernetesVersion> {
        self.values
            .iter()
            .flatten()
            .find(|version| version.is_default == Some(true))
    }
}

wire_object! {
    /// A Kubernetes minor version and its patch versions (`KubernetesVersion`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct KubernetesVersion {
        /// The `major.minor` version, such as `1.29`.
        pub version: Option<String> = "version",
        /// What the version supports.
        pub capabilities: Option<KubernetesVersionCapabilities> = "capabilities",
        /// Whether this is the default version.
        pub is_default: Option<bool> = "isDefault",
        /// Whether this version is in preview.
        pub is_preview: Option<bool> = "isPreview",
        /// The patch versions, keyed by full version (`1.29.4`).
        pub patch_versions: Option<BTreeMap<String, KubernetesPatchVersion>> = "patchVersions",
    }
}

wire_object! {
    /// What a Kubernetes version supports (`KubernetesVersionCapabilities`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct KubernetesVersionCapabilities {
        /// The support plans available for the version.
        pub support_plan: Option<Vec<KubernetesSupportPlan>> = "supportPlan",
    }
}

wire_object! {
    /// A patch version and where it can upgrade to (`KubernetesPatchVersion`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct KubernetesPatchVersion {
        /// The versions this patch version can upgrade to.
        pub upgrades: Option<Vec<String>> = "upgrades",
    }
}

wire_object! {
    /// The body of the older `ContainerServices_ListOrchestrators` (2019-04-01,
    /// `OrchestratorVersionProfileListResult`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct OrchestratorVersionProfileListResult {
        /// The id of the listing.
        pub id: Option<String> = "id",
        /// The name of the listing (`default`).
        pub name: Option<String> = "name",
        /// `Microsoft.ContainerService/locations/orchestrators`.
        pub type_: Option<String> = "type",
        /// The orchestrators.
        pub properties: Option<OrchestratorVersionProfileProperties> = "properties",
    }
}

wire_object! {
    /// The orchestrator list (`OrchestratorVersionProfileProperties`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct OrchestratorVersionProfileProperties {
        /// One entry per orchestrator version.
        pub orchestrators: Option<Vec<OrchestratorVersionProfile>> = "orchestrators",
    }
}

wire_object! {
    /// An orchestrator version and its upgrades (`OrchestratorVersionProfile`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct OrchestratorVersionProfile {
        /// The orchestrator, such as `Kubernetes`.
        pub orchestrator_type: Option<String> = "orchestratorType",
        /// The version, such as `1.12.7`.
        pub orchestrator_version: Option<String> = "orchestratorVersion",
        /// Whether this version is installed when none is given.
        pub default: Option<bool> = "default",
        /// Whether this version is in preview.
        pub is_preview: Option<bool> = "isPreview",
        /// The versions it can upgrade to.
        pub upgrades: Option<Vec<OrchestratorProfile>> = "upgrades",
    }
}

wire_object! {
    /// An upgrade target in the orchestrator list (`OrchestratorProfile`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct OrchestratorProfile {
        /// The orchestrator (often empty in upgrade entries).
        pub orchestrator_type: Option<String> = "orchestratorType",
        /// The version.
        pub orchestrator_version: Option<String> = "orchestratorVersion",
        /// Whether this version is in preview.
        pub is_preview: Option<bool> = "isPreview",
    }
}

impl OrchestratorVersionProfileListResult {
    /// The Kubernetes entries (orchestrator type `Kubernetes`, ignoring case).
    pub fn kubernetes(&self) -> impl Iterator<Item = &OrchestratorVersionProfile> {
        self.properties
            .iter()
            .flat_map(|properties| properties.orchestrators.iter().flatten())
            .filter(|profile| {
                profile
                    .orchestrator_type
                    .as_deref()
                    .is_some_and(|kind| kind.eq_ignore_ascii_case("Kubernetes"))
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn versions_listing_is_typed() {
        let body = json!({"values": [
            {"version": "1.29", "isDefault": true,
             "capabilities": {"supportPlan": ["KubernetesOfficial", "AKSLongTermSupport"]},
             "patchVersions": {"1.29.4": {"upgrades": ["1.30.0"]}, "1.29.2": {"upgrades": []}}},
            {"version": "1.30", "isPreview": true, "capabilities": {"supportPlan": ["FutureTier"]}}
        ]});
        let list: KubernetesVersionListResult = serde_json::from_value(body.clone()).unwrap();
        let default = list.default_version().unwrap();
        assert_eq!(default.version.as_deref(), Some("1.29"));
        let plans = default
            .capabilities
            .as_ref()
            .unwrap()
            .support_plan
            .as_ref()
            .unwrap();
        assert_eq!(plans[1], KubernetesSupportPlan::AksLongTermSupport);
        assert_eq!(
            default.patch_versions.as_ref().unwrap()["1.29.4"].upgrades,
            Some(vec!["1.30.0".to_owned()])
        );
        let preview = &list.values.as_ref().unwrap()[1];
        assert_eq!(
            preview
                .capabilities
                .as_ref()
                .unwrap()
                .support_plan
                .as_ref()
                .unwrap()[0],
            KubernetesSupportPlan::Unknown("FutureTier".into())
        );
        assert_eq!(serde_json::to_value(&list).unwrap(), body);
    }

    #[test]
    fn orchestrators_listing_is_typed() {
        let body = json!({
            "id": "/subscriptions/s/providers/Microsoft.ContainerService/locations/eastus/orchestrators",
            "name": "default",
            "type": "Microsoft.ContainerService/locations/orchestrators",
            "properties": {"orchestrators": [
                {"orchestratorType": "DCOS", "orchestratorVersion": "1.10.0"},
                {"orchestratorType": "Kubernetes", "orchestratorVersion": "1.12.7", "default": true,
                 "upgrades": [{"orchestratorType": "", "orchestratorVersion": "1.13.5", "isPreview": false}]}
            ]}
        });
        let list: OrchestratorVersionProfileListResult =
            serde_json::from_value(body.clone()).unwrap();
        let kubernetes: Vec<_> = list.kubernetes().collect();
        assert_eq!(kubernetes.len(), 1);
        assert_eq!(kubernetes[0].default, Some(true));
        let upgrade = &kubernetes[0].upgrades.as_ref().unwrap()[0];
        assert_eq!(upgrade.orchestrator_version.as_deref(), Some("1.13.5"));
        assert_eq!(serde_json::to_value(&list).unwrap(), body);
    }
}
