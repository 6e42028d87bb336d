//! Fresh identifiers: request ids, operation ids, random name suffixes, tokens.
//!
//! Not cryptographic: a SplitMix64 sequence seeded from the standard library's per-process
//! random hasher keys, which is all an emulator needs (unique, unpredictable enough for tests).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// The SplitMix64 increment.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A thread-safe source of random-looking ids.
#[derive(Debug)]
pub(crate) struct IdSource {
    state: AtomicU64,
}

impl IdSource {
    /// A source seeded from the process's random hasher keys.
    pub(crate) fn new() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x0061_6d6c_2d65_6d75);
        Self {
            state: AtomicU64::new(hasher.finish()),
        }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(GAMMA, Ordering::Relaxed)
            .wrapping_add(GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A version-4 UUID in its usual text form, as ARM uses for request ids.
    pub(crate) fn uuid(&self) -> String {
        let high = (self.next_u64() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let low = (self.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xFFFF,
            high & 0xFFFF,
            low >> 48,
            low & 0xFFFF_FFFF_FFFF
        )
    }

    /// `len` random characters from `alphabet`.
    fn pick(&self, len: usize, alphabet: &[u8]) -> String {
        (0..len)
            .map(|_| {
                let index = self.next_u64() % alphabet.len() as u64;
                char::from(alphabet[usize::try_from(index).unwrap_or_default()])
            })
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
        self.next_u64().to_le_bytes()[0]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn uuids_are_well_formed_and_distinct() {
        let ids = IdSource::new();
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let id = ids.uuid();
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
