//! [`BulkEnrol`] for PostgreSQL: one `COPY` into a staging table, then set-based inserts.

use kazasu_health::StoreError;
use kazasu_health::store::{BulkEnrol, EnrolledPerson};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};

use crate::PgStore;
use crate::error::PgFailure;

fn db(e: impl Into<PgFailure>) -> StoreError {
    StoreError::Database(Box::new(e.into()))
}

/// One staging row per qualification (and one with no qualification columns for a person who has
/// none); `n` is the person's position in the input, `i` the qualification's.
const STAGING: &str = "CREATE TEMP TABLE bulk_enrol (
    n BIGINT NOT NULL, i INTEGER,
    agency_code TEXT NOT NULL, name TEXT NOT NULL, name_kana TEXT NOT NULL, sex1 TEXT NOT NULL,
    sex2 TEXT NOT NULL, birth_date DATE NOT NULL, address TEXT,
    issuer TEXT NOT NULL, serial TEXT NOT NULL, linked_at TIMESTAMPTZ NOT NULL,
    insurer_number TEXT, symbol TEXT, number TEXT, branch TEXT, valid_from DATE, valid_until DATE,
    family_class TEXT, contribution_ratio TEXT, elderly_ratio TEXT
) ON COMMIT DROP";

const COLUMNS: [Type; 21] = [
    Type::INT8,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::DATE,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::DATE,
    Type::DATE,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

/// From the staging table into the store's tables, as put_person then link_certificate would
/// write: the last row of a person wins, their qualifications replaced; the first link of a
/// certificate stays.
const LOAD: [&str; 5] = [
    "ANALYZE bulk_enrol",
    "INSERT INTO persons (agency_code, name, name_kana, sex1, sex2, birth_date, address)
     SELECT DISTINCT ON (agency_code) agency_code, name, name_kana, sex1, sex2, birth_date, address
     FROM bulk_enrol ORDER BY agency_code, n DESC
     ON CONFLICT (agency_code) DO UPDATE SET name = EXCLUDED.name, name_kana = EXCLUDED.name_kana,
     sex1 = EXCLUDED.sex1, sex2 = EXCLUDED.sex2, birth_date = EXCLUDED.birth_date,
     address = EXCLUDED.address",
    "DELETE FROM qualifications WHERE agency_code IN (SELECT agency_code FROM bulk_enrol)",
    "INSERT INTO qualifications (agency_code, insurer_number, symbol, number, branch, valid_from,
     valid_until, family_class, contribution_ratio, elderly_ratio)
     SELECT b.agency_code, b.insurer_number, b.symbol, b.number, b.branch, b.valid_from, b.valid_until,
     b.family_class, b.contribution_ratio, b.elderly_ratio
     FROM bulk_enrol b JOIN (SELECT agency_code, MAX(n) AS n FROM bulk_enrol GROUP BY agency_code) last
     ON last.agency_code = b.agency_code AND last.n = b.n
     WHERE b.i IS NOT NULL ORDER BY b.n, b.i",
    "INSERT INTO certificate_links (issuer, serial, agency_code, linked_at)
     SELECT DISTINCT ON (issuer, serial) issuer, serial, agency_code, linked_at
     FROM bulk_enrol ORDER BY issuer, serial, n
     ON CONFLICT (issuer, serial) DO NOTHING",
];

/// After the links are written: a certificate of the input bound to someone else (already, by a
/// concurrent instance, or by an earlier person of the input).
const CONFLICT: &str = "SELECT 1 FROM bulk_enrol b JOIN certificate_links c
    ON c.issuer = b.issuer AND c.serial = b.serial WHERE c.agency_code <> b.agency_code LIMIT 1";

impl BulkEnrol for PgStore {
    fn bulk_enrol(
        &self,
        people: &mut dyn Iterator<Item = EnrolledPerson>,
    ) -> Result<u64, StoreError> {
        // Not retried: the input is read once. A concurrent writer that conflicts makes this fail
        // (or wait on the same keys), never store half.
        let mut conn = self.db.connection().map_err(db)?;
        let mut tx = conn.transaction().map_err(db)?;
        tx.batch_execute(STAGING).map_err(db)?;
        let mut count = 0u64;
        {
            let sink = tx
                .copy_in("COPY bulk_enrol FROM STDIN (FORMAT binary)")
                .map_err(db)?;
            let mut writer = BinaryCopyInWriter::new(sink, &COLUMNS);
            for e in people {
                let n = i64::try_from(count).unwrap_or(i64::MAX);
                let p = &e.person;
                let (issuer, serial) = (
                    e.certificate.issuer_key_id_hex(),
                    e.certificate.serial_hex(),
                );
                let head: [&(dyn ToSql + Sync); 10] = [
                    &p.agency_code.as_str(),
                    &p.name,
                    &p.name_kana,
                    &p.sex1.code(),
                    &p.sex2.code(),
                    &p.birth_date,
                    &p.address,
                    &issuer,
                    &serial,
                    &e.linked_at,
                ];
                let none: Option<&str> = None;
                let no_date: Option<time::Date> = None;
                if e.qualifications.is_empty() {
                    let no_i: Option<i32> = None;
                    let mut row: Vec<&(dyn ToSql + Sync)> = vec![&n, &no_i];
                    row.extend_from_slice(&head);
                    row.extend_from_slice(&[
                        &none, &none, &none, &none, &no_date, &no_date, &none, &none, &none,
                    ]);
                    writer.write(&row).map_err(db)?;
                }
                for (i, q) in e.qualifications.iter().enumerate() {
                    let i = Some(i32::try_from(i).unwrap_or(i32::MAX));
                    let mut row: Vec<&(dyn ToSql + Sync)> = vec![&n, &i];
                    row.extend_from_slice(&head);
                    let insurer = q.insurer_number.as_str();
                    row.extend_from_slice(&[
                        &insurer,
                        &q.insured_card_symbol,
                        &q.insured_identification_number,
                        &q.insured_branch_number,
                        &q.valid_from,
                        &q.valid_until,
                        &q.personal_family_classification,
                        &q.insured_partial_contribution_ratio,
                        &q.elderly_recipient_contribution_ratio,
                    ]);
                    writer.write(&row).map_err(db)?;
                }
                count += 1;
            }
            writer.finish().map_err(db)?;
        }
        for sql in LOAD {
            tx.batch_execute(sql).map_err(db)?;
        }
        if tx.query_opt(CONFLICT, &[]).map_err(db)?.is_some() {
            return Err(StoreError::Conflict(
                "a certificate of the input is enrolled for another person".into(),
            ));
        }
        tx.commit().map_err(db)?;
        Ok(count)
    }
}
