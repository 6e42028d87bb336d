//! The `Microsoft.ContainerService` managed cluster routes under a resource group: list, GET,
//! the long-running PUT and DELETE, the credential POSTs, and the agent pools (list, GET, and
//! the long-running PUT).

use aml_model::wire::{AgentPool, ManagedCluster};
use axum::http::Method;

use super::operations::{Poll, operation_url, with_async_operation};
use super::{App, Incoming, Reply, ctx, is, no_route, wrong_method};
use crate::arm_error::ArmError;
use crate::state::ClusterPath;

/// The managed cluster routes under a resource group.
pub(super) fn cluster_route(
    app: &App,
    request: &Incoming,
    subscription: &str,
    resource_group: &str,
    rest: &[&str],
) -> Result<Reply, ArmError> {
    let method = &request.method;
    match rest {
        [m, cluster, pools, tail @ ..] if is(m, "managedClusters") && is(pools, "agentPools") => {
            let path = ClusterPath {
                subscription,
                resource_group,
                cluster,
            };
            agent_pool_route(app, request, &path, tail)
        }
        [m] if is(m, "managedClusters") => {
            if *method != Method::GET {
                return Err(wrong_method(request));
            }
            let state = app.state(request.now, request.time);
            let value = state.cluster_list(subscription, resource_group)?;
            Ok(Reply::json(200, &serde_json::json!({ "value": value })))
        }
        [m, name] if is(m, "managedClusters") => {
            let path = ClusterPath {
                subscription,
                resource_group,
                cluster: name,
            };
            match *method {
                Method::GET => {
                    let state = app.state(request.now, request.time);
                    Ok(Reply::json(
                        200,
                        &state.cluster_get(subscription, resource_group, name)?,
                    ))
                }
                Method::PUT => put_cluster(app, request, &path),
                Method::DELETE => delete_cluster(app, request, &path),
                _ => Err(wrong_method(request)),
            }
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
            let state = app.state(request.now, request.time);
            Ok(Reply::json(
                200,
                &state.cluster_credentials(subscription, resource_group, name, admin)?,
            ))
        }
        _ => Err(no_route(request)),
    }
}

/// `.../managedClusters/{cluster}/agentPools[/{pool}]`.
fn agent_pool_route(
    app: &App,
    request: &Incoming,
    path: &ClusterPath<'_>,
    tail: &[&str],
) -> Result<Reply, ArmError> {
    match (tail, &request.method) {
        ([], &Method::GET) => {
            let state = app.state(request.now, request.time);
            Ok(Reply::json(200, &state.agent_pool_list(path)?))
        }
        ([pool], &Method::GET) => {
            let state = app.state(request.now, request.time);
            Ok(Reply::json(200, &state.agent_pool_get(path, pool)?))
        }
        ([pool], &Method::PUT) => put_agent_pool(app, request, path, pool),
        ([] | [_], _) => Err(wrong_method(request)),
        _ => Err(no_route(request)),
    }
}

/// `PUT .../agentPools/{pool}`: 200 for an existing pool, 201 for a new one, with the pool in
/// `Updating` or `Creating` and `Azure-AsyncOperation`, as AKS answers.
fn put_agent_pool(
    app: &App,
    request: &Incoming,
    path: &ClusterPath<'_>,
    pool: &str,
) -> Result<Reply, ArmError> {
    if request.body.is_empty() {
        return Err(ArmError::invalid_content("the request body is empty"));
    }
    let body: AgentPool =
        serde_json::from_slice(&request.body).map_err(ArmError::invalid_content)?;
    let mut state = app.state(request.now, request.time);
    let (resource, operation, created) =
        state.agent_pool_put(&ctx(app, request), path, pool, &body)?;
    Ok(with_async_operation(
        Reply::json(if created { 201 } else { 200 }, &resource),
        app,
        request,
        &operation,
    ))
}

/// `PUT .../managedClusters/{name}`: 201 for a new cluster (`Creating`), 200 for an existing
/// one (`Updating`), with `Azure-AsyncOperation`, as AKS answers.
fn put_cluster(app: &App, request: &Incoming, path: &ClusterPath<'_>) -> Result<Reply, ArmError> {
    if request.body.is_empty() {
        return Err(ArmError::invalid_content("the request body is empty"));
    }
    let body: ManagedCluster =
        serde_json::from_slice(&request.body).map_err(ArmError::invalid_content)?;
    let mut state = app.state(request.now, request.time);
    let (resource, operation, created) =
        state.managed_cluster_put(&ctx(app, request), path, &body)?;
    Ok(with_async_operation(
        Reply::json(if created { 201 } else { 200 }, &resource),
        app,
        request,
        &operation,
    ))
}

/// `DELETE .../managedClusters/{name}`: 202 with `Location` and `Azure-AsyncOperation`; 204
/// when there is no such cluster.
fn delete_cluster(
    app: &App,
    request: &Incoming,
    path: &ClusterPath<'_>,
) -> Result<Reply, ArmError> {
    let mut state = app.state(request.now, request.time);
    match state.managed_cluster_delete(&ctx(app, request), path)? {
        None => Ok(Reply::empty(204)),
        Some(operation) => Ok(with_async_operation(
            Reply::empty(202).header("location", operation_url(request, &operation, Poll::Result)),
            app,
            request,
            &operation,
        )),
    }
}
