//! The verifier's challenge: 32 random bytes the verifier chose, never the card's GET CHALLENGE.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::CvcError;
use crate::card_key::{CardKey, SHA256_DIGEST_INFO_PREFIX};

/// Length of a challenge.
pub const CHALLENGE_LEN: usize = 32;

/// A challenge chosen by the verifier. Not `Clone`: checking an answer consumes it, so one challenge
/// proves at most one answer, and an answer recorded for an earlier challenge (a replay) is refused
/// because the fresh challenge differs.
#[derive(PartialEq, Eq)]
pub struct Challenge([u8; CHALLENGE_LEN]);

impl Challenge {
    /// 32 bytes from the operating system's random source.
    #[cfg(feature = "getrandom")]
    #[cfg_attr(docsrs, doc(cfg(feature = "getrandom")))]
    pub fn random() -> Result<Self, CvcError> {
        let mut bytes = [0u8; CHALLENGE_LEN];
        getrandom::fill(&mut bytes).map_err(|_| CvcError::Random)?;
        Ok(Self(bytes))
    }

    /// A challenge the caller drew from its own random source. Never reuse one.
    pub fn from_bytes(bytes: [u8; CHALLENGE_LEN]) -> Self {
        Self(bytes)
    }

    /// The challenge bytes.
    pub fn as_bytes(&self) -> &[u8; CHALLENGE_LEN] {
        &self.0
    }

    /// The 51-byte SHA-256 DigestInfo of the challenge: the data of `80 2A 00 00 33 … 00`.
    pub fn digest_info(&self) -> [u8; 51] {
        let mut out = [0u8; 51];
        out[..19].copy_from_slice(&SHA256_DIGEST_INFO_PREFIX);
        out[19..].copy_from_slice(&Sha256::digest(self.0));
        out
    }

    /// Checks the chip's answer: a sha256WithRSA PKCS#1 v1.5 signature over the challenge by `card_key`.
    pub fn check_answer(self, card_key: &CardKey, answer: &[u8]) -> Result<[u8; 32], CvcError> {
        if card_key.verifies_sha256(&self.0, answer) {
            Ok(self.0)
        } else {
            Err(CvcError::BadChallengeAnswer)
        }
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Challenge({})", crate::card_key::hex(&self.0))
    }
}
