//! The embedded SQLite store: migrations, a transaction per change, WAL with full sync, busy waits for
//! concurrent desks.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use kazasu_pki::CertificateId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::{CheckinStore, EligibilityStore, RenewalStore};
use crate::StoreError;
use crate::model::{
    AgencyCode, FacilityCode, PatientCardNumber, Person, Qualification, Reservation,
};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[r#"
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
"#];

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

    fn lock(&self) -> MutexGuard<'_, Connection> {
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

fn corrupt(table: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::CorruptRow {
        table,
        reason: reason.into(),
    }
}

fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn parse_date(table: &'static str, s: &str) -> Result<Date, StoreError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &format).map_err(|e| corrupt(table, format!("bad date {s:?}: {e}")))
}

fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

fn code<T>(
    table: &'static str,
    s: &str,
    make: impl Fn(&str) -> Result<T, crate::HealthError>,
) -> Result<T, StoreError> {
    make(s).map_err(|e| corrupt(table, e.to_string()))
}

impl RenewalStore for SqliteStore {
    fn import_renewals(
        &self,
        links: &[(CertificateId, CertificateId)],
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        for (old, new) in links {
            if old == new {
                return Err(StoreError::Conflict(format!(
                    "certificate {old} cannot renew itself"
                )));
            }
            added += tx.execute(
                "INSERT INTO renewals (new_issuer, new_serial, old_issuer, old_serial) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(new_issuer, new_serial) DO NOTHING",
                params![new.issuer_key_id_hex(), new.serial_hex(), old.issuer_key_id_hex(), old.serial_hex()],
            )?;
        }
        tx.commit()?;
        Ok(added)
    }

    fn lineage(&self, id: &CertificateId) -> Result<Vec<CertificateId>, StoreError> {
        let conn = self.lock();
        lineage(&conn, id)
    }
}

impl EligibilityStore for SqliteStore {
    fn put_person(
        &self,
        person: &Person,
        qualifications: &[Qualification],
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO persons (agency_code, name, name_kana, sex, birth_date) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(agency_code) DO UPDATE SET name = ?2, name_kana = ?3, sex = ?4, birth_date = ?5",
            params![
                person.agency_code.as_str(),
                person.name,
                person.name_kana,
                person.sex,
                date_text(person.birth_date)
            ],
        )?;
        tx.execute(
            "DELETE FROM qualifications WHERE agency_code = ?1",
            params![person.agency_code.as_str()],
        )?;
        for q in qualifications {
            tx.execute(
                "INSERT INTO qualifications (agency_code, insurer_number, symbol, number, branch, valid_from,
                 valid_until, family_class, contribution_ratio) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    person.agency_code.as_str(),
                    q.insurer_number,
                    q.insured_card_symbol,
                    q.insured_identification_number,
                    q.insured_branch_number,
                    date_text(q.valid_from),
                    q.valid_until.map(date_text),
                    q.personal_family_classification,
                    q.insured_partial_contribution_ratio
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn person(
        &self,
        agency: &AgencyCode,
    ) -> Result<Option<(Person, Vec<Qualification>)>, StoreError> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT name, name_kana, sex, birth_date FROM persons WHERE agency_code = ?1",
                params![agency.as_str()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((name, name_kana, sex, birth)) = row else {
            return Ok(None);
        };
        if !matches!(sex.as_str(), "1" | "2" | "9" | "0") {
            return Err(corrupt("persons", format!("sex {sex:?}")));
        }
        let person = Person {
            agency_code: agency.clone(),
            name,
            name_kana,
            sex,
            birth_date: parse_date("persons", &birth)?,
        };
        let mut stmt = conn.prepare(
            "SELECT insurer_number, symbol, number, branch, valid_from, valid_until, family_class, contribution_ratio
             FROM qualifications WHERE agency_code = ?1 ORDER BY valid_from, id",
        )?;
        let rows = stmt.query_map(params![agency.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut qualifications = Vec::new();
        for row in rows {
            let (insurer, symbol, number, branch, from, until, family, ratio) = row?;
            let q = Qualification {
                insurer_number: insurer,
                insured_card_symbol: symbol,
                insured_identification_number: number,
                insured_branch_number: branch,
                valid_from: parse_date("qualifications", &from)?,
                valid_until: until
                    .as_deref()
                    .map(|u| parse_date("qualifications", u))
                    .transpose()?,
                personal_family_classification: family,
                insured_partial_contribution_ratio: ratio,
            };
            q.validate()
                .map_err(|e| corrupt("qualifications", e.to_string()))?;
            qualifications.push(q);
        }
        Ok(Some((person, qualifications)))
    }

    fn link_certificate(
        &self,
        id: &CertificateId,
        agency: &AgencyCode,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT agency_code FROM certificate_links WHERE issuer = ?1 AND serial = ?2",
                params![id.issuer_key_id_hex(), id.serial_hex()],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(a) if a == agency.as_str() => return Ok(()),
            Some(_) => {
                return Err(StoreError::Conflict(format!(
                    "certificate {id} is enrolled for another person"
                )));
            }
            None => {}
        }
        tx.execute(
            "INSERT INTO certificate_links (issuer, serial, agency_code, linked_at) VALUES (?1, ?2, ?3, ?4)",
            params![id.issuer_key_id_hex(), id.serial_hex(), agency.as_str(), timestamp(at)],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn resolve(&self, id: &CertificateId) -> Result<Option<AgencyCode>, StoreError> {
        let conn = self.lock();
        for cert in lineage(&conn, id)? {
            let agency: Option<String> = conn
                .query_row(
                    "SELECT agency_code FROM certificate_links WHERE issuer = ?1 AND serial = ?2",
                    params![cert.issuer_key_id_hex(), cert.serial_hex()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(a) = agency {
                return code("certificate_links", &a, AgencyCode::new).map(Some);
            }
        }
        Ok(None)
    }

    fn set_reference_number(
        &self,
        facility: &FacilityCode,
        agency: &AgencyCode,
        reference: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO reference_numbers (facility, agency_code, reference_number) VALUES (?1, ?2, ?3)
             ON CONFLICT(facility, agency_code) DO UPDATE SET reference_number = ?3",
            params![facility.as_str(), agency.as_str(), reference],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn reference_number(
        &self,
        facility: &FacilityCode,
        agency: &AgencyCode,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT reference_number FROM reference_numbers WHERE facility = ?1 AND agency_code = ?2",
                params![facility.as_str(), agency.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// `id` and the certificates it renewed, newest first.
fn lineage(conn: &Connection, id: &CertificateId) -> Result<Vec<CertificateId>, StoreError> {
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

impl CheckinStore for SqliteStore {
    fn link_patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
        card: &PatientCardNumber,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO patient_cards (facility, issuer, serial, patient_card, linked_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(facility, issuer, serial) DO UPDATE SET patient_card = ?4, linked_at = ?5",
            params![facility.as_str(), id.issuer_key_id_hex(), id.serial_hex(), card.as_str(), timestamp(at)],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
    ) -> Result<Option<PatientCardNumber>, StoreError> {
        let conn = self.lock();
        for cert in lineage(&conn, id)? {
            let card: Option<String> = conn
                .query_row(
                    "SELECT patient_card FROM patient_cards WHERE facility = ?1 AND issuer = ?2 AND serial = ?3",
                    params![facility.as_str(), cert.issuer_key_id_hex(), cert.serial_hex()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(c) = card {
                return code("patient_cards", &c, PatientCardNumber::new).map(Some);
            }
        }
        Ok(None)
    }

    fn add_reservation(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        r: &Reservation,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO reservations (facility, patient_card, day, time, department) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![facility.as_str(), card.as_str(), date_text(r.day), r.time, r.department],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn reservations(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
    ) -> Result<Vec<Reservation>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT day, time, department FROM reservations WHERE facility = ?1 AND patient_card = ?2 AND day = ?3
             ORDER BY time, id",
        )?;
        let rows = stmt.query_map(
            params![facility.as_str(), card.as_str(), date_text(day)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (d, time, department) = row?;
            out.push(Reservation {
                day: parse_date("reservations", &d)?,
                time,
                department,
            });
        }
        Ok(out)
    }

    fn check_in(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
        at: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        let mut conn = self.lock();
        // IMMEDIATE takes the write lock first, so two desks never read the same counter.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let number: i64 = tx.query_row(
            "INSERT INTO queue_counters (facility, day, last) VALUES (?1, ?2, 1)
             ON CONFLICT(facility, day) DO UPDATE SET last = last + 1 RETURNING last",
            params![facility.as_str(), date_text(day)],
            |r| r.get(0),
        )?;
        let queue = u32::try_from(number)
            .map_err(|_| corrupt("queue_counters", format!("counter {number}")))?;
        tx.execute(
            "INSERT INTO checkins (facility, day, queue_number, patient_card, checked_in_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![facility.as_str(), date_text(day), number, card.as_str(), timestamp(at)],
        )?;
        tx.commit()?;
        Ok(queue)
    }
}
