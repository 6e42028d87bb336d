//! Integration tests of the ARM transport against scripted servers on 127.0.0.1.
//!
//! Time-dependent tests run on tokio's paused clock: back-off and poll waits advance virtual
//! time, so they take no real time and their durations are exact.
//!
//! The scenarios of the tests marked `EMULATOR:` also run against `aml-emulator` over real HTTP
//! (`tests/emulator/`, see CONTRIBUTING.md); the others script protocol edge cases an
//! emulator should not have to fake.

mod client;
mod clouds;
mod hostile;
mod lro;
mod paging;
mod raw_server;
mod retry;
mod security;
mod support;
mod tokens;
