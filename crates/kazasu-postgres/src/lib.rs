//! PostgreSQL stores for kazasu's flows, for servers that run several instances on one database.
//!
//! [`PgDatabase::connect`] opens a connection pool (`r2d2` over the synchronous `postgres` client:
//! the store traits are synchronous, and an async server calls them from blocking threads) and
//! migrates the schema under an advisory lock. It hands out stores that share the pool:
//!
//! - [`PgStore`] ([`PgDatabase::store`]): kazasu-health's `RenewalStore`, `FacilityStore`,
//!   `AuditStore`, `EligibilityStore`, `CheckinStore`, the qualification `LinkageStore`, and
//!   `BulkEnrol` (a `COPY` for load tests);
//! - [`PgChallengeStore`] ([`PgDatabase::challenge_store`]): `kazasu_pki::ChallengeStore`;
//! - [`PgLedgerStore`] ([`PgDatabase::ledger_store`]): `kazasu_consent::LedgerStore`;
//! - [`PgAuthStore`] ([`PgDatabase::auth_store`]): kazasu-auth's `AccountStore` and `TicketStore`.
//!
//! The stores keep the semantics of the SQLite stores (same conflicts, same idempotence, same
//! error variants) across instances: queue numbers are unique and gap-free per facility and day,
//! a challenge or a ticket is used once, a ledger position is taken once. Transactions that read,
//! check and write run serializable and are retried (a bounded number of times) when PostgreSQL
//! aborts them for a concurrent writer. Errors name the failure and its SQLSTATE, never the
//! values of a row.
//!
//! ```no_run
//! use kazasu_postgres::PgDatabase;
//! use kazasu_health::store::CheckinStore;
//!
//! let db = PgDatabase::connect("postgres://kazasu@127.0.0.1:5432/kazasu", 8)?;
//! let store = db.store();
//! let challenges = db.challenge_store(time::Duration::minutes(5), 100_000);
//! # let _ = (store, challenges);
//! # Ok::<(), kazasu_postgres::PgError>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod bulk;
mod challenges;
mod database;
mod error;
mod health;
mod ledger;
mod linkages;

pub use auth::PgAuthStore;
pub use challenges::{CHECK_EVERY, PgChallengeStore};
pub use database::{PgDatabase, SCHEMA_VERSION};
pub use error::{PgError, PgFailure};
pub use health::PgStore;
pub use ledger::PgLedgerStore;

pub use postgres;

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
