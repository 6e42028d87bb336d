//! Whether a cluster's authorized API-server IP ranges admit the Azure Machine Learning control
//! plane (R15): pure analysis of what two reads return.
//!
//! The control plane's prefixes are the service tag `AzureMachineLearning.<Region>` of the
//! workspace's region and of its paired region (the guide: the control plane is deployed in
//! paired regions and deploys the inference pods through the API server). They come from the
//! ARM service-tags API of `Microsoft.Network` ([`ServiceTagsListResult`]) and the pair from
//! the subscription's locations ([`LocationListResult`]), never from a list in this crate.
//!
//! A prefix is admitted when the authorized ranges cover all of it (several adjacent ranges may
//! cover it together). AKS authorized ranges are IPv4 only, so the tag's IPv6 prefixes can never
//! be admitted: they are reported apart, as not applicable, rather than as missing.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

use crate::wire::{LocationListResult, ServiceTagsListResult, machine_learning_tag};

/// A prefix or range the service sent that is not an IP network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {text:?} is not an IP address or CIDR")]
pub struct BadPrefix {
    /// Where it came from: `service tag AzureMachineLearning.EastUS` or `authorized IP range`.
    pub what: String,
    /// The text as sent.
    pub text: String,
}

/// The control plane's prefixes, by region.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ControlPlane {
    /// The regions whose tags were found, such as `eastus` and `westus`.
    pub regions: Vec<String>,
    /// The regions whose tag the service tags do not list (nothing to compare for them).
    pub unpublished: Vec<String>,
    /// Every prefix of the regions' tags, as the service wrote them, without duplicates.
    pub prefixes: Vec<String>,
}

/// The workspace's region and its paired regions, as the locations list names them (the
/// region alone when it is not listed or has no pair).
pub fn regions(workspace_location: &str, locations: &LocationListResult) -> Vec<String> {
    let mut out = vec![workspace_location.to_owned()];
    if let Some(location) = locations.location(workspace_location) {
        for pair in location.paired_regions() {
            if !out.iter().any(|r| r.eq_ignore_ascii_case(pair)) {
                out.push(pair.to_owned());
            }
        }
    }
    out
}

/// The control plane's prefixes in `regions`, from the service tags.
pub fn control_plane(regions: &[String], tags: &ServiceTagsListResult) -> ControlPlane {
    let mut out = ControlPlane::default();
    for region in regions {
        match tags.tag(&machine_learning_tag(region)) {
            Some(tag) => {
                out.regions.push(region.clone());
                for prefix in tag.address_prefixes() {
                    if !out.prefixes.contains(prefix) {
                        out.prefixes.push(prefix.clone());
                    }
                }
            }
            None => out.unpublished.push(region.clone()),
        }
    }
    out
}

/// What the authorized ranges let through of the control plane's prefixes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Admission {
    /// IPv4 prefixes no authorized range covers, as the service wrote them, in its order.
    pub missing: Vec<String>,
    /// IPv6 prefixes: AKS authorized ranges are IPv4 only, so these cannot be admitted.
    pub not_applicable: Vec<String>,
}

impl Admission {
    /// Whether every applicable prefix is admitted.
    pub fn is_admitted(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Parses a range or prefix: a CIDR, or an address alone (a host route).
fn parse(text: &str, what: &str) -> Result<IpNet, BadPrefix> {
    let t = text.trim();
    t.parse::<IpNet>()
        .or_else(|_| t.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| BadPrefix {
            what: what.to_owned(),
            text: text.to_owned(),
        })
}

/// Which of `prefixes` (the control plane's, from [`control_plane`]) the cluster's `authorized`
/// ranges do not admit. Anything the service sent that is not an IP network is an error.
pub fn admission(authorized: &[String], prefixes: &[String]) -> Result<Admission, BadPrefix> {
    let mut ranges: Vec<Ipv4Net> = Vec::new();
    for text in authorized {
        if let IpNet::V4(net) = parse(text, "authorized IP range")? {
            ranges.push(net.trunc());
        }
    }
    let ranges = Ipv4Net::aggregate(&ranges);
    let mut out = Admission::default();
    for text in prefixes {
        match parse(text, "service tag prefix")? {
            IpNet::V4(prefix) => {
                if !ranges.iter().any(|r| r.contains(&prefix.trunc())) {
                    out.missing.push(text.clone());
                }
            }
            IpNet::V6(_) => out.not_applicable.push(text.clone()),
        }
    }
    Ok(out)
}

/// The whole assessment from the two reads: the control plane of `workspace_region` and its
/// pair (from `locations`) in the service `tags`, and what the cluster's `ranges` admit of it
/// ([`regions`], then [`control_plane`], then [`admission`]).
pub fn assess(
    workspace_region: &str,
    ranges: &[String],
    locations: &LocationListResult,
    tags: &ServiceTagsListResult,
) -> Result<(ControlPlane, Admission), BadPrefix> {
    let plane = control_plane(&regions(workspace_region, locations), tags);
    let admission = admission(ranges, &plane.prefixes)?;
    Ok((plane, admission))
}

/// The authorized ranges with the missing prefixes added (existing ranges first, unchanged),
/// whatever their number: for showing what a cluster's ranges would be. What is written goes
/// through [`admitted`], which keeps to AKS's limit.
pub fn with_admitted(authorized: &[String], missing: &[String]) -> Vec<String> {
    let mut out = authorized.to_vec();
    for prefix in missing {
        if !out.contains(prefix) {
            out.push(prefix.clone());
        }
    }
    out
}

/// The most authorized IP ranges AKS accepts on a cluster's API server (rule
/// `cluster.authorized_ranges_count`).
pub const MAX_AUTHORIZED_RANGES: usize = 200;

/// Adding the control plane's prefixes would give a cluster more authorized IP ranges than AKS
/// accepts ([`MAX_AUTHORIZED_RANGES`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{ranges} authorized IP ranges and {adding} Azure ML control-plane prefixes to add make {}, over AKS's limit of {limit} ranges; merge ranges into wider CIDRs or drop some so that the prefixes fit, or use a cluster with API Server VNet Integration [cluster.authorized_ranges_count]",
    ranges + adding
)]
pub struct TooManyRanges {
    /// The cluster's authorized ranges before the prefixes are added.
    pub ranges: usize,
    /// The prefixes to add that are not among the ranges yet.
    pub adding: usize,
    /// The limit, [`MAX_AUTHORIZED_RANGES`].
    pub limit: usize,
}

impl TooManyRanges {
    /// The number of ranges the write would have sent.
    pub fn total(&self) -> usize {
        self.ranges + self.adding
    }
}

/// The authorized ranges with the missing prefixes added, as a write sends them: the one check
/// of their number before every write that admits the control plane. More than
/// [`MAX_AUTHORIZED_RANGES`] is an error giving the counts, and nothing should be written.
pub fn admitted(authorized: &[String], missing: &[String]) -> Result<Vec<String>, TooManyRanges> {
    let out = with_admitted(authorized, missing);
    if out.len() > MAX_AUTHORIZED_RANGES {
        return Err(TooManyRanges {
            ranges: authorized.len(),
            adding: out.len() - authorized.len(),
            limit: MAX_AUTHORIZED_RANGES,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_prefix_inside_a_range_is_admitted_and_the_rest_listed_exactly() {
        let authorized = strings(&["20.0.0.0/8", "52.1.2.3"]);
        let prefixes = strings(&["20.50.0.0/28", "52.1.2.3/32", "52.1.2.0/24", "40.1.1.0/30"]);
        let a = admission(&authorized, &prefixes).unwrap();
        assert_eq!(a.missing, ["52.1.2.0/24", "40.1.1.0/30"]);
        assert!(a.not_applicable.is_empty());
        assert!(!a.is_admitted());
    }

    #[test]
    fn adjacent_ranges_cover_a_prefix_together_and_host_bits_are_ignored() {
        let authorized = strings(&["10.0.0.0/25", "10.0.0.128/25"]);
        let a = admission(&authorized, &strings(&["10.0.0.0/24", "10.0.0.7/24"])).unwrap();
        assert!(a.is_admitted(), "{a:?}");
        // A wider prefix than the ranges is not admitted.
        let a = admission(&authorized, &strings(&["10.0.0.0/23"])).unwrap();
        assert_eq!(a.missing, ["10.0.0.0/23"]);
    }

    #[test]
    fn ipv6_prefixes_are_not_applicable_rather_than_missing() {
        let a = admission(
            &strings(&["0.0.0.0/0"]),
            &strings(&["2603:1030::/64", "20.1.0.0/16"]),
        )
        .unwrap();
        assert!(a.is_admitted());
        assert_eq!(a.not_applicable, ["2603:1030::/64"]);
        // No IPv4 range admits an IPv6 prefix, and an IPv6 range admits no IPv4 one.
        let a = admission(&strings(&["::/0"]), &strings(&["20.1.0.0/16"])).unwrap();
        assert_eq!(a.missing, ["20.1.0.0/16"]);
    }

    #[test]
    fn bad_prefixes_from_the_service_are_errors_naming_them() {
        let e = admission(&[], &strings(&["20.1.0.0/40"])).unwrap_err();
        assert_eq!(e.text, "20.1.0.0/40");
        assert!(e.to_string().contains("service tag prefix"), "{e}");
        let e = admission(&strings(&["nonsense"]), &[]).unwrap_err();
        assert_eq!(e.what, "authorized IP range");
    }

    #[test]
    fn admitting_keeps_to_the_limit_counting_only_prefixes_not_there_yet() {
        let ranges: Vec<String> = (0..198).map(|i| format!("10.0.{i}.0/24")).collect();
        let two = strings(&["20.1.0.0/28", "20.2.0.0/28"]);
        assert_eq!(
            admitted(&ranges, &two).unwrap().len(),
            MAX_AUTHORIZED_RANGES
        );
        // A prefix already among the ranges is not counted twice.
        let again = strings(&["20.1.0.0/28", "20.2.0.0/28", "10.0.0.0/24"]);
        assert_eq!(admitted(&ranges, &again).unwrap().len(), 200);
        let three = strings(&["20.1.0.0/28", "20.2.0.0/28", "20.3.0.0/28"]);
        let e = admitted(&ranges, &three).unwrap_err();
        assert_eq!(
            e,
            TooManyRanges {
                ranges: 198,
                adding: 3,
                limit: 200
            }
        );
        assert_eq!(e.total(), 201);
        assert!(
            e.to_string().contains("make 201, over AKS's limit of 200"),
            "{e}"
        );
    }

    #[test]
    fn regions_pair_and_tags_collect_prefixes() {
        let locations: LocationListResult = serde_json::from_value(json!({"value": [
            {"name": "eastus", "displayName": "East US",
             "metadata": {"pairedRegion": [{"name": "westus"}]}},
        ]}))
        .unwrap();
        let r = regions("eastus", &locations);
        assert_eq!(r, ["eastus", "westus"]);
        assert_eq!(regions("nowhere", &locations), ["nowhere"]);
        let tags: ServiceTagsListResult = serde_json::from_value(json!({"values": [
            {"name": "AzureMachineLearning.EastUS",
             "properties": {"addressPrefixes": ["20.1.0.0/28", "2603:1030::/64"]}},
            {"name": "AzureMachineLearning.WestUS",
             "properties": {"addressPrefixes": ["40.1.0.0/28", "20.1.0.0/28"]}},
        ]}))
        .unwrap();
        let cp = control_plane(&r, &tags);
        assert_eq!(cp.regions, ["eastus", "westus"]);
        assert_eq!(
            cp.prefixes,
            ["20.1.0.0/28", "2603:1030::/64", "40.1.0.0/28"]
        );
        let cp = control_plane(&strings(&["eastus", "centralus"]), &tags);
        assert_eq!(cp.unpublished, ["centralus"]);
        assert_eq!(
            with_admitted(
                &strings(&["1.2.3.0/24"]),
                &strings(&["40.1.0.0/28", "1.2.3.0/24"])
            ),
            ["1.2.3.0/24", "40.1.0.0/28"]
        );
    }
}
