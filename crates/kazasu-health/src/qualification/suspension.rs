//! Finding the linked professionals a new JPKI CRL revokes, at national scale.
//!
//! [`LinkageIndex`] groups the linkages' JPKI certificates by issuer key id; a CRL is matched by
//! looking each certificate of its issuer up in the CRL's own serial index (a binary search over
//! fixed-width keys, nothing decoded unless listed). That is O(linkages × log entries), and never
//! touches the million entries a national CRL holds one by one.

use std::collections::HashMap;

use kazasu_pki::{CertificateId, Crl, RevokedEntry};

use super::linkage::{Linkage, LinkageId};
use crate::HealthError;

/// Which JPKI certificate of a linkage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JpkiCertificate {
    /// The signature certificate (署名用).
    Signature,
    /// The authentication certificate (利用者証明用).
    Authentication,
}

/// A linkage certificate a CRL lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationHit {
    /// The linkage.
    pub linkage: LinkageId,
    /// Which of its certificates.
    pub certificate: JpkiCertificate,
    /// The CRL entry (date, reason, invalidity date).
    pub entry: RevokedEntry,
}

/// One indexed certificate: serial, linkage slot, which certificate.
type Indexed = (Vec<u8>, u32, JpkiCertificate);

/// The JPKI certificates of many linkages, indexed by issuer key id.
#[derive(Debug, Default)]
pub struct LinkageIndex {
    ids: Vec<LinkageId>,
    by_issuer: HashMap<Vec<u8>, Vec<Indexed>>,
}

impl LinkageIndex {
    /// Indexes `linkages` (suspended ones too: a further revocation is still news).
    pub fn new<'a>(linkages: impl IntoIterator<Item = &'a Linkage>) -> Self {
        Self::from_certificates(
            linkages
                .into_iter()
                .map(|l| (l.id.clone(), &l.jpki_signature, &l.jpki_authentication)),
        )
    }

    /// Indexes (linkage, JPKI signature certificate, JPKI authentication certificate) triples.
    pub fn from_certificates<'a>(
        items: impl IntoIterator<Item = (LinkageId, &'a CertificateId, &'a CertificateId)>,
    ) -> Self {
        let mut index = Self::default();
        for (id, sign, auth) in items {
            let Ok(slot) = u32::try_from(index.ids.len()) else {
                break;
            };
            index.ids.push(id);
            for (cert, which) in [
                (sign, JpkiCertificate::Signature),
                (auth, JpkiCertificate::Authentication),
            ] {
                index
                    .by_issuer
                    .entry(cert.issuer_key_id().to_vec())
                    .or_default()
                    .push((cert.serial().to_vec(), slot, which));
            }
        }
        index
    }

    /// How many linkages.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The linkage certificates `crl` lists. `issuer_key_id` is the key that signed the CRL (the
    /// caller verified the signature with it): only certificates of that issuer are looked up.
    pub fn revoked_by(
        &self,
        crl: &Crl,
        issuer_key_id: &[u8],
    ) -> Result<Vec<RevocationHit>, HealthError> {
        let Some(certs) = self.by_issuer.get(issuer_key_id) else {
            return Ok(Vec::new());
        };
        let mut hits = Vec::new();
        for (serial, slot, which) in certs {
            if !crl.contains(serial) {
                continue;
            }
            if let (Some(entry), Some(id)) = (
                crl.lookup(serial)?,
                self.ids.get(usize::try_from(*slot).unwrap_or(usize::MAX)),
            ) {
                hits.push(RevocationHit {
                    linkage: id.clone(),
                    certificate: *which,
                    entry,
                });
            }
        }
        Ok(hits)
    }
}
