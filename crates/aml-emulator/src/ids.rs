//! Fresh identifiers: [`uuid`] for request and operation ids (version 4, from the `uuid` crate),
//! and [`IdSource`] for random name suffixes, tokens and addresses (`fastrand`: not
//! cryptographic, which is all an emulator needs).

use std::sync::{Mutex, MutexGuard, PoisonError};

/// A fresh version-4 UUID in its usual text form, as ARM uses for request and operation ids.
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A thread-safe source of random-looking names and numbers.
#[derive(Debug)]
pub(crate) struct IdSource {
    rng: Mutex<fastrand::Rng>,
}

impl IdSource {
    /// A source with a random seed.
    pub(crate) fn new() -> Self {
        Self {
            rng: Mutex::new(fastrand::Rng::new()),
        }
    }

    fn rng(&self) -> MutexGuard<'_, fastrand::Rng> {
        self.rng.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&self) -> u64 {
        self.rng().u64(..)
    }

    /// `len` random characters from `alphabet`.
    fn pick(&self, len: usize, alphabet: &[u8]) -> String {
        let mut rng = self.rng();
        (0..len)
            .map(|_| char::from(alphabet[rng.usize(..alphabet.len())]))
            .collect()
    }

    /// `len` random lower-case hexadecimal digits.
    pub(crate) fn hex(&self, len: usize) -> String {
        self.pick(len, b"0123456789abcdef")
    }

    /// `len` random lower-case letters and digits.
    pub(crate) fn alphanumeric(&self, len: usize) -> String {
        self.pick(len, b"abcdefghijklmnopqrstuvwxyz0123456789")
    }

    /// A random byte.
    pub(crate) fn byte(&self) -> u8 {
        self.rng().u8(..)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn uuids_are_well_formed_and_distinct() {
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let id = uuid();
            assert_eq!(id.len(), 36, "{id}");
            assert_eq!(&id[14..15], "4", "{id}");
            assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn suffixes_use_their_alphabet() {
        let ids = IdSource::new();
        let text = ids.alphanumeric(64);
        assert_eq!(text.len(), 64);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert!(ids.hex(32).chars().all(|c| c.is_ascii_hexdigit()));
    }
}
