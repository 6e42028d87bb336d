//! The emulator's error type: what can go wrong while starting it or reading a seed.
//!
//! Requests never produce an [`Error`]: the emulator answers them the way ARM does, with a
//! status code and an ARM error envelope.

use std::io;
use std::path::PathBuf;

/// Why the emulator could not start, or a seed could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The TCP port could not be bound on 127.0.0.1.
    #[error("cannot listen on 127.0.0.1:{port}; choose another port, or 0 for any free one")]
    Bind {
        /// The port asked for (0 means any).
        port: u16,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A seed file could not be read.
    #[error("cannot read seed file {}", path.display())]
    ReadSeed {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A seed is not valid JSON of the seed's shape.
    #[error("seed is not valid JSON for a seed (see the crate docs for its shape)")]
    SeedJson(#[source] serde_json::Error),

    /// A seed is not valid YAML of the seed's shape.
    #[error("seed is not valid YAML for a seed (see the crate docs for its shape)")]
    SeedYaml(#[source] yaml_serde::Error),

    /// A seed parsed but breaks a rule (duplicate names, an empty agent pool list, ...).
    #[error("seed is invalid: {}", problems.join("; "))]
    InvalidSeed {
        /// Every problem found, each naming where it is.
        problems: Vec<String>,
    },

    /// The certificate for `https` could not be generated.
    #[error("cannot generate the emulator's TLS certificate")]
    Certificate(#[source] rcgen::Error),

    /// The TLS server could not be configured with the generated certificate.
    #[error("cannot configure the emulator's TLS server")]
    Tls(#[source] rustls::Error),
}

/// The emulator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    /// One value of every variant, with the sources the emulator really wraps.
    fn every_variant() -> Vec<Error> {
        let io = || io::Error::new(io::ErrorKind::AddrInUse, "address already in use");
        let json = serde_json::from_str::<Seed>("{\"subscriptions\": 5}").unwrap_err();
        let yaml = yaml_serde::from_str::<Seed>("subscriptions: [").unwrap_err();
        let invalid = Seed::from_yaml(
            "subscriptions:\n  - id: s\n    resourceGroups:\n      - name: rg\n        \
             clusters:\n          - {name: c, location: eastus, kubernetesVersion: '1.30.4', \
             agentPools: []}\n",
        )
        .unwrap_err();
        vec![
            Error::Bind {
                port: 8443,
                source: io(),
            },
            Error::ReadSeed {
                path: PathBuf::from("seed.yaml"),
                source: io::Error::new(io::ErrorKind::NotFound, "No such file or directory"),
            },
            Error::SeedJson(json),
            Error::SeedYaml(yaml),
            invalid,
            Error::Certificate(rcgen::Error::KeyGenerationUnavailable),
            Error::Tls(rustls::Error::General("no usable certificate".into())),
        ]
    }

    #[test]
    fn no_message_repeats_its_source() {
        let errors = every_variant();
        assert!(
            matches!(errors[4], Error::InvalidSeed { .. }),
            "{:?}",
            errors[4]
        );
        for error in &errors {
            assert_eq!(
                aml_model::error::repeated_sentence(error),
                None,
                "{error:?}"
            );
        }
    }
}
