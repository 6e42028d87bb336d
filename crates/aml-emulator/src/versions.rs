//! The Kubernetes versions AKS offers per location: the table the emulator serves as
//! `kubernetesVersions` and `orchestrators`, and checks attachments against (R14).

use std::collections::BTreeMap;

use aml_model::wire::{
    KubernetesPatchVersion, KubernetesSupportPlan, KubernetesVersion,
    KubernetesVersionCapabilities, KubernetesVersionListResult, OrchestratorProfile,
    OrchestratorVersionProfile, OrchestratorVersionProfileListResult,
    OrchestratorVersionProfileProperties,
};
use serde::{Deserialize, Serialize};

/// The Kubernetes versions per location: `default` for every location not listed in
/// `locations`.
///
/// ```yaml
/// default:
///   - { version: "1.30", isDefault: true, patches: ["1.30.4", "1.30.5"] }
///   - { version: "1.29", patches: ["1.29.7"] }
/// locations:
///   westeurope:
///     - { version: "1.29", isDefault: true, patches: ["1.29.7"] }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionTable {
    /// The versions of every location not in `locations`.
    pub default: Vec<MinorVersion>,
    /// Locations with their own list (names compared ignoring case and spaces).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locations: BTreeMap<String, Vec<MinorVersion>>,
}

/// One Kubernetes minor version and its patch versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MinorVersion {
    /// The `major.minor` version, such as `1.30`.
    pub version: String,
    /// Whether AKS uses this version when none is given (exactly one per list).
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_default: bool,
    /// Whether the version is in preview.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_preview: bool,
    /// Whether AKS long-term support is offered for it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub long_term_support: bool,
    /// The patch versions, oldest first, such as `1.30.4`.
    pub patches: Vec<String>,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_false(value: &bool) -> bool {
    !*value
}

impl MinorVersion {
    /// A minor version with its patches, neither default nor preview.
    pub fn new(version: impl Into<String>, patches: &[&str]) -> Self {
        Self {
            version: version.into(),
            is_default: false,
            is_preview: false,
            long_term_support: false,
            patches: patches.iter().map(|&patch| patch.to_owned()).collect(),
        }
    }

    /// Marks this version as the default.
    #[must_use]
    pub fn default_version(mut self) -> Self {
        self.is_default = true;
        self
    }

    /// Marks this version as a preview.
    #[must_use]
    pub fn preview(mut self) -> Self {
        self.is_preview = true;
        self
    }

    /// Marks this version as offering long-term support.
    #[must_use]
    pub fn long_term_support(mut self) -> Self {
        self.long_term_support = true;
        self
    }
}

impl Default for VersionTable {
    /// The built-in table: 1.28 (long-term support), 1.29, 1.30 (default) and 1.31 (preview),
    /// everywhere.
    fn default() -> Self {
        Self {
            default: vec![
                MinorVersion::new("1.28", &["1.28.9", "1.28.13"]).long_term_support(),
                MinorVersion::new("1.29", &["1.29.7", "1.29.9"]),
                MinorVersion::new("1.30", &["1.30.4", "1.30.5"]).default_version(),
                MinorVersion::new("1.31", &["1.31.1"]).preview(),
            ],
            locations: BTreeMap::new(),
        }
    }
}

/// A location name as ARM compares it: lower case, without spaces (`East US` is `eastus`).
pub(crate) fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The `major.minor` part of a version (`1.30.4` gives `1.30`).
pub(crate) fn minor_of(version: &str) -> &str {
    let mut dots = version.match_indices('.').map(|(index, _)| index);
    match (dots.next(), dots.next()) {
        (Some(_), Some(second)) => &version[..second],
        _ => version,
    }
}

/// Whether `text` looks like `1.30` or `1.30.4`.
pub(crate) fn is_version(text: &str, parts: std::ops::RangeInclusive<usize>) -> bool {
    let pieces: Vec<&str> = text.split('.').collect();
    parts.contains(&pieces.len())
        && pieces
            .iter()
            .all(|piece| !piece.is_empty() && piece.chars().all(|c| c.is_ascii_digit()))
}

impl VersionTable {
    /// The list for `location`.
    pub(crate) fn for_location(&self, location: &str) -> &[MinorVersion] {
        let wanted = normalize_location(location);
        self.locations
            .iter()
            .find(|(name, _)| normalize_location(name) == wanted)
            .map_or(&self.default, |(_, versions)| versions)
    }

    /// The newest patch of the default minor version in `location` (what creation uses, R14).
    pub(crate) fn default_patch(&self, location: &str) -> Option<&str> {
        let versions = self.for_location(location);
        versions
            .iter()
            .find(|minor| minor.is_default)
            .or_else(|| versions.iter().rfind(|minor| !minor.is_preview))
            .and_then(|minor| minor.patches.last())
            .map(String::as_str)
    }

    /// Whether a cluster running `version` (`1.30.4` or `1.30`) can be attached in `location`:
    /// its minor version is in the location's list.
    pub(crate) fn supports(&self, location: &str, version: &str) -> bool {
        let minor = minor_of(version);
        self.for_location(location)
            .iter()
            .any(|entry| entry.version == minor)
    }

    /// The minor versions of `location`, as a list for error messages.
    pub(crate) fn supported_list(&self, location: &str) -> String {
        self.for_location(location)
            .iter()
            .map(|minor| minor.version.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every problem with the table, each naming where it is.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let lists = std::iter::once(("default", &self.default)).chain(
            self.locations
                .iter()
                .map(|(name, list)| (name.as_str(), list)),
        );
        for (name, list) in lists {
            if list.is_empty() {
                problems.push(format!("kubernetesVersions.{name} is empty"));
            }
            let defaults = list.iter().filter(|minor| minor.is_default).count();
            if defaults > 1 {
                problems.push(format!(
                    "kubernetesVersions.{name} has {defaults} default versions; at most one may be"
                ));
            }
            for minor in list {
                if !is_version(&minor.version, 2..=2) {
                    problems.push(format!(
                        "kubernetesVersions.{name}: {:?} is not a major.minor version",
                        minor.version
                    ));
                }
                if minor.patches.is_empty() {
                    problems.push(format!(
                        "kubernetesVersions.{name}: {} has no patch versions",
                        minor.version
                    ));
                }
                for patch in &minor.patches {
                    if !is_version(patch, 3..=3) || minor_of(patch) != minor.version {
                        problems.push(format!(
                            "kubernetesVersions.{name}: {patch:?} is not a patch of {}",
                            minor.version
                        ));
                    }
                }
            }
        }
        problems
    }

    /// Every patch of `location` in order, with its minor version entry.
    fn patches<'a>(
        &'a self,
        location: &str,
    ) -> impl Iterator<Item = (&'a MinorVersion, &'a str)> + 'a {
        self.for_location(location).iter().flat_map(|minor| {
            minor
                .patches
                .iter()
                .map(move |patch| (minor, patch.as_str()))
        })
    }

    /// The versions a patch can upgrade to: later patches of its minor version and every patch
    /// of the next minor version.
    fn upgrades<'a>(&'a self, location: &str, from: &str) -> Vec<(&'a MinorVersion, &'a str)> {
        let list = self.for_location(location);
        let Some(position) = list
            .iter()
            .position(|minor| minor.version == minor_of(from))
        else {
            return Vec::new();
        };
        let mut out: Vec<_> = list[position]
            .patches
            .iter()
            .skip_while(|patch| patch.as_str() != from)
            .skip(1)
            .map(|patch| (&list[position], patch.as_str()))
            .collect();
        if let Some(next) = list.get(position + 1) {
            out.extend(next.patches.iter().map(|patch| (next, patch.as_str())));
        }
        out
    }

    /// The body of `ManagedClusters_ListKubernetesVersions` for `location`.
    pub(crate) fn kubernetes_versions(&self, location: &str) -> KubernetesVersionListResult {
        let values = self
            .for_location(location)
            .iter()
            .map(|minor| {
                let mut plans = vec![KubernetesSupportPlan::KubernetesOfficial];
                if minor.long_term_support {
                    plans.push(KubernetesSupportPlan::AksLongTermSupport);
                }
                let patch_versions = minor
                    .patches
                    .iter()
                    .map(|patch| {
                        let upgrades = self
                            .upgrades(location, patch)
                            .into_iter()
                            .map(|(_, to)| to.to_owned())
                            .collect();
                        (
                            patch.clone(),
                            KubernetesPatchVersion {
                                upgrades: Some(upgrades),
                                ..Default::default()
                            },
                        )
                    })
                    .collect();
                KubernetesVersion {
                    version: Some(minor.version.clone()),
                    capabilities: Some(KubernetesVersionCapabilities {
                        support_plan: Some(plans),
                        ..Default::default()
                    }),
                    is_default: minor.is_default.then_some(true),
                    is_preview: minor.is_preview.then_some(true),
                    patch_versions: Some(patch_versions),
                    ..Default::default()
                }
            })
            .collect();
        KubernetesVersionListResult {
            values: Some(values),
            ..Default::default()
        }
    }

    /// The body of the older `ContainerServices_ListOrchestrators` for `location`.
    pub(crate) fn orchestrators(
        &self,
        subscription: &str,
        location: &str,
    ) -> OrchestratorVersionProfileListResult {
        let default = self.default_patch(location);
        let orchestrators = self
            .patches(location)
            .map(|(minor, patch)| {
                let upgrades: Vec<_> = self
                    .upgrades(location, patch)
                    .into_iter()
                    .map(|(to_minor, to)| OrchestratorProfile {
                        orchestrator_type: Some(String::new()),
                        orchestrator_version: Some(to.to_owned()),
                        is_preview: Some(to_minor.is_preview),
                        ..Default::default()
                    })
                    .collect();
                OrchestratorVersionProfile {
                    orchestrator_type: Some("Kubernetes".to_owned()),
                    orchestrator_version: Some(patch.to_owned()),
                    default: (Some(patch) == default).then_some(true),
                    is_preview: minor.is_preview.then_some(true),
                    upgrades: (!upgrades.is_empty()).then_some(upgrades),
                    ..Default::default()
                }
            })
            .collect();
        OrchestratorVersionProfileListResult {
            id: Some(format!(
                "/subscriptions/{subscription}/providers/Microsoft.ContainerService/locations/{location}/orchestrators"
            )),
            name: Some("default".to_owned()),
            type_: Some("Microsoft.ContainerService/locations/orchestrators".to_owned()),
            properties: Some(OrchestratorVersionProfileProperties {
                orchestrators: Some(orchestrators),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_is_valid_and_has_one_default() {
        let table = VersionTable::default();
        assert!(table.problems().is_empty(), "{:?}", table.problems());
        assert_eq!(table.default_patch("East US"), Some("1.30.5"));
        assert!(table.supports("eastus", "1.29.7"));
        assert!(table.supports("eastus", "1.29.99"));
        assert!(!table.supports("eastus", "1.25.11"));
        assert_eq!(table.supported_list("x"), "1.28, 1.29, 1.30, 1.31");
    }

    #[test]
    fn locations_override_the_default_list() {
        let mut table = VersionTable::default();
        table.locations.insert(
            "West Europe".into(),
            vec![MinorVersion::new("1.27", &["1.27.3"]).default_version()],
        );
        assert_eq!(table.default_patch("westeurope"), Some("1.27.3"));
        assert!(!table.supports("westeurope", "1.30.4"));
        assert!(table.supports("eastus", "1.30.4"));
    }

    #[test]
    fn upgrades_go_to_later_patches_and_the_next_minor() {
        let table = VersionTable::default();
        let list = table.kubernetes_versions("eastus");
        let values = list.values.as_ref().unwrap();
        let v129 = values[1].patch_versions.as_ref().unwrap();
        assert_eq!(
            v129["1.29.7"].upgrades.as_deref().unwrap(),
            ["1.29.9", "1.30.4", "1.30.5"]
        );
        assert_eq!(
            list.default_version().unwrap().version.as_deref(),
            Some("1.30")
        );
        let orchestrators = table.orchestrators("sub", "eastus");
        let defaults: Vec<_> = orchestrators
            .kubernetes()
            .filter(|profile| profile.default == Some(true))
            .collect();
        assert_eq!(defaults.len(), 1);
        assert_eq!(defaults[0].orchestrator_version.as_deref(), Some("1.30.5"));
    }

    #[test]
    fn bad_tables_are_reported() {
        let table = VersionTable {
            default: vec![
                MinorVersion::new("1.30", &["1.29.1"]).default_version(),
                MinorVersion::new("x", &[]).default_version(),
            ],
            locations: BTreeMap::new(),
        };
        let problems = table.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn version_helpers() {
        assert_eq!(minor_of("1.30.4"), "1.30");
        assert_eq!(minor_of("1.30"), "1.30");
        assert!(is_version("1.30.4", 3..=3));
        assert!(!is_version("1.30.", 3..=3));
        assert_eq!(normalize_location("East US 2"), "eastus2");
    }
}
