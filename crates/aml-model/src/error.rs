//! The crate's error type.

use crate::validate::Report;

/// Everything that can go wrong in `aml-model`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration broke one or more rules; the report lists every problem at once.
    #[error("{}", .0.summary())]
    Invalid(Report),

    /// A compute name broke R7.
    #[error(transparent)]
    InvalidName(#[from] crate::name::InvalidName),

    /// A string is not a well-formed ARM resource id (or not one of the expected type).
    #[error(transparent)]
    InvalidResourceId(#[from] crate::resource_id::ResourceIdError),

    /// An update cannot be applied to the compute as it is now.
    #[error("cannot update compute {compute:?}: {reason}{}", crate::rule::Tag(*.rule))]
    Update {
        /// The compute being updated.
        compute: String,
        /// What stands in the way, and what to do.
        reason: String,
        /// The catalogue's rule that stands in the way, when one does.
        rule: Option<crate::Rule>,
    },

    /// What the service sent about a cluster's authorized IP ranges or the Azure ML control
    /// plane's service tags is not IP networks, so their admission cannot be judged.
    #[error("cannot judge whether the authorized IP ranges admit the Azure ML control plane")]
    ControlPlane(#[source] crate::control_plane::BadPrefix),

    /// A compute spec document could not be read as YAML or JSON of the expected shape.
    #[error("compute spec is not valid {format} of the expected shape [spec.invalid]")]
    Spec {
        /// `YAML` or `JSON`.
        format: &'static str,
        /// The parser's error, with the line and column where it has them.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The validation report, when this is a validation failure.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::Invalid(report) => Some(report),
            _ => None,
        }
    }
}

/// The texts of an error and of every error in its `source()` chain, outermost first.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut texts = vec![error.to_string()];
    let mut next = error.source();
    while let Some(e) = next {
        texts.push(e.to_string());
        next = e.source();
    }
    texts
}

/// A sentence that the chain of `error` shows twice, if any: the check behind the workspace's
/// rule that a message never repeats its source's text (smithy-rs RFC 0022), for tests.
///
/// A sentence is a piece of a `Display` text between `". "`, `"; "`, `": "` and `"\n"`, trimmed,
/// of at least 16 characters (shorter pieces are names and values, which may recur).
pub fn repeated_sentence(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    for text in chain(error) {
        let mut pieces: Vec<&str> = vec![&text];
        for separator in [". ", "; ", ": ", "\n"] {
            pieces = pieces.iter().flat_map(|p| p.split(separator)).collect();
        }
        // A sentence repeated inside one text counts too, so dedupe per chain, not per text.
        for piece in pieces {
            let piece = piece.trim().trim_end_matches('.');
            if piece.chars().count() >= 16 && !seen.insert(piece.to_owned()) {
                return Some(piece.to_owned());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("could not read the settings file: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("could not read the settings file")]
    struct Chains(#[source] std::io::Error);

    fn io() -> std::io::Error {
        std::io::Error::other("the disk went away at sector 7")
    }

    #[test]
    fn a_message_that_formats_its_source_is_found() {
        assert_eq!(
            repeated_sentence(&Repeats(io())).as_deref(),
            Some("the disk went away at sector 7")
        );
    }

    /// A realistic value of every variant of every error type of this crate: `Error` (with
    /// every `ResourceIdError` inside it), `InvalidName` and `UnknownRule`.
    fn control_plane_error() -> Error {
        Error::ControlPlane(
            crate::control_plane::admission(&[], &["20.0.0.0/40".to_owned()]).unwrap_err(),
        )
    }

    fn every_error() -> Vec<Box<dyn std::error::Error + 'static>> {
        use crate::config::{AksProvisioningConfiguration, LoadBalancerSettings, TlsSettings};
        use crate::resource_id::{AksClusterId, ComputeId, ResourceId, ResourceIdError, SubnetId};

        let sub = "00000000-0000-0000-0000-000000000000";
        let rg = format!("/subscriptions/{sub}/resourceGroups/rg");
        let ids: Vec<ResourceIdError> =
            vec![
            "".parse::<ResourceId>().unwrap_err(),
            "subscriptions/s".parse::<ResourceId>().unwrap_err(),
            format!("{rg}/").parse::<ResourceId>().unwrap_err(),
            format!("/subscriptions/{sub}//x").parse::<ResourceId>().unwrap_err(),
            format!("{rg}\n").parse::<ResourceId>().unwrap_err(),
            "/tenants/t".parse::<ResourceId>().unwrap_err(),
            format!("{rg}/providers/Microsoft.Network/virtualNetworks")
                .parse::<ResourceId>()
                .unwrap_err(),
            format!("{rg}/locks/x").parse::<ResourceId>().unwrap_err(),
            format!("{rg}/providers").parse::<ResourceId>().unwrap_err(),
            format!("{rg}/providers/Microsoft.Network")
                .parse::<ResourceId>()
                .unwrap_err(),
            format!("{rg}/providers/Microsoft.Network/virtualNetworks/v")
                .parse::<AksClusterId>()
                .unwrap_err(),
            format!("/subscriptions/{sub}/providers/Microsoft.ContainerService/managedClusters/a")
                .parse::<AksClusterId>()
                .unwrap_err(),
            AksClusterId::new(sub, "rg", "aks")
                .unwrap()
                .ensure_subscription("11111111-1111-1111-1111-111111111111")
                .unwrap_err(),
            AksClusterId::new(sub, "ml rg.", "aks").unwrap_err(),
            SubnetId::new(sub, "rg", "vnet/x", "aks-subnet").unwrap_err(),
            format!(
                "{rg}/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/1bad_name"
            )
            .parse::<ComputeId>()
            .unwrap_err(),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for e in &ids {
            // No wildcard: a new variant fails to compile until it is built above.
            seen.insert(match e {
                ResourceIdError::Empty => 0,
                ResourceIdError::MissingLeadingSlash { .. } => 1,
                ResourceIdError::TrailingSlash { .. } => 2,
                ResourceIdError::EmptySegment { .. } => 3,
                ResourceIdError::ControlCharacter { .. } => 4,
                ResourceIdError::NotSubscriptionScoped { .. } => 5,
                ResourceIdError::MissingName { .. } => 6,
                ResourceIdError::UnexpectedSegment { .. } => 7,
                ResourceIdError::MissingNamespace { .. } => 8,
                ResourceIdError::MissingResourceType { .. } => 9,
                ResourceIdError::WrongType { .. } => 10,
                ResourceIdError::MissingResourceGroup { .. } => 11,
                ResourceIdError::WrongSubscription { .. } => 12,
                ResourceIdError::InvalidResourceGroup { .. } => 13,
                ResourceIdError::InvalidSegment { .. } => 14,
                ResourceIdError::InvalidComputeName { .. } => 15,
            });
        }
        assert_eq!(seen.len(), 16, "{ids:#?}");

        // Three problems at three paths (two at one path would show the path twice, as they
        // should: that is no source repeated).
        let invalid = AksProvisioningConfiguration::builder()
            .agent_count(0)
            .cluster_purpose(crate::wire::ClusterPurpose::DevTest)
            .location("East US")
            .load_balancer(LoadBalancerSettings::internal("aks-subnet"))
            .enable_ssl(TlsSettings::microsoft("contoso", false))
            .build()
            .unwrap_err();
        let name = "1_".parse::<crate::ComputeName>().unwrap_err();
        let mut errors: Vec<Error> = vec![
            invalid,
            Error::from(name.clone()),
            Error::Update {
                compute: "aks1".into(),
                reason: "TLS termination is not supported with an internal load balancer; disable TLS in the same update, or keep the public IP".into(),
                rule: Some(crate::Rule::TlsInternalLoadBalancer),
            },
            crate::spec::ComputeSpec::from_json(r#"{"name": "aks1", "tsl": {}}"#).unwrap_err(),
            control_plane_error(),
        ];
        errors.extend(ids.into_iter().map(Error::from));
        let mut kinds = std::collections::BTreeSet::new();
        for e in &errors {
            kinds.insert(match e {
                Error::Invalid(_) => 0,
                Error::InvalidName(_) => 1,
                Error::InvalidResourceId(_) => 2,
                Error::Update { .. } => 3,
                Error::Spec { .. } => 4,
                Error::ControlPlane(_) => 5,
            });
        }
        assert_eq!(kinds.len(), 6);

        let mut out: Vec<Box<dyn std::error::Error>> = errors
            .into_iter()
            .map(|e| Box::new(e) as Box<dyn std::error::Error>)
            .collect();
        out.push(Box::new(name));
        out.push(Box::new("tls.nope".parse::<crate::Rule>().unwrap_err()));
        out
    }

    #[test]
    fn no_error_of_this_crate_repeats_its_source() {
        for e in every_error() {
            assert_eq!(
                repeated_sentence(e.as_ref()),
                None,
                "{:?}",
                chain(e.as_ref())
            );
        }
    }

    #[test]
    fn forwarding_variants_show_their_source_once_and_causes_chain() {
        let name = "1_".parse::<crate::ComputeName>().unwrap_err();
        let e = Error::from(name.clone());
        assert_eq!(chain(&e), [name.to_string()]);
        let spec = crate::spec::ComputeSpec::from_json("{").unwrap_err();
        assert_eq!(chain(&spec).len(), 2, "{:?}", chain(&spec));
        let compute = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/1bad_name"
            .parse::<crate::ComputeId>()
            .unwrap_err();
        assert_eq!(chain(&compute).len(), 2, "{:?}", chain(&compute));
    }

    #[test]
    fn a_message_that_chains_its_source_passes() {
        assert_eq!(repeated_sentence(&Chains(io())), None);
        assert_eq!(
            chain(&Chains(io())),
            [
                "could not read the settings file",
                "the disk went away at sector 7"
            ]
        );
    }
}
