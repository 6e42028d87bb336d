//! What the two spec targets check once a spec has parsed.

use aml_model::request::{ArmRequest, Method, Requests};
use aml_model::spec::{ComputeSpec, TlsFiles};
use aml_model::wire::ComputeResource;
use aml_model::{PrivateKeyPem, ResourceId};

/// A parsed spec: its JSON round-trips; planning never panics, fails only with at least one
/// error, and a plan's requests address parseable ids with PUT bodies the wire types accept.
pub fn check(spec: ComputeSpec) {
    let json = serde_json::to_string(&spec).expect("a spec serializes to JSON");
    let again = ComputeSpec::from_json(&json)
        .unwrap_or_else(|e| panic!("our own JSON does not parse: {e}\n{json}"));
    assert_eq!(spec, again, "JSON round-trip changed the spec:\n{json}");

    // As the CLI runs it when the files could not be read...
    plan(spec.clone(), TlsFiles::default());
    // ...and with "contents" for the files it names (their names, so the text is fuzzed too).
    let (cert, key) = spec.tls_files();
    let files = TlsFiles {
        cert_pem: cert.map(str::to_owned),
        key_pem: key.map(PrivateKeyPem::new),
    };
    plan(spec, files);
}

fn plan(spec: ComputeSpec, files: TlsFiles) {
    match spec.plan(files) {
        Ok(plan) => {
            let _ = (plan.warnings(), plan.create_config(), plan.attach_config());
            let _ = format!("{plan:?}");
            for planned in plan.requests(&Requests::default()) {
                request(&planned.request);
            }
        }
        Err(report) => {
            assert!(
                !report.errors.is_empty(),
                "a refused plan reports no error: {report}"
            );
            let _ = (report.to_string(), report.summary());
        }
    }
}

fn request(request: &ArmRequest) {
    if let Err(e) = request.path.parse::<ResourceId>() {
        panic!("a planned request addresses {:?}: {e}", request.path);
    }
    let _ = format!("{request:?}");
    if request.method == Method::Put {
        let body = request.body.clone().expect("a PUT has a body");
        if let Err(e) = serde_json::from_value::<ComputeResource>(body) {
            panic!("a planned PUT body is not a compute resource: {e}");
        }
    }
}
