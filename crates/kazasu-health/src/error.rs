//! The one error enum of the health layer.

use kazasu_card::CardError;
use kazasu_pki::Rejection;

/// Everything a healthcare flow can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// The card refused or failed (wrong PIN, lockout guard, reader trouble…).
    #[error("card: {0}")]
    Card(#[from] CardError),
    /// The certificate, its revocation status, the signature or the challenge was rejected.
    #[error("rejected: {0}")]
    Rejected(#[from] Rejection),
    /// The certificate was verified but nobody enrolled it (健康保険証利用登録 not done).
    #[error("this card is not registered for use as a health insurance card")]
    NotEnrolled,
    /// The card's identity is not linked to a patient card at this facility.
    #[error("this card is not linked to a patient card at facility {facility}")]
    NotLinked {
        /// The facility.
        facility: String,
    },
    /// The authentication certificate expired more than three months ago.
    #[error(
        "the authentication certificate expired on {expired}; the three-month grace period is over"
    )]
    GraceOver {
        /// Its notAfter date.
        expired: time::Date,
    },
    /// A request field is invalid.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A PKI input could not be processed.
    #[error("pki: {0}")]
    Pki(#[from] kazasu_pki::Error),
}

/// Failures of a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A row holds something this version cannot read.
    #[error("corrupt row in {table}: {reason}")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The database was written by a newer schema.
    #[error("database schema version {found} is newer than this software ({supported})")]
    SchemaTooNew {
        /// Found.
        found: i64,
        /// Supported.
        supported: i64,
    },
    /// A uniqueness rule would be broken (e.g. one patient card linked twice).
    #[error("conflict: {0}")]
    Conflict(String),
}
