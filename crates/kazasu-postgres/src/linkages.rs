//! HPKI ↔ JPKI linkages (kazasu-health `qualification`) on PostgreSQL.

use kazasu_health::StoreError;
use kazasu_health::qualification::{
    Linkage, LinkageId, LinkageKey, LinkageStore, SuspensionReason, apply_issuance,
    apply_suspension, insert_conflict,
};
use kazasu_pki::CertificateId;
use postgres::GenericClient;
use time::OffsetDateTime;

use crate::PgStore;
use crate::database::Isolation;
use crate::error::Txn;
use crate::health::{R, corrupt, get};

fn licence_key(l: &Linkage) -> String {
    format!(
        "{}:{}",
        l.application.profession, l.application.registration_number
    )
}

fn decode(body: &str) -> R<Linkage> {
    serde_json::from_str(body).map_err(|e| corrupt("linkages", e.to_string()))
}

fn bodies(rows: &[postgres::Row]) -> R<Vec<Linkage>> {
    rows.iter()
        .map(|r| decode(&get::<String>(r, 0, "linkages")?))
        .collect()
}

fn write(tx: &mut impl GenericClient, l: &Linkage) -> R<()> {
    let body = serde_json::to_string(l).map_err(|e| corrupt("linkages", e.to_string()))?;
    tx.execute(
        "INSERT INTO linkages (id, jpki_signature, jpki_authentication, licence, hpki_signature, hpki_authentication, state, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET hpki_signature = $5, hpki_authentication = $6, state = $7, body = $8",
        &[
            &l.id.as_str(),
            &l.jpki_signature.to_string(),
            &l.jpki_authentication.to_string(),
            &licence_key(l),
            &l.hpki_signature.as_ref().map(ToString::to_string),
            &l.hpki_authentication.as_ref().map(ToString::to_string),
            &l.state.label(),
            &body,
        ],
    )?;
    Ok(())
}

fn by_id(tx: &mut impl GenericClient, id: &LinkageId) -> R<Linkage> {
    let rows = tx.query("SELECT body FROM linkages WHERE id = $1", &[&id.as_str()])?;
    bodies(&rows)?
        .pop()
        .ok_or_else(|| Txn::Fail(StoreError::Conflict(format!("no linkage {id}"))))
}

impl LinkageStore for PgStore {
    fn insert_linkage(&self, linkage: &Linkage) -> Result<(), StoreError> {
        self.db.run(Isolation::Serializable, |tx| {
            let clashing = tx.query(
                "SELECT body FROM linkages WHERE id = $1 OR jpki_signature = $2 OR jpki_authentication = $3 OR licence = $4
                 ORDER BY id LIMIT 1",
                &[
                    &linkage.id.as_str(),
                    &linkage.jpki_signature.to_string(),
                    &linkage.jpki_authentication.to_string(),
                    &licence_key(linkage),
                ],
            )?;
            if let Some(r) = clashing.first() {
                let existing = decode(&get::<String>(r, 0, "linkages")?)?;
                let why = insert_conflict(std::slice::from_ref(&existing), linkage)
                    .unwrap_or_else(|| format!("already linked ({})", existing.id));
                return Err(Txn::Fail(StoreError::Conflict(why)));
            }
            write(tx, linkage)
        })
    }

    fn find_linkage(&self, key: LinkageKey<'_>) -> Result<Option<Linkage>, StoreError> {
        let (sql, value) = match key {
            LinkageKey::Id(id) => ("SELECT body FROM linkages WHERE id = $1", id.to_string()),
            LinkageKey::JpkiSignature(c) => (
                "SELECT body FROM linkages WHERE jpki_signature = $1",
                c.to_string(),
            ),
            LinkageKey::JpkiAuthentication(c) => (
                "SELECT body FROM linkages WHERE jpki_authentication = $1",
                c.to_string(),
            ),
            LinkageKey::Hpki(c) => (
                "SELECT body FROM linkages WHERE hpki_signature = $1 OR hpki_authentication = $1",
                c.to_string(),
            ),
            LinkageKey::Licence(p, n) => (
                "SELECT body FROM linkages WHERE licence = $1",
                format!("{p}:{n}"),
            ),
            _ => {
                return Err(StoreError::Conflict(
                    "this store cannot search by that key".into(),
                ));
            }
        };
        self.db.run(Isolation::ReadCommitted, |tx| {
            let rows = tx.query(sql, &[&value])?;
            Ok(bodies(&rows)?.into_iter().next())
        })
    }

    fn record_issuance(
        &self,
        id: &LinkageId,
        hpki_signature: &CertificateId,
        hpki_authentication: Option<&CertificateId>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.db.run(Isolation::Serializable, |tx| {
            let mut l = by_id(tx, id)?;
            let mut others = Vec::new();
            for c in std::iter::once(hpki_signature).chain(hpki_authentication) {
                let rows = tx.query(
                    "SELECT body FROM linkages WHERE (hpki_signature = $1 OR hpki_authentication = $1) AND id <> $2",
                    &[&c.to_string(), &id.as_str()],
                )?;
                others.extend(bodies(&rows)?);
            }
            apply_issuance(&others, &mut l, hpki_signature, hpki_authentication, at)?;
            write(tx, &l)
        })
    }

    fn suspend(
        &self,
        id: &LinkageId,
        reason: &SuspensionReason,
        since: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.db.run(Isolation::Serializable, |tx| {
            let mut l = by_id(tx, id)?;
            if !apply_suspension(&mut l, reason, since) {
                return Ok(false);
            }
            write(tx, &l)?;
            Ok(true)
        })
    }

    fn linkages(&self) -> Result<Vec<Linkage>, StoreError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let rows = tx.query("SELECT body FROM linkages ORDER BY id", &[])?;
            bodies(&rows)
        })
    }
}
