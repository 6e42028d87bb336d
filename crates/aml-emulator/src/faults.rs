//! Fault injection: what the emulator does wrong on purpose, so a client's retries, timeouts and
//! error handling can be tested.
//!
//! Three kinds, all controlled through [`Faults`] (from Rust, via [`Emulator::faults`]) or the
//! admin endpoint (`/_emulator/faults`, `/_emulator/operations/outcomes`,
//! `/_emulator/throttling`):
//!
//! - **Request faults** ([`FaultRule`]): the next N requests matching a method and path answer
//!   429 or 5xx, lose their connection, are delayed, or come back with broken JSON.
//! - **Operation outcomes** ([`OperationOutcome`]): the next N long-running operations end
//!   `Failed` (with an error body) or `Canceled` instead of `Succeeded`.
//! - **Throttling** ([`Throttling`]): a token bucket per subscription for reads and for writes,
//!   reported in `x-ms-ratelimit-remaining-subscription-reads/writes` and enforced with 429.
//!
//! Faults apply to ARM requests only, never to the admin endpoint.
//!
//! [`Emulator::faults`]: crate::Emulator::faults

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use aml_model::wire::ErrorDetail;

use self::throttling::Level;

mod rule;
mod throttling;

pub use rule::{ActiveFault, Fault, FaultId, FaultRule, OperationOutcome};
pub(crate) use throttling::Throttled;
pub use throttling::{Bucket, Throttling};

#[derive(Debug, Default)]
struct FaultState {
    next_id: u64,
    rules: Vec<ActiveFault>,
    outcomes: VecDeque<OperationOutcome>,
    throttling: Option<Throttling>,
    levels: HashMap<(String, bool), Level>,
}

/// The fault controls of a running emulator; cheap to clone, shared with the server.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
    /// Whether any rule or outcome is pending, so the common path skips the lock.
    armed: Arc<AtomicBool>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn rearm(&self, state: &FaultState) {
        self.armed.store(
            !state.rules.is_empty() || !state.outcomes.is_empty() || state.throttling.is_some(),
            Ordering::Release,
        );
    }

    /// Adds a rule; rules are tried in the order they were added.
    pub fn inject(&self, rule: FaultRule) -> FaultId {
        let mut state = self.lock();
        state.next_id += 1;
        let id = FaultId(state.next_id);
        if rule.times != Some(0) {
            state.rules.push(ActiveFault { id, rule });
        }
        self.rearm(&state);
        id
    }

    /// Removes a rule; `false` if it was not there (or was used up).
    pub fn remove(&self, id: FaultId) -> bool {
        let mut state = self.lock();
        let before = state.rules.len();
        state.rules.retain(|active| active.id != id);
        let removed = state.rules.len() != before;
        self.rearm(&state);
        removed
    }

    /// The rules still in force.
    pub fn active(&self) -> Vec<ActiveFault> {
        self.lock().rules.clone()
    }

    /// Makes the next `times` long-running operations end with `outcome`.
    pub fn end_next_operations(&self, outcome: OperationOutcome, times: u32) {
        let mut state = self.lock();
        state.outcomes.extend(std::iter::repeat_n(
            outcome,
            usize::try_from(times).unwrap_or(usize::MAX),
        ));
        self.rearm(&state);
    }

    /// Makes the next long-running operation end `Failed` with `error`.
    pub fn fail_next_operation(&self, error: ErrorDetail) {
        self.end_next_operations(OperationOutcome::Failed { error }, 1);
    }

    /// Turns throttling on with these buckets (full), or off with `None`.
    pub fn set_throttling(&self, throttling: Option<Throttling>) {
        let mut state = self.lock();
        state.throttling = throttling;
        state.levels.clear();
        self.rearm(&state);
    }

    /// The throttling in force.
    pub fn throttling(&self) -> Option<Throttling> {
        self.lock().throttling
    }

    /// Removes every rule, pending outcome and throttling.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.rules.clear();
        state.outcomes.clear();
        state.throttling = None;
        state.levels.clear();
        self.rearm(&state);
    }

    /// The fault for a request, using up one application of the first matching rule.
    pub(crate) fn take(&self, method: &str, path: &str) -> Option<Fault> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let path_lower = path.to_ascii_lowercase();
        let mut state = self.lock();
        let mut applies = None;
        for (index, active) in state.rules.iter_mut().enumerate() {
            if !active.rule.matches(method, &path_lower) {
                continue;
            }
            if active.rule.skip > 0 {
                active.rule.skip -= 1;
                continue;
            }
            applies = Some(index);
            break;
        }
        let index = applies?;
        let active = &mut state.rules[index];
        let fault = active.rule.fault.clone();
        if let Some(times) = &mut active.rule.times {
            *times -= 1;
            if *times == 0 {
                state.rules.remove(index);
            }
        }
        self.rearm(&state);
        Some(fault)
    }

    /// The outcome a new operation must end with, if a fault says so.
    pub(crate) fn take_outcome(&self) -> Option<OperationOutcome> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.lock();
        let outcome = state.outcomes.pop_front();
        self.rearm(&state);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_count_down_and_match_method_and_path() {
        let faults = Faults::default();
        faults.inject(
            FaultRule::new(Fault::status(503))
                .times(2)
                .method("get")
                .path_contains("/COMPUTES/"),
        );
        assert_eq!(faults.take("PUT", "/x/computes/a"), None);
        assert_eq!(faults.take("GET", "/x/workspaces/w"), None);
        assert_eq!(
            faults.take("GET", "/x/computes/a"),
            Some(Fault::status(503))
        );
        assert_eq!(
            faults.take("GET", "/x/computes/b"),
            Some(Fault::status(503))
        );
        assert_eq!(faults.take("GET", "/x/computes/a"), None);
        assert!(faults.active().is_empty());
    }

    #[test]
    fn a_skipping_rule_lets_requests_reaching_it_through_first() {
        let faults = Faults::default();
        faults.inject(FaultRule::new(Fault::status(500)).method("PUT"));
        faults.inject(FaultRule::new(Fault::status(503)).method("PUT").skip(1));
        // The first rule applies; the second, not reached, still skips one.
        assert_eq!(faults.take("PUT", "/a"), Some(Fault::status(500)));
        assert_eq!(faults.take("GET", "/a"), None, "not a match: not counted");
        assert_eq!(faults.take("PUT", "/a"), None, "skipped");
        assert_eq!(faults.take("PUT", "/a"), Some(Fault::status(503)));
        assert_eq!(faults.take("PUT", "/a"), None);
        assert!(faults.active().is_empty());
        let admin: FaultRule = serde_json::from_value(serde_json::json!(
            {"fault": {"kind": "status", "status": 503}, "skip": 2}
        ))
        .unwrap();
        assert_eq!(admin, FaultRule::new(Fault::status(503)).skip(2));
    }

    #[test]
    fn always_rules_stay_until_removed() {
        let faults = Faults::default();
        let id = faults.inject(FaultRule::new(Fault::Reset).always());
        for _ in 0..5 {
            assert_eq!(faults.take("GET", "/"), Some(Fault::Reset));
        }
        assert!(faults.remove(id));
        assert!(!faults.remove(id));
        assert_eq!(faults.take("GET", "/"), None);
    }

    #[test]
    fn outcomes_are_used_in_order() {
        let faults = Faults::default();
        faults.end_next_operations(OperationOutcome::Canceled, 1);
        faults.fail_next_operation(ErrorDetail::default());
        assert_eq!(faults.take_outcome(), Some(OperationOutcome::Canceled));
        assert!(matches!(
            faults.take_outcome(),
            Some(OperationOutcome::Failed { .. })
        ));
        assert_eq!(faults.take_outcome(), None);
    }
}
