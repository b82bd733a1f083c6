//! [`Error`]: input that cannot be used at all (as opposed to a [`crate::Rejection`], a verdict on
//! well-formed input).

/// Why input could not be parsed or used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// DER that does not decode as the expected structure.
    #[error("malformed {what}: {reason}")]
    Der {
        /// What was being decoded ("certificate", "CRL", "subjectAltName", …).
        what: &'static str,
        /// The decoder's complaint.
        reason: String,
    },
    /// PEM that does not decode (bad armour or base64).
    #[error("malformed PEM: {0}")]
    Pem(String),
    /// A PEM block with another label than the one expected.
    #[error("expected a PEM block labelled {expected}, found {found}")]
    PemLabel {
        /// The label wanted (`CERTIFICATE`, `X509 CRL`).
        expected: &'static str,
        /// The label found.
        found: String,
    },
    /// Neither DER (a SEQUENCE) nor PEM armour.
    #[error("input is neither DER nor PEM")]
    NotDerOrPem,
    /// Input larger than the limit for its kind.
    #[error("{what} of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What the input was meant to be.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Well-formed, but something this crate does not handle (e.g. an X.509 v1 CRL with extensions).
    #[error("unsupported {what}: {detail}")]
    Unsupported {
        /// What.
        what: &'static str,
        /// Details.
        detail: String,
    },
    /// The personal data of a JPKI signature certificate is missing or malformed.
    #[error("JPKI personal data: {0}")]
    PersonalData(String),
    /// The hcRole attribute (HPKI qualification) in subjectDirectoryAttributes is malformed.
    #[error("malformed hcRole: {0}")]
    HcRole(String),
    /// A challenge store is full of live challenges: no new one is issued until some expire.
    #[error("the challenge store holds {capacity} live challenges; try again later")]
    ChallengeCapacity {
        /// Its capacity.
        capacity: usize,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
}

impl Error {
    pub(crate) fn der(what: &'static str, reason: impl ToString) -> Self {
        Error::Der {
            what,
            reason: reason.to_string(),
        }
    }
}
