//! Helpers shared by the fuzz targets in `fuzz_targets/`: the round-trip property of the ARM wire
//! types, a fixed clock for the TLS checks, an in-process emulator driven over loopback HTTP, and
//! the header readers of aml-arm fed arbitrary header lines.
//!
//! Every helper panics on a broken property; libFuzzer reports the panic as a crash and saves the
//! input under `fuzz/artifacts/<target>/`.

use std::fmt::Debug;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub mod arm_headers;
pub mod emulator;
pub mod spec;

/// 2027-01-01T00:00:00Z: the TLS checks take `now` as a parameter, and a fuzz run must not
/// depend on the wall clock.
pub fn now() -> aml_tls::OffsetDateTime {
    aml_tls::OffsetDateTime::from_unix_timestamp(1_798_761_600)
        .unwrap_or(aml_tls::OffsetDateTime::UNIX_EPOCH)
}

/// Parses `data` as `T`; when it parses, serializes it, parses that again and checks both the
/// values and their JSON are equal (a GET-modify-PUT must lose nothing). `Debug` is exercised
/// too (it redacts secrets by walking the JSON).
pub fn wire_round_trip<T>(data: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let Ok(first) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let _ = format!("{first:?}");
    let text = serde_json::to_string(&first).expect("a parsed wire value serializes");
    let second: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("re-parsing our own output failed: {e}\n{text}"));
    assert_eq!(first, second, "parse(serialize(x)) != x for {text}");
    let again = serde_json::to_string(&second).expect("a parsed wire value serializes");
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&text).expect("our own output is JSON"),
        serde_json::from_str(&again).expect("our own output is JSON"),
    );
    assert_eq!(a, b, "serialization is not stable");
}

/// Checks that two values that compare equal hash equally (ids compare ignoring ASCII case).
pub fn assert_hash_agrees<T: Hash + Eq + Debug>(a: &T, b: &T) {
    assert_eq!(a, b);
    let hash = |value: &T| {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    };
    assert_eq!(
        hash(a),
        hash(b),
        "equal ids hash differently: {a:?} / {b:?}"
    );
}

/// Splits `data` at the first `separator` into at most `N` parts; missing parts are empty.
pub fn split<'a, const N: usize>(data: &'a [u8], separator: &[u8]) -> [&'a [u8]; N] {
    let mut parts = [&data[..0]; N];
    let mut rest = data;
    for (index, part) in parts.iter_mut().enumerate() {
        if index + 1 == N {
            *part = rest;
            break;
        }
        match find(rest, separator) {
            Some(at) => {
                *part = &rest[..at];
                rest = &rest[at + separator.len()..];
            }
            None => {
                *part = rest;
                rest = &rest[rest.len()..];
            }
        }
    }
    parts
}

/// The position of the first `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
