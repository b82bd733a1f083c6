//! RSA public keys in the card's own encoding: `90 03 <e> 91 82 01 00 <256-byte modulus>`.

use alloc::vec::Vec;
use core::fmt;

use rsa::{BoxedUint, Pkcs1v15Sign, PublicKey};
use sha2::{Digest, Sha256};

use crate::CvcError;
use crate::tlv::element;

/// Length of an encoded RSA-2048 key: `90 03 e(3)` + `91 82 01 00 n(256)`.
pub const CARD_KEY_LEN: usize = 265;

/// The DER prefix of a SHA-256 DigestInfo (PKCS#1 v1.5 `T` for sha256WithRSAEncryption).
pub(crate) const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// An RSA-2048 public key as the card encodes it (CVC bodies, the age record's DF12, the card
/// face's DF24, the My Number image's DF42, 補助AP EF `0007` DF51).
#[derive(Clone, PartialEq, Eq)]
pub struct CardKey {
    encoded: Vec<u8>,
    key: PublicKey,
}

impl CardKey {
    /// Parses exactly the 265 bytes `90 03 <e> 91 82 01 00 <n>`: a 2048-bit modulus with its top bit
    /// set, an odd exponent above 1.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let bad = |reason| CvcError::Malformed { reason };
        if bytes.len() != CARD_KEY_LEN {
            return Err(bad("card key: not 265 bytes"));
        }
        let (e, rest) = element(bytes)?;
        let (n, rest) = element(rest)?;
        if e.tag != 0x90 || e.value.len() != 3 || n.tag != 0x91 || n.value.len() != 256 {
            return Err(bad(
                "card key: expected 90 03 <exponent> 91 82 01 00 <modulus>",
            ));
        }
        if !rest.is_empty() || n.raw.get(1..4) != Some(&[0x82, 0x01, 0x00][..]) {
            return Err(bad("card key: not the fixed encoding"));
        }
        Self::from_parts(e.value, n.value, bytes.to_vec())
    }

    /// From a big-endian exponent and 256-byte modulus (for CA keys a verifier takes as configuration).
    pub fn from_components(exponent: &[u8], modulus: &[u8]) -> Result<Self, CvcError> {
        if modulus.len() != 256 || exponent.is_empty() || exponent.len() > 3 {
            return Err(CvcError::BadKey(
                "expected a 256-byte modulus and an exponent of 1 to 3 bytes",
            ));
        }
        let mut e3 = [0u8; 3];
        e3[3 - exponent.len()..].copy_from_slice(exponent);
        let mut encoded = Vec::with_capacity(CARD_KEY_LEN);
        encoded.extend_from_slice(&[0x90, 0x03]);
        encoded.extend_from_slice(&e3);
        encoded.extend_from_slice(&[0x91, 0x82, 0x01, 0x00]);
        encoded.extend_from_slice(modulus);
        Self::from_parts(&e3, modulus, encoded)
    }

    fn from_parts(exponent: &[u8], modulus: &[u8], encoded: Vec<u8>) -> Result<Self, CvcError> {
        if modulus.first().is_none_or(|b| b & 0x80 == 0) {
            return Err(CvcError::BadKey("the modulus is not 2048 bits"));
        }
        let n = BoxedUint::from_be_slice(modulus, 2048)
            .map_err(|_| CvcError::BadKey("the modulus does not decode"))?;
        let e = BoxedUint::from_be_slice(exponent, 64)
            .map_err(|_| CvcError::BadKey("the exponent does not decode"))?;
        let key = PublicKey::new(n, e).map_err(|_| {
            CvcError::BadKey("not a usable RSA public key (even modulus or bad exponent)")
        })?;
        Ok(Self { encoded, key })
    }

    /// The 265 bytes as the card stores them.
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// The 256-byte modulus.
    pub fn modulus(&self) -> &[u8] {
        self.encoded.get(9..).unwrap_or_default()
    }

    /// The exponent (3 bytes, big-endian).
    pub fn exponent(&self) -> &[u8] {
        self.encoded.get(2..5).unwrap_or_default()
    }

    /// SHA-256 of the 265 encoded bytes: a short name for the key in reports.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(&self.encoded).into()
    }

    /// The RSA key.
    pub fn rsa(&self) -> &PublicKey {
        &self.key
    }

    /// Whether `signature` is a sha256WithRSA PKCS#1 v1.5 signature over `message` by this key.
    pub fn verifies_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        let digest = Sha256::digest(message);
        self.key
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
            .is_ok()
    }

    /// Whether `signature` is a PKCS#1 v1.5 signature whose encoded `T` is exactly `digest_info`
    /// (for DigestInfos other than the standard SHA-256 one, such as the card face's 96-byte one).
    pub fn verifies_digest_info(&self, digest_info: &[u8], signature: &[u8]) -> bool {
        self.key
            .verify(Pkcs1v15Sign::new_unprefixed(), digest_info, signature)
            .is_ok()
    }
}

impl fmt::Debug for CardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fp = self.fingerprint();
        write!(
            f,
            "CardKey(sha256 {:02x}{:02x}{:02x}{:02x}…)",
            fp[0], fp[1], fp[2], fp[3]
        )
    }
}

/// Lower-case hex of `bytes`, for reports.
pub fn hex(bytes: &[u8]) -> alloc::string::String {
    use core::fmt::Write;
    let mut s = alloc::string::String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
