//! R7: compute names, and the names reserved for created computes.

use aml_model::config::AksAttachConfiguration;
use aml_model::request::AttachCompute;

use crate::{base, codes, create, errors, workspace};

#[test]
fn r7_name_rule() {
    assert!(create("my-aks-1", base()).is_ok());
    let r = errors("1a", base());
    assert!(codes(&r).contains(&"name.length"));
    assert!(codes(&r).contains(&"name.start"));
    assert!(r.errors.iter().all(|i| i.path == "name"));
}

#[test]
fn reserved_names_refused_for_create_only() {
    assert_eq!(codes(&errors("amlcompute", base())), ["name.reserved"]);
    let attach = AksAttachConfiguration::builder().cluster("aks-rg", "cluster");
    assert!(AttachCompute::new(workspace(), "local", attach).is_ok());
}
