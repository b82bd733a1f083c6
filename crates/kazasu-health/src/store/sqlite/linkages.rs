//! HPKI ↔ JPKI linkages (`qualification`).

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use time::OffsetDateTime;

use super::{SqliteStore, corrupt};
use crate::StoreError;
use crate::qualification::{
    Linkage, LinkageId, LinkageKey, LinkageStore, SuspensionReason, apply_issuance,
    apply_suspension,
};

const COLUMNS: &str = "id, jpki_signature, jpki_authentication, licence, hpki_signature, hpki_authentication, state, body";

fn licence_key(l: &Linkage) -> String {
    format!(
        "{}:{}",
        l.application.profession, l.application.registration_number
    )
}

fn decode(body: &str) -> Result<Linkage, StoreError> {
    serde_json::from_str(body).map_err(|e| corrupt("linkages", e.to_string()))
}

fn write(tx: &Transaction<'_>, l: &Linkage) -> Result<(), StoreError> {
    let body = serde_json::to_string(l).map_err(|e| corrupt("linkages", e.to_string()))?;
    tx.execute(
        &format!(
            "INSERT INTO linkages ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET hpki_signature = ?5, hpki_authentication = ?6, state = ?7, body = ?8"
        ),
        params![
            l.id.as_str(),
            l.jpki_signature.to_string(),
            l.jpki_authentication.to_string(),
            licence_key(l),
            l.hpki_signature.as_ref().map(ToString::to_string),
            l.hpki_authentication.as_ref().map(ToString::to_string),
            l.state.label(),
            body
        ],
    )?;
    Ok(())
}

fn by_id(tx: &Transaction<'_>, id: &LinkageId) -> Result<Option<Linkage>, StoreError> {
    let body: Option<String> = tx
        .query_row(
            "SELECT body FROM linkages WHERE id = ?1",
            params![id.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    body.as_deref().map(decode).transpose()
}

impl LinkageStore for SqliteStore {
    fn insert_linkage(&self, linkage: &Linkage) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let clash: Option<String> = tx
            .query_row(
                "SELECT id FROM linkages WHERE id = ?1 OR jpki_signature = ?2 OR jpki_authentication = ?3 OR licence = ?4",
                params![
                    linkage.id.as_str(),
                    linkage.jpki_signature.to_string(),
                    linkage.jpki_authentication.to_string(),
                    licence_key(linkage)
                ],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = clash {
            let existing = by_id(
                &tx,
                &LinkageId::parse(&other).map_err(|e| corrupt("linkages", e.to_string()))?,
            )?;
            let why = existing
                .and_then(|e| crate::qualification::insert_conflict(&[e], linkage))
                .unwrap_or_else(|| format!("already linked ({other})"));
            return Err(StoreError::Conflict(why));
        }
        write(&tx, linkage)?;
        tx.commit()?;
        Ok(())
    }

    fn find_linkage(&self, key: LinkageKey<'_>) -> Result<Option<Linkage>, StoreError> {
        let (sql, value) = match key {
            LinkageKey::Id(id) => ("SELECT body FROM linkages WHERE id = ?1", id.to_string()),
            LinkageKey::JpkiSignature(c) => (
                "SELECT body FROM linkages WHERE jpki_signature = ?1",
                c.to_string(),
            ),
            LinkageKey::JpkiAuthentication(c) => (
                "SELECT body FROM linkages WHERE jpki_authentication = ?1",
                c.to_string(),
            ),
            LinkageKey::Hpki(c) => (
                "SELECT body FROM linkages WHERE hpki_signature = ?1 OR hpki_authentication = ?1",
                c.to_string(),
            ),
            LinkageKey::Licence(p, n) => (
                "SELECT body FROM linkages WHERE licence = ?1",
                format!("{p}:{n}"),
            ),
        };
        let body: Option<String> = self
            .lock()
            .query_row(sql, params![value], |r| r.get(0))
            .optional()?;
        body.as_deref().map(decode).transpose()
    }

    fn record_issuance(
        &self,
        id: &LinkageId,
        hpki_signature: &CertificateIdRef,
        hpki_authentication: Option<&CertificateIdRef>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut l =
            by_id(&tx, id)?.ok_or_else(|| StoreError::Conflict(format!("no linkage {id}")))?;
        let mut others = Vec::new();
        for c in std::iter::once(hpki_signature).chain(hpki_authentication) {
            let body: Option<String> = tx
                .query_row(
                    "SELECT body FROM linkages WHERE (hpki_signature = ?1 OR hpki_authentication = ?1) AND id <> ?2",
                    params![c.to_string(), id.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(b) = body {
                others.push(decode(&b)?);
            }
        }
        apply_issuance(&others, &mut l, hpki_signature, hpki_authentication, at)?;
        write(&tx, &l)?;
        tx.commit()?;
        Ok(())
    }

    fn suspend(
        &self,
        id: &LinkageId,
        reason: &SuspensionReason,
        since: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut l =
            by_id(&tx, id)?.ok_or_else(|| StoreError::Conflict(format!("no linkage {id}")))?;
        if !apply_suspension(&mut l, reason, since) {
            return Ok(false);
        }
        write(&tx, &l)?;
        tx.commit()?;
        Ok(true)
    }

    fn linkages(&self) -> Result<Vec<Linkage>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT body FROM linkages ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(decode(&row?)?);
        }
        Ok(out)
    }
}

type CertificateIdRef = kazasu_pki::CertificateId;
