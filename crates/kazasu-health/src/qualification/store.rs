//! Where linkages live: [`LinkageStore`], in memory ([`MemoryLinkageStore`]) or in the embedded
//! SQLite store (`SqliteStore`, table `linkages`, migration `0003_linkages.sql`).

use std::sync::RwLock;

use kazasu_pki::CertificateId;
use time::OffsetDateTime;

use super::linkage::{Linkage, LinkageId, LinkageState, SuspensionReason};
use super::registry::Profession;
use crate::StoreError;

/// How to find a linkage.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum LinkageKey<'a> {
    /// By id.
    Id(&'a LinkageId),
    /// By the JPKI signature certificate.
    JpkiSignature(&'a CertificateId),
    /// By the JPKI authentication certificate.
    JpkiAuthentication(&'a CertificateId),
    /// By either HPKI certificate.
    Hpki(&'a CertificateId),
    /// By licence.
    Licence(Profession, &'a str),
}

impl LinkageKey<'_> {
    fn matches(&self, l: &Linkage) -> bool {
        match self {
            LinkageKey::Id(id) => l.id == **id,
            LinkageKey::JpkiSignature(c) => l.jpki_signature == **c,
            LinkageKey::JpkiAuthentication(c) => l.jpki_authentication == **c,
            LinkageKey::Hpki(c) => {
                l.hpki_signature.as_ref() == Some(c) || l.hpki_authentication.as_ref() == Some(c)
            }
            LinkageKey::Licence(p, n) => {
                l.application.profession == *p && l.application.registration_number == *n
            }
        }
    }
}

/// The linkages of a registration desk.
pub trait LinkageStore: Send + Sync {
    /// Inserts a new linkage. A JPKI certificate or a licence already linked is a
    /// [`StoreError::Conflict`].
    fn insert_linkage(&self, linkage: &Linkage) -> Result<(), StoreError>;

    /// The linkage `key` finds.
    fn find_linkage(&self, key: LinkageKey<'_>) -> Result<Option<Linkage>, StoreError>;

    /// Links the HPKI certificates and makes the linkage active — only from
    /// [`LinkageState::Applied`] (a [`StoreError::Conflict`] otherwise, or when an HPKI
    /// certificate is linked elsewhere).
    fn record_issuance(
        &self,
        id: &LinkageId,
        hpki_signature: &CertificateId,
        hpki_authentication: Option<&CertificateId>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Suspends a linkage not suspended yet; `false` when it already was (the first suspension
    /// and its time are kept).
    fn suspend(
        &self,
        id: &LinkageId,
        reason: &SuspensionReason,
        since: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Every linkage (the suspension check indexes them).
    fn linkages(&self) -> Result<Vec<Linkage>, StoreError>;
}

fn conflict_on_insert(existing: &[Linkage], new: &Linkage) -> Option<String> {
    existing.iter().find_map(|l| {
        if l.jpki_signature == new.jpki_signature || l.id == new.id {
            Some(format!(
                "the JPKI signature certificate is already linked ({})",
                l.id
            ))
        } else if l.jpki_authentication == new.jpki_authentication {
            Some(format!(
                "the JPKI authentication certificate is already linked ({})",
                l.id
            ))
        } else if l.application.profession == new.application.profession
            && l.application.registration_number == new.application.registration_number
        {
            Some(format!("the licence is already linked ({})", l.id))
        } else {
            None
        }
    })
}

/// Applies an issuance to `l`: the rule every [`LinkageStore`] follows for
/// [`LinkageStore::record_issuance`] (`all` = the other linkages holding either HPKI certificate).
pub fn apply_issuance(
    all: &[Linkage],
    l: &mut Linkage,
    hpki_signature: &CertificateId,
    hpki_authentication: Option<&CertificateId>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    if l.state != LinkageState::Applied {
        return Err(StoreError::Conflict(format!(
            "linkage {} is {}, not applied",
            l.id,
            l.state.label()
        )));
    }
    for other in all.iter().filter(|o| o.id != l.id) {
        let key = LinkageKey::Hpki(hpki_signature);
        let taken = key.matches(other)
            || hpki_authentication.is_some_and(|a| LinkageKey::Hpki(a).matches(other));
        if taken {
            return Err(StoreError::Conflict(format!(
                "the HPKI certificate is already linked ({})",
                other.id
            )));
        }
    }
    l.hpki_signature = Some(hpki_signature.clone());
    l.hpki_authentication = hpki_authentication.cloned();
    l.issued_at = Some(at);
    l.state = LinkageState::Active;
    Ok(())
}

/// Applies a suspension to `l`; `false` when already suspended (the rule every [`LinkageStore`]
/// follows for [`LinkageStore::suspend`]).
pub fn apply_suspension(l: &mut Linkage, reason: &SuspensionReason, since: OffsetDateTime) -> bool {
    if matches!(l.state, LinkageState::Suspended { .. }) {
        return false;
    }
    l.state = LinkageState::Suspended {
        reason: reason.clone(),
        since,
    };
    true
}

/// Linkages in memory (tests, benches).
#[derive(Debug, Default)]
pub struct MemoryLinkageStore {
    linkages: RwLock<Vec<Linkage>>,
}

impl MemoryLinkageStore {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }
}

fn poisoned() -> StoreError {
    StoreError::Database("the linkage table lock is poisoned".into())
}

impl LinkageStore for MemoryLinkageStore {
    fn insert_linkage(&self, linkage: &Linkage) -> Result<(), StoreError> {
        let mut all = self.linkages.write().map_err(|_| poisoned())?;
        if let Some(c) = conflict_on_insert(&all, linkage) {
            return Err(StoreError::Conflict(c));
        }
        all.push(linkage.clone());
        Ok(())
    }

    fn find_linkage(&self, key: LinkageKey<'_>) -> Result<Option<Linkage>, StoreError> {
        let all = self.linkages.read().map_err(|_| poisoned())?;
        Ok(all.iter().find(|l| key.matches(l)).cloned())
    }

    fn record_issuance(
        &self,
        id: &LinkageId,
        hpki_signature: &CertificateId,
        hpki_authentication: Option<&CertificateId>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut all = self.linkages.write().map_err(|_| poisoned())?;
        let snapshot = all.clone();
        let l = all
            .iter_mut()
            .find(|l| l.id == *id)
            .ok_or_else(|| StoreError::Conflict(format!("no linkage {id}")))?;
        apply_issuance(&snapshot, l, hpki_signature, hpki_authentication, at)
    }

    fn suspend(
        &self,
        id: &LinkageId,
        reason: &SuspensionReason,
        since: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut all = self.linkages.write().map_err(|_| poisoned())?;
        let l = all
            .iter_mut()
            .find(|l| l.id == *id)
            .ok_or_else(|| StoreError::Conflict(format!("no linkage {id}")))?;
        Ok(apply_suspension(l, reason, since))
    }

    fn linkages(&self) -> Result<Vec<Linkage>, StoreError> {
        Ok(self.linkages.read().map_err(|_| poisoned())?.clone())
    }
}

/// Why `new` cannot be inserted next to `existing` (a JPKI certificate, the id or the licence
/// already linked), as [`LinkageStore::insert_linkage`] words its [`StoreError::Conflict`].
pub fn insert_conflict(existing: &[Linkage], new: &Linkage) -> Option<String> {
    conflict_on_insert(existing, new)
}
