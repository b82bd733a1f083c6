//! Small DER writers for the test PKI's CRLs and names.
//!
//! Hand-written on purpose: the CRL encoder streams up to a million revoked entries straight into one
//! buffer through `push_len`/`push_unsigned_integer`/`push_time`; `x509-cert`'s `TbsCertList` would
//! need every entry as a typed `RevokedCert` in a `Vec` first, a second copy of the whole list.
//! `push_time` also covers 1950–1969, which `der`'s `DateTime` (from 1970) cannot. Certificates
//! are encoded from typed structures in the parent module.

use time::{OffsetDateTime, UtcOffset};

use crate::pki::PkiError;

/// Appends a DER definite length.
pub(in crate::pki) fn push_len(out: &mut Vec<u8>, len: usize) {
    let bytes = (len as u64).to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = &bytes[skip..];
    match significant {
        [] => out.push(0),
        [b] if *b < 0x80 => out.push(*b),
        _ => {
            // At most 8 length octets, so the count fits the low bits.
            out.push(0x80 | (8 - skip).to_le_bytes()[0]);
            out.extend_from_slice(significant);
        }
    }
}

/// `tag || length || content`.
pub(in crate::pki) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// Appends a DER INTEGER holding the unsigned big-endian `magnitude`.
pub(in crate::pki) fn push_unsigned_integer(out: &mut Vec<u8>, magnitude: &[u8]) {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let m = &magnitude[skip..];
    let pad = m.first().is_none_or(|b| b & 0x80 != 0);
    out.push(0x02);
    push_len(out, m.len() + usize::from(pad));
    if pad {
        out.push(0x00);
    }
    out.extend_from_slice(m);
}

/// Appends an X.509 `Time`: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5).
pub(in crate::pki) fn push_time(out: &mut Vec<u8>, t: OffsetDateTime) -> Result<(), PkiError> {
    let t = t.to_offset(UtcOffset::UTC);
    let year = t.year();
    if (1950..2050).contains(&year) {
        out.extend_from_slice(&[0x17, 13]);
        push2(out, year.rem_euclid(100));
    } else if (0..=9999).contains(&year) {
        out.extend_from_slice(&[0x18, 15]);
        push2(out, year / 100);
        push2(out, year % 100);
    } else {
        return Err(PkiError::Invalid(format!("year {year} cannot be encoded")));
    }
    push2(out, i32::from(u8::from(t.month())));
    push2(out, i32::from(t.day()));
    push2(out, i32::from(t.hour()));
    push2(out, i32::from(t.minute()));
    push2(out, i32::from(t.second()));
    out.push(b'Z');
    Ok(())
}

/// Two ASCII digits of `v` (0..=99).
fn push2(out: &mut Vec<u8>, v: i32) {
    let v = v.rem_euclid(100);
    let tens = u8::try_from(v / 10).unwrap_or(0);
    let ones = u8::try_from(v % 10).unwrap_or(0);
    out.push(b'0' + tens);
    out.push(b'0' + ones);
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn der_writers() {
        let mut v = Vec::new();
        push_len(&mut v, 0);
        push_len(&mut v, 0x7F);
        push_len(&mut v, 0x80);
        push_len(&mut v, 0x1_0000);
        assert_eq!(v, [0x00, 0x7F, 0x81, 0x80, 0x83, 0x01, 0x00, 0x00]);

        for (mag, want) in [
            (&[][..], &[0x02, 0x01, 0x00][..]),
            (&[0x00, 0x00][..], &[0x02, 0x01, 0x00][..]),
            (&[0x7F][..], &[0x02, 0x01, 0x7F][..]),
            (&[0x00, 0x80][..], &[0x02, 0x02, 0x00, 0x80][..]),
            (&[0x01, 0x02][..], &[0x02, 0x02, 0x01, 0x02][..]),
        ] {
            let mut v = Vec::new();
            push_unsigned_integer(&mut v, mag);
            assert_eq!(v, want, "{mag:?}");
        }

        let mut v = Vec::new();
        push_time(&mut v, datetime!(2033-07-15 14:59:59 UTC)).unwrap();
        assert_eq!(&v[..2], &[0x17, 13]);
        assert_eq!(&v[2..], b"330715145959Z");
        let mut v = Vec::new();
        push_time(&mut v, datetime!(2050-01-02 03:04:05 UTC)).unwrap();
        assert_eq!(&v[2..], b"20500102030405Z");
        let mut v = Vec::new();
        push_time(&mut v, datetime!(1949-12-31 23:59:59 UTC)).unwrap();
        assert_eq!(&v[2..], b"19491231235959Z");
        // Offsets are converted to UTC.
        let jst =
            datetime!(2025-01-01 00:00:00 UTC).to_offset(UtcOffset::from_hms(9, 0, 0).unwrap());
        let mut v = Vec::new();
        push_time(&mut v, jst).unwrap();
        assert_eq!(&v[2..], b"250101000000Z");
    }
}
