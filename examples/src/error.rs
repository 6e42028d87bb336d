//! [`Failure`], what an example's `main` returns: an error as a person reads it.

use std::fmt;

use crate::BoxError;

/// What an example's `main` returns on failure: its `Debug` (what Rust prints for an error
/// returned from `main`) is `aml_compute::describe_error`'s text: every text of its chain once.
pub struct Failure(BoxError);

impl<E: Into<BoxError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&aml_compute::describe_error(&*self.0))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&aml_compute::describe_error(&*self.0))
    }
}
