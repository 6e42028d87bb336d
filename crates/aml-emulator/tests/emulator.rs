//! The emulator over real HTTP on 127.0.0.1: every route, rule, fault, paging and operation
//! timing, conformance with the vendored `spec/` examples, and the standalone binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on failure by design

mod emulator {
    pub(crate) mod support;

    mod agent_pool_rules;
    mod agent_pools;
    mod auth;
    mod binary;
    mod computes;
    mod conformance;
    mod container_service;
    mod faults;
    mod hostile;
    mod lifecycle;
    mod lro;
    mod managed_clusters;
    mod network;
    mod paging;
    mod rules;
}
