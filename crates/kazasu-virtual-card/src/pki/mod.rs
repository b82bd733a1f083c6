//! The test PKI: personas, fixture keys, JPKI-profile certificates and CRLs.

mod keys;
mod persona;

pub use keys::{FIXTURE_KEY_COUNT, fixture_key, weak_fixture_key};
pub use persona::{Era, JapaneseDate, MyNumber, Persona, PersonaBuilder, Sex};

/// Errors of the test PKI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A fixture key index past the committed set.
    #[error("no fixture key {index}: {count} are committed")]
    NoSuchKey {
        /// Requested index.
        index: usize,
        /// Keys available.
        count: usize,
    },
    /// A committed key failed to parse (the fixtures are damaged).
    #[error("fixture key {index} is unreadable: {reason}")]
    BadFixture {
        /// Key index.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A persona field is invalid.
    #[error("invalid persona: {0}")]
    InvalidPersona(String),
    /// ASN.1 encoding failed.
    #[error("DER encoding failed: {0}")]
    Der(#[from] der::Error),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signature(String),
}
