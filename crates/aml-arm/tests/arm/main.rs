//! Integration tests of the ARM transport against scripted servers on 127.0.0.1.
//!
//! Time-dependent tests run on tokio's paused clock: back-off and poll waits advance virtual
//! time, so they take no real time and their durations are exact.
//!
//! Once `aml-emulator` exists, the tests marked `EMULATOR:` should also run against it (see the
//! crate README); the others script protocol edge cases an emulator should not have to fake.

mod client;
mod lro;
mod paging;
mod retry;
mod security;
mod support;
mod tokens;
