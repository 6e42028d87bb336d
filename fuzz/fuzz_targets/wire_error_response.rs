//! The ARM wire type `ErrorResponse` (ARM error envelope): parse any JSON, serialize, parse again;
//! both values and both serializations are equal.
#![no_main]

use aml_model::wire::ErrorResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aml_fuzz::wire_round_trip::<ErrorResponse>(data);
});
