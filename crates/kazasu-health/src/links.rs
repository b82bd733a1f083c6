//! Which certificates belong to one card, and who a card belongs to — from sources the service
//! trusts, never from the caller's word.

use std::collections::HashMap;
use std::sync::RwLock;

use kazasu_pki::CertificateId;

use crate::HealthError;
use crate::model::AgencyCode;

/// Tells which authentication certificate belongs to the same card as a signature certificate, as
/// J-LIS answers platform operators (署名用 → 利用者証明用 serial). Enrolment uses it to check
/// that the two certificates a card presented are one card's.
pub trait CardLinkSource: Send + Sync {
    /// The authentication certificate issued with `signature` on one card, if known.
    fn authentication_for(
        &self,
        signature: &CertificateId,
    ) -> Result<Option<CertificateId>, HealthError>;
}

/// An in-memory [`CardLinkSource`] (tests, the sandbox, or a cache filled from J-LIS answers).
#[derive(Debug, Default)]
pub struct MemoryCardLinks {
    links: RwLock<HashMap<CertificateId, CertificateId>>,
}

impl MemoryCardLinks {
    /// No links.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `signature` and `authentication` were issued on one card.
    pub fn insert(&self, signature: CertificateId, authentication: CertificateId) {
        if let Ok(mut map) = self.links.write() {
            map.insert(signature, authentication);
        }
    }
}

impl CardLinkSource for MemoryCardLinks {
    fn authentication_for(
        &self,
        signature: &CertificateId,
    ) -> Result<Option<CertificateId>, HealthError> {
        let map = self.links.read().map_err(|_| HealthError::Invalid {
            field: "card links",
            reason: "the link table is unavailable".into(),
        })?;
        Ok(map.get(signature).cloned())
    }
}

/// Certificate → person links from a source the operator trusts by contract — the insurers'
/// 資格履歴 feed, or J-LIS — bulk-imported without a card holder present.
///
/// This is the only way to bind a certificate to a person other than a verified enrolment, and the
/// type says so: build it only from such a feed, never from a request.
#[derive(Clone, Debug)]
pub struct TrustedLinkImport {
    origin: String,
    links: Vec<(CertificateId, AgencyCode)>,
}

impl TrustedLinkImport {
    /// Links from the trusted feed named `origin` (recorded with each link).
    pub fn from_trusted_feed(
        origin: impl Into<String>,
        links: Vec<(CertificateId, AgencyCode)>,
    ) -> Self {
        Self {
            origin: origin.into(),
            links,
        }
    }

    /// Where the links came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The links.
    pub fn links(&self) -> &[(CertificateId, AgencyCode)] {
        &self.links
    }
}
