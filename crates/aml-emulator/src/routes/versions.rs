//! The `Microsoft.ContainerService` Kubernetes version routes of a location:
//! `kubernetesVersions` and the older `orchestrators`.

use super::{App, Incoming, Reply};
use crate::arm_error::ArmError;

/// `GET .../locations/{loc}/kubernetesVersions`.
pub(super) fn kubernetes_versions(
    app: &App,
    request: &Incoming,
    subscription: &str,
    location: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    state.subscription(subscription)?;
    Ok(Reply::json(
        200,
        &state.versions.kubernetes_versions(location),
    ))
}

/// `GET .../locations/{loc}/orchestrators` (the 2019-04-01 shape).
pub(super) fn orchestrators(
    app: &App,
    request: &Incoming,
    subscription: &str,
    location: &str,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let id = state.subscription(subscription)?.id.clone();
    Ok(Reply::json(
        200,
        &state.versions.orchestrators(&id, location),
    ))
}
