//! [`PgError`]: what can go wrong opening the database; and the failure the stores box into each
//! crate's own error type.

use postgres::error::SqlState;

/// Why [`crate::PgDatabase`] could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The connection URL or options could not be read.
    #[error("invalid PostgreSQL configuration: {0}")]
    Config(String),
    /// No connection could be made (or kept) in the pool.
    #[error("the PostgreSQL connection pool failed: {0}")]
    Pool(String),
    /// The database refused a statement.
    #[error(transparent)]
    Database(#[from] PgFailure),
    /// The database was migrated by a newer version of this crate.
    #[error("database schema version {found} is newer than this software ({supported})")]
    SchemaTooNew {
        /// Found.
        found: i64,
        /// Supported.
        supported: i64,
    },
}

/// A PostgreSQL failure as the stores report it: the kind of failure and its SQLSTATE, never the
/// server's message or detail (those can quote the values of a row — personal data).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("PostgreSQL: {kind}{}", .sqlstate.as_ref().map(|s| format!(" (SQLSTATE {s})")).unwrap_or_default())]
pub struct PgFailure {
    /// What failed, in the client's words ("db error", "error connecting to server", …).
    pub kind: String,
    /// The five-character SQLSTATE, when the server answered with an error.
    pub sqlstate: Option<String>,
}

impl From<postgres::Error> for PgFailure {
    fn from(e: postgres::Error) -> Self {
        // The client's own Display names the kind only; the DbError (with DETAIL) is its source,
        // which is dropped here.
        Self {
            kind: e.to_string(),
            sqlstate: e.code().map(|c| c.code().to_owned()),
        }
    }
}

impl From<r2d2::Error> for PgFailure {
    fn from(e: r2d2::Error) -> Self {
        Self {
            kind: format!("connection pool: {e}"),
            sqlstate: None,
        }
    }
}

/// A failure worth retrying the whole transaction for: a serialization failure or a deadlock.
pub(crate) fn retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// A unique or primary-key violation.
pub(crate) fn unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// What a store's transaction body fails with: the database (maybe retryable) or the store's own
/// error, returned as is.
#[derive(Debug)]
pub(crate) enum Txn<E> {
    Pg(postgres::Error),
    Fail(E),
}

impl<E> From<postgres::Error> for Txn<E> {
    fn from(e: postgres::Error) -> Self {
        Txn::Pg(e)
    }
}

/// The error types of the crates whose stores live here, as the transaction runner builds them.
pub(crate) trait Failure: Sized {
    fn database(e: PgFailure) -> Self;
}

impl Failure for kazasu_health::StoreError {
    fn database(e: PgFailure) -> Self {
        kazasu_health::StoreError::Database(Box::new(e))
    }
}

impl Failure for kazasu_consent::ConsentError {
    fn database(e: PgFailure) -> Self {
        kazasu_consent::ConsentError::Store(e.to_string())
    }
}

impl Failure for kazasu_auth::AuthError {
    fn database(e: PgFailure) -> Self {
        kazasu_auth::AuthError::Store(e.to_string())
    }
}

impl Failure for kazasu_pki::Error {
    fn database(e: PgFailure) -> Self {
        kazasu_pki::Error::Unsupported {
            what: "challenge store",
            detail: e.to_string(),
        }
    }
}

impl Failure for PgError {
    fn database(e: PgFailure) -> Self {
        PgError::Database(e)
    }
}

macro_rules! fail_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Txn<$t> {
            fn from(e: $t) -> Self {
                Txn::Fail(e)
            }
        }
    )*};
}
fail_from!(
    kazasu_health::StoreError,
    kazasu_consent::ConsentError,
    kazasu_auth::AuthError,
    kazasu_pki::Error,
    PgError
);
