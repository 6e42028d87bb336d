//! The compute routes under a workspace: the workspace itself, the compute list, one compute
//! (GET, PUT, PATCH, DELETE), `listKeys` and `listNodes`.

use aml_model::request::UnderlyingResourceAction;
use aml_model::wire::{ComputeResource, PaginatedComputeResourcesList};
use axum::http::Method;

use super::operations::{Poll, operation_url, with_async_operation};
use super::{App, Incoming, Reply, ctx, is, no_route, wrong_method};
use crate::arm_error::ArmError;
use crate::state::WorkspacePath;

/// The compute routes under a workspace.
pub(super) fn workspace_route(
    app: &App,
    request: &Incoming,
    subscription: &str,
    resource_group: &str,
    rest: &[&str],
) -> Result<Reply, ArmError> {
    let (workspace, rest) = match rest {
        [w, workspace, rest @ ..] if is(w, "workspaces") => (*workspace, rest),
        _ => return Err(no_route(request)),
    };
    let path = WorkspacePath {
        subscription,
        resource_group,
        workspace,
    };
    let method = &request.method;
    match rest {
        [] if method == Method::GET => {
            let state = app.state(request.now, request.time);
            Ok(Reply::json(200, &state.workspace_get(&path)?))
        }
        [c] if is(c, "computes") && method == Method::GET => list_computes(app, request, &path),
        [c, name] if is(c, "computes") => match *method {
            Method::GET => {
                let state = app.state(request.now, request.time);
                Ok(Reply::json(200, &state.compute_get(&path, name)?))
            }
            Method::PUT => put_compute(app, request, &path, name),
            Method::PATCH => patch_compute(app, request, &path, name),
            Method::DELETE => delete_compute(app, request, &path, name),
            _ => Err(wrong_method(request)),
        },
        [c, name, action] if is(c, "computes") && is(action, "listKeys") => {
            if *method != Method::POST {
                return Err(wrong_method(request));
            }
            let state = app.state(request.now, request.time);
            Ok(Reply::json(200, &state.compute_keys(&path, name)?))
        }
        [c, name, action] if is(c, "computes") && is(action, "listNodes") => {
            if *method != Method::POST {
                return Err(wrong_method(request));
            }
            let state = app.state(request.now, request.time);
            Ok(Reply::json(200, &state.compute_nodes(&path, name)?))
        }
        [] => Err(wrong_method(request)),
        [c] if is(c, "computes") => Err(wrong_method(request)),
        _ => Err(no_route(request)),
    }
}

fn list_computes(
    app: &App,
    request: &Incoming,
    path: &WorkspacePath<'_>,
) -> Result<Reply, ArmError> {
    let state = app.state(request.now, request.time);
    let after = request.query("$skip").map(str::to_lowercase);
    let (value, next) = state.compute_list(path, after.as_deref(), app.page_size)?;
    let page = PaginatedComputeResourcesList {
        value: Some(value),
        next_link: next.map(|token| {
            format!(
                "{}{}?api-version={}&$skip={}",
                request.base, request.path, request.api_version, token
            )
        }),
        ..Default::default()
    };
    Ok(Reply::json(200, &page))
}

fn put_compute(
    app: &App,
    request: &Incoming,
    path: &WorkspacePath<'_>,
    name: &str,
) -> Result<Reply, ArmError> {
    if request.body.is_empty() {
        return Err(ArmError::invalid_content("the request body is empty"));
    }
    let body: ComputeResource =
        serde_json::from_slice(&request.body).map_err(ArmError::invalid_content)?;
    let mut state = app.state(request.now, request.time);
    let (resource, operation, _created) =
        state.compute_put(&ctx(app, request), path, name, &body)?;
    Ok(with_async_operation(
        Reply::json(201, &resource),
        app,
        request,
        &operation,
    ))
}

fn patch_compute(
    app: &App,
    request: &Incoming,
    path: &WorkspacePath<'_>,
    name: &str,
) -> Result<Reply, ArmError> {
    let body: serde_json::Value =
        serde_json::from_slice(&request.body).map_err(ArmError::invalid_content)?;
    let mut state = app.state(request.now, request.time);
    let (resource, operation) = state.compute_patch(&ctx(app, request), path, name, &body)?;
    Ok(with_async_operation(
        Reply::json(200, &resource),
        app,
        request,
        &operation,
    ))
}

fn delete_compute(
    app: &App,
    request: &Incoming,
    path: &WorkspacePath<'_>,
    name: &str,
) -> Result<Reply, ArmError> {
    let action = request
        .query("underlyingResourceAction")
        .and_then(underlying_resource_action)
        .ok_or_else(|| {
            ArmError::bad_request(
                "The query parameter 'underlyingResourceAction' is required and must be 'Delete' \
                 or 'Detach'.",
            )
            .with_target("underlyingResourceAction")
        })?;
    let mut state = app.state(request.now, request.time);
    match state.compute_delete(&ctx(app, request), path, name, action)? {
        None => Ok(Reply::empty(204)),
        Some(operation) => Ok(with_async_operation(
            Reply::empty(202).header("location", operation_url(request, &operation, Poll::Result)),
            app,
            request,
            &operation,
        )),
    }
}

/// `underlyingResourceAction`, ignoring case (the Python SDK sends `detach` and `delete`).
fn underlying_resource_action(text: &str) -> Option<UnderlyingResourceAction> {
    [
        UnderlyingResourceAction::Detach,
        UnderlyingResourceAction::Delete,
    ]
    .into_iter()
    .find(|action| action.as_str().eq_ignore_ascii_case(text))
}
