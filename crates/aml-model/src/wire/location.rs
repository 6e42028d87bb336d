//! The locations of a subscription (`GET /subscriptions/{id}/locations`, api-version
//! 2022-12-01, swagger `subscriptions.json` of Microsoft.Resources): where a region's paired
//! region is published (`metadata.pairedRegion`).

wire_object! {
    /// The locations of a subscription (Resources `LocationListResult`; the listing is not
    /// paged: the swagger has no `nextLink`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct LocationListResult {
        /// The locations.
        pub value: Option<Vec<Location>> = "value",
    }
}

impl LocationListResult {
    /// The location named `name` (a location name such as `eastus`, or a display name such as
    /// `East US`; compared without case and spaces).
    pub fn location(&self, name: &str) -> Option<&Location> {
        let wanted = compact(name);
        self.value.as_deref().unwrap_or_default().iter().find(|l| {
            l.name.as_deref().is_some_and(|n| compact(n) == wanted)
                || l.display_name
                    .as_deref()
                    .is_some_and(|n| compact(n) == wanted)
        })
    }
}

/// A name without case or spaces: `East US` and `eastus` are the same region.
fn compact(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

wire_object! {
    /// One location (Resources `Location`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Location {
        /// The ARM resource id.
        pub id: Option<String> = "id",
        /// The subscription.
        pub subscription_id: Option<String> = "subscriptionId",
        /// The location name, such as `eastus`.
        pub name: Option<String> = "name",
        /// `Region` or `EdgeZone`.
        pub type_: Option<String> = "type",
        /// The display name, such as `East US`.
        pub display_name: Option<String> = "displayName",
        /// The regional display name, such as `(US) East US`.
        pub regional_display_name: Option<String> = "regionalDisplayName",
        /// The location's metadata.
        pub metadata: Option<LocationMetadata> = "metadata",
    }
}

impl Location {
    /// The names of the location's paired regions (usually one; none for a region without a
    /// pair).
    pub fn paired_regions(&self) -> Vec<&str> {
        self.metadata
            .as_ref()
            .and_then(|m| m.paired_region.as_deref())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect()
    }
}

wire_object! {
    /// The metadata of a location (Resources `LocationMetadata`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct LocationMetadata {
        /// `Physical` or `Logical`.
        pub region_type: Option<String> = "regionType",
        /// `Recommended`, `Extended` or `Other`.
        pub region_category: Option<String> = "regionCategory",
        /// The geography, such as `United States`.
        pub geography: Option<String> = "geography",
        /// The geography group, such as `US`.
        pub geography_group: Option<String> = "geographyGroup",
        /// The longitude.
        pub longitude: Option<String> = "longitude",
        /// The latitude.
        pub latitude: Option<String> = "latitude",
        /// The physical location, such as `Virginia`.
        pub physical_location: Option<String> = "physicalLocation",
        /// The paired regions.
        pub paired_region: Option<Vec<PairedRegion>> = "pairedRegion",
        /// The home location of an edge zone.
        pub home_location: Option<String> = "homeLocation",
    }
}

wire_object! {
    /// A paired region (Resources `PairedRegion`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct PairedRegion {
        /// The paired region's name, such as `westus`.
        pub name: Option<String> = "name",
        /// The paired region's id.
        pub id: Option<String> = "id",
        /// The subscription.
        pub subscription_id: Option<String> = "subscriptionId",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_location_by_name_or_display_name_and_reads_its_pair() {
        let list: LocationListResult = serde_json::from_value(serde_json::json!({
            "value": [
                {"name": "eastus", "displayName": "East US",
                 "metadata": {"pairedRegion": [{"name": "westus", "id": "/subscriptions/s/locations/westus"}]}},
                {"name": "brazilsoutheast", "displayName": "Brazil Southeast", "metadata": {}},
            ]
        }))
        .unwrap();
        assert_eq!(
            list.location("eastus").unwrap().paired_regions(),
            ["westus"]
        );
        assert_eq!(
            list.location("East US").unwrap().paired_regions(),
            ["westus"]
        );
        assert!(
            list.location("Brazil Southeast")
                .unwrap()
                .paired_regions()
                .is_empty()
        );
        assert!(list.location("westus3").is_none());
    }
}
