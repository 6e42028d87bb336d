//! The `Microsoft.ContainerService` managed cluster routes under a resource group: list, GET
//! and the credential POSTs.

use axum::http::Method;

use super::{App, Incoming, Reply, is, no_route, wrong_method};
use crate::arm_error::ArmError;

/// The managed cluster routes under a resource group.
pub(super) fn cluster_route(
    app: &App,
    request: &Incoming,
    subscription: &str,
    resource_group: &str,
    rest: &[&str],
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let method = &request.method;
    match rest {
        [m] if is(m, "managedClusters") => {
            if *method != Method::GET {
                return Err(wrong_method(request));
            }
            let value = state.cluster_list(subscription, resource_group)?;
            Ok(Reply::json(200, &serde_json::json!({ "value": value })))
        }
        [m, name] if is(m, "managedClusters") => {
            if *method != Method::GET {
                return Err(wrong_method(request));
            }
            Ok(Reply::json(
                200,
                &state.cluster_get(subscription, resource_group, name)?,
            ))
        }
        [m, name, action] if is(m, "managedClusters") => {
            let admin = if is(action, "listClusterUserCredential") {
                false
            } else if is(action, "listClusterAdminCredential") {
                true
            } else {
                return Err(no_route(request));
            };
            if *method != Method::POST {
                return Err(wrong_method(request));
            }
            Ok(Reply::json(
                200,
                &state.cluster_credentials(subscription, resource_group, name, admin)?,
            ))
        }
        _ => Err(no_route(request)),
    }
}
