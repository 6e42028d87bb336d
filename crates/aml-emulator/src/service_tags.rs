//! The `Microsoft.Network` service tags the emulator serves
//! (`GET /subscriptions/{s}/providers/Microsoft.Network/locations/{location}/serviceTags`), and
//! the Azure Machine Learning control-plane prefixes an attachment needs admitted.
//!
//! **The prefixes are synthetic, not Azure's.** Each known region ([`crate::regions`]) gets,
//! from its index `i` in the region table:
//!
//! | tag | prefixes |
//! |---|---|
//! | `AzureMachineLearning.<Region>` | `198.18.i.0/28`, `198.18.i.64/29`, `198.18.i.200/32`, `2001:db8:a1:i::/64` (`i` in hex) |
//! | `AzureCloud.<Region>` | `198.19.i.0/24`, `2001:db8:c1:i::/64` |
//! | `AzureMachineLearning`, `AzureCloud` (global) | the union of the regional ones |
//! | `Storage` (global) | `198.19.240.0/22`, `2001:db8:5::/48` |
//!
//! `198.18.0.0/15` is reserved for benchmarking (RFC 2544) and `2001:db8::/32` for
//! documentation (RFC 3849): they look like public addresses to a client and are never a real
//! customer network. Unlike Azure's, `AzureCloud.<Region>` here does not contain the region's
//! `AzureMachineLearning` prefixes, so a client that reads the wrong tag is caught. The list is
//! the same whatever the location asked for (as on Azure, the whole cloud's tags) and fits one
//! page.

use aml_model::wire::{
    ServiceTagInformation, ServiceTagInformationProperties, ServiceTagsListResult,
};

use crate::regions::{self, Region};

/// The change number of the whole list.
const CHANGE_NUMBER: &str = "84";
/// The service of the Azure Machine Learning tags.
const MACHINE_LEARNING: &str = "AzureMachineLearning";

/// The IPv4 prefixes of `AzureMachineLearning.<region>`.
fn ml_ipv4(region: &Region) -> [String; 3] {
    let i = regions::index_of(region);
    [
        format!("198.18.{i}.0/28"),
        format!("198.18.{i}.64/29"),
        format!("198.18.{i}.200/32"),
    ]
}

/// The IPv6 prefix of `AzureMachineLearning.<region>`.
fn ml_ipv6(region: &Region) -> String {
    format!("2001:db8:a1:{:x}::/64", regions::index_of(region))
}

fn cloud(region: &Region) -> [String; 2] {
    let i = regions::index_of(region);
    [
        format!("198.19.{i}.0/24"),
        format!("2001:db8:c1:{i:x}::/64"),
    ]
}

/// The prefixes of the `AzureMachineLearning.<Region>` tag of `region` (a location name such as
/// `eastus`, or a display name), IPv4 first then IPv6, exactly as the emulator's service tags
/// list them; `None` for a region the emulator does not know.
///
/// ```
/// let prefixes = aml_emulator::service_tags::machine_learning_prefixes("eastus").unwrap();
/// assert_eq!(prefixes[0], "198.18.0.0/28");
/// assert!(prefixes.last().unwrap().contains(':'));
/// ```
pub fn machine_learning_prefixes(region: &str) -> Option<Vec<String>> {
    let region = regions::find(region)?;
    let mut prefixes = ml_ipv4(region).to_vec();
    prefixes.push(ml_ipv6(region));
    Some(prefixes)
}

/// The IPv4 prefixes an AKS cluster's authorized IP ranges must admit for a workspace in
/// `region` to attach it: those of `AzureMachineLearning.<region>` and of its paired region's
/// tag (the control plane runs in both), in that order; `None` for a region the emulator does
/// not know. Authorized ranges are compared on IPv4 only: the API server is reached over IPv4.
///
/// ```
/// let needed = aml_emulator::service_tags::control_plane_prefixes("eastus").unwrap();
/// // East US and its pair, West US: three prefixes each.
/// assert_eq!(needed.len(), 6);
/// ```
pub fn control_plane_prefixes(region: &str) -> Option<Vec<String>> {
    let region = regions::find(region)?;
    let mut prefixes = ml_ipv4(region).to_vec();
    if let Some(pair) = region.paired_region.and_then(regions::find) {
        prefixes.extend(ml_ipv4(pair));
    }
    Some(prefixes)
}

fn tag(name: String, region: &str, service: &str, prefixes: Vec<String>) -> ServiceTagInformation {
    ServiceTagInformation {
        id: Some(name.clone()),
        name: Some(name),
        properties: Some(ServiceTagInformationProperties {
            change_number: Some("1".into()),
            region: Some(region.to_owned()),
            system_service: Some(service.to_owned()),
            address_prefixes: Some(prefixes),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The whole list, as `GET .../locations/{location}/serviceTags` answers it.
pub(crate) fn list(subscription: &str) -> ServiceTagsListResult {
    let mut values = Vec::new();
    let mut all_ml = Vec::new();
    let mut all_cloud = Vec::new();
    for region in regions::all() {
        let ml = machine_learning_prefixes(region.name).unwrap_or_default();
        all_ml.extend(ml.iter().cloned());
        values.push(tag(
            format!("{MACHINE_LEARNING}.{}", region.tag_name),
            region.name,
            MACHINE_LEARNING,
            ml,
        ));
        let cloud = cloud(region).to_vec();
        all_cloud.extend(cloud.iter().cloned());
        values.push(tag(
            format!("AzureCloud.{}", region.tag_name),
            region.name,
            "",
            cloud,
        ));
    }
    values.push(tag(MACHINE_LEARNING.into(), "", MACHINE_LEARNING, all_ml));
    values.push(tag("AzureCloud".into(), "", "", all_cloud));
    values.push(tag(
        "Storage".into(),
        "",
        "AzureStorage",
        vec!["198.19.240.0/22".into(), "2001:db8:5::/48".into()],
    ));
    values.sort_by(|a, b| a.name.cmp(&b.name));
    ServiceTagsListResult {
        name: Some("public".into()),
        id: Some(format!(
            "/subscriptions/{subscription}/providers/Microsoft.Network/serviceTags/public"
        )),
        type_: Some("Microsoft.Network/serviceTags".into()),
        change_number: Some(CHANGE_NUMBER.into()),
        cloud: Some("Public".into()),
        values: Some(values),
        next_link: None,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn regional_prefixes_never_overlap_and_the_global_tag_is_their_union() {
        let list = list("s");
        let mut seen = HashSet::new();
        let mut count = 0;
        for region in regions::all() {
            let name = format!("AzureMachineLearning.{}", region.tag_name);
            let tag = list.tag(&name).unwrap();
            for prefix in tag.address_prefixes() {
                assert!(seen.insert(prefix.clone()), "{prefix} twice");
                count += 1;
            }
            let properties = tag.properties.as_ref().unwrap();
            assert_eq!(properties.region.as_deref(), Some(region.name));
            assert!(
                list.tag(&aml_model::wire::machine_learning_tag(region.name))
                    .is_some()
            );
        }
        assert_eq!(
            list.tag("AzureMachineLearning")
                .unwrap()
                .address_prefixes()
                .len(),
            count
        );
        let cloud = list.tag("AzureCloud.EastUS").unwrap().address_prefixes();
        assert!(cloud.iter().all(|prefix| !seen.contains(prefix)));
        assert_eq!(
            control_plane_prefixes("East US").unwrap()[3..],
            machine_learning_prefixes("westus").unwrap()[..3]
        );
        assert_eq!(control_plane_prefixes("polandcentral").unwrap().len(), 3);
        assert!(machine_learning_prefixes("location1").is_none());
    }
}
