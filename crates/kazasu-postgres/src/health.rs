//! [`PgStore`]: kazasu-health's eligibility and check-in stores on PostgreSQL.

use kazasu_health::model::{
    AgencyCode, FacilityCode, InsuranceCardQuery, InsuranceSex, InsurerNumber, PatientCardNumber,
    Person, Qualification, Reservation,
};
use kazasu_health::store::{
    AuditStore, CheckinStore, EligibilityStore, FacilityStore, PatientRecord, RenewalStore,
};
use kazasu_health::{AuditEntry, HealthError, LookupMode, StoreError};
use kazasu_pki::{CertificateId, LegacyCertificateId};
use postgres::types::FromSql;
use postgres::{GenericClient, Row};
use time::{Date, OffsetDateTime};

use crate::database::{Isolation, PgDatabase};
use crate::error::Txn;

/// Renewal chains longer than this are treated as corrupt (a cycle, or garbage), as in SQLite.
const MAX_LINEAGE: usize = 64;

pub(crate) type R<T> = Result<T, Txn<StoreError>>;

/// The eligibility system's and a facility's data on PostgreSQL: [`RenewalStore`],
/// [`FacilityStore`], [`AuditStore`], [`EligibilityStore`], [`CheckinStore`] and the
/// qualification `LinkageStore`, with the semantics of kazasu-health's `SqliteStore`. Several
/// instances (pools) may share one database: queue numbers, links and nonces stay unique across
/// them. Get one from [`PgDatabase::store`].
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(crate) db: PgDatabase,
}

impl PgStore {
    pub(crate) fn new(db: PgDatabase) -> Self {
        Self { db }
    }

    /// The database (pool) this store uses.
    pub fn database(&self) -> &PgDatabase {
        &self.db
    }
}

pub(crate) fn corrupt(table: &'static str, reason: impl Into<String>) -> Txn<StoreError> {
    Txn::Fail(StoreError::CorruptRow {
        table,
        reason: reason.into(),
    })
}

/// Column `i` of `row`; a value of the wrong type (an edited row) is a corrupt row, not a failure
/// of the database.
pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize, table: &'static str) -> R<T> {
    row.try_get(i)
        .map_err(|_| corrupt(table, format!("column {i} cannot be read")))
}

fn code<T>(table: &'static str, s: &str, make: impl Fn(&str) -> Result<T, HealthError>) -> R<T> {
    make(s).map_err(|e| corrupt(table, e.to_string()))
}

fn cert_of(table: &'static str, issuer: &str, serial: &str) -> R<CertificateId> {
    CertificateId::from_hex_parts(issuer, serial).map_err(|e| corrupt(table, e.to_string()))
}

/// `id` and the certificates it renewed, newest first.
pub(crate) fn lineage(c: &mut impl GenericClient, id: &CertificateId) -> R<Vec<CertificateId>> {
    let mut out = vec![id.clone()];
    while let Some(last) = out.last() {
        let row = c.query_opt(
            "SELECT old_issuer, old_serial FROM renewals WHERE new_issuer = $1 AND new_serial = $2",
            &[&last.issuer_key_id_hex(), &last.serial_hex()],
        )?;
        let Some(row) = row else { break };
        let issuer: String = get(&row, 0, "renewals")?;
        let serial: String = get(&row, 1, "renewals")?;
        // A renewal row still naming the old certificate by its legacy (issuer name) id: the chain
        // cannot be followed past it until that certificate is presented once.
        if issuer.contains('=') {
            break;
        }
        let older = cert_of("renewals", &issuer, &serial)?;
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

impl RenewalStore for PgStore {
    fn import_renewals(
        &self,
        links: &[(CertificateId, CertificateId)],
    ) -> Result<usize, StoreError> {
        if let Some((old, _)) = links.iter().find(|(old, new)| old == new) {
            return Err(StoreError::Conflict(format!(
                "certificate {old} cannot renew itself"
            )));
        }
        self.db.run(Isolation::ReadCommitted, |tx| {
            let mut added = 0;
            for (old, new) in links {
                added += tx.execute(
                    "INSERT INTO renewals (new_issuer, new_serial, old_issuer, old_serial) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (new_issuer, new_serial) DO NOTHING",
                    &[&new.issuer_key_id_hex(), &new.serial_hex(), &old.issuer_key_id_hex(), &old.serial_hex()],
                )?;
            }
            Ok(usize::try_from(added).unwrap_or(usize::MAX))
        })
    }

    fn lineage(&self, id: &CertificateId) -> Result<Vec<CertificateId>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| lineage(tx, id))
    }

    fn adopt_legacy_id(
        &self,
        legacy: &LegacyCertificateId,
        id: &CertificateId,
    ) -> Result<usize, StoreError> {
        // Almost every presentation finds nothing to adopt: ask first, read-only, so the common
        // case costs one statement instead of a serializable transaction of four updates.
        let found = self
            .db
            .run::<bool, StoreError>(Isolation::ReadCommitted, |tx| {
                let r = tx.query_one(
                "SELECT EXISTS (SELECT 1 FROM certificate_links WHERE issuer = $1 AND serial = $2)
                     OR EXISTS (SELECT 1 FROM patient_cards WHERE issuer = $1 AND serial = $2)
                     OR EXISTS (SELECT 1 FROM renewals WHERE new_issuer = $1 AND new_serial = $2)
                     OR EXISTS (SELECT 1 FROM renewals WHERE old_issuer = $1 AND old_serial = $2)",
                &[&legacy.issuer, &legacy.serial],
            )?;
                Ok(r.try_get::<_, bool>(0)?)
            })?;
        if !found {
            return Ok(0);
        }
        // As SQLite's UPDATE OR IGNORE: a row whose new key is taken already stays as it is.
        self.db.run(Isolation::Serializable, |tx| {
            let p: [&(dyn postgres::types::ToSql + Sync); 4] = [
                &legacy.issuer,
                &legacy.serial,
                &id.issuer_key_id_hex(),
                &id.serial_hex(),
            ];
            let mut changed = 0;
            for sql in [
                "UPDATE certificate_links o SET issuer = $3, serial = $4 WHERE issuer = $1 AND serial = $2
                 AND NOT EXISTS (SELECT 1 FROM certificate_links t WHERE t.issuer = $3 AND t.serial = $4)",
                "UPDATE patient_cards o SET issuer = $3, serial = $4 WHERE issuer = $1 AND serial = $2
                 AND NOT EXISTS (SELECT 1 FROM patient_cards t WHERE t.facility = o.facility AND t.issuer = $3 AND t.serial = $4)",
                "UPDATE renewals o SET new_issuer = $3, new_serial = $4 WHERE new_issuer = $1 AND new_serial = $2
                 AND NOT EXISTS (SELECT 1 FROM renewals t WHERE t.new_issuer = $3 AND t.new_serial = $4)",
                "UPDATE renewals SET old_issuer = $3, old_serial = $4 WHERE old_issuer = $1 AND old_serial = $2",
            ] {
                changed += tx.execute(sql, &p)?;
            }
            Ok(usize::try_from(changed).unwrap_or(usize::MAX))
        })
    }
}

impl FacilityStore for PgStore {
    fn register_terminal(
        &self,
        facility: &FacilityCode,
        terminal: &str,
        public_key_der: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.execute(
                "INSERT INTO terminals (facility, terminal, public_key, registered_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (facility, terminal) DO UPDATE SET public_key = $3, registered_at = $4",
                &[&facility.as_str(), &terminal, &public_key_der, &at],
            )?;
            Ok(())
        })
    }

    fn terminal_key(
        &self,
        facility: &FacilityCode,
        terminal: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.query_opt(
                "SELECT public_key FROM terminals WHERE facility = $1 AND terminal = $2",
                &[&facility.as_str(), &terminal],
            )?
            .map(|r| get(&r, 0, "terminals"))
            .transpose()
        })
    }

    fn use_nonce(
        &self,
        facility: &FacilityCode,
        nonce: &[u8],
        until: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            // Nonces older than any acceptable approval are useless: keep the table bounded.
            tx.execute(
                "DELETE FROM approval_nonces WHERE keep_until < $1",
                &[&at.unix_timestamp()],
            )?;
            // The primary key decides between racing instances: one insert wins.
            let fresh = tx.execute(
                "INSERT INTO approval_nonces (facility, nonce, keep_until) VALUES ($1, $2, $3)
                 ON CONFLICT (facility, nonce) DO NOTHING",
                &[&facility.as_str(), &nonce, &until.unix_timestamp()],
            )?;
            Ok(fresh == 1)
        })
    }
}

impl AuditStore for PgStore {
    fn append_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.execute(
                "INSERT INTO audit (at, facility, terminal, staff, certificate, mode, result, evidence)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &e.at.unix_timestamp(),
                    &e.facility.as_str(),
                    &e.terminal,
                    &e.staff,
                    &e.certificate.as_ref().map(ToString::to_string),
                    &e.mode.as_str(),
                    &e.result,
                    &e.evidence,
                ],
            )?;
            Ok(())
        })
    }

    fn count_lookups(
        &self,
        facility: &FacilityCode,
        mode: LookupMode,
        since: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let n: i64 = get(
                &tx.query_one(
                    "SELECT COUNT(*) FROM audit WHERE facility = $1 AND mode = $2 AND at >= $3
                     AND result NOT IN ('K3001', 'K3002')",
                    &[&facility.as_str(), &mode.as_str(), &since.unix_timestamp()],
                )?,
                0,
                "audit",
            )?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    fn audit_trail(&self, facility: Option<&FacilityCode>) -> Result<Vec<AuditEntry>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let rows = tx.query(
                "SELECT at, facility, terminal, staff, certificate, mode, result, evidence FROM audit
                 WHERE $1::TEXT IS NULL OR facility = $1 ORDER BY id",
                &[&facility.map(FacilityCode::as_str)],
            )?;
            let t = "audit";
            rows.iter()
                .map(|r| {
                    let at: i64 = get(r, 0, t)?;
                    let facility: String = get(r, 1, t)?;
                    let mode: String = get(r, 5, t)?;
                    let certificate: Option<String> = get(r, 4, t)?;
                    let mut e = AuditEntry::new(
                        OffsetDateTime::from_unix_timestamp(at)
                            .map_err(|e| corrupt(t, e.to_string()))?,
                        code(t, &facility, FacilityCode::new)?,
                        LookupMode::parse(&mode)
                            .ok_or_else(|| corrupt(t, "unknown lookup mode"))?,
                        get::<String>(r, 6, t)?,
                    );
                    e.terminal = get(r, 2, t)?;
                    e.staff = get(r, 3, t)?;
                    e.certificate = certificate
                        .map(|c| {
                            c.parse()
                                .map_err(|e: kazasu_pki::Error| corrupt(t, e.to_string()))
                        })
                        .transpose()?;
                    e.evidence = get(r, 7, t)?;
                    Ok(e)
                })
                .collect()
        })
    }
}

pub(crate) fn write_person(
    tx: &mut impl GenericClient,
    person: &Person,
    qualifications: &[Qualification],
) -> R<()> {
    tx.execute(
        "INSERT INTO persons (agency_code, name, name_kana, sex1, sex2, birth_date, address)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (agency_code) DO UPDATE SET name = $2, name_kana = $3, sex1 = $4, sex2 = $5,
         birth_date = $6, address = $7",
        &[
            &person.agency_code.as_str(),
            &person.name,
            &person.name_kana,
            &person.sex1.code(),
            &person.sex2.code(),
            &person.birth_date,
            &person.address,
        ],
    )?;
    tx.execute(
        "DELETE FROM qualifications WHERE agency_code = $1",
        &[&person.agency_code.as_str()],
    )?;
    for q in qualifications {
        tx.execute(
            "INSERT INTO qualifications (agency_code, insurer_number, symbol, number, branch, valid_from,
             valid_until, family_class, contribution_ratio, elderly_ratio)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &person.agency_code.as_str(),
                &q.insurer_number.as_str(),
                &q.insured_card_symbol,
                &q.insured_identification_number,
                &q.insured_branch_number,
                &q.valid_from,
                &q.valid_until,
                &q.personal_family_classification,
                &q.insured_partial_contribution_ratio,
                &q.elderly_recipient_contribution_ratio,
            ],
        )?;
    }
    Ok(())
}

fn read_person(
    tx: &mut impl GenericClient,
    agency: &AgencyCode,
) -> R<Option<(Person, Vec<Qualification>)>> {
    let Some(r) = tx.query_opt(
        "SELECT name, name_kana, sex1, sex2, birth_date, address FROM persons WHERE agency_code = $1",
        &[&agency.as_str()],
    )?
    else {
        return Ok(None);
    };
    let t = "persons";
    let mut person = Person::new(
        agency.clone(),
        get::<String>(&r, 0, t)?,
        get::<String>(&r, 1, t)?,
        code(t, &get::<String>(&r, 2, t)?, InsuranceSex::from_code)?,
        code(t, &get::<String>(&r, 3, t)?, InsuranceSex::from_code)?,
        get::<Date>(&r, 4, t)?,
    );
    person.address = get(&r, 5, t)?;
    let t = "qualifications";
    let mut qualifications = Vec::new();
    for r in tx.query(
        "SELECT insurer_number, symbol, number, branch, valid_from, valid_until, family_class,
         contribution_ratio, elderly_ratio FROM qualifications WHERE agency_code = $1 ORDER BY valid_from, id",
        &[&agency.as_str()],
    )? {
        let mut q = Qualification::new(
            code(t, &get::<String>(&r, 0, t)?, InsurerNumber::new)?,
            get::<String>(&r, 1, t)?,
            get::<String>(&r, 2, t)?,
            get::<String>(&r, 3, t)?,
            get::<Date>(&r, 4, t)?,
        );
        q.valid_until = get(&r, 5, t)?;
        q.personal_family_classification = get(&r, 6, t)?;
        q.insured_partial_contribution_ratio = get(&r, 7, t)?;
        q.elderly_recipient_contribution_ratio = get(&r, 8, t)?;
        q.validate().map_err(|e| corrupt(t, e.to_string()))?;
        qualifications.push(q);
    }
    Ok(Some((person, qualifications)))
}

impl EligibilityStore for PgStore {
    fn put_person(
        &self,
        person: &Person,
        qualifications: &[Qualification],
    ) -> Result<(), StoreError> {
        // Serializable: two feeds replacing one person's qualifications must not interleave.
        self.db.run(Isolation::Serializable, |tx| {
            write_person(tx, person, qualifications)
        })
    }

    fn find_by_insurance_card(
        &self,
        query: &InsuranceCardQuery,
    ) -> Result<Vec<AgencyCode>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let candidates = tx.query(
                "SELECT DISTINCT q.agency_code FROM qualifications q JOIN persons p ON p.agency_code = q.agency_code
                 WHERE q.insurer_number = $1 AND p.birth_date = $2 ORDER BY q.agency_code",
                &[&query.insurer_number.as_str(), &query.birth_date],
            )?;
            // The symbol, number and branch comparisons (spaces, an absent branch) are the query's.
            let mut found = Vec::new();
            for r in candidates {
                let agency = code("qualifications", &get::<String>(&r, 0, "qualifications")?, AgencyCode::new)?;
                if let Some((person, qualifications)) = read_person(tx, &agency)?
                    && qualifications.iter().any(|q| query.names(q, person.birth_date))
                {
                    found.push(agency);
                }
            }
            Ok(found)
        })
    }

    fn person(
        &self,
        agency: &AgencyCode,
    ) -> Result<Option<(Person, Vec<Qualification>)>, StoreError> {
        // Repeatable read would do; serializable costs nothing more for a read-only transaction.
        self.db
            .run(Isolation::Serializable, |tx| read_person(tx, agency))
    }

    fn link_certificate(
        &self,
        id: &CertificateId,
        agency: &AgencyCode,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.db.run(Isolation::Serializable, |tx| {
            let existing = tx.query_opt(
                "SELECT agency_code FROM certificate_links WHERE issuer = $1 AND serial = $2",
                &[&id.issuer_key_id_hex(), &id.serial_hex()],
            )?;
            if let Some(r) = existing {
                let a: String = get(&r, 0, "certificate_links")?;
                if a == agency.as_str() {
                    return Ok(());
                }
                return Err(Txn::Fail(StoreError::Conflict(format!(
                    "certificate {id} is enrolled for another person"
                ))));
            }
            tx.execute(
                "INSERT INTO certificate_links (issuer, serial, agency_code, linked_at) VALUES ($1, $2, $3, $4)",
                &[&id.issuer_key_id_hex(), &id.serial_hex(), &agency.as_str(), &at],
            )?;
            Ok(())
        })
    }

    fn resolve(&self, id: &CertificateId) -> Result<Option<AgencyCode>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            for cert in lineage(tx, id)? {
                if let Some(r) = tx.query_opt(
                    "SELECT agency_code FROM certificate_links WHERE issuer = $1 AND serial = $2",
                    &[&cert.issuer_key_id_hex(), &cert.serial_hex()],
                )? {
                    let a: String = get(&r, 0, "certificate_links")?;
                    return code("certificate_links", &a, AgencyCode::new).map(Some);
                }
            }
            Ok(None)
        })
    }

    fn set_reference_number(
        &self,
        facility: &FacilityCode,
        agency: &AgencyCode,
        reference: &str,
    ) -> Result<(), StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.execute(
                "INSERT INTO reference_numbers (facility, agency_code, reference_number) VALUES ($1, $2, $3)
                 ON CONFLICT (facility, agency_code) DO UPDATE SET reference_number = $3",
                &[&facility.as_str(), &agency.as_str(), &reference],
            )?;
            Ok(())
        })
    }

    fn reference_number(
        &self,
        facility: &FacilityCode,
        agency: &AgencyCode,
    ) -> Result<Option<String>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.query_opt(
                "SELECT reference_number FROM reference_numbers WHERE facility = $1 AND agency_code = $2",
                &[&facility.as_str(), &agency.as_str()],
            )?
            .map(|r| get(&r, 0, "reference_numbers"))
            .transpose()
        })
    }
}

impl CheckinStore for PgStore {
    fn put_patient(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        record: &PatientRecord,
    ) -> Result<(), StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.execute(
                "INSERT INTO patients (facility, patient_card, name, birth_date, sex) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (facility, patient_card) DO UPDATE SET name = $3, birth_date = $4, sex = $5",
                &[&facility.as_str(), &card.as_str(), &record.name, &record.birth_date, &record.sex.code()],
            )?;
            Ok(())
        })
    }

    fn patient(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
    ) -> Result<Option<PatientRecord>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let t = "patients";
            tx.query_opt(
                "SELECT name, birth_date, sex FROM patients WHERE facility = $1 AND patient_card = $2",
                &[&facility.as_str(), &card.as_str()],
            )?
            .map(|r| {
                Ok(PatientRecord::new(
                    get::<String>(&r, 0, t)?,
                    get::<Date>(&r, 1, t)?,
                    code(t, &get::<String>(&r, 2, t)?, InsuranceSex::from_code)?,
                ))
            })
            .transpose()
        })
    }

    fn link_patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
        card: &PatientCardNumber,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.db.run(Isolation::Serializable, |tx| {
            // The number may already belong to a card: only an earlier certificate of this one (a
            // renewal) may hand it over.
            let holders = tx.query(
                "SELECT issuer, serial FROM patient_cards WHERE facility = $1 AND patient_card = $2",
                &[&facility.as_str(), &card.as_str()],
            )?;
            if !holders.is_empty() {
                let mine = lineage(tx, id)?;
                for r in holders {
                    let holder = cert_of(
                        "patient_cards",
                        &get::<String>(&r, 0, "patient_cards")?,
                        &get::<String>(&r, 1, "patient_cards")?,
                    )?;
                    if !mine.contains(&holder) {
                        return Err(Txn::Fail(StoreError::Conflict(format!(
                            "patient card {card} is linked to another card"
                        ))));
                    }
                }
            }
            tx.execute(
                "INSERT INTO patient_cards (facility, issuer, serial, patient_card, linked_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (facility, issuer, serial) DO UPDATE SET patient_card = $4, linked_at = $5",
                &[&facility.as_str(), &id.issuer_key_id_hex(), &id.serial_hex(), &card.as_str(), &at],
            )?;
            Ok(())
        })
    }

    fn patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
    ) -> Result<Option<PatientCardNumber>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            for cert in lineage(tx, id)? {
                if let Some(r) = tx.query_opt(
                    "SELECT patient_card FROM patient_cards WHERE facility = $1 AND issuer = $2 AND serial = $3",
                    &[&facility.as_str(), &cert.issuer_key_id_hex(), &cert.serial_hex()],
                )? {
                    let c: String = get(&r, 0, "patient_cards")?;
                    return code("patient_cards", &c, PatientCardNumber::new).map(Some);
                }
            }
            Ok(None)
        })
    }

    fn add_reservation(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        r: &Reservation,
    ) -> Result<(), StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.execute(
                "INSERT INTO reservations (facility, patient_card, day, time, department) VALUES ($1, $2, $3, $4, $5)",
                &[&facility.as_str(), &card.as_str(), &r.day, &r.time, &r.department],
            )?;
            Ok(())
        })
    }

    fn reservations(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
    ) -> Result<Vec<Reservation>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let t = "reservations";
            tx.query(
                "SELECT day, time, department FROM reservations WHERE facility = $1 AND patient_card = $2 AND day = $3
                 ORDER BY time, id",
                &[&facility.as_str(), &card.as_str(), &day],
            )?
            .iter()
            .map(|r| {
                Ok(Reservation::new(
                    get::<Date>(r, 0, t)?,
                    get::<String>(r, 1, t)?,
                    get::<String>(r, 2, t)?,
                ))
            })
            .collect()
        })
    }

    fn check_in(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
        at: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            // The day's counter row is locked first: every check-in of the facility's day, from any
            // instance, waits here, so the earlier-check-in test and the increment see one order.
            tx.execute(
                "INSERT INTO queue_counters (facility, day, last) VALUES ($1, $2, 0)
                 ON CONFLICT (facility, day) DO NOTHING",
                &[&facility.as_str(), &day],
            )?;
            tx.execute(
                "SELECT last FROM queue_counters WHERE facility = $1 AND day = $2 FOR UPDATE",
                &[&facility.as_str(), &day],
            )?;
            if let Some(r) = tx.query_opt(
                "SELECT queue_number FROM checkins WHERE facility = $1 AND day = $2 AND patient_card = $3
                 ORDER BY queue_number LIMIT 1",
                &[&facility.as_str(), &day, &card.as_str()],
            )? {
                let n: i32 = get(&r, 0, "checkins")?;
                return u32::try_from(n).map_err(|_| corrupt("checkins", format!("queue number {n}")));
            }
            let r = tx.query_one(
                "UPDATE queue_counters SET last = last + 1 WHERE facility = $1 AND day = $2 RETURNING last",
                &[&facility.as_str(), &day],
            )?;
            let number: i32 = get(&r, 0, "queue_counters")?;
            let queue = u32::try_from(number)
                .map_err(|_| corrupt("queue_counters", format!("counter {number}")))?;
            tx.execute(
                "INSERT INTO checkins (facility, day, queue_number, patient_card, checked_in_at) VALUES ($1, $2, $3, $4, $5)",
                &[&facility.as_str(), &day, &number, &card.as_str(), &at],
            )?;
            Ok(queue)
        })
    }
}
