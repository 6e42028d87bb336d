//! Integration tests of aml-tls. Every certificate and key is generated at run time with rcgen:
//! no private key is committed to the repository.

// Support code outside `#[test]` functions (fixtures) fails loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tls {
    pub(crate) mod fixtures;

    mod check;
    mod errors;
    mod pem;
    mod props;
    mod redaction;
    mod secret;
}
