//! Every operation and refusal of aml-compute against the local emulator, over real HTTP on
//! 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support

mod attach;
mod chains;
mod create;
mod ensure;
mod ensure_cluster;
mod errors;
mod plans;
mod plans_ensure;
mod reads;
mod reattach;
mod reattach_safety;
mod remove;
mod retries;
mod scale;
mod secured;
mod support;
mod update;
mod waiting;
