//! The response headers aml-arm reads (`Retry-After`, `retry-after-ms`, `x-ms-retry-after-ms`,
//! `Azure-AsyncOperation`, `Location`, the request ids), from arbitrary header lines (see
//! `src/arm_headers.rs` for the format): no panic, retry hints within the cap, poll URLs on the
//! endpoint or a typed error, request ids short and printable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aml_fuzz::arm_headers::run(data);
});
