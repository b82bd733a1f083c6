//! Facility terminals, approval nonces and the audit trail.

use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
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

/// Audit entries waiting to be written, and how each append learns its fate.
///
/// Appends commit in groups: an append queues its entry, then takes the connection; whoever holds
/// the connection writes every queued entry in one transaction — one synchronous commit for all of
/// them — and records the outcome for each. An append whose entry a previous holder already wrote
/// returns that outcome at once. Every append still returns only after its entry is durably
/// committed (or the commit failed), so under concurrency the fsyncs are shared, not skipped.
#[derive(Debug, Default)]
pub(crate) struct AuditQueue {
    pending: Mutex<Vec<(AuditEntry, Arc<Slot>)>>,
}

/// One append's outcome: `None` until its group committed.
type Slot = Mutex<Option<Result<(), String>>>;

fn write_group(conn: &mut Connection, group: &[(AuditEntry, Arc<Slot>)]) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO audit (at, at_text, facility, terminal, staff, certificate, mode, result, evidence)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for (e, _) in group {
            insert.execute(params![
                e.at.unix_timestamp(),
                timestamp(e.at),
                e.facility.as_str(),
                e.terminal,
                e.staff,
                e.certificate.as_ref().map(ToString::to_string),
                e.mode.as_str(),
                e.result,
                e.evidence
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn take(slot: &Slot) -> Option<Result<(), String>> {
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
}

impl AuditStore for SqliteStore {
    fn append_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        let slot: Arc<Slot> = Arc::new(Mutex::new(None));
        self.audit_queue
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((e.clone(), slot.clone()));
        let mut conn = self.lock();
        let outcome = match take(&slot) {
            Some(done) => done,
            None => {
                let group = std::mem::take(
                    &mut *self
                        .audit_queue
                        .pending
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                let result = write_group(&mut conn, &group).map_err(|e| e.to_string());
                for (_, s) in &group {
                    *s.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(result.clone());
                }
                take(&slot).unwrap_or(result)
            }
        };
        drop(conn);
        outcome.map_err(|reason| StoreError::Database(reason.into()))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn concurrent_appends_all_commit_in_groups() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("audit.sqlite")).unwrap();
        let facility = FacilityCode::new("1310000019").unwrap();
        let at = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
        std::thread::scope(|s| {
            for t in 0..8 {
                let (store, facility) = (&store, &facility);
                s.spawn(move || {
                    for n in 0..40 {
                        let result = format!("T{t}-{n}");
                        store
                            .append_audit(&AuditEntry::new(
                                at,
                                facility.clone(),
                                LookupMode::Pin,
                                result,
                            ))
                            .unwrap();
                    }
                });
            }
        });
        let trail = store.audit_trail(Some(&facility)).unwrap();
        assert_eq!(trail.len(), 320);
        let mut results: Vec<&str> = trail.iter().map(|e| e.result.as_str()).collect();
        results.sort_unstable();
        results.dedup();
        assert_eq!(results.len(), 320, "every append written exactly once");
        // A reopened store sees them all: they were committed.
        drop(store);
        let again = SqliteStore::open(dir.path().join("audit.sqlite")).unwrap();
        assert_eq!(again.audit_trail(None).unwrap().len(), 320);
    }
}
