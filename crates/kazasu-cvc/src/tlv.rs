//! A span-keeping BER reader for the card's records: signatures and hashes cover the tag and length
//! bytes exactly as stored, so every element keeps its raw bytes next to its value.

use alloc::vec::Vec;

use crate::CvcError;

/// One BER element: its tag (one to three bytes, big-endian), the raw bytes (tag, length, value) and
/// the value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Element<'a> {
    /// The tag bytes as a number (`0xDF22`, `0x7F21`, `0x90`).
    pub tag: u32,
    /// Tag, length and value as stored.
    pub raw: &'a [u8],
    /// The value.
    pub value: &'a [u8],
}

/// Reads the element at the start of `bytes`; returns it and the bytes after it.
pub fn element(bytes: &[u8]) -> Result<(Element<'_>, &[u8]), CvcError> {
    let bad = |reason: &'static str| CvcError::Malformed { reason };
    let first = *bytes
        .first()
        .ok_or(bad("empty input where a BER element was expected"))?;
    let mut i = 1usize;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        loop {
            let b = *bytes.get(i).ok_or(bad("truncated tag"))?;
            i += 1;
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
            if i >= 3 {
                return Err(bad("tag longer than three bytes"));
            }
        }
    }
    let len0 = *bytes.get(i).ok_or(bad("truncated length"))?;
    i += 1;
    let len = if len0 < 0x80 {
        usize::from(len0)
    } else {
        let n = usize::from(len0 & 0x7F);
        if n == 0 || n > 3 {
            return Err(bad("indefinite or oversized length"));
        }
        let len_bytes = bytes.get(i..i + n).ok_or(bad("truncated length"))?;
        i += n;
        len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let end = i.checked_add(len).ok_or(bad("length overflows"))?;
    let raw = bytes
        .get(..end)
        .ok_or(bad("value runs past the end of the input"))?;
    let value = raw
        .get(i..)
        .ok_or(bad("value runs past the end of the input"))?;
    let rest = bytes.get(end..).unwrap_or_default();
    Ok((Element { tag, raw, value }, rest))
}

/// Reads `bytes` as exactly one element with `tag`, nothing after it.
pub fn single<'a>(bytes: &'a [u8], tag: u32, what: &'static str) -> Result<Element<'a>, CvcError> {
    let (e, rest) = element(bytes)?;
    if e.tag != tag {
        return Err(CvcError::Malformed { reason: what });
    }
    if !rest.is_empty() {
        return Err(CvcError::Malformed {
            reason: "bytes after the record",
        });
    }
    Ok(e)
}

/// Splits a value into the elements it holds.
pub fn children(mut value: &[u8]) -> Result<Vec<Element<'_>>, CvcError> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (e, rest) = element(value)?;
        out.push(e);
        value = rest;
    }
    Ok(out)
}

/// The one child with `tag`; a missing or repeated tag is malformed (a second copy could hide
/// unsigned data behind signed data).
pub fn one<'a>(
    children: &[Element<'a>],
    tag: u32,
    missing: &'static str,
) -> Result<Element<'a>, CvcError> {
    let mut found = children.iter().filter(|c| c.tag == tag);
    let first = *found
        .next()
        .ok_or(CvcError::Malformed { reason: missing })?;
    if found.next().is_some() {
        return Err(CvcError::Malformed {
            reason: "a tag appears twice",
        });
    }
    Ok(first)
}

/// The child with `tag` if there is one; a repeated tag is malformed.
pub fn optional<'a>(children: &[Element<'a>], tag: u32) -> Result<Option<Element<'a>>, CvcError> {
    let mut found = children.iter().filter(|c| c.tag == tag);
    let first = found.next().copied();
    if found.next().is_some() {
        return Err(CvcError::Malformed {
            reason: "a tag appears twice",
        });
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        let (e, rest) = element(&[0xDF, 0x22, 0x02, b'a', b'b', 0xFF]).unwrap();
        assert_eq!(e.tag, 0xDF22);
        assert_eq!(e.value, b"ab");
        assert_eq!(e.raw.len(), 5);
        assert_eq!(rest, &[0xFF]);
        let (e, _) = element(&[0x7F, 0x21, 0x82, 0x00, 0x01, 0x00]).unwrap();
        assert_eq!((e.tag, e.value), (0x7F21, &[0u8][..]));
        let (e, _) = element(&[0x90, 0x03, 1, 0, 1]).unwrap();
        assert_eq!(e.tag, 0x90);
        assert!(element(&[0xDF, 0x22, 0x05, 1]).is_err());
        assert!(element(&[0xDF]).is_err());
        assert!(element(&[0x30, 0x80]).is_err());
        assert!(element(&[0xDF, 0xFF, 0xFF, 0x01, 0x00]).is_err());
        assert!(single(&[0x90, 0x00, 0x00], 0x90, "x").is_err());
        let kids = children(&[0xDF, 0x11, 0x00, 0xDF, 0x11, 0x00]).unwrap();
        assert!(one(&kids, 0xDF11, "x").is_err());
        assert!(one(&kids, 0xDF12, "x").is_err());
    }

    proptest! {
        #[test]
        fn raw_is_a_prefix_and_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok((e, rest)) = element(&bytes) {
                prop_assert_eq!(e.raw.len() + rest.len(), bytes.len());
                prop_assert!(bytes.starts_with(e.raw));
                prop_assert!(e.raw.ends_with(e.value));
            }
            let _ = children(&bytes);
        }
    }
}
