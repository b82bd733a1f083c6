//! Key ids (鍵ID) as card-verifiable certificates name issuers and subjects.

use core::fmt;

use crate::CvcError;

/// Which hierarchy a key id belongs to, from its leading digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Hierarchy {
    /// `5…`: the production hierarchy of real cards.
    Production,
    /// `6…`: the JPKI test hierarchy (test cards); refused unless the verifier allows it.
    Test,
}

impl fmt::Display for Hierarchy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hierarchy::Production => "production",
            Hierarchy::Test => "test",
        })
    }
}

/// A 16-byte key id: 7 ASCII digits, `08 05`, 3 ASCII digits, 4 padding bytes. Compared on all 16
/// bytes (two ids that differ only in the padding are different ids).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 16]);

impl KeyId {
    /// Checks the layout: 7 ASCII digits starting with `5` or `6`, `08 05`, 3 ASCII digits, then 4
    /// padding bytes `00 00 00 00` or `00 00 00 A8`.
    pub fn new(bytes: [u8; 16]) -> Result<Self, CvcError> {
        let bad = |reason| CvcError::Malformed { reason };
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        if !digits(&bytes[..7]) || !digits(&bytes[9..12]) {
            return Err(bad("key id: the numbers are not ASCII digits"));
        }
        if bytes[7..9] != [0x08, 0x05] {
            return Err(bad("key id: no 08 05 after the first 7 digits"));
        }
        if !matches!(bytes[12..], [0, 0, 0, 0] | [0, 0, 0, 0xA8]) {
            return Err(bad("key id: the last 4 bytes are not padding"));
        }
        if !matches!(bytes[0], b'5' | b'6') {
            return Err(bad(
                "key id: the first digit is neither 5 (production) nor 6 (test)",
            ));
        }
        Ok(Self(bytes))
    }

    /// From a slice of exactly 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CvcError> {
        let array: [u8; 16] = bytes.try_into().map_err(|_| CvcError::Malformed {
            reason: "key id: not 16 bytes",
        })?;
        Self::new(array)
    }

    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 7-digit number (`5000023`).
    pub fn number(&self) -> &str {
        core::str::from_utf8(&self.0[..7]).unwrap_or_default()
    }

    /// The 3-digit suffix (`001` for CAs).
    pub fn suffix(&self) -> &str {
        core::str::from_utf8(&self.0[9..12]).unwrap_or_default()
    }

    /// Production (`5…`) or test (`6…`).
    pub fn hierarchy(&self) -> Hierarchy {
        if self.0[0] == b'6' {
            Hierarchy::Test
        } else {
            Hierarchy::Production
        }
    }

    /// The number without its hierarchy digit (`000023` for both `5000023` and `6000023`): which CA
    /// role the id plays.
    pub fn role(&self) -> &str {
        self.number().get(1..).unwrap_or_default()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.number(), self.suffix())?;
        // The padding is `00 00 00 00` or `00 00 00 A8` (checked in `new`).
        if self.0[15] == 0xA8 {
            f.write_str("-A8")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Builds a key id from its parts (`"5000023"`, `"001"`, padding `0` or `0xA8`), for tests and for
/// configuration files that name ids in text.
impl core::str::FromStr for KeyId {
    type Err = CvcError;

    /// Parses `NNNNNNN-NNN` (padding zero) or `NNNNNNN-NNN-A8`.
    fn from_str(s: &str) -> Result<Self, CvcError> {
        let bad = CvcError::Malformed {
            reason: "key id text: expected NNNNNNN-NNN or NNNNNNN-NNN-A8",
        };
        let mut parts = s.split('-');
        let (Some(number), Some(suffix)) = (parts.next(), parts.next()) else {
            return Err(bad);
        };
        let pad = match parts.next() {
            None => 0,
            Some("A8" | "a8") => 0xA8,
            Some(_) => return Err(bad),
        };
        if parts.next().is_some() || number.len() != 7 || suffix.len() != 3 {
            return Err(bad);
        }
        let mut bytes = [0u8; 16];
        bytes[..7].copy_from_slice(number.as_bytes());
        bytes[7..9].copy_from_slice(&[0x08, 0x05]);
        bytes[9..12].copy_from_slice(suffix.as_bytes());
        bytes[15] = pad;
        Self::new(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    fn id(s: &str) -> KeyId {
        s.parse().unwrap()
    }

    #[test]
    fn layout_and_hierarchy() {
        let p = id("5000023-001");
        assert_eq!(p.number(), "5000023");
        assert_eq!(p.suffix(), "001");
        assert_eq!(p.hierarchy(), Hierarchy::Production);
        assert_eq!(p.role(), "000023");
        let t = id("6000023-001");
        assert_eq!(t.hierarchy(), Hierarchy::Test);
        assert_eq!(t.role(), p.role());
        assert_ne!(p, t);
        // Padding is part of the id.
        assert_ne!(id("5000020-001"), id("5000020-001-A8"));
        assert_eq!(id("5000020-001-A8").to_string(), "5000020-001-A8");
        let mut raw = *p.as_bytes();
        raw[8] = 0x06;
        assert!(KeyId::new(raw).is_err());
        raw = *p.as_bytes();
        raw[13] = 1;
        assert!(KeyId::new(raw).is_err());
        raw = *p.as_bytes();
        raw[0] = b'4';
        assert!(KeyId::new(raw).is_err());
        assert!(KeyId::from_slice(&raw[..15]).is_err());
        assert!("5000023".parse::<KeyId>().is_err());
        assert!("500002x-001".parse::<KeyId>().is_err());
    }

    proptest! {
        #[test]
        fn never_panics_and_round_trips(bytes in proptest::array::uniform16(any::<u8>())) {
            if let Ok(k) = KeyId::new(bytes) {
                let again: KeyId = k.to_string().parse().unwrap();
                prop_assert_eq!(again, k);
            }
        }
    }
}
