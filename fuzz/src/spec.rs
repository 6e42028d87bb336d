//! What the two spec targets check once a spec has parsed.

use aml_model::plan::Step;
use aml_model::request::{Request, Requests};
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
    match spec.validate(files) {
        Ok(valid) => {
            let _ = (valid.warnings(), valid.create_config(), valid.attach_config());
            let _ = format!("{valid:?}");
            let plan = valid.plan(&Requests::default());
            let _ = format!("{plan} {plan:?}");
            for step in plan.steps() {
                match step {
                    Step::Read {
                        request: Some(r), ..
                    }
                    | Step::Write { request: r, .. }
                    | Step::Modify { request: r, .. } => request(r, step),
                    _ => {}
                }
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

fn request(request: &Request, step: &Step) {
    let path = request.uri().path();
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if let Err(e) = decoded.parse::<ResourceId>() {
        panic!("a planned request addresses {path:?}: {e}");
    }
    let _ = format!("{request:?}");
    // A GET-modify-PUT's body is built at run time; every other PUT carries its body.
    if request.method() == "PUT" && matches!(step, Step::Write { .. }) {
        if let Err(e) = serde_json::from_slice::<ComputeResource>(request.body().as_bytes()) {
            panic!("a planned PUT body is not a compute resource: {e}");
        }
    }
}
