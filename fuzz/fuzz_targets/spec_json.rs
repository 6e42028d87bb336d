//! The compute spec from JSON (`ComputeSpec::from_json`), then the plan and the requests it
//! sends.
#![no_main]

use aml_model::spec::ComputeSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = ComputeSpec::from_json(text) else {
        return;
    };
    aml_fuzz::spec::check(spec);
});
