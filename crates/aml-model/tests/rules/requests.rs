//! The requests: exact paths, and secrets redacted wherever a request is shown.

use aml_model::PrivateKeyPem;
use aml_model::config::TlsSettings;
use aml_model::request::Requests;

use crate::{CERT, KEY, SUB, base, create};

#[test]
fn requests_have_exact_paths_and_secrets_are_redacted() {
    let t = TlsSettings::custom(CERT, PrivateKeyPem::new(KEY), "www.contoso.com");
    let c = create("myaks", base().enable_ssl(t)).unwrap();
    let r = Requests::default();
    let put = r.create(&c);
    let base_path = format!(
        "/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-ws/computes/myaks"
    );
    assert_eq!(put.method(), http::Method::PUT);
    assert_eq!(put.uri().path(), base_path);
    assert_eq!(
        aml_model::request::render(&put, "https://management.azure.com/")
            .lines()
            .next()
            .unwrap(),
        format!("PUT https://management.azure.com{base_path}?api-version=2024-04-01")
    );
    let sent: serde_json::Value = serde_json::from_slice(put.body().as_bytes()).unwrap();
    assert_eq!(
        sent["properties"]["properties"]["sslConfiguration"]["key"],
        KEY
    );
    let shown = format!(
        "{} {:?}",
        aml_model::request::render(&put, "https://management.azure.com"),
        put
    );
    assert!(!shown.contains("MIIE"), "{shown}");
    assert!(shown.contains("[redacted]"));
    assert!(
        shown.contains("MIIB"),
        "the certificate is public and shown"
    );

    let id = c.id();
    assert_eq!(
        r.detach(id).uri().to_string(),
        format!("{base_path}?api-version=2024-04-01&underlyingResourceAction=Detach")
    );
    assert_eq!(
        r.delete(id, aml_model::request::UnderlyingResourceAction::Delete)
            .uri()
            .to_string(),
        format!("{base_path}?api-version=2024-04-01&underlyingResourceAction=Delete")
    );
    assert_eq!(r.list_keys(id).method(), http::Method::POST);
    assert_eq!(
        r.list_keys(id).uri().path(),
        format!("{base_path}/listKeys")
    );
    assert_eq!(
        r.list(id.workspace()).uri().path(),
        format!(
            "/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-ws/computes"
        )
    );
    assert_eq!(
        Requests::new("2025-01-01-preview")
            .get(id)
            .uri()
            .to_string(),
        format!("{base_path}?api-version=2025-01-01-preview")
    );
}
