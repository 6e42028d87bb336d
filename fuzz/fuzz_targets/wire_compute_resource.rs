//! The ARM wire type `ComputeResource` (compute resource (a GET answer or a PUT body)): parse any
//! JSON, serialize, parse again; both values and both serializations are equal.
#![no_main]

use aml_model::wire::ComputeResource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aml_fuzz::wire_round_trip::<ComputeResource>(data);
});
