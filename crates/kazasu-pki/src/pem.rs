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

fn pem_error(e: pem_rfc7468::Error) -> Error {
    Error::Pem(e.to_string())
}

/// A decoded block: its label and DER.
type Block = (String, Vec<u8>);

/// The first block of `input` as `(label, DER)` and the text after it, or `None` when no
/// `-----BEGIN ` line is left.
///
/// `pem-rfc7468` parses the armour (labels, matching END line, line endings) and the base64, but
/// it takes exactly one block that must end the input, so finding where a block ends is ours.
/// `x509-cert`'s `Certificate::load_pem_chain` splits bundles, but only of `CERTIFICATE` blocks
/// with nothing between them, with a bare `der::Error` for a wrong label (no
/// [`Error::PemLabel`]), and it returns decoded certificates rather than the DER as found.
fn next_block(input: &[u8]) -> Result<Option<(Block, &[u8])>, Error> {
    let Some(start) = find(input, BEGIN) else {
        return Ok(None);
    };
    let block = &input[start..];
    let end_line = find(block, END).ok_or_else(|| Error::Pem("no END line".into()))?;
    let after_end = end_line + END.len();
    let close = find(&block[after_end..], b"-----")
        .ok_or_else(|| Error::Pem("unterminated END line".into()))?;
    let (block, rest) = block.split_at(after_end + close + b"-----".len());
    let (label, der) = pem_rfc7468::decode_vec(block).map_err(pem_error)?;
    Ok(Some(((label.to_owned(), der), rest)))
}

/// Every PEM block of `input` as `(label, DER)`, in order. Text outside the blocks is ignored
/// (RFC 7468 §2 explanatory text).
pub fn decode_blocks(input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some((block, after)) = next_block(rest)? {
        out.push(block);
        rest = after;
    }
    if out.is_empty() {
        return Err(Error::Pem("no PEM block".into()));
    }
    Ok(out)
}

fn expect_label(label: &'static str, (found, der): Block) -> Result<Vec<u8>, Error> {
    if found == label {
        Ok(der)
    } else {
        Err(Error::PemLabel {
            expected: label,
            found,
        })
    }
}

/// The DER of every block labelled `label` (blocks with other labels are an error).
pub fn decode_all(input: &[u8], label: &'static str) -> Result<Vec<Vec<u8>>, Error> {
    decode_blocks(input)?
        .into_iter()
        .map(|block| expect_label(label, block))
        .collect()
}

/// The DER of the first block, which must be labelled `label`; later blocks are not read.
pub fn decode_first(input: &[u8], label: &'static str) -> Result<Vec<u8>, Error> {
    let (block, _) = next_block(input)?.ok_or_else(|| Error::Pem("no PEM block".into()))?;
    expect_label(label, block)
}

/// PEM text with LF line endings.
pub fn encode(label: &'static str, der: &[u8]) -> Result<String, Error> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).map_err(pem_error)
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

    #[test]
    fn first_block_only_and_text_around_blocks() {
        let a = encode(CERTIFICATE, &[0x30, 0x00]).unwrap();
        let broken = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        let text = format!("-----END stray-----\n{a}{broken}");
        assert_eq!(
            decode_first(text.as_bytes(), CERTIFICATE).unwrap(),
            [0x30, 0x00]
        );
        assert!(matches!(decode_blocks(text.as_bytes()), Err(Error::Pem(_))));
        let crlf = a.replace('\n', "\r\n");
        assert_eq!(
            decode_all(format!("{crlf}{crlf}").as_bytes(), CERTIFICATE).unwrap(),
            [[0x30, 0x00], [0x30, 0x00]]
        );
    }
}
