//! The Azure CLI's active cloud, so that the chain never takes the CLI's token for another
//! cloud's endpoint: `azure_identity`'s developer-tools credential cannot be given a cloud, it
//! asks `az`, which answers for its active cloud.

use std::path::{Path, PathBuf};

use crate::Cloud;

/// The Azure CLI's configuration folder: `AZURE_CONFIG_DIR`, else `$HOME/.azure`, as `lookup`
/// gives the variables (empty values count as unset).
pub fn azure_cli_config_dir(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    var("AZURE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".azure")))
}

/// The Azure CLI's active cloud: `name` in the `[cloud]` section of `DIR/config` (`DIR` is
/// `AZURE_CONFIG_DIR`, else `~/.azure`); `None` when the file or the key is absent (the CLI
/// then uses `AzureCloud`).
pub fn azure_cli_active_cloud(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("config")).ok()?;
    let mut in_cloud = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_cloud = line.eq_ignore_ascii_case("[cloud]");
        } else if in_cloud
            && let Some((key, value)) = line.split_once(['=', ':'])
            && key.trim().eq_ignore_ascii_case("name")
        {
            let value = value.trim();
            return (!value.is_empty()).then(|| value.to_owned());
        }
    }
    None
}

/// Why the Azure CLI cannot serve `cloud`: its active cloud (`AzureCloud` when none is set) is
/// another one, so its tokens would come from another authority. A custom cloud needs a
/// non-built-in active cloud (one registered with `az cloud register`).
pub(super) fn azure_cli_mismatch(cloud: &Cloud, active: Option<&str>) -> Option<String> {
    let active_name = active.unwrap_or("AzureCloud");
    let matches = match (active_name.parse::<Cloud>().ok(), cloud.name()) {
        (Some(built_in), _) => built_in.name() == cloud.name(),
        (None, custom) => custom == "Custom",
    };
    (!matches).then(|| {
        let wanted = if cloud.name() == "Custom" {
            "the custom cloud registered with `az cloud register`"
        } else {
            cloud.az_name()
        };
        format!(
            "the Azure CLI's active cloud is {active_name}, not {wanted}: its tokens would come from another authority; run `az cloud set --name <name>` and `az login`, or choose the cloud the CLI uses"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(config: Option<&str>) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "aml-arm-az-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(text) = config {
            std::fs::write(dir.join("config"), text).unwrap();
        }
        dir
    }

    #[test]
    fn reads_the_active_cloud_from_the_cloud_section_only() {
        let dir = dir_with(Some(
            "[core]\nname = not-this\n\n[cloud]\nname = AzureChinaCloud\n",
        ));
        assert_eq!(
            azure_cli_active_cloud(&dir).as_deref(),
            Some("AzureChinaCloud")
        );
        let none = dir_with(Some("[core]\noutput = json\n"));
        assert_eq!(azure_cli_active_cloud(&none), None);
        let absent = dir_with(None);
        assert_eq!(azure_cli_active_cloud(&absent), None);
        for d in [dir, none, absent] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }

    #[test]
    fn the_cli_serves_only_the_cloud_it_is_set_to() {
        let china = Cloud::azure_china();
        let public = Cloud::azure_public();
        // No active cloud set: the CLI uses AzureCloud.
        assert_eq!(azure_cli_mismatch(&public, None), None);
        assert!(
            azure_cli_mismatch(&china, None)
                .unwrap()
                .contains("active cloud is AzureCloud, not AzureChinaCloud")
        );
        assert_eq!(azure_cli_mismatch(&china, Some("AzureChinaCloud")), None);
        assert!(azure_cli_mismatch(&public, Some("AzureChinaCloud")).is_some());
        assert!(azure_cli_mismatch(&Cloud::azure_us_government(), Some("AzureCloud")).is_some());
        // A custom cloud needs the CLI on a registered (non-built-in) cloud.
        let custom = Cloud::custom_cloud(
            "https://management.contoso.example/",
            "https://login.contoso.example/",
            "https://management.contoso.example/",
        )
        .unwrap();
        assert_eq!(azure_cli_mismatch(&custom, Some("ContosoCloud")), None);
        assert!(azure_cli_mismatch(&custom, Some("AzureCloud")).is_some());
        assert!(azure_cli_mismatch(&custom, None).is_some());
    }

    #[test]
    fn the_chain_leaves_out_a_cli_set_to_another_cloud() {
        use super::super::{CredentialChain, CredentialChainOptions, CredentialKind};
        let options = CredentialChainOptions {
            kinds: vec![CredentialKind::DeveloperTools],
            ..CredentialChainOptions::default()
        };
        let dir = dir_with(Some("[cloud]\nname = AzureChinaCloud\n"));
        let config_dir = dir.to_string_lossy().into_owned();
        let lookup = |name: &str| (name == "AZURE_CONFIG_DIR").then(|| config_dir.clone());
        // The CLI is on China: a public-cloud client gets no developer-tools credential.
        let error = CredentialChain::from_lookup(&Cloud::azure_public(), &options, lookup)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("active cloud is AzureChinaCloud, not AzureCloud"),
            "{error}"
        );
        // A China client gets it.
        let chain = CredentialChain::from_lookup(&Cloud::azure_china(), &options, lookup).unwrap();
        assert_eq!(chain.sources(), ["developer tools (az, azd)"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
