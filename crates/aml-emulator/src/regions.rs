//! The Azure regions the emulator knows: what `GET /subscriptions/{s}/locations` lists, the
//! locations the service tags answer for, and the region pairs the Azure Machine Learning
//! control plane spans (a workspace's region and its paired region).
//!
//! Names, display names, geographies, physical locations, coordinates and pairs are Azure's
//! published ones (Public cloud, physical regions only; Azure also lists logical locations such
//! as `global` and `us`, which the emulator leaves out). Pairs are Azure's, asymmetric ones
//! included: West US 3 and Brazil South name a pair that names another region back. Poland
//! Central has no pair.

/// One Azure region.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Region {
    /// The location name, such as `eastus`.
    pub name: &'static str,
    /// The display name, such as `East US`.
    pub display_name: &'static str,
    /// The region as service tags spell it, such as `EastUS` (`AzureMachineLearning.EastUS`).
    pub tag_name: &'static str,
    /// The paired region's location name, if the region has one.
    pub paired_region: Option<&'static str>,
    /// The geography, such as `United States`.
    pub geography: &'static str,
    /// The geography group, such as `US`.
    pub geography_group: &'static str,
    /// The physical location, such as `Virginia`.
    pub physical_location: &'static str,
    /// `Recommended` or `Other`.
    pub category: &'static str,
    /// The longitude, as Azure writes it.
    pub longitude: &'static str,
    /// The latitude, as Azure writes it.
    pub latitude: &'static str,
}

/// Shorthand for the table.
#[allow(
    clippy::too_many_arguments,
    reason = "one row of a table, in its columns' order"
)]
const fn region(
    name: &'static str,
    display_name: &'static str,
    tag_name: &'static str,
    paired_region: Option<&'static str>,
    geography: &'static str,
    geography_group: &'static str,
    physical_location: &'static str,
    category: &'static str,
    coordinates: (&'static str, &'static str),
) -> Region {
    Region {
        name,
        display_name,
        tag_name,
        paired_region,
        geography,
        geography_group,
        physical_location,
        category,
        longitude: coordinates.0,
        latitude: coordinates.1,
    }
}

const US: (&str, &str) = ("United States", "US");
const EUROPE: (&str, &str) = ("Europe", "Europe");
const REC: &str = "Recommended";
const OTHER: &str = "Other";

/// Every region, in a fixed order: a region's index gives its synthetic service tag prefixes
/// (see [`crate::service_tags`]), so new regions go at the end.
static REGIONS: [Region; 31] = [
    region(
        "eastus",
        "East US",
        "EastUS",
        Some("westus"),
        US.0,
        US.1,
        "Virginia",
        REC,
        ("-79.8164", "37.3719"),
    ),
    region(
        "westus",
        "West US",
        "WestUS",
        Some("eastus"),
        US.0,
        US.1,
        "California",
        OTHER,
        ("-122.417", "37.783"),
    ),
    region(
        "eastus2",
        "East US 2",
        "EastUS2",
        Some("centralus"),
        US.0,
        US.1,
        "Virginia",
        REC,
        ("-78.3889", "36.6681"),
    ),
    region(
        "centralus",
        "Central US",
        "CentralUS",
        Some("eastus2"),
        US.0,
        US.1,
        "Iowa",
        REC,
        ("-93.6208", "41.5908"),
    ),
    region(
        "westus2",
        "West US 2",
        "WestUS2",
        Some("westcentralus"),
        US.0,
        US.1,
        "Washington",
        REC,
        ("-119.852", "47.233"),
    ),
    region(
        "westcentralus",
        "West Central US",
        "WestCentralUS",
        Some("westus2"),
        US.0,
        US.1,
        "Wyoming",
        OTHER,
        ("-110.234", "40.890"),
    ),
    region(
        "westus3",
        "West US 3",
        "WestUS3",
        Some("eastus"),
        US.0,
        US.1,
        "Phoenix",
        REC,
        ("-112.074036", "33.448376"),
    ),
    region(
        "northcentralus",
        "North Central US",
        "NorthCentralUS",
        Some("southcentralus"),
        US.0,
        US.1,
        "Illinois",
        OTHER,
        ("-87.6278", "41.8819"),
    ),
    region(
        "southcentralus",
        "South Central US",
        "SouthCentralUS",
        Some("northcentralus"),
        US.0,
        US.1,
        "Texas",
        REC,
        ("-98.5", "29.4167"),
    ),
    region(
        "canadacentral",
        "Canada Central",
        "CanadaCentral",
        Some("canadaeast"),
        "Canada",
        "Canada",
        "Toronto",
        REC,
        ("-79.383", "43.653"),
    ),
    region(
        "canadaeast",
        "Canada East",
        "CanadaEast",
        Some("canadacentral"),
        "Canada",
        "Canada",
        "Quebec",
        OTHER,
        ("-71.217", "46.817"),
    ),
    region(
        "brazilsouth",
        "Brazil South",
        "BrazilSouth",
        Some("southcentralus"),
        "Brazil",
        "South America",
        "Sao Paulo State",
        REC,
        ("-46.633", "-23.55"),
    ),
    region(
        "northeurope",
        "North Europe",
        "NorthEurope",
        Some("westeurope"),
        EUROPE.0,
        EUROPE.1,
        "Ireland",
        REC,
        ("-6.2597", "53.3478"),
    ),
    region(
        "westeurope",
        "West Europe",
        "WestEurope",
        Some("northeurope"),
        EUROPE.0,
        EUROPE.1,
        "Netherlands",
        REC,
        ("4.9", "52.3667"),
    ),
    region(
        "uksouth",
        "UK South",
        "UKSouth",
        Some("ukwest"),
        "United Kingdom",
        "UK",
        "London",
        REC,
        ("-0.799", "50.941"),
    ),
    region(
        "ukwest",
        "UK West",
        "UKWest",
        Some("uksouth"),
        "United Kingdom",
        "UK",
        "Cardiff",
        OTHER,
        ("-3.084", "53.427"),
    ),
    region(
        "germanywestcentral",
        "Germany West Central",
        "GermanyWestCentral",
        Some("germanynorth"),
        "Germany",
        EUROPE.1,
        "Frankfurt",
        REC,
        ("8.682127", "50.110924"),
    ),
    region(
        "germanynorth",
        "Germany North",
        "GermanyNorth",
        Some("germanywestcentral"),
        "Germany",
        EUROPE.1,
        "Berlin",
        OTHER,
        ("8.806422", "53.073635"),
    ),
    region(
        "swedencentral",
        "Sweden Central",
        "SwedenCentral",
        Some("swedensouth"),
        "Sweden",
        EUROPE.1,
        "Gävle",
        REC,
        ("17.14127", "60.67488"),
    ),
    region(
        "swedensouth",
        "Sweden South",
        "SwedenSouth",
        Some("swedencentral"),
        "Sweden",
        EUROPE.1,
        "Malmo",
        OTHER,
        ("13.0007", "55.6059"),
    ),
    region(
        "polandcentral",
        "Poland Central",
        "PolandCentral",
        None,
        "Poland",
        EUROPE.1,
        "Warsaw",
        REC,
        ("21.01666", "52.23334"),
    ),
    region(
        "japaneast",
        "Japan East",
        "JapanEast",
        Some("japanwest"),
        "Japan",
        "Asia Pacific",
        "Tokyo, Saitama",
        REC,
        ("139.77", "35.68"),
    ),
    region(
        "japanwest",
        "Japan West",
        "JapanWest",
        Some("japaneast"),
        "Japan",
        "Asia Pacific",
        "Osaka",
        OTHER,
        ("135.5022", "34.6939"),
    ),
    region(
        "southeastasia",
        "Southeast Asia",
        "SoutheastAsia",
        Some("eastasia"),
        "Asia Pacific",
        "Asia Pacific",
        "Singapore",
        REC,
        ("103.833", "1.283"),
    ),
    region(
        "eastasia",
        "East Asia",
        "EastAsia",
        Some("southeastasia"),
        "Asia Pacific",
        "Asia Pacific",
        "Hong Kong",
        REC,
        ("114.188", "22.267"),
    ),
    region(
        "australiaeast",
        "Australia East",
        "AustraliaEast",
        Some("australiasoutheast"),
        "Australia",
        "Asia Pacific",
        "New South Wales",
        REC,
        ("151.2094", "-33.86"),
    ),
    region(
        "australiasoutheast",
        "Australia Southeast",
        "AustraliaSoutheast",
        Some("australiaeast"),
        "Australia",
        "Asia Pacific",
        "Victoria",
        OTHER,
        ("144.9631", "-37.8136"),
    ),
    region(
        "centralindia",
        "Central India",
        "CentralIndia",
        Some("southindia"),
        "India",
        "Asia Pacific",
        "Pune",
        REC,
        ("73.9197", "18.5822"),
    ),
    region(
        "southindia",
        "South India",
        "SouthIndia",
        Some("centralindia"),
        "India",
        "Asia Pacific",
        "Chennai",
        OTHER,
        ("80.1636", "12.9822"),
    ),
    region(
        "koreacentral",
        "Korea Central",
        "KoreaCentral",
        Some("koreasouth"),
        "Korea",
        "Asia Pacific",
        "Seoul",
        REC,
        ("126.978", "37.5665"),
    ),
    region(
        "koreasouth",
        "Korea South",
        "KoreaSouth",
        Some("koreacentral"),
        "Korea",
        "Asia Pacific",
        "Busan",
        OTHER,
        ("129.0756", "35.1796"),
    ),
];

/// Every region the emulator knows, in its fixed order.
pub fn all() -> &'static [Region] {
    &REGIONS
}

/// The region named `name`: a location name (`eastus`) or a display name (`East US`), compared
/// ignoring case and spaces, as ARM compares locations.
pub fn find(name: &str) -> Option<&'static Region> {
    let wanted = crate::versions::normalize_location(name);
    REGIONS.iter().find(|region| region.name == wanted)
}

/// The region's position in the table.
pub(crate) fn index_of(region: &Region) -> usize {
    REGIONS
        .iter()
        .position(|candidate| candidate.name == region.name)
        .unwrap_or_default()
}

/// The paired region of `name`, if `name` is known and has one.
pub fn paired_region(name: &str) -> Option<&'static Region> {
    find(name)?.paired_region.and_then(find)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_pairs_are_known_and_mostly_mutual() {
        let mut names: Vec<&str> = REGIONS.iter().map(|region| region.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGIONS.len());
        for region in &REGIONS {
            assert_eq!(
                crate::versions::normalize_location(region.display_name),
                region.name
            );
            assert!(region.tag_name.eq_ignore_ascii_case(region.name));
            if let Some(pair) = region.paired_region {
                let pair =
                    find(pair).unwrap_or_else(|| panic!("{} pairs with {pair}", region.name));
                // West US 3 and Brazil South are Azure's one-way pairs.
                if !matches!(region.name, "westus3" | "brazilsouth") {
                    assert_eq!(pair.paired_region, Some(region.name), "{}", region.name);
                }
            }
        }
        assert_eq!(paired_region("East US").map(|r| r.name), Some("westus"));
        assert_eq!(
            paired_region("northeurope").map(|r| r.name),
            Some("westeurope")
        );
        assert!(paired_region("polandcentral").is_none());
        assert!(find("location1").is_none());
    }
}
