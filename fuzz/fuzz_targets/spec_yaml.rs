//! The compute spec from YAML (yaml_serde, as the CLI reads it), then the plan and the requests
//! it sends.
#![no_main]

use aml_model::spec::ComputeSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = yaml_serde::from_str::<ComputeSpec>(text) else {
        return;
    };
    // The YAML writer's output reads back as the same spec.
    let yaml = yaml_serde::to_string(&spec).expect("a spec serializes to YAML");
    let again: ComputeSpec = yaml_serde::from_str(&yaml)
        .unwrap_or_else(|e| panic!("our own YAML does not parse: {e}\n{yaml}"));
    assert_eq!(spec, again, "YAML round-trip changed the spec:\n{yaml}");
    aml_fuzz::spec::check(spec);
});
