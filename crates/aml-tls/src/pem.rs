//! PEM framing (RFC 7468, with the RFC 1421 headers OpenSSL still writes).
//!
//! This scanner is ours rather than `rustls-pki-types`' so that every problem is reported with
//! its line (and column), encrypted keys are recognised by their `Proc-Type` header, and no
//! message ever repeats a line of the input (which could be part of a key). Decoded blocks are
//! handed to the `rustls-pki-types` DER types.
//!
//! Text outside blocks (for example the human-readable part `openssl x509 -text` prints) is
//! ignored, as RFC 7468 allows.

use zeroize::{Zeroize, Zeroizing};

use crate::base64::{decode_base64, encode_pem_body, pem_body_len};
use crate::error::{Error, Result};

/// One `-----BEGIN X-----` … `-----END X-----` block, not yet decoded.
pub(crate) struct Block<'a> {
    /// The label, such as `CERTIFICATE` (ASCII).
    pub(crate) label: &'a str,
    /// One-based line of the BEGIN marker.
    pub(crate) line: usize,
    /// Whether an RFC 1421 `Proc-Type: 4,ENCRYPTED` header was present.
    pub(crate) encrypted_header: bool,
    /// The base64 body, headers excluded.
    body: &'a [u8],
    /// One-based line where `body` starts.
    body_line: usize,
}

impl Block<'_> {
    /// Decodes the base64 body; errors carry the line and column in the original text.
    pub(crate) fn decode(&self) -> Result<Zeroizing<Vec<u8>>> {
        decode_base64(self.body).map_err(|err| match err {
            Error::Base64Character { offset } => {
                let before = &self.body[..offset.min(self.body.len())];
                let newlines = before.split(|b| *b == b'\n').count() - 1;
                let line_start = before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
                Error::PemBase64 {
                    label: self.label.to_owned(),
                    line: self.body_line + newlines,
                    column: offset - line_start + 1,
                }
            }
            _ => Error::PemTruncated {
                label: self.label.to_owned(),
                line: self.line,
            },
        })
    }
}

struct Open<'a> {
    label: &'a str,
    line: usize,
    encrypted_header: bool,
    body: Option<(usize, usize)>,
}

/// Splits `input` into PEM blocks, checking the framing (markers, nesting, termination).
pub(crate) fn scan(input: &[u8]) -> Result<Vec<Block<'_>>> {
    let mut blocks = Vec::new();
    let mut open: Option<Open<'_>> = None;
    let mut start = 0;
    let mut line_no = 0;
    while start < input.len() {
        let end = input[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(input.len(), |i| start + i);
        line_no += 1;
        let line = input[start..end].trim_ascii();
        if line.starts_with(b"-----BEGIN") {
            if let Some(unclosed) = open {
                return Err(Error::PemUnterminated {
                    label: unclosed.label.to_owned(),
                    line: unclosed.line,
                });
            }
            open = Some(Open {
                label: marker_label(line, b"-----BEGIN ", line_no)?,
                line: line_no,
                encrypted_header: false,
                body: None,
            });
        } else if line.starts_with(b"-----END") {
            let label = marker_label(line, b"-----END ", line_no)?;
            let Some(block) = open.take() else {
                return Err(Error::PemStrayEnd {
                    label: label.to_owned(),
                    line: line_no,
                });
            };
            if block.label != label {
                return Err(Error::PemMismatchedEnd {
                    expected: block.label.to_owned(),
                    found: label.to_owned(),
                    line: line_no,
                });
            }
            let (body_start, body_line) = block.body.unwrap_or((start, line_no));
            blocks.push(Block {
                label: block.label,
                line: block.line,
                encrypted_header: block.encrypted_header,
                body: &input[body_start..start],
                body_line,
            });
        } else if let Some(block) = open.as_mut().filter(|b| b.body.is_none()) {
            if line.contains(&b':') {
                // An RFC 1421 header such as `Proc-Type: 4,ENCRYPTED` or `DEK-Info: ...`.
                if line.starts_with(b"Proc-Type:") && contains(line, b"ENCRYPTED") {
                    block.encrypted_header = true;
                }
            } else if !line.is_empty() {
                block.body = Some((start, line_no));
            }
        }
        start = end + 1;
    }
    if let Some(unclosed) = open {
        return Err(Error::PemUnterminated {
            label: unclosed.label.to_owned(),
            line: unclosed.line,
        });
    }
    Ok(blocks)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The label of a `-----BEGIN LABEL-----` / `-----END LABEL-----` line.
fn marker_label<'a>(line: &'a [u8], prefix: &[u8], line_no: usize) -> Result<&'a str> {
    let malformed = || Error::PemMarker { line: line_no };
    let label = line
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(b"-----"))
        .ok_or_else(malformed)?;
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
    if label.is_empty() || !label.iter().all(printable) || label.starts_with(b"-") {
        return Err(malformed());
    }
    std::str::from_utf8(label).map_err(|_| malformed())
}

/// Length of [`encode`]'s output.
fn encoded_len(label: &str, der_len: usize) -> usize {
    "-----BEGIN -----\n".len() + "-----END -----\n".len() + 2 * label.len() + pem_body_len(der_len)
}

/// Appends `der` as a PEM block with `label` to `out`, growing `out` once.
pub(crate) fn encode(label: &str, der: &[u8], out: &mut Vec<u8>) {
    out.reserve(encoded_len(label, der.len()));
    out.extend_from_slice(b"-----BEGIN ");
    out.extend_from_slice(label.as_bytes());
    out.extend_from_slice(b"-----\n");
    encode_pem_body(der, out);
    out.extend_from_slice(b"-----END ");
    out.extend_from_slice(label.as_bytes());
    out.extend_from_slice(b"-----\n");
}

/// PEM text of public material.
pub(crate) fn encode_public(label: &str, der: &[u8], out: &mut String) {
    let mut bytes = Vec::with_capacity(encoded_len(label, der.len()));
    encode(label, der, &mut bytes);
    out.push_str(&String::from_utf8_lossy(&bytes));
}

/// PEM text of secret material, in a zeroizing string built without intermediate copies.
pub(crate) fn encode_secret(label: &str, der: &[u8]) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(encoded_len(label, der.len())));
    encode(label, der, &mut bytes);
    // Moving the buffer out of its zeroizing wrapper and into a String reuses the allocation.
    let bytes = std::mem::take(&mut *bytes);
    Zeroizing::new(String::from_utf8(bytes).unwrap_or_else(|err| {
        let mut bytes = err.into_bytes();
        bytes.zeroize();
        String::new()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(input: &str) -> Vec<String> {
        scan(input.as_bytes())
            .unwrap()
            .iter()
            .map(|b| b.label.to_owned())
            .collect()
    }

    #[test]
    fn text_around_blocks_is_ignored_and_crlf_is_accepted() {
        let input = "Certificate:\r\n  Data: ...\r\n-----BEGIN CERTIFICATE-----\r\naGk=\r\n\
                     -----END CERTIFICATE-----\r\ntrailing words\r\n";
        assert_eq!(labels(input), ["CERTIFICATE"]);
        let blocks = scan(input.as_bytes()).unwrap();
        assert_eq!(&blocks[0].decode().unwrap()[..], b"hi");
    }

    #[test]
    fn proc_type_header_marks_the_block_encrypted_and_is_not_body() {
        let input = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                     DEK-Info: AES-128-CBC,00FF\n\naGk=\n-----END RSA PRIVATE KEY-----\n";
        let blocks = scan(input.as_bytes()).unwrap();
        assert!(blocks[0].encrypted_header);
        assert_eq!(&blocks[0].decode().unwrap()[..], b"hi");
    }

    #[test]
    fn unterminated_block_names_its_begin_line() {
        let err = scan(b"\n-----BEGIN CERTIFICATE-----\naGk=\n")
            .err()
            .unwrap();
        assert!(
            matches!(&err, Error::PemUnterminated { label, line: 2 } if label == "CERTIFICATE"),
            "{err:?}"
        );
    }

    #[test]
    fn mismatched_end_is_reported() {
        let err = scan(b"-----BEGIN CERTIFICATE-----\naGk=\n-----END PRIVATE KEY-----\n")
            .err()
            .unwrap();
        assert!(
            matches!(err, Error::PemMismatchedEnd { line: 3, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn malformed_marker_is_reported_with_its_line() {
        let err = scan(b"-----BEGIN CERTIFICATE\naGk=\n").err().unwrap();
        assert!(matches!(err, Error::PemMarker { line: 1 }), "{err:?}");
    }

    #[test]
    fn invalid_base64_is_reported_at_line_and_column() {
        let input = "-----BEGIN CERTIFICATE-----\naGVsbG8g\nd2$ybGQ=\n-----END CERTIFICATE-----\n";
        let blocks = scan(input.as_bytes()).unwrap();
        let err = blocks[0].decode().unwrap_err();
        assert!(
            matches!(
                err,
                Error::PemBase64 {
                    line: 3,
                    column: 3,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_body_is_reported() {
        let input = "-----BEGIN CERTIFICATE-----\naGVsbG8gd\n-----END CERTIFICATE-----\n";
        let err = scan(input.as_bytes()).unwrap()[0].decode().unwrap_err();
        assert!(
            matches!(err, Error::PemTruncated { line: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn encode_round_trips() {
        let der: Vec<u8> = (0..=255).collect();
        let text = encode_secret("PRIVATE KEY", &der);
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(text.ends_with("-----END PRIVATE KEY-----\n"));
        let blocks = scan(text.as_bytes()).unwrap();
        assert_eq!(&blocks[0].decode().unwrap()[..], &der[..]);
    }
}
