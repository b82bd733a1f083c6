//! [`CertificateId`] and the [`LegacyCertificateId`] it replaced: identities to link records by.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::hex_form::{serial_hex, strip_zeros};

/// The prefix of [`CertificateId`]'s text form. The legacy form (`<serial>@<RFC 4514 issuer>`,
/// [`LegacyCertificateId`]) starts with a lower-case hex digit, never with `k`, so the two cannot be
/// confused.
pub const CERTIFICATE_ID_PREFIX: &str = "kid:";

/// A certificate's identity for linking records: its serial and the **key identifier of its
/// issuer**, so CA generations that share a name (the J-LIS roots of 2015, 2019 and 2023) and may
/// reuse serials never collide.
///
/// The issuer key identifier is defined as follows (RFC 5280 §4.2.1.1–2):
///
/// - [`Certificate::id`](crate::Certificate::id): the certificate's AuthorityKeyIdentifier `keyIdentifier` (every JPKI
///   certificate has one); `None` when it has none.
/// - [`Certificate::id_issued_by`](crate::Certificate::id_issued_by) and [`crate::ValidatedPath::leaf_id`]: the issuer certificate's
///   [`Certificate::key_id`](crate::Certificate::key_id) — its SubjectKeyIdentifier, or, when it has none, SHA-1 of its
///   `subjectPublicKey` BIT STRING contents (RFC 5280 method 1). Path validation only accepts an
///   issuer whose key identifier equals the AKI `keyIdentifier`, so for a validated certificate
///   with an AKI all three give the same id; without an AKI only the path-based forms exist.
///
/// Text form (`Display` / `FromStr`, and serde as that string), stable for stores:
/// `kid:<serial>@<issuer key id>`, both lower-case hex — the serial without leading zeros (`0` for
/// zero), the key identifier as all its octets (even length). Example:
/// `kid:6d18006@1ac1f4a8…`. Ids stored in the older `<serial>@<issuer DN>` form are
/// [`LegacyCertificateId`]s; [`Certificate::legacy_id`](crate::Certificate::legacy_id) gives that form to find and rewrite them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateId {
    issuer_key_id: Vec<u8>,
    serial: Vec<u8>,
}

impl CertificateId {
    /// The id of the certificate with `serial` (unsigned big-endian; leading zeros are ignored)
    /// issued by the key `issuer_key_id`. Fails when the key identifier is empty.
    pub fn new(issuer_key_id: &[u8], serial: &[u8]) -> Result<Self, Error> {
        if issuer_key_id.is_empty() {
            return Err(Error::der("certificate id", "empty issuer key identifier"));
        }
        Ok(Self {
            issuer_key_id: issuer_key_id.to_vec(),
            serial: strip_zeros(serial).to_vec(),
        })
    }

    /// The id from a key identifier the caller knows is non-empty (an issuer's
    /// [`super::Certificate::key_id`]).
    pub(super) fn issued_by(issuer_key_id: &[u8], serial: &[u8]) -> Self {
        Self {
            issuer_key_id: issuer_key_id.to_vec(),
            serial: serial.to_vec(),
        }
    }

    /// The issuer's key identifier.
    pub fn issuer_key_id(&self) -> &[u8] {
        &self.issuer_key_id
    }

    /// The serial, unsigned big-endian without leading zeros (empty for zero).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// The issuer's key identifier in lower-case hex (all octets).
    pub fn issuer_key_id_hex(&self) -> String {
        hex::encode(&self.issuer_key_id)
    }

    /// The serial in lower-case hex without leading zeros (`"0"` for zero).
    pub fn serial_hex(&self) -> String {
        serial_hex(&self.serial)
    }

    /// Rebuilds an id from the two hex parts of its text form (e.g. two database columns):
    /// `serial` lower-case hex without leading zeros, `issuer_key_id` lower-case hex of even length.
    pub fn from_hex_parts(issuer_key_id: &str, serial: &str) -> Result<Self, Error> {
        let serial_ok = !serial.is_empty()
            && is_lower_hex(serial)
            && (serial == "0" || !serial.starts_with('0'));
        if !serial_ok {
            return Err(Error::der(
                "certificate id",
                "serial must be lower-case hex without leading zeros",
            ));
        }
        if issuer_key_id.is_empty()
            || !issuer_key_id.len().is_multiple_of(2)
            || !is_lower_hex(issuer_key_id)
        {
            return Err(Error::der(
                "certificate id",
                "issuer key id must be non-empty lower-case hex of even length",
            ));
        }
        let padded = if !serial.len().is_multiple_of(2) {
            format!("0{serial}")
        } else {
            serial.to_owned()
        };
        let bad = |e: hex::FromHexError| Error::der("certificate id", e);
        Self::new(
            &hex::decode(issuer_key_id).map_err(bad)?,
            &hex::decode(padded).map_err(bad)?,
        )
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl fmt::Display for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{CERTIFICATE_ID_PREFIX}{}@{}",
            self.serial_hex(),
            self.issuer_key_id_hex()
        )
    }
}

impl FromStr for CertificateId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let (serial, key_id) = s
            .strip_prefix(CERTIFICATE_ID_PREFIX)
            .and_then(|rest| rest.split_once('@'))
            .ok_or_else(|| {
                Error::der(
                    "certificate id",
                    "expected kid:<serial hex>@<issuer key id hex>",
                )
            })?;
        Self::from_hex_parts(key_id, serial)
    }
}

impl Serialize for CertificateId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CertificateId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The identity [`CertificateId`] replaced: the issuer *name* (RFC 4514) and the serial. It cannot
/// tell CA generations that share a name apart; it exists so stores can find rows written with it
/// ([`Certificate::legacy_id`](crate::Certificate::legacy_id)) and rewrite them to the [`CertificateId`].
/// `Display` / `FromStr` use `<serial>@<issuer>`; serde the struct `{issuer, serial}` as before.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LegacyCertificateId {
    /// The issuer's distinguished name, RFC 4514.
    pub issuer: String,
    /// The serial number, lower-case hex without leading zeros (`"0"` for zero).
    pub serial: String,
}

impl fmt::Display for LegacyCertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.serial, self.issuer)
    }
}

impl FromStr for LegacyCertificateId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let (serial, issuer) = s
            .split_once('@')
            .ok_or_else(|| Error::der("certificate id", "expected <serial>@<issuer>"))?;
        let ok = !serial.is_empty()
            && is_lower_hex(serial)
            && (serial == "0" || !serial.starts_with('0'));
        if !ok || issuer.is_empty() {
            return Err(Error::der(
                "certificate id",
                "serial must be lower-case hex without leading zeros, issuer non-empty",
            ));
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            serial: serial.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_id_round_trips() {
        let id = CertificateId::new(&[0x1A, 0x00, 0xC1], &[0x00, 0x06, 0xD1, 0x80, 0x06]).unwrap();
        assert_eq!(id.to_string(), "kid:6d18006@1a00c1");
        assert_eq!(id.serial(), [0x06, 0xD1, 0x80, 0x06]);
        assert_eq!(id.to_string().parse::<CertificateId>().unwrap(), id);
        assert_eq!(
            CertificateId::from_hex_parts("1a00c1", "6d18006").unwrap(),
            id
        );
        let zero = CertificateId::new(&[1], &[0]).unwrap();
        assert_eq!(zero.to_string(), "kid:0@01");
        assert_eq!("kid:0@01".parse::<CertificateId>().unwrap(), zero);
        assert!(CertificateId::new(&[], &[1]).is_err());
        for bad in [
            "",
            "kid:",
            "kid:@01",
            "kid:1@",
            "kid:06d@01",
            "kid:AB@01",
            "kid:1@1",
            "kid:1@0G",
            "kid:1@AB",
            "6d18006@OU=x,O=JPKI,C=JP",
            "1@01",
        ] {
            assert!(bad.parse::<CertificateId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn legacy_id_round_trips_and_is_not_a_certificate_id() {
        let id = LegacyCertificateId {
            issuer: "OU=x,O=JPKI,C=JP".into(),
            serial: "6d18006".into(),
        };
        assert_eq!(id.to_string().parse::<LegacyCertificateId>().unwrap(), id);
        assert!(id.to_string().parse::<CertificateId>().is_err());
        for bad in ["", "@x", "06d@x", "AB@x", "12", "12@"] {
            assert!(bad.parse::<LegacyCertificateId>().is_err(), "{bad}");
        }
        assert_eq!("0@x".parse::<LegacyCertificateId>().unwrap().serial, "0");
        // A new id never parses as a legacy one (its serial part starts with `kid:`).
        assert!("kid:1@01".parse::<LegacyCertificateId>().is_err());
    }
}
