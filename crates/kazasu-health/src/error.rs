//! The one error enum of the health layer.

use kazasu_card::CardError;
use kazasu_pki::Rejection;

/// Everything a healthcare flow can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// The card refused or failed (wrong PIN, lockout guard, reader trouble…).
    #[error(transparent)]
    Card(#[from] CardError),
    /// The certificate, its revocation status, the signature or the challenge was rejected.
    #[error(transparent)]
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
    /// Enrolment or a check-in link: the card holder's identity (the signature certificate's
    /// 基本4情報) does not match the record. Nothing was written.
    #[error("the card holder's {field} does not match the record")]
    Mismatch {
        /// Which field: `name`, `birth date`, `sex` or `address`.
        field: &'static str,
    },
    /// The certificate's value carries substitute characters (代替文字) or characters outside the
    /// common set: a person must compare it with the record; it is never matched automatically.
    #[error("the card holder's {field} has substitute characters; a person must compare it")]
    NeedsReview {
        /// Which field.
        field: &'static str,
    },
    /// The signature and authentication certificates presented are not one card's.
    #[error("the signature and authentication certificates are not from the same card")]
    NotSameCard,
    /// The request needs an authenticated facility terminal (a registered facility's signed
    /// approval), and none was valid.
    #[error("facility terminal not authenticated: {0}")]
    FacilityNotAuthenticated(String),
    /// The service requires a chip-genuineness result with staff-visual lookups, and none came.
    #[error("the staff approval carries no chip-genuineness result, which this service requires")]
    GenuinenessRequired,
    /// The facility made more lookups of this kind than its limit allows in the window.
    #[error("facility {facility} exceeded {limit} staff-checked lookups per {window_seconds} s")]
    RateLimited {
        /// The facility.
        facility: String,
        /// The limit.
        limit: u32,
        /// The window.
        window_seconds: i64,
    },
    /// A request field is invalid.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A bound assertion was refused (another relying party or origin, another purpose, a stale
    /// or future issue time, a nonce problem, a bad signature, malformed bytes). Certificate
    /// refusals come as [`HealthError::Rejected`].
    #[error(transparent)]
    Assertion(kazasu_auth::AuthError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A PKI input could not be processed.
    #[error(transparent)]
    Pki(#[from] kazasu_pki::Error),
    /// The HPKI ↔ JPKI linkage flow refused, for the reason named.
    #[cfg(feature = "qualification")]
    #[cfg_attr(docsrs, doc(cfg(feature = "qualification")))]
    #[error(transparent)]
    Qualification(#[from] crate::qualification::Refusal),
}

impl HealthError {
    /// The ProcessingResultCode an error answer carries. The national system's own codes are not
    /// public; these are kazasu's, stable across versions: `K0xxx` request, `K1xxx` card and
    /// certificate, `K2xxx` enrolment and identity, `K3xxx` facility, `K9xxx` internal.
    pub fn result_code(&self) -> &'static str {
        match self {
            HealthError::Invalid { .. } => "K0001",
            HealthError::Card(_) => "K1001",
            HealthError::Rejected(r) if r.code().starts_with("challenge") => "K1003",
            HealthError::Rejected(_) => "K1002",
            HealthError::GraceOver { .. } => "K1004",
            HealthError::Pki(_) => "K1005",
            HealthError::Assertion(e) if e.code().starts_with("nonce") => "K1003",
            HealthError::Assertion(_) => "K1002",
            HealthError::NotEnrolled => "K2001",
            HealthError::Mismatch { .. } => "K2002",
            HealthError::NeedsReview { .. } => "K2003",
            HealthError::NotSameCard => "K2004",
            HealthError::NotLinked { .. } => "K2005",
            HealthError::FacilityNotAuthenticated(_) => "K3001",
            HealthError::RateLimited { .. } => "K3002",
            HealthError::GenuinenessRequired => "K3003",
            #[cfg(feature = "qualification")]
            HealthError::Qualification(r) => r.code(),
            HealthError::Store(StoreError::Conflict(_)) => "K9002",
            HealthError::Store(_) => "K9001",
        }
    }
}

/// Failures of a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed (the backend's error is the source).
    #[error("the database failed")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
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

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

impl From<kazasu_auth::AuthError> for HealthError {
    fn from(e: kazasu_auth::AuthError) -> Self {
        match e {
            kazasu_auth::AuthError::Certificate(r) => HealthError::Rejected(r),
            other => HealthError::Assertion(other),
        }
    }
}
