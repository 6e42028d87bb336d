//! The admin endpoint under [`ADMIN_PREFIX`](crate::ADMIN_PREFIX): fault controls, the request
//! log, operation control and a state dump, for tests written in any language. It needs no
//! token, is never faulted or throttled, and is not logged.

use axum::body::Body;
use axum::http::Method;
use axum::http::request::Parts;
use serde::Deserialize;
use tokio::time::Instant;

use crate::ADMIN_PREFIX;
use crate::arm_error::ArmError;
use crate::faults::{FaultId, FaultRule, OperationOutcome, Throttling};
use crate::routes::{App, Reply};

/// Whether a path is the admin endpoint's.
pub(crate) fn is_admin(path: &str) -> bool {
    path.strip_prefix(ADMIN_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The body of `POST /_emulator/operations/outcomes`.
#[derive(Debug, Deserialize)]
struct OutcomeRequest {
    #[serde(flatten)]
    outcome: OperationOutcome,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|error| Reply::error(ArmError::invalid_content(error)))
}

/// Answers an admin request.
pub(crate) async fn handle(app: &App, parts: &Parts, body: Body) -> Reply {
    let Ok(body) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return Reply::error(ArmError::new(
            413,
            "RequestEntityTooLarge",
            "The admin request body is larger than 1 MiB.",
        ));
    };
    let rest = parts
        .uri
        .path()
        .strip_prefix(ADMIN_PREFIX)
        .unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|part| !part.is_empty()).collect();
    match answer(app, &parts.method, &segments, &body) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn answer(app: &App, method: &Method, segments: &[&str], body: &[u8]) -> Result<Reply, Reply> {
    let faults = &app.faults;
    Ok(match (method, segments) {
        (&Method::GET, ["health"]) => Reply::json(200, &serde_json::json!({"status": "ok"})),
        (&Method::GET, ["requests"]) => Reply::json(200, &app.log.entries()),
        (&Method::DELETE, ["requests"]) => {
            app.log.clear();
            Reply::empty(204)
        }
        (&Method::GET, ["faults"]) => Reply::json(200, &faults.active()),
        (&Method::POST, ["faults"]) => {
            let rule: FaultRule = parse(body)?;
            let id = faults.inject(rule);
            Reply::json(201, &serde_json::json!({ "id": id }))
        }
        (&Method::DELETE, ["faults"]) => {
            faults.clear();
            Reply::empty(204)
        }
        (&Method::DELETE, ["faults", id]) => {
            let removed = id.parse().is_ok_and(|id| faults.remove(FaultId(id)));
            if removed {
                Reply::empty(204)
            } else {
                Reply::error(ArmError::new(
                    404,
                    "NotFound",
                    format!("No fault rule has id '{id}'."),
                ))
            }
        }
        (&Method::POST, ["operations", "outcomes"]) => {
            let request: OutcomeRequest = parse(body)?;
            faults.end_next_operations(request.outcome, request.times);
            Reply::empty(204)
        }
        (&Method::POST, ["operations", "complete"]) => {
            let time = time::OffsetDateTime::now_utc();
            let completed = app.state(Instant::now(), time).complete_all(time);
            Reply::json(200, &serde_json::json!({ "completed": completed }))
        }
        (&Method::GET, ["throttling"]) => Reply::json(200, &faults.throttling()),
        (&Method::PUT, ["throttling"]) => {
            let throttling: Throttling = parse(body)?;
            faults.set_throttling(Some(throttling));
            Reply::empty(204)
        }
        (&Method::DELETE, ["throttling"]) => {
            faults.set_throttling(None);
            Reply::empty(204)
        }
        (&Method::GET, ["state"]) => {
            let state = app.state(Instant::now(), time::OffsetDateTime::now_utc());
            Reply::json(200, &state.snapshot())
        }
        _ => Reply::error(ArmError::new(
            404,
            "NotFound",
            format!(
                "The admin endpoint has no '{method} {ADMIN_PREFIX}/{}'; see the aml-emulator \
                 crate docs for its routes.",
                segments.join("/")
            ),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_paths() {
        assert!(is_admin("/_emulator"));
        assert!(is_admin("/_emulator/faults"));
        assert!(!is_admin("/_emulatorx"));
        assert!(!is_admin("/subscriptions/x"));
    }
}
