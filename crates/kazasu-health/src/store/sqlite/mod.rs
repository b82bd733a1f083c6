//! The embedded SQLite store: migrations, a transaction per change, WAL with full sync, busy waits for
//! concurrent desks.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

mod bulk;
mod challenges;
mod checkin;
mod eligibility;
pub(crate) mod facility;
#[cfg(feature = "qualification")]
mod linkages;

pub use challenges::SqliteChallengeStore;

use kazasu_pki::CertificateId;
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::StoreError;

/// Schema migrations, applied in order by `rusqlite_migration`; `PRAGMA user_version` records how
/// many ran. A database written by a newer version (more migrations than these) is refused.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../../migrations/0001_initial.sql")),
        M::up(include_str!("../../../migrations/0002_trust.sql")),
        M::up(include_str!("../../../migrations/0003_linkages.sql")),
    ])
}

/// How many migrations this version knows.
const SCHEMA_VERSION: i64 = 3;

/// Renewal chains longer than this are treated as corrupt (a cycle, or garbage).
const MAX_LINEAGE: usize = 64;

/// The SQLite store. One connection per value; open one per desk (thread or process) on the same file
/// for concurrent check-ins: writes take the database lock up front (`BEGIN IMMEDIATE`) and wait for
/// each other instead of losing updates.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    pub(super) audit_queue: facility::AuditQueue,
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::setup(conn, true)
    }

    /// An in-memory database (tests, the demo).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?, false)
    }

    fn setup(conn: Connection, file: bool) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_secs(10))?;
        if file {
            // WAL lets desks read while one writes; FULL sync makes a committed check-in survive a crash.
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let store = Self {
            conn: Mutex::new(conn),
            audit_queue: facility::AuditQueue::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        migrations()
            .to_latest(&mut conn)
            .map_err(|e| StoreError::Database(Box::new(e)))
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .lock()
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

pub(super) fn corrupt(table: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::CorruptRow {
        table,
        reason: reason.into(),
    }
}

pub(super) fn parse_date(table: &'static str, s: &str) -> Result<Date, StoreError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &format).map_err(|e| corrupt(table, format!("bad date {s:?}: {e}")))
}

pub(super) fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

pub(super) fn code<T>(
    table: &'static str,
    s: &str,
    make: impl Fn(&str) -> Result<T, crate::HealthError>,
) -> Result<T, StoreError> {
    make(s).map_err(|e| corrupt(table, e.to_string()))
}

/// `id` and the certificates it renewed, newest first.
pub(super) fn lineage(
    conn: &Connection,
    id: &CertificateId,
) -> Result<Vec<CertificateId>, StoreError> {
    let mut out = vec![id.clone()];
    while let Some(last) = out.last() {
        let older: Option<(String, String)> = conn
            .query_row(
                "SELECT old_issuer, old_serial FROM renewals WHERE new_issuer = ?1 AND new_serial = ?2",
                params![last.issuer_key_id_hex(), last.serial_hex()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((issuer, serial)) = older else { break };
        // A renewal row still naming the old certificate by its legacy (issuer name) id: the chain
        // cannot be followed past it until that certificate is presented once (adopt_legacy_id).
        if issuer.contains('=') {
            break;
        }
        let older = CertificateId::from_hex_parts(&issuer, &serial)
            .map_err(|e| corrupt("renewals", e.to_string()))?;
        if out.contains(&older) || out.len() >= MAX_LINEAGE {
            return Err(corrupt(
                "renewals",
                format!("renewal chain from {id} loops or is too long"),
            ));
        }
        out.push(older);
    }
    Ok(out)
}
