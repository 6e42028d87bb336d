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
