//! The one error enum of this crate: every way a certificate, a record or a challenge answer is refused.

use crate::key_id::KeyId;

/// Why a certificate, a signed record or a challenge answer was not accepted. Each variant names
/// the reason; an unknown issuer is its own answer ("not checked"), never reported as a bad signature.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CvcError {
    /// The bytes do not have the structure the card stores.
    #[error("malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The certificate names an issuer whose key the verifier was not given: nothing was checked.
    #[error("not checked: issuer {issuer} is not among the configured CA keys")]
    UnknownIssuer {
        /// The issuer key id the certificate names.
        issuer: KeyId,
    },
    /// The issuer is known, but its key did not make this signature.
    #[error("bad signature: the certificate does not verify with the key of issuer {issuer}")]
    BadSignature {
        /// The issuer key id.
        issuer: KeyId,
    },
    /// The certificate comes from the JPKI test hierarchy (`6…`) and the caller did not allow it.
    #[error("refused: issuer {issuer} belongs to the test hierarchy, not allowed by the caller")]
    TestHierarchyRefused {
        /// The issuer key id.
        issuer: KeyId,
    },
    /// The certificate is from a CA that does not certify this application's key.
    #[error("refused: issuer {issuer} does not certify keys of the {expected}")]
    WrongIssuer {
        /// The issuer key id.
        issuer: KeyId,
        /// The application the certificate was read from.
        expected: &'static str,
    },
    /// A chain link names an issuer other than the subject of the certificate before it.
    #[error(
        "broken chain: certificate issued by {issuer}, but the previous certificate certifies {previous_subject}"
    )]
    BrokenChain {
        /// Issuer of this link.
        issuer: KeyId,
        /// Subject of the previous link.
        previous_subject: KeyId,
    },
    /// A record's hash does not match the data it covers.
    #[error("integrity: {0}")]
    HashMismatch(&'static str),
    /// A record's signature does not verify with the key the application's certificate certifies.
    #[error("bad record signature: {0} is not signed by the certified issuer key")]
    BadRecordSignature(&'static str),
    /// The chip's answer to the verifier's challenge does not verify with the certified card key:
    /// the chip does not hold that key (copied files), or the answer belongs to another challenge (replay).
    #[error(
        "challenge answer refused: the chip did not sign this challenge with the certified card key"
    )]
    BadChallengeAnswer,
    /// A key the card stores is unusable (not RSA, wrong size, exponent out of range).
    #[error("unusable key: {0}")]
    BadKey(&'static str),
    /// The operating system's random source failed.
    #[error("no random challenge: the operating system's random source failed")]
    Random,
}
