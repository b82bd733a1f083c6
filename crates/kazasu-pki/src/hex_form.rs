//! Hex text forms of serial numbers and key identifiers.

/// Strips the leading zero octets of an INTEGER's content (the positive-sign pad of DER).
pub(crate) fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    &bytes[skip..]
}

/// Lower-case hex, no leading zeros; `"0"` for zero.
pub(crate) fn serial_hex(magnitude: &[u8]) -> String {
    let m = strip_zeros(magnitude);
    if m.is_empty() {
        return "0".into();
    }
    let mut s = hex::encode(m);
    if s.starts_with('0') {
        s.remove(0);
    }
    s
}

/// Colon-separated upper-case hex (for key identifiers).
pub(crate) fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| hex::encode_upper([*b]))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_hex_forms() {
        assert_eq!(serial_hex(&[]), "0");
        assert_eq!(serial_hex(&[0, 0]), "0");
        assert_eq!(serial_hex(&[0x06, 0xD1, 0x80, 0x06]), "6d18006");
        assert_eq!(serial_hex(&[0x00, 0x80]), "80");
        assert_eq!(colon_hex(&[0x1A, 0xC1]), "1A:C1");
    }
}
