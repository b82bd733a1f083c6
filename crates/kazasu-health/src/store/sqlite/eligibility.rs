//! The eligibility tables: people, qualifications, certificate links, renewals, 照会番号.

use kazasu_pki::CertificateId;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::{SqliteStore, code, corrupt, lineage, parse_date, timestamp};
use crate::StoreError;
use crate::model::{AgencyCode, FacilityCode, InsuranceSex, InsurerNumber, Person, Qualification};
use crate::store::{EligibilityStore, RenewalStore};

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

    fn adopt_legacy_id(
        &self,
        legacy: &kazasu_pki::LegacyCertificateId,
        id: &CertificateId,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut changed = 0;
        for sql in [
            "UPDATE OR IGNORE certificate_links SET issuer = ?3, serial = ?4 WHERE issuer = ?1 AND serial = ?2",
            "UPDATE OR IGNORE patient_cards SET issuer = ?3, serial = ?4 WHERE issuer = ?1 AND serial = ?2",
            "UPDATE OR IGNORE renewals SET new_issuer = ?3, new_serial = ?4 WHERE new_issuer = ?1 AND new_serial = ?2",
            "UPDATE renewals SET old_issuer = ?3, old_serial = ?4 WHERE old_issuer = ?1 AND old_serial = ?2",
        ] {
            changed += tx.execute(
                sql,
                params![
                    legacy.issuer,
                    legacy.serial,
                    id.issuer_key_id_hex(),
                    id.serial_hex()
                ],
            )?;
        }
        tx.commit()?;
        Ok(changed)
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
            "INSERT INTO persons (agency_code, name, name_kana, sex, sex1, sex2, birth_date, address)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)
             ON CONFLICT(agency_code) DO UPDATE SET name = ?2, name_kana = ?3, sex = ?4, sex1 = ?4, sex2 = ?5,
             birth_date = ?6, address = ?7",
            params![
                person.agency_code.as_str(),
                person.name,
                person.name_kana,
                person.sex1.code(),
                person.sex2.code(),
                person.birth_date,
                person.address
            ],
        )?;
        tx.execute(
            "DELETE FROM qualifications WHERE agency_code = ?1",
            params![person.agency_code.as_str()],
        )?;
        for q in qualifications {
            tx.execute(
                "INSERT INTO qualifications (agency_code, insurer_number, symbol, number, branch, valid_from,
                 valid_until, family_class, contribution_ratio, elderly_ratio)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    person.agency_code.as_str(),
                    q.insurer_number.as_str(),
                    q.insured_card_symbol,
                    q.insured_identification_number,
                    q.insured_branch_number,
                    q.valid_from,
                    q.valid_until,
                    q.personal_family_classification,
                    q.insured_partial_contribution_ratio,
                    q.elderly_recipient_contribution_ratio
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn find_by_insurance_card(
        &self,
        query: &crate::model::InsuranceCardQuery,
    ) -> Result<Vec<AgencyCode>, StoreError> {
        let candidates: Vec<String> = {
            let conn = self.lock();
            let mut stmt = conn.prepare(
                "SELECT DISTINCT q.agency_code FROM qualifications q JOIN persons p ON p.agency_code = q.agency_code
                 WHERE q.insurer_number = ?1 AND p.birth_date = ?2 ORDER BY q.agency_code",
            )?;
            let rows = stmt.query_map(
                params![query.insurer_number.as_str(), query.birth_date],
                |r| r.get(0),
            )?;
            rows.collect::<Result<_, _>>()?
        };
        // The symbol, number and branch comparisons (spaces, an absent branch) are the query's.
        let mut found = Vec::new();
        for agency in candidates {
            let agency = code("qualifications", &agency, AgencyCode::new)?;
            if let Some((person, qualifications)) = self.person(&agency)?
                && qualifications
                    .iter()
                    .any(|q| query.names(q, person.birth_date))
            {
                found.push(agency);
            }
        }
        Ok(found)
    }

    fn person(
        &self,
        agency: &AgencyCode,
    ) -> Result<Option<(Person, Vec<Qualification>)>, StoreError> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT name, name_kana, sex1, sex2, birth_date, address FROM persons WHERE agency_code = ?1",
                params![agency.as_str()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((name, name_kana, sex1, sex2, birth, address)) = row else {
            return Ok(None);
        };
        let person = Person {
            agency_code: agency.clone(),
            name,
            name_kana,
            sex1: code("persons", &sex1, InsuranceSex::from_code)?,
            sex2: code("persons", &sex2, InsuranceSex::from_code)?,
            birth_date: parse_date("persons", &birth)?,
            address,
        };
        let mut stmt = conn.prepare(
            "SELECT insurer_number, symbol, number, branch, valid_from, valid_until, family_class, contribution_ratio,
             elderly_ratio FROM qualifications WHERE agency_code = ?1 ORDER BY valid_from, id",
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
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        let mut qualifications = Vec::new();
        for row in rows {
            let (insurer, symbol, number, branch, from, until, family, ratio, elderly) = row?;
            let q = Qualification {
                insurer_number: code("qualifications", &insurer, InsurerNumber::new)?,
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
                elderly_recipient_contribution_ratio: elderly,
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
