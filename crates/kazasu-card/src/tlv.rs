//! Lengths of BER/DER objects at the start of a file, so reads stop where the object ends and
//! filler never reaches a parser.
//!
//! Hand-written because `iso7816-tlv` cannot do this job: it parses only a complete object (it has
//! no header-only read that tells "need more bytes" from "invalid" while a file is read in chunks),
//! and it does not keep byte positions or the received length form (`FF 10 82 00 03 …` comes back
//! as `FF 10 03 …`), which the card's offset tables and signed records depend on. It also takes the
//! indefinite-length octet `80` as length zero and writes a 127-byte value's length as `81 7F`.
//! The card's records themselves are read with `kazasu_cvc::tlv`, which keeps each element's raw
//! bytes for hashing.

/// What the first bytes of a file say about its object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Header {
    /// Total length of the object (tag + length + value).
    Complete(usize),
    /// More bytes are needed to tell.
    NeedMore,
    /// Not a definite-length BER object.
    Invalid,
}

/// Parses the tag (one or more bytes) and the definite length at the start of `bytes`.
pub(crate) fn object_len(bytes: &[u8]) -> Header {
    match header(bytes) {
        Ok((header_len, value_len)) => Header::Complete(header_len + value_len),
        Err(h) => h,
    }
}

/// The length of the tag and length fields, and of the value, of the object at the start of `bytes`.
pub(crate) fn header(bytes: &[u8]) -> Result<(usize, usize), Header> {
    let Some(&first) = bytes.first() else {
        return Err(Header::NeedMore);
    };
    let mut i = 1;
    if first & 0x1F == 0x1F {
        // Multi-byte tag: continuation bit set on all but the last byte.
        loop {
            let Some(&b) = bytes.get(i) else {
                return Err(Header::NeedMore);
            };
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            if i > 4 {
                return Err(Header::Invalid);
            }
        }
    }
    let Some(&len0) = bytes.get(i) else {
        return Err(Header::NeedMore);
    };
    i += 1;
    let value_len = if len0 < 0x80 {
        usize::from(len0)
    } else {
        let n = usize::from(len0 & 0x7F);
        if n == 0 || n > 3 {
            // Indefinite length, or larger than any card file.
            return Err(Header::Invalid);
        }
        let Some(len_bytes) = bytes.get(i..i + n) else {
            return Err(Header::NeedMore);
        };
        i += n;
        len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    Ok((i, value_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        assert_eq!(
            object_len(&[0x30, 0x82, 0x05, 0x0A]),
            Header::Complete(0x050A + 4)
        );
        assert_eq!(object_len(&[0x30, 0x03, 1, 2, 3]), Header::Complete(5));
        assert_eq!(
            object_len(&[0xFF, 0x20, 0x81, 0x90]),
            Header::Complete(0x90 + 4)
        );
        assert_eq!(object_len(&[0xFF, 0x10, 0x0C]), Header::Complete(15));
        assert_eq!(object_len(&[0x30, 0x82, 0x05]), Header::NeedMore);
        assert_eq!(object_len(&[0xFF]), Header::NeedMore);
        assert_eq!(object_len(&[]), Header::NeedMore);
        assert_eq!(object_len(&[0x30, 0x80]), Header::Invalid);
        assert_eq!(object_len(&[0x30, 0x85, 1, 1, 1, 1, 1]), Header::Invalid);
        assert_eq!(
            object_len(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            Header::Invalid
        );
    }

    proptest! {
        #[test]
        fn never_panics_and_prefixes_agree(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            let full = object_len(&bytes);
            // A longer prefix never contradicts a shorter one that was already complete.
            for cut in 0..bytes.len() {
                if let Header::Complete(n) = object_len(&bytes[..cut]) {
                    prop_assert_eq!(full, Header::Complete(n));
                }
            }
        }
    }
}
