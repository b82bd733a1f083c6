//! Where the signed part, the names and the signature of a certificate lie in its DER, read with
//! `der`'s reader: the signature is checked over the `tbsCertificate` bytes exactly as received, and
//! issuers are matched by the received bytes of their names.

use std::ops::Range;

use der::{Decode, Header, Length, Reader, SliceReader, Tag, TagNumber};

/// Byte ranges within a certificate's DER.
pub(super) struct Framing {
    /// The whole `tbsCertificate` element.
    pub(super) tbs: Range<usize>,
    /// The issuer `Name` element.
    pub(super) issuer_der: Range<usize>,
    /// The subject `Name` element.
    pub(super) subject_der: Range<usize>,
    /// The signature bits (after the BIT STRING's unused-bits octet, which must be zero).
    pub(super) signature: Range<usize>,
}

fn at(r: &SliceReader<'_>) -> der::Result<usize> {
    usize::try_from(r.position())
}

/// Reads one element with `tag` and returns its absolute byte range.
fn element(r: &mut SliceReader<'_>, tag: Tag) -> der::Result<Range<usize>> {
    let start = at(r)?;
    let header = Header::decode(r)?;
    header.tag().assert_eq(tag)?;
    r.read_slice(header.length())?;
    Ok(start..at(r)?)
}

/// Reads a constructed element with `tag` and runs `f` over its contents; `f` need not read them all.
fn nested<T>(
    r: &mut SliceReader<'_>,
    tag: Tag,
    f: impl FnOnce(&mut SliceReader<'_>) -> der::Result<T>,
) -> der::Result<(Range<usize>, T)> {
    let start = at(r)?;
    let header = Header::decode(r)?;
    header.tag().assert_eq(tag)?;
    let value = r.read_nested(header.length(), |r| -> der::Result<T> {
        let value = f(r)?;
        r.drain(r.remaining_len())?;
        Ok(value)
    })?;
    Ok((start..at(r)?, value))
}

impl Framing {
    /// Finds the ranges; the rest of the structure is `x509-cert`'s to check.
    pub(super) fn of(der: &[u8]) -> der::Result<Self> {
        const VERSION: Tag = Tag::ContextSpecific {
            constructed: true,
            number: TagNumber(0),
        };
        let mut r = SliceReader::new(der)?;
        let (_, framing) = nested(&mut r, Tag::Sequence, |r| {
            let (tbs, (issuer_der, subject_der)) = nested(r, Tag::Sequence, |t| {
                if Tag::peek(t)? == VERSION {
                    element(t, VERSION)?;
                }
                element(t, Tag::Integer)?;
                element(t, Tag::Sequence)?;
                let issuer = element(t, Tag::Sequence)?;
                element(t, Tag::Sequence)?;
                Ok((issuer, element(t, Tag::Sequence)?))
            })?;
            element(r, Tag::Sequence)?;
            let header = Header::decode(r)?;
            header.tag().assert_eq(Tag::BitString)?;
            let unused_bits = r.read_byte()?;
            if unused_bits != 0 {
                return Err(Tag::BitString.value_error().into());
            }
            let start = at(r)?;
            let bits_len = (header.length() - Length::ONE)?;
            r.read_slice(bits_len)?;
            let signature = start..at(r)?;
            if !r.is_finished() {
                // `nested` skips what its closure leaves; after the signature nothing may follow.
                return Err(der::ErrorKind::TrailingData {
                    decoded: r.position(),
                    remaining: r.remaining_len(),
                }
                .into());
            }
            Ok(Self {
                tbs,
                issuer_der,
                subject_der,
                signature,
            })
        })?;
        r.finish()?;
        Ok(framing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_a_minimal_certificate_shape() {
        // SEQUENCE { SEQUENCE { [0] {INTEGER 2}, INTEGER 1, SEQ{}, SEQ{31..}, SEQ{}, SEQ{31..} }, SEQ{}, BIT STRING 00 AB } (not a valid certificate: only its frame)
        let tbs = [
            0xA0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x02, 0x31, 0x00,
            0x30, 0x00, 0x30, 0x04, 0x31, 0x02, 0x05, 0x00,
        ];
        let mut der = vec![0x30, 0x1E, 0x30, 0x16];
        der.extend_from_slice(&tbs);
        der.extend_from_slice(&[0x30, 0x00, 0x03, 0x02, 0x00, 0xAB]);
        let f = Framing::of(&der).unwrap();
        assert_eq!(f.tbs, 2..26);
        assert_eq!(&der[f.issuer_der], [0x30, 0x02, 0x31, 0x00]);
        assert_eq!(&der[f.subject_der], [0x30, 0x04, 0x31, 0x02, 0x05, 0x00]);
        assert_eq!(&der[f.signature], [0xAB]);

        let mut trailing = der.clone();
        trailing[1] += 1;
        trailing.push(0x00);
        assert!(Framing::of(&trailing).is_err());
        let mut unused = der.clone();
        let last = unused.len() - 2;
        unused[last] = 0x01;
        assert!(Framing::of(&unused).is_err());
        assert!(Framing::of(&der[..der.len() - 1]).is_err());
    }
}
