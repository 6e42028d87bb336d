//! Base64 as Kubernetes writes it, and as PEM bodies hold it.
//!
//! Standard alphabet with `=` padding (RFC 4648 section 4). Line breaks and other ASCII
//! whitespace anywhere are ignored, so text copied from a terminal or wrapped by an editor still
//! decodes. Missing padding is tolerated; a truncated text is not. Decoded bytes are returned in
//! a [`Zeroizing`] buffer because they may be a private key.

use ::base64::Engine as _;
use ::base64::alphabet;
use ::base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const DECODER: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const ENCODER: GeneralPurpose = ::base64::engine::general_purpose::STANDARD;

/// Decodes standard base64, ignoring ASCII whitespace anywhere in `text`.
///
/// An invalid character is reported with its byte offset in `text` as given (whitespace
/// included), so it can be found in the original.
///
/// ```
/// let bytes = aml_tls::decode_base64(b"aGVs\nbG8=\n").unwrap();
/// assert_eq!(&bytes[..], b"hello");
///
/// let err = aml_tls::decode_base64(b"aGVs\nbG*=").unwrap_err();
/// assert!(matches!(err, aml_tls::Error::Base64Character { offset: 7 }));
/// ```
pub fn decode_base64(text: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let mut compact = Zeroizing::new(Vec::with_capacity(text.len()));
    compact.extend(text.iter().copied().filter(|b| !b.is_ascii_whitespace()));
    // Reserve the whole output up front: the decoder then never reallocates, which would leave
    // an unzeroized copy of a secret behind.
    let mut out = Zeroizing::new(Vec::with_capacity(
        ::base64::decoded_len_estimate(compact.len()) + 3,
    ));
    match DECODER.decode_vec(&*compact, &mut out) {
        Ok(()) => Ok(out),
        Err(::base64::DecodeError::InvalidByte(index, _)) => Err(Error::Base64Character {
            offset: original_offset(text, index),
        }),
        Err(
            ::base64::DecodeError::InvalidLength(_)
            | ::base64::DecodeError::InvalidLastSymbol(..)
            | ::base64::DecodeError::InvalidPadding,
        ) => Err(Error::Base64Incomplete {
            significant: compact.len(),
        }),
    }
}

/// Offset in `text` of its `index`-th non-whitespace byte.
fn original_offset(text: &[u8], index: usize) -> usize {
    text.iter()
        .enumerate()
        .filter(|(_, b)| !b.is_ascii_whitespace())
        .nth(index)
        .map_or(text.len(), |(offset, _)| offset)
}

/// Length of [`encode_pem_body`]'s output for `len` input bytes.
pub(crate) fn pem_body_len(len: usize) -> usize {
    let encoded = len.div_ceil(3) * 4;
    encoded + encoded.div_ceil(64)
}

/// Appends `bytes` as standard base64 with `=` padding, in lines of 64 characters, each ending
/// with `\n` (the PEM layout of RFC 7468).
///
/// The encoding is written straight into `out` (no intermediate buffer), so a caller that
/// reserved [`pem_body_len`] bytes in a zeroizing buffer leaves no copy of a secret behind.
pub(crate) fn encode_pem_body(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(pem_body_len(bytes.len()));
    for chunk in bytes.chunks(48) {
        let start = out.len();
        out.resize(start + chunk.len().div_ceil(3) * 4, 0);
        let written = ENCODER.encode_slice(chunk, &mut out[start..]).unwrap_or(0);
        out.truncate(start + written);
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_base64_with_line_breaks_and_surrounding_whitespace() {
        let decoded = decode_base64(b"  aGVsbG8g\r\n  d29ybGQ=\n\t").unwrap();
        assert_eq!(&decoded[..], b"hello world");
    }

    #[test]
    fn missing_padding_is_tolerated() {
        assert_eq!(&decode_base64(b"aGk").unwrap()[..], b"hi");
    }

    #[test]
    fn invalid_byte_is_reported_at_its_offset_in_the_original() {
        // '-' is URL-safe base64, not standard; offset 10 counts the newline.
        let err = decode_base64(b"aGVsbG8g\nd-9ybGQ=").unwrap_err();
        assert!(
            matches!(err, Error::Base64Character { offset: 10 }),
            "{err:?}"
        );
        assert!(err.to_string().contains("byte offset 10"));
    }

    #[test]
    fn truncated_text_is_incomplete() {
        let err = decode_base64(b"aGVsbG8gd").unwrap_err();
        assert!(
            matches!(err, Error::Base64Incomplete { significant: 9 }),
            "{err:?}"
        );
    }

    #[test]
    fn pem_body_lines_are_64_characters() {
        let mut out = Vec::new();
        encode_pem_body(&[7u8; 100], &mut out);
        assert_eq!(out.len(), pem_body_len(100));
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 64);
        assert_eq!(lines[1].len(), 64);
        assert!(out.ends_with('\n'));
        assert_eq!(&decode_base64(out.as_bytes()).unwrap()[..], &[7u8; 100][..]);
    }

    #[test]
    fn empty_input_decodes_to_nothing() {
        assert!(decode_base64(b" \n").unwrap().is_empty());
    }
}
