//! The emulator's request handling: a fresh in-process emulator answers a short script of raw
//! HTTP requests (any method, path, headers and body; see `src/emulator.rs` for the format)
//! without panicking, hanging, or (with no fault armed) answering 5xx or a non-ARM error body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aml_fuzz::emulator::run(data);
});
