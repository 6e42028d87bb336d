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

    /// A compute spec document could not be read as YAML or JSON of the expected shape.
    #[error("compute spec is not valid {format}: {message} [spec.invalid]")]
    Spec {
        /// `YAML` or `JSON`.
        format: &'static str,
        /// The parser's explanation, with the line and column where it has them.
        message: String,
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
