//! The one error type of this crate.

/// What went wrong: bad input, refused evidence, or the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// A field is missing or malformed.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The evidence (signature, certificate, revocation data) does not prove the act.
    #[error("evidence refused: {0}")]
    Evidence(String),
    /// The act is not allowed (e.g. a minor consenting alone, withdrawing an unknown consent).
    #[error("refused: {0}")]
    Refused(String),
    /// A FHIR resource that cannot be read.
    #[error("FHIR Consent: {0}")]
    Fhir(String),
    /// The store refused an append because another writer (another instance sharing the store)
    /// took that position first; [`crate::ConsentLedger`] checks the act again and retries.
    #[error("ledger position {seq} was taken by another writer")]
    PositionTaken {
        /// The position asked for.
        seq: u64,
    },
    /// The store failed.
    #[error("store: {0}")]
    Store(String),
}

impl ConsentError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for ConsentError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.to_string())
    }
}

#[cfg(feature = "sqlite")]
impl From<rusqlite_migration::Error> for ConsentError {
    fn from(e: rusqlite_migration::Error) -> Self {
        Self::Store(e.to_string())
    }
}
