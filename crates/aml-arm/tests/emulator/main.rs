//! The ARM transport against `aml-emulator`, the local stateful ARM emulator, over real HTTP on
//! 127.0.0.1: long-running operations (create, update, delete, failure, cancellation, timeout and
//! resume), `nextLink` paging, retries through the emulator's fault injection and throttling,
//! request ids, and host pinning.
//!
//! These run on the real clock with short emulator timings (operations of 30 ms, polls
//! advertised every 5 ms) and assert on what happened (the emulator's request log, statuses,
//! bodies), never on how long it took. Tests that need an operation to stay in progress use
//! operations of ten minutes and end them with `Emulator::complete_operations`.
//!
//! Protocol edge cases an emulator should not have to fake (hangs, malformed pages, loops,
//! redirects) are scripted in `tests/arm/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failure here is a test failure"
)]

mod headers;
mod hosts;
mod lro;
mod paging;
mod per_call;
mod retry;
mod support;
