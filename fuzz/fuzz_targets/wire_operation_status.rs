//! The ARM wire type `OperationStatusResult` (status of a long-running operation): parse any JSON,
//! serialize, parse again; both values and both serializations are equal.
#![no_main]

use aml_model::wire::OperationStatusResult;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aml_fuzz::wire_round_trip::<OperationStatusResult>(data);
});
