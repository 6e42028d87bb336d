//! Shared support code for the examples (none yet).
