#![doc = include_str!("../README.md")]

pub mod apply;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod output;
pub mod progress;
pub mod spec;
pub mod target;
