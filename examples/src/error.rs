//! Errors as a person reads them: [`describe_error`] and [`Failure`], what an example's `main`
//! returns.

use std::error::Error as StdError;
use std::fmt;

use crate::BoxError;

/// An error as a person reads it, every text of its chain once: a validation failure as its
/// problems, one per line (its own message only summarizes them); otherwise the error, then
/// each cause on a line of its own (smithy-rs RFC 0022: no message repeats its source's).
pub fn describe_error(error: &(dyn StdError + 'static)) -> String {
    aml_compute::describe_error(error)
}

/// What an example's `main` returns on failure: its `Debug` (what Rust prints for an error
/// returned from `main`) is [`describe_error`]'s text.
pub struct Failure(BoxError);

impl<E: Into<BoxError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_error(&*self.0))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_error(&*self.0))
    }
}

impl Failure {
    /// The error.
    pub fn error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }
}
