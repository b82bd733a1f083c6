//! DigestInfo: what the card's COMPUTE DIGITAL SIGNATURE signs (it adds the PKCS#1 v1.5 padding).

use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::CardError;

/// Hash algorithms a JPKI signature can use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
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
    /// The DER prefix of the DigestInfo (AlgorithmIdentifier with NULL parameters, OCTET STRING header).
    fn prefix(self) -> &'static [u8] {
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

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    /// Hashes `message`.
    pub fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha256 => Sha256::digest(message).to_vec(),
            HashAlgorithm::Sha384 => Sha384::digest(message).to_vec(),
            HashAlgorithm::Sha512 => Sha512::digest(message).to_vec(),
        }
    }
}

/// A DER DigestInfo ready for the card.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DigestInfo {
    algorithm: HashAlgorithm,
    der: Vec<u8>,
}

impl DigestInfo {
    /// Hashes `message` and wraps the digest.
    pub fn of_message(algorithm: HashAlgorithm, message: &[u8]) -> Self {
        let mut der = algorithm.prefix().to_vec();
        der.extend_from_slice(&algorithm.digest(message));
        Self { algorithm, der }
    }

    /// Wraps a digest computed elsewhere; its length must match the algorithm.
    pub fn from_digest(algorithm: HashAlgorithm, digest: &[u8]) -> Result<Self, CardError> {
        if digest.len() != algorithm.output_len() {
            return Err(CardError::InvalidDigestInfo(
                "digest length does not match the algorithm",
            ));
        }
        let mut der = algorithm.prefix().to_vec();
        der.extend_from_slice(digest);
        Ok(Self { algorithm, der })
    }

    /// Accepts a ready DER DigestInfo for SHA-256, SHA-384 or SHA-512.
    pub fn from_der(der: &[u8]) -> Result<Self, CardError> {
        for algorithm in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            let prefix = algorithm.prefix();
            if der.len() == prefix.len() + algorithm.output_len() && der.starts_with(prefix) {
                return Ok(Self {
                    algorithm,
                    der: der.to_vec(),
                });
            }
        }
        Err(CardError::InvalidDigestInfo(
            "not a SHA-256/384/512 DigestInfo",
        ))
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// The DER bytes.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_infos() {
        let d = DigestInfo::of_message(HashAlgorithm::Sha256, b"abc");
        assert_eq!(d.as_der().len(), 51);
        assert_eq!(DigestInfo::from_der(d.as_der()).unwrap(), d);
        assert_eq!(
            DigestInfo::of_message(HashAlgorithm::Sha384, b"")
                .as_der()
                .len(),
            67
        );
        assert_eq!(
            DigestInfo::of_message(HashAlgorithm::Sha512, b"")
                .as_der()
                .len(),
            83
        );
        assert!(DigestInfo::from_digest(HashAlgorithm::Sha256, &[0; 31]).is_err());
        assert!(DigestInfo::from_der(&d.as_der()[..50]).is_err());
        assert!(DigestInfo::from_der(b"garbage").is_err());
    }
}
