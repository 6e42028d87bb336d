//! The subscription-level routes: the subscription itself and its locations
//! (`Microsoft.Resources`, api-version 2022-12-01), and the service tags of a location
//! (`Microsoft.Network`, api-version 2024-05-01).

use aml_model::wire::{Location, LocationListResult, LocationMetadata, PairedRegion};
use serde_json::json;

use super::{App, Incoming, Reply};
use crate::arm_error::ArmError;
use crate::regions::{self, Region};
use crate::state::TENANT;

/// `GET /subscriptions/{s}`: the subscription, enabled, in the emulator's tenant.
pub(super) fn subscription(
    app: &App,
    request: &Incoming,
    subscription: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let id = &state.subscription(subscription)?.id;
    Ok(Reply::json(
        200,
        &json!({
            "id": format!("/subscriptions/{id}"),
            "subscriptionId": id,
            "tenantId": TENANT,
            "displayName": format!("aml-emulator {id}"),
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
        }),
    ))
}

/// One region as `GET /subscriptions/{s}/locations` lists it.
fn location(subscription: &str, region: &Region) -> Location {
    let id = |name: &str| format!("/subscriptions/{subscription}/locations/{name}");
    Location {
        id: Some(id(region.name)),
        name: Some(region.name.into()),
        type_: Some("Region".into()),
        display_name: Some(region.display_name.into()),
        regional_display_name: Some(format!(
            "({}) {}",
            region.geography_group, region.display_name
        )),
        metadata: Some(LocationMetadata {
            region_type: Some("Physical".into()),
            region_category: Some(region.category.into()),
            geography: Some(region.geography.into()),
            geography_group: Some(region.geography_group.into()),
            longitude: Some(region.longitude.into()),
            latitude: Some(region.latitude.into()),
            physical_location: Some(region.physical_location.into()),
            paired_region: Some(
                region
                    .paired_region
                    .map(|pair| PairedRegion {
                        name: Some(pair.into()),
                        id: Some(id(pair)),
                        ..Default::default()
                    })
                    .into_iter()
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The edge zones listed with `includeExtendedLocations=true`: name, display name, home
/// region, longitude, latitude (Azure's).
const EDGE_ZONES: [(&str, &str, &str, &str, &str); 1] = [(
    "microsoftlosangeles1",
    "Microsoft Los Angeles 1",
    "westus",
    "-118.235374",
    "34.058414",
)];

/// `GET /subscriptions/{s}/locations`: every region the emulator knows, one page; with
/// `includeExtendedLocations=true`, an edge zone too.
pub(super) fn locations(
    app: &App,
    request: &Incoming,
    subscription: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let id = &state.subscription(subscription)?.id;
    let mut value: Vec<Location> = regions::all()
        .iter()
        .map(|region| location(id, region))
        .collect();
    if request
        .query("includeExtendedLocations")
        .is_some_and(|flag| flag.eq_ignore_ascii_case("true"))
    {
        value.extend(
            EDGE_ZONES.iter().map(
                |&(name, display_name, home, longitude, latitude)| Location {
                    id: Some(format!(
                        "/subscriptions/{id}/locations/{home}/edgeZones/{name}"
                    )),
                    name: Some(name.into()),
                    type_: Some("EdgeZone".into()),
                    display_name: Some(display_name.into()),
                    regional_display_name: Some(display_name.into()),
                    metadata: Some(LocationMetadata {
                        region_type: Some("Physical".into()),
                        region_category: Some("Extended".into()),
                        longitude: Some(longitude.into()),
                        latitude: Some(latitude.into()),
                        home_location: Some(home.into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ),
        );
    }
    let list = LocationListResult {
        value: Some(value),
        ..Default::default()
    };
    Ok(Reply::json(200, &list))
}

/// `GET /subscriptions/{s}/providers/Microsoft.Network/locations/{location}/serviceTags`: the
/// whole cloud's tags, whatever known location is asked; an unknown one is 400 as ARM answers
/// it.
pub(super) fn service_tags(
    app: &App,
    request: &Incoming,
    subscription: &str,
    location: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let id = &state.subscription(subscription)?.id;
    if regions::find(location).is_none() {
        let known: Vec<&str> = regions::all()
            .iter()
            .map(|region| region.display_name)
            .collect();
        return Err(ArmError::new(
            400,
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{location}' is not available for resource type \
                 'Microsoft.Network/locations/serviceTags'. List of available regions for the \
                 resource type is '{}'.",
                known.join(",")
            ),
        ));
    }
    Ok(Reply::json(200, &crate::service_tags::list(id)))
}
