//! Facility terminals, approval nonces and the audit trail.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::{SqliteStore, code, corrupt, timestamp};
use crate::StoreError;
use crate::audit::{AuditEntry, LookupMode};
use crate::model::FacilityCode;
use crate::store::{AuditStore, FacilityStore};

impl FacilityStore for SqliteStore {
    fn register_terminal(
        &self,
        facility: &FacilityCode,
        terminal: &str,
        public_key_der: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO terminals (facility, terminal, public_key, registered_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(facility, terminal) DO UPDATE SET public_key = ?3, registered_at = ?4",
            params![facility.as_str(), terminal, public_key_der, timestamp(at)],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn terminal_key(
        &self,
        facility: &FacilityCode,
        terminal: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT public_key FROM terminals WHERE facility = ?1 AND terminal = ?2",
                params![facility.as_str(), terminal],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn use_nonce(
        &self,
        facility: &FacilityCode,
        nonce: &[u8],
        until: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Nonces older than any acceptable approval are useless: keep the table bounded.
        tx.execute(
            "DELETE FROM approval_nonces WHERE keep_until < ?1",
            params![at.unix_timestamp()],
        )?;
        let fresh = tx.execute(
            "INSERT INTO approval_nonces (facility, nonce, keep_until) VALUES (?1, ?2, ?3)
             ON CONFLICT(facility, nonce) DO NOTHING",
            params![facility.as_str(), nonce, until.unix_timestamp()],
        )?;
        tx.commit()?;
        Ok(fresh == 1)
    }
}

impl AuditStore for SqliteStore {
    fn append_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO audit (at, at_text, facility, terminal, staff, certificate, mode, result, evidence)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                e.at.unix_timestamp(),
                timestamp(e.at),
                e.facility.as_str(),
                e.terminal,
                e.staff,
                e.certificate.as_ref().map(ToString::to_string),
                e.mode.as_str(),
                e.result,
                e.evidence
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn count_lookups(
        &self,
        facility: &FacilityCode,
        mode: LookupMode,
        since: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        let n: i64 = self.lock().query_row(
            "SELECT COUNT(*) FROM audit WHERE facility = ?1 AND mode = ?2 AND at >= ?3
             AND result NOT IN ('K3001', 'K3002')",
            params![facility.as_str(), mode.as_str(), since.unix_timestamp()],
            |r| r.get(0),
        )?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn audit_trail(&self, facility: Option<&FacilityCode>) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT at, facility, terminal, staff, certificate, mode, result, evidence FROM audit
             WHERE ?1 IS NULL OR facility = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![facility.map(FacilityCode::as_str)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, facility, terminal, staff, certificate, mode, result, evidence) = row?;
            out.push(AuditEntry {
                at: OffsetDateTime::from_unix_timestamp(at)
                    .map_err(|e| corrupt("audit", e.to_string()))?,
                facility: code("audit", &facility, FacilityCode::new)?,
                terminal,
                staff,
                certificate: certificate
                    .map(|c| {
                        c.parse()
                            .map_err(|e: kazasu_pki::Error| corrupt("audit", e.to_string()))
                    })
                    .transpose()?,
                mode: LookupMode::parse(&mode)
                    .ok_or_else(|| corrupt("audit", format!("mode {mode:?}")))?,
                result,
                evidence,
            });
        }
        Ok(out)
    }
}
