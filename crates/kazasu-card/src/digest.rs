//! DigestInfo: what the card's COMPUTE DIGITAL SIGNATURE signs (it adds the PKCS#1 v1.5 padding).

use crate::CardError;

pub use kazasu_types::HashAlgorithm;

/// A DER DigestInfo ready for the card.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DigestInfo {
    algorithm: HashAlgorithm,
    der: Vec<u8>,
}

impl DigestInfo {
    /// Hashes `message` and wraps the digest.
    pub fn of_message(algorithm: HashAlgorithm, message: &[u8]) -> Self {
        let mut der = algorithm.digest_info_prefix().to_vec();
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
        let mut der = algorithm.digest_info_prefix().to_vec();
        der.extend_from_slice(digest);
        Ok(Self { algorithm, der })
    }

    /// Accepts a ready DER DigestInfo for SHA-256, SHA-384 or SHA-512.
    pub fn from_der(der: &[u8]) -> Result<Self, CardError> {
        for algorithm in HashAlgorithm::ALL {
            let prefix = algorithm.digest_info_prefix();
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
