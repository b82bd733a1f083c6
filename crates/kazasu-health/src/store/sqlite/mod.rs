//! The embedded SQLite store: migrations, a transaction per change, WAL with full sync, busy waits for
//! concurrent desks.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

mod challenges;
mod checkin;
mod eligibility;
mod facility;

pub use challenges::SqliteChallengeStore;

use kazasu_pki::CertificateId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::StoreError;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE persons (
    agency_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_kana TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL
);
CREATE TABLE qualifications (
    id INTEGER PRIMARY KEY,
    agency_code TEXT NOT NULL REFERENCES persons(agency_code) ON DELETE CASCADE,
    insurer_number TEXT NOT NULL,
    symbol TEXT NOT NULL,
    number TEXT NOT NULL,
    branch TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    family_class TEXT NOT NULL,
    contribution_ratio TEXT
);
CREATE INDEX qualifications_by_person ON qualifications(agency_code);
CREATE TABLE certificate_links (
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    agency_code TEXT NOT NULL REFERENCES persons(agency_code),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (issuer, serial)
);
CREATE TABLE renewals (
    new_issuer TEXT NOT NULL,
    new_serial TEXT NOT NULL,
    old_issuer TEXT NOT NULL,
    old_serial TEXT NOT NULL,
    PRIMARY KEY (new_issuer, new_serial)
);
CREATE TABLE reference_numbers (
    facility TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    reference_number TEXT NOT NULL,
    PRIMARY KEY (facility, agency_code)
);
CREATE TABLE patient_cards (
    facility TEXT NOT NULL,
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    patient_card TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (facility, issuer, serial)
);
CREATE TABLE reservations (
    id INTEGER PRIMARY KEY,
    facility TEXT NOT NULL,
    patient_card TEXT NOT NULL,
    day TEXT NOT NULL,
    time TEXT NOT NULL,
    department TEXT NOT NULL
);
CREATE INDEX reservations_by_day ON reservations(facility, patient_card, day);
CREATE TABLE queue_counters (
    facility TEXT NOT NULL,
    day TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (facility, day)
);
CREATE TABLE checkins (
    facility TEXT NOT NULL,
    day TEXT NOT NULL,
    queue_number INTEGER NOT NULL,
    patient_card TEXT NOT NULL,
    checked_in_at TEXT NOT NULL,
    PRIMARY KEY (facility, day, queue_number)
);
"#,
    // 2: the system's sex codes (Sex1 as printed, Sex2 actual; 1 男 2 女 3 未設定), addresses, 高齢受給者
    // ratios, facility terminals, approval nonces, the audit trail, facilities' patient records,
    // challenges shared between service instances.
    r#"
ALTER TABLE persons ADD COLUMN sex1 TEXT NOT NULL DEFAULT '3';
ALTER TABLE persons ADD COLUMN sex2 TEXT NOT NULL DEFAULT '3';
ALTER TABLE persons ADD COLUMN address TEXT;
UPDATE persons SET sex1 = CASE sex WHEN '1' THEN '1' WHEN '2' THEN '2' ELSE '3' END;
UPDATE persons SET sex2 = sex1;
ALTER TABLE qualifications ADD COLUMN elderly_ratio TEXT;
CREATE TABLE terminals (
    facility TEXT NOT NULL,
    terminal TEXT NOT NULL,
    public_key BLOB NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (facility, terminal)
);
CREATE TABLE approval_nonces (
    facility TEXT NOT NULL,
    nonce BLOB NOT NULL,
    keep_until INTEGER NOT NULL,
    PRIMARY KEY (facility, nonce)
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    at_text TEXT NOT NULL,
    facility TEXT NOT NULL,
    terminal TEXT,
    staff TEXT,
    certificate TEXT,
    mode TEXT NOT NULL,
    result TEXT NOT NULL,
    evidence TEXT
);
CREATE INDEX audit_by_facility ON audit(facility, mode, at);
CREATE TABLE patients (
    facility TEXT NOT NULL,
    patient_card TEXT NOT NULL,
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    PRIMARY KEY (facility, patient_card)
);
CREATE INDEX patient_cards_by_card ON patient_cards(facility, patient_card);
CREATE INDEX checkins_by_card ON checkins(facility, day, patient_card);
CREATE TABLE challenges (
    challenge BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX challenges_by_expiry ON challenges(expires_at);
"#,
];

/// Renewal chains longer than this are treated as corrupt (a cycle, or garbage).
const MAX_LINEAGE: usize = 64;

/// The SQLite store. One connection per value; open one per desk (thread or process) on the same file
/// for concurrent check-ins: writes take the database lock up front (`BEGIN IMMEDIATE`) and wait for
/// each other instead of losing updates.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
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
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let supported = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        if version > supported {
            return Err(StoreError::SchemaTooNew {
                found: version,
                supported,
            });
        }
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            tx.execute_batch(sql)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(i + 1).unwrap_or(i64::MAX),
            )?;
        }
        tx.commit()?;
        Ok(())
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

pub(super) fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
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
