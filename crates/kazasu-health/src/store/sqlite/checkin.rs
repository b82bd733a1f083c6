//! The check-in tables: patient records and cards, reservations, queue numbers.

use kazasu_pki::CertificateId;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::{Date, OffsetDateTime};

use super::{SqliteStore, code, corrupt, lineage, parse_date, timestamp};
use crate::StoreError;
use crate::model::{FacilityCode, InsuranceSex, PatientCardNumber, Reservation};
use crate::store::{CheckinStore, PatientRecord};

impl CheckinStore for SqliteStore {
    fn put_patient(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        record: &PatientRecord,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO patients (facility, patient_card, name, birth_date, sex) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(facility, patient_card) DO UPDATE SET name = ?3, birth_date = ?4, sex = ?5",
            params![
                facility.as_str(),
                card.as_str(),
                record.name,
                record.birth_date,
                record.sex.code()
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn patient(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
    ) -> Result<Option<PatientRecord>, StoreError> {
        let row: Option<(String, String, String)> = self
            .lock()
            .query_row(
                "SELECT name, birth_date, sex FROM patients WHERE facility = ?1 AND patient_card = ?2",
                params![facility.as_str(), card.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(name, birth, sex)| {
            Ok(PatientRecord {
                name,
                birth_date: parse_date("patients", &birth)?,
                sex: code("patients", &sex, InsuranceSex::from_code)?,
            })
        })
        .transpose()
    }

    fn link_patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
        card: &PatientCardNumber,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The number may already belong to a card: only an earlier certificate of this one (a
        // renewal) may hand it over.
        let holders: Vec<(String, String)> = {
            let mut stmt = tx.prepare(
                "SELECT issuer, serial FROM patient_cards WHERE facility = ?1 AND patient_card = ?2",
            )?;
            let rows = stmt.query_map(params![facility.as_str(), card.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        if !holders.is_empty() {
            let mine = lineage(&tx, id)?;
            for (issuer, serial) in holders {
                let holder = CertificateId::from_hex_parts(&issuer, &serial)
                    .map_err(|e| corrupt("patient_cards", e.to_string()))?;
                if !mine.contains(&holder) {
                    return Err(StoreError::Conflict(format!(
                        "patient card {card} is linked to another card"
                    )));
                }
            }
        }
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
            params![facility.as_str(), card.as_str(), r.day, r.time, r.department],
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
        let rows = stmt.query_map(params![facility.as_str(), card.as_str(), day], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
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
        let earlier: Option<i64> = tx
            .query_row(
                "SELECT queue_number FROM checkins WHERE facility = ?1 AND day = ?2 AND patient_card = ?3
                 ORDER BY queue_number LIMIT 1",
                params![facility.as_str(), day, card.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(number) = earlier {
            return u32::try_from(number)
                .map_err(|_| corrupt("checkins", format!("queue number {number}")));
        }
        let number: i64 = tx.query_row(
            "INSERT INTO queue_counters (facility, day, last) VALUES (?1, ?2, 1)
             ON CONFLICT(facility, day) DO UPDATE SET last = last + 1 RETURNING last",
            params![facility.as_str(), day],
            |r| r.get(0),
        )?;
        let queue = u32::try_from(number)
            .map_err(|_| corrupt("queue_counters", format!("counter {number}")))?;
        tx.execute(
            "INSERT INTO checkins (facility, day, queue_number, patient_card, checked_in_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![facility.as_str(), day, number, card.as_str(), timestamp(at)],
        )?;
        tx.commit()?;
        Ok(queue)
    }
}
