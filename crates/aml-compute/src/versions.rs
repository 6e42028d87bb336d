//! Kubernetes versions a region supports (R14): `az aks get-versions`, as data.

use std::fmt;

use aml_model::wire::{KubernetesVersionListResult, OrchestratorVersionProfileListResult};

/// One supported Kubernetes version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesVersionInfo {
    /// The version (`1.29` in the current API, `1.29.4` in the older one).
    pub version: String,
    /// Whether new clusters get this version by default.
    pub is_default: bool,
    /// Whether it is a preview.
    pub is_preview: bool,
    /// Patch versions (`1.29.4`, `1.29.5`, ...), when the service lists them.
    pub patch_versions: Vec<String>,
}

/// The Kubernetes versions of one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesVersions {
    /// The region.
    pub location: String,
    /// The versions, in the service's order.
    pub versions: Vec<KubernetesVersionInfo>,
}

impl KubernetesVersions {
    /// From the current `kubernetesVersions` listing.
    pub fn from_list(location: &str, list: &KubernetesVersionListResult) -> Self {
        let versions = list
            .values
            .iter()
            .flatten()
            .filter_map(|v| {
                Some(KubernetesVersionInfo {
                    version: v.version.clone()?,
                    is_default: v.is_default.unwrap_or(false),
                    is_preview: v.is_preview.unwrap_or(false),
                    patch_versions: v
                        .patch_versions
                        .as_ref()
                        .map(|p| sorted_versions(p.keys().cloned().collect()))
                        .unwrap_or_default(),
                })
            })
            .collect();
        Self {
            location: location.to_owned(),
            versions,
        }
    }

    /// From the older `orchestrators` listing (api-version 2019-04-01).
    pub fn from_orchestrators(location: &str, list: &OrchestratorVersionProfileListResult) -> Self {
        let versions = list
            .kubernetes()
            .filter_map(|o| {
                Some(KubernetesVersionInfo {
                    version: o.orchestrator_version.clone()?,
                    is_default: o.default.unwrap_or(false),
                    is_preview: o.is_preview.unwrap_or(false),
                    patch_versions: Vec::new(),
                })
            })
            .collect();
        Self {
            location: location.to_owned(),
            versions,
        }
    }

    /// The default version for new clusters (what creating uses, R14).
    pub fn default_version(&self) -> Option<&KubernetesVersionInfo> {
        self.versions.iter().find(|v| v.is_default)
    }

    /// Whether a cluster running `version` is supported: its exact version or patch is listed,
    /// or (for listings by minor version) its `major.minor` is.
    pub fn supports(&self, version: &str) -> bool {
        let version = version.trim().trim_start_matches('v');
        let minor = major_minor(version);
        self.versions.iter().any(|v| {
            v.version == version
                || v.patch_versions.iter().any(|p| p == version)
                || (v.patch_versions.is_empty()
                    && minor.is_some()
                    && major_minor(&v.version) == minor
                    && v.version.matches('.').count() == 1)
        })
    }

    /// Every supported version, for error messages (patches spelled out where listed).
    pub fn supported_list(&self) -> Vec<String> {
        self.versions
            .iter()
            .flat_map(|v| {
                if v.patch_versions.is_empty() {
                    vec![v.version.clone()]
                } else {
                    v.patch_versions.clone()
                }
            })
            .collect()
    }
}

/// Sorts versions numerically (`1.28.9` before `1.28.13`), text after numbers.
fn sorted_versions(mut versions: Vec<String>) -> Vec<String> {
    versions.sort_by_cached_key(|v| {
        v.split('.')
            .map(|part| {
                part.parse::<u64>()
                    .map_or((1, 0, part.to_owned()), |n| (0, n, String::new()))
            })
            .collect::<Vec<_>>()
    });
    versions
}

fn major_minor(version: &str) -> Option<&str> {
    let mut dots = version.match_indices('.');
    let _first = dots.next()?;
    Some(dots.next().map_or(version, |(i, _)| &version[..i]))
}

impl fmt::Display for KubernetesVersions {
    /// One version per line, the default marked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Kubernetes versions in {}:", self.location)?;
        for v in &self.versions {
            write!(f, "  {}", v.version)?;
            if v.is_default {
                f.write_str(" (default)")?;
            }
            if v.is_preview {
                f.write_str(" (preview)")?;
            }
            if !v.patch_versions.is_empty() {
                write!(f, "  patches: {}", v.patch_versions.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> KubernetesVersions {
        KubernetesVersions {
            location: "eastus".into(),
            versions: vec![
                KubernetesVersionInfo {
                    version: "1.29".into(),
                    is_default: false,
                    is_preview: false,
                    patch_versions: vec!["1.29.7".into(), "1.29.8".into()],
                },
                KubernetesVersionInfo {
                    version: "1.30".into(),
                    is_default: true,
                    is_preview: false,
                    patch_versions: vec![],
                },
            ],
        }
    }

    #[test]
    fn patches_sort_numerically() {
        assert_eq!(
            sorted_versions(vec!["1.28.13".into(), "1.28.9".into(), "1.28.10".into()]),
            ["1.28.9", "1.28.10", "1.28.13"]
        );
    }

    #[test]
    fn supported_versions() {
        let v = versions();
        assert!(v.supports("1.29.7"));
        assert!(!v.supports("1.29.2"), "unlisted patch of a listed minor");
        assert!(v.supports("1.30.3"), "minor listed without patches");
        assert!(v.supports("1.30"));
        assert!(!v.supports("1.27.9"));
        assert_eq!(v.default_version().unwrap().version, "1.30");
        assert_eq!(v.supported_list(), ["1.29.7", "1.29.8", "1.30"]);
        assert!(v.to_string().contains("1.30 (default)"));
    }
}
