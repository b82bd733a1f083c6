//! [`SignError`]: everything that can go wrong while signing or reading signed data.
//!
//! Verification outcomes are not errors: a signature that does not verify is a
//! [`crate::Verdict::Invalid`] in a report. Errors are for input that cannot be read at all,
//! signers that fail, and services that cannot be reached.

/// Errors of `kazasu-sign`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// Input that is not the structure it should be.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read (e.g. "CMS ContentInfo", "TSTInfo").
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// Input over a size limit (checked before parsing).
    #[error("{what} is {len} bytes; at most {max} are accepted")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A well-formed structure using something this crate does not implement.
    #[error("unsupported {what}: {detail}")]
    Unsupported {
        /// What (e.g. "digest algorithm").
        what: &'static str,
        /// Which.
        detail: String,
    },
    /// The signer (a card, a software key) failed. Card errors never carry PINs.
    #[error("the signer failed: {0}")]
    Signer(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A time-stamping authority refused or answered something unusable.
    #[error("time-stamping authority: {0}")]
    Tsa(String),
    /// An OCSP response that is refused (the responder's status, its signature, its freshness, its
    /// nonce…), with the named reason.
    #[error("OCSP: {0}")]
    Ocsp(#[from] crate::ocsp::OcspRejection),
    /// An HTTP exchange with a TSA or an OCSP responder failed.
    #[error("HTTP {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A PDF that cannot be read or signed (see [`crate::pades::PdfError`]).
    #[error(transparent)]
    Pdf(#[from] crate::pades::PdfError),
    /// A certificate or CRL that `kazasu-pki` cannot read.
    #[error(transparent)]
    Pki(#[from] kazasu_pki::Error),
}

impl SignError {
    /// A [`SignError::Malformed`] from a `der` error.
    pub(crate) fn der(what: &'static str, e: der::Error) -> Self {
        SignError::Malformed {
            what,
            reason: e.to_string(),
        }
    }

    /// Checks `len` against `max` before anything is parsed.
    pub(crate) fn check_size(what: &'static str, len: usize, max: usize) -> Result<(), Self> {
        if len > max {
            return Err(SignError::TooLarge { what, len, max });
        }
        Ok(())
    }
}
