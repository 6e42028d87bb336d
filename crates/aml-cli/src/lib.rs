#![doc = include_str!("../README.md")]
//!
//! # The library
//!
//! The `aml` binary is this library's [`Cli`], [`run`] and the [`Exit`] or [`Failure`] it
//! returns. The rest is internal, except what the `apply_many` benchmark drives so that it
//! measures exactly what `aml apply` runs: [`apply`] (load, plan and apply many specs),
//! [`progress::Progress`] and [`target`] (the cloud and its ARM client, which tests also use
//! with a credential of their own).

pub mod apply;
mod cli;
mod commands;
mod exit;
mod output;
pub mod progress;
mod spec;
pub mod target;

pub use cli::Cli;
pub use commands::run;
pub use exit::{Exit, Failure};
