//! [`BulkEnrol`] for SQLite: one transaction, statements prepared once.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{SqliteStore, timestamp};
use crate::StoreError;
use crate::store::{BulkEnrol, EnrolledPerson};

impl BulkEnrol for SqliteStore {
    fn bulk_enrol(
        &self,
        people: &mut dyn Iterator<Item = EnrolledPerson>,
    ) -> Result<u64, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut count = 0u64;
        {
            // The statements of put_person and link_certificate, prepared once.
            let mut person = tx.prepare(
                "INSERT INTO persons (agency_code, name, name_kana, sex, sex1, sex2, birth_date, address)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)
                 ON CONFLICT(agency_code) DO UPDATE SET name = ?2, name_kana = ?3, sex = ?4, sex1 = ?4, sex2 = ?5,
                 birth_date = ?6, address = ?7",
            )?;
            let mut forget = tx.prepare("DELETE FROM qualifications WHERE agency_code = ?1")?;
            let mut qualification = tx.prepare(
                "INSERT INTO qualifications (agency_code, insurer_number, symbol, number, branch, valid_from,
                 valid_until, family_class, contribution_ratio, elderly_ratio)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut link = tx.prepare(
                "INSERT INTO certificate_links (issuer, serial, agency_code, linked_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(issuer, serial) DO NOTHING",
            )?;
            let mut linked = tx.prepare(
                "SELECT agency_code FROM certificate_links WHERE issuer = ?1 AND serial = ?2",
            )?;
            for e in people {
                let p = &e.person;
                let agency = p.agency_code.as_str();
                person.execute(params![
                    agency,
                    p.name,
                    p.name_kana,
                    p.sex1.code(),
                    p.sex2.code(),
                    p.birth_date,
                    p.address
                ])?;
                forget.execute(params![agency])?;
                for q in &e.qualifications {
                    qualification.execute(params![
                        agency,
                        q.insurer_number.as_str(),
                        q.insured_card_symbol,
                        q.insured_identification_number,
                        q.insured_branch_number,
                        q.valid_from,
                        q.valid_until,
                        q.personal_family_classification,
                        q.insured_partial_contribution_ratio,
                        q.elderly_recipient_contribution_ratio
                    ])?;
                }
                let (issuer, serial) = (
                    e.certificate.issuer_key_id_hex(),
                    e.certificate.serial_hex(),
                );
                let fresh =
                    link.execute(params![issuer, serial, agency, timestamp(e.linked_at)])?;
                if fresh == 0 {
                    // Linked already: fine for this person (link_certificate is idempotent), a
                    // conflict for another.
                    let holder: Option<String> = linked
                        .query_row(params![issuer, serial], |r| r.get(0))
                        .optional()?;
                    if holder.as_deref() != Some(agency) {
                        return Err(StoreError::Conflict(format!(
                            "certificate {} is enrolled for another person",
                            e.certificate
                        )));
                    }
                }
                count += 1;
            }
        }
        tx.commit()?;
        Ok(count)
    }
}
