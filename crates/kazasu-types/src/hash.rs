//! [`HashAlgorithm`]: the hashes a JPKI signature can use.

use core::fmt;

use const_oid::ObjectIdentifier;

use crate::oid;

/// The hash of a PKCS#1 v1.5 signature: the card signs a DigestInfo of one of these.
///
/// Serialized (feature `serde`) as `sha256`, `sha384`, `sha512`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256 (the default, and what JPKI certificates themselves use).
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// All of them, shortest digest first.
    pub const ALL: [HashAlgorithm; 3] = [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ];

    /// The algorithm's object identifier (`id-sha256` …).
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            HashAlgorithm::Sha256 => oid::SHA256,
            HashAlgorithm::Sha384 => oid::SHA384,
            HashAlgorithm::Sha512 => oid::SHA512,
        }
    }

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    /// `sha256`, `sha384` or `sha512`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    /// The DER that precedes the digest in a DigestInfo: the SEQUENCE header, the
    /// AlgorithmIdentifier with NULL parameters, and the OCTET STRING header (RFC 8017 §9.2 note 1).
    pub fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlgorithm::Sha256 => &[
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            HashAlgorithm::Sha384 => &[
                0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            HashAlgorithm::Sha512 => &[
                0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// Hashes `message` (feature `digest`).
    #[cfg(feature = "digest")]
    #[cfg_attr(docsrs, doc(cfg(feature = "digest")))]
    pub fn digest(self, message: &[u8]) -> alloc::vec::Vec<u8> {
        use sha2::Digest;
        match self {
            HashAlgorithm::Sha256 => sha2::Sha256::digest(message).to_vec(),
            HashAlgorithm::Sha384 => sha2::Sha384::digest(message).to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }
}

impl fmt::Display for HashAlgorithm {
    /// [`HashAlgorithm::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_encode_the_oid_and_the_length() {
        for h in HashAlgorithm::ALL {
            let p = h.digest_info_prefix();
            // SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING digest }
            assert_eq!(usize::from(p[1]), p.len() - 2 + h.output_len());
            assert_eq!(&p[6..15], h.oid().as_bytes());
            assert_eq!(usize::from(p[p.len() - 1]), h.output_len());
        }
        assert_eq!(HashAlgorithm::default(), HashAlgorithm::Sha256);
    }

    #[cfg(feature = "digest")]
    #[test]
    fn digests_have_the_stated_length() {
        for h in HashAlgorithm::ALL {
            assert_eq!(h.digest(b"abc").len(), h.output_len());
        }
        assert_eq!(
            HashAlgorithm::Sha256.digest(b"abc")[..4],
            [0xBA, 0x78, 0x16, 0xBF]
        );
    }
}
