//! A small, bounds-checked DER TLV walker for the CRL (and the small hcRole attribute).
//!
//! Certificates are framed with `der`'s reader (`cert::framing`) and the typed parts of both
//! certificates and CRLs are decoded with `der` and `x509-cert`. This walker stays for the CRL:
//! indexing a national-scale CRL reads the headers of a million entries (four or five per entry)
//! without building a structure per entry, and the same walk written with `der::Header::decode`
//! over a `SliceReader` made `parse and index a 1,000,000-entry CRL` twelve times slower
//! (955 ms against 78 ms, `cargo bench --bench pki -- --quick`) and doubled a lookup that hits
//! (200 ns against 92 ns). The offsets it keeps are what the index stores instead of a second copy.
//!
//! Only what DER allows is accepted: single-byte tags (tag numbers below 31), definite lengths in
//! minimal form, at most four length octets.

use core::ops::Range;

/// Why a TLV could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TlvError {
    /// The input ended inside a header or a value.
    Truncated,
    /// A multi-byte tag, an indefinite length, a non-minimal length or a length over 4 octets.
    NotDer,
    /// A tag other than the one expected.
    UnexpectedTag { expected: u8, found: u8 },
}

impl core::fmt::Display for TlvError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TlvError::Truncated => f.write_str("input ends inside a DER element"),
            TlvError::NotDer => f.write_str("not DER: bad tag or length encoding"),
            TlvError::UnexpectedTag { expected, found } => {
                write!(f, "expected tag 0x{expected:02X}, found 0x{found:02X}")
            }
        }
    }
}

/// One element: its tag, where it starts (absolute, in the buffer the walk started from), and its value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The tag byte.
    pub(crate) tag: u8,
    /// Absolute offset of the tag byte.
    pub(crate) start: usize,
    /// Absolute offset of the first value byte.
    pub(crate) value_start: usize,
    /// The value bytes.
    pub(crate) value: &'a [u8],
    /// The whole element: header and value.
    pub(crate) raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Absolute byte range of the whole element (header and value).
    pub(crate) fn range(&self) -> Range<usize> {
        self.start..self.value_start + self.value.len()
    }

    /// Absolute byte range of the value.
    pub(crate) fn value_range(&self) -> Range<usize> {
        self.value_start..self.value_start + self.value.len()
    }

    /// A reader over the value (for constructed elements).
    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader {
            data: self.value,
            pos: 0,
            base: self.value_start,
        }
    }
}

/// Reads consecutive TLVs from a slice. Offsets are reported relative to the outermost buffer.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, whose first byte is at absolute offset 0.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            base: 0,
        }
    }

    /// No bytes left.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The next tag without consuming it.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Reads the next element.
    pub(crate) fn read(&mut self) -> Result<Tlv<'a>, TlvError> {
        let rest = self.data.get(self.pos..).ok_or(TlvError::Truncated)?;
        let (&tag, after_tag) = rest.split_first().ok_or(TlvError::Truncated)?;
        if tag & 0x1F == 0x1F {
            return Err(TlvError::NotDer);
        }
        let (&first, after_len) = after_tag.split_first().ok_or(TlvError::Truncated)?;
        let (len, len_octets) = if first < 0x80 {
            (usize::from(first), 0usize)
        } else {
            let n = usize::from(first & 0x7F);
            if n == 0 || n > 4 {
                return Err(TlvError::NotDer);
            }
            let octets = after_len.get(..n).ok_or(TlvError::Truncated)?;
            if octets[0] == 0 {
                return Err(TlvError::NotDer);
            }
            let len = octets
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(TlvError::NotDer);
            }
            (len, n)
        };
        let header = 2 + len_octets;
        let raw = rest.get(..header + len).ok_or(TlvError::Truncated)?;
        let value = &raw[header..];
        let start = self.base + self.pos;
        self.pos += header + len;
        Ok(Tlv {
            tag,
            start,
            value_start: start + header,
            value,
            raw,
        })
    }

    /// Reads the next element and checks its tag.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, TlvError> {
        let tlv = self.read()?;
        if tlv.tag == tag {
            Ok(tlv)
        } else {
            Err(TlvError::UnexpectedTag {
                expected: tag,
                found: tlv.tag,
            })
        }
    }

    /// Reads the next element if it has `tag`.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, TlvError> {
        if self.peek_tag() == Some(tag) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Reads exactly one element spanning all of `data`.
pub(crate) fn single(data: &[u8], tag: u8) -> Result<Tlv<'_>, TlvError> {
    let mut r = Reader::new(data);
    let tlv = r.expect(tag)?;
    if r.is_empty() {
        Ok(tlv)
    } else {
        Err(TlvError::NotDer)
    }
}

/// DER tag constants.
pub(crate) mod tag {
    pub(crate) const BOOLEAN: u8 = 0x01;
    pub(crate) const INTEGER: u8 = 0x02;
    pub(crate) const OCTET_STRING: u8 = 0x04;
    pub(crate) const OID: u8 = 0x06;
    pub(crate) const BIT_STRING: u8 = 0x03;
    pub(crate) const UTC_TIME: u8 = 0x17;
    pub(crate) const GENERALIZED_TIME: u8 = 0x18;
    pub(crate) const SEQUENCE: u8 = 0x30;
    pub(crate) const CONTEXT_0: u8 = 0xA0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_forms() {
        let mut data = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        data.extend_from_slice(&[0x04, 0x81, 0x80]);
        data.extend(std::iter::repeat_n(0xAA, 0x80));
        let mut r = Reader::new(&data);
        let seq = r.expect(tag::SEQUENCE).unwrap();
        assert_eq!(seq.range(), 0..5);
        let int = seq.reader().expect(tag::INTEGER).unwrap();
        assert_eq!(int.value, [5]);
        assert_eq!(int.start, 2);
        let oct = r.read().unwrap();
        assert_eq!(oct.value.len(), 0x80);
        assert_eq!(oct.value_start, 8);
        assert!(r.is_empty());
    }

    #[test]
    fn rejects_what_der_forbids() {
        for bad in [
            &[0x30, 0x80, 0x00, 0x00][..], // indefinite
            &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5],
            &[0x04, 0x82, 0x00, 0x80],
            &[0x1F, 0x01, 0x00],
            &[0x04, 0x85, 1, 1, 1, 1, 1],
        ] {
            assert_eq!(
                Reader::new(bad).read().unwrap_err(),
                TlvError::NotDer,
                "{bad:?}"
            );
        }
        for short in [&[][..], &[0x30], &[0x30, 0x02, 0x00], &[0x04, 0x82, 0x01]] {
            assert_eq!(
                Reader::new(short).read().unwrap_err(),
                TlvError::Truncated,
                "{short:?}"
            );
        }
        assert!(matches!(
            single(&[0x02, 0x01, 0x00, 0x00], tag::INTEGER),
            Err(TlvError::NotDer)
        ));
    }
}
