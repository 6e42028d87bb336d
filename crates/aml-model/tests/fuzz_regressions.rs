//! Inputs the fuzz targets in `fuzz/` found, fed byte for byte, so the normal test suite keeps
//! them fixed. Each test names the target and the artifact it came from (`fuzz/README.md`).

use std::fmt::Debug;

use aml_model::wire::{ErrorResponse, OperationStatusResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The wire round-trip the module docs promise: parse, serialize, parse again; the values and
/// their JSON are equal (a GET-modify-PUT changes nothing it did not mean to).
fn assert_round_trips<T>(input: &[u8]) -> serde_json::Result<()>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let first: T = serde_json::from_slice(input)?;
    let text = serde_json::to_string(&first)?;
    let second: T = serde_json::from_str(&text)?;
    assert_eq!(first, second, "{text}");
    assert_eq!(serde_json::to_string(&second)?, text);
    Ok(())
}

/// `wire_error_response`, crash-ae77c99c1dee61e445f93719503898b2d1f248f6: a float in an
/// unknown field changed its last bit between the first and the second parse (serde_json
/// without `float_roundtrip` does not round decimal text correctly in every case).
#[test]
fn float_in_unknown_error_field_survives_a_round_trip() -> serde_json::Result<()> {
    assert_round_trips::<ErrorResponse>(b"{\"z\": 2222222224674407542.716}\n ")
}

/// `wire_operation_status`, crash-6a5f01ce5eb9cc54f62dbad6a8428c1d0abbdd80: the same, in an
/// operation status with unknown fields only.
#[test]
fn float_in_unknown_operation_field_survives_a_round_trip() -> serde_json::Result<()> {
    assert_round_trips::<OperationStatusResult>(
        b"{\"st\":\"Deleting\",\"errorperc|tatuse\":1333723460345399266984e2,\
          \"errorperc|tatu3333333333333333330000000133333333333333333333333000z0000149r\":{}}\n",
    )
}
