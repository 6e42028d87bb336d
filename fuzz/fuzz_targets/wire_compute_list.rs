//! The ARM wire type `PaginatedComputeResourcesList` (page of the compute list): parse any JSON,
//! serialize, parse again; both values and both serializations are equal.
#![no_main]

use aml_model::wire::PaginatedComputeResourcesList;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aml_fuzz::wire_round_trip::<PaginatedComputeResourcesList>(data);
});
