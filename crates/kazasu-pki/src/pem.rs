//! PEM armour (RFC 7468) around certificates and CRLs, several blocks per file allowed.

use crate::Error;

/// Label of a certificate block.
pub const CERTIFICATE: &str = "CERTIFICATE";
/// Label of a CRL block.
pub const X509_CRL: &str = "X509 CRL";

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";

/// DER or PEM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Starts with a SEQUENCE tag.
    Der,
    /// Contains a `-----BEGIN ` line.
    Pem,
}

/// Tells DER from PEM by the first byte / the armour.
pub fn sniff(input: &[u8]) -> Result<Format, Error> {
    if input.first() == Some(&0x30) {
        Ok(Format::Der)
    } else if find(input, BEGIN).is_some() {
        Ok(Format::Pem)
    } else {
        Err(Error::NotDerOrPem)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Every PEM block of `input` as `(label, DER)`, in order. Text outside the blocks is ignored
/// (RFC 7468 §2 explanatory text).
pub fn decode_blocks(input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(start) = find(rest, BEGIN) {
        let block = &rest[start..];
        let after_begin = &block[BEGIN.len()..];
        let label_end = find(after_begin, b"-----")
            .ok_or_else(|| Error::Pem("unterminated BEGIN line".into()))?;
        let label = &after_begin[..label_end];
        let mut end_marker = END.to_vec();
        end_marker.extend_from_slice(label);
        end_marker.extend_from_slice(b"-----");
        let end = find(block, &end_marker).ok_or_else(|| {
            Error::Pem(format!(
                "no END line for {}",
                String::from_utf8_lossy(label)
            ))
        })?;
        let block_end = end + end_marker.len();
        let (found, der) =
            pem_rfc7468::decode_vec(&block[..block_end]).map_err(|e| Error::Pem(e.to_string()))?;
        out.push((found.to_owned(), der));
        rest = &block[block_end..];
    }
    if out.is_empty() {
        return Err(Error::Pem("no PEM block".into()));
    }
    Ok(out)
}

/// The DER of every block labelled `label` (blocks with other labels are an error).
pub fn decode_all(input: &[u8], label: &'static str) -> Result<Vec<Vec<u8>>, Error> {
    decode_blocks(input)?
        .into_iter()
        .map(|(found, der)| {
            if found == label {
                Ok(der)
            } else {
                Err(Error::PemLabel {
                    expected: label,
                    found,
                })
            }
        })
        .collect()
}

/// The DER of the first block, which must be labelled `label`.
pub fn decode_first(input: &[u8], label: &'static str) -> Result<Vec<u8>, Error> {
    let start = find(input, BEGIN).ok_or_else(|| Error::Pem("no PEM block".into()))?;
    let blocks = decode_blocks(&input[start..])?;
    let (found, der) = blocks
        .into_iter()
        .next()
        .ok_or_else(|| Error::Pem("no PEM block".into()))?;
    if found == label {
        Ok(der)
    } else {
        Err(Error::PemLabel {
            expected: label,
            found,
        })
    }
}

/// PEM text with LF line endings.
pub fn encode(label: &'static str, der: &[u8]) -> Result<String, Error> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .map_err(|e| Error::Pem(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_labels() {
        let a = encode(CERTIFICATE, &[0x30, 0x00]).unwrap();
        let b = encode(X509_CRL, &[0x30, 0x01, 0x05]).unwrap();
        let text = format!("comment\n{a}between\n{b}trailer\n");
        let blocks = decode_blocks(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1], (X509_CRL.to_owned(), vec![0x30, 0x01, 0x05]));
        assert_eq!(
            decode_first(text.as_bytes(), CERTIFICATE).unwrap(),
            [0x30, 0x00]
        );
        assert!(matches!(
            decode_all(text.as_bytes(), CERTIFICATE),
            Err(Error::PemLabel { .. })
        ));
        assert_eq!(sniff(text.as_bytes()).unwrap(), Format::Pem);
        assert_eq!(sniff(&[0x30]).unwrap(), Format::Der);
        assert!(matches!(sniff(b"garbage"), Err(Error::NotDerOrPem)));
        assert!(matches!(
            decode_blocks(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
            Err(Error::Pem(_))
        ));
        assert!(matches!(
            decode_blocks(b"-----BEGIN CERTIFICATE-----\nMAA=\n"),
            Err(Error::Pem(_))
        ));
        assert!(matches!(
            decode_blocks(b"-----BEGIN CERT"),
            Err(Error::Pem(_))
        ));
    }
}
