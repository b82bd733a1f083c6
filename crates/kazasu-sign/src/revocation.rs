//! Revocation answers from several places at once: the CRLs and OCSP responses embedded in a
//! signature, then the caller's CRLs and sources.

use std::sync::Arc;

use kazasu_pki::{CrlSet, RevocationQuery, RevocationSource, RevocationStatus};

use crate::ocsp::{
    OcspRejection, OcspStatus, VerifyOptions, to_revocation_status, verify_response,
};

/// The first source that knows: revoked or good from any source decides; unknown only when every
/// source is unknown (the last reason kept).
#[derive(Clone)]
pub(crate) struct AnySource {
    crls: Arc<CrlSet>,
    ocsp: Arc<Vec<Vec<u8>>>,
    caller_crls: Option<Arc<CrlSet>>,
    sources: Vec<Arc<dyn RevocationSource>>,
}

impl AnySource {
    pub(crate) fn new(
        crls: CrlSet,
        ocsp: Vec<Vec<u8>>,
        caller_crls: Option<Arc<CrlSet>>,
        sources: Vec<Arc<dyn RevocationSource>>,
    ) -> Self {
        Self {
            crls: Arc::new(crls),
            ocsp: Arc::new(ocsp),
            caller_crls,
            sources,
        }
    }
}

/// An embedded OCSP response about the signer, judged for the signing time `q.at`.
///
/// A response current at `q.at` answers as it stands. One produced after `q.at` (B-LT data is
/// collected after the signature and its timestamp) is checked at its own thisUpdate and then
/// speaks for `q.at` too: good stays good, and revoked counts only if the revocation time is not
/// after `q.at` — a certificate revoked after a timestamped signature does not undo it.
fn embedded_ocsp(der: &[u8], q: &RevocationQuery<'_>) -> Option<RevocationStatus> {
    let options = VerifyOptions {
        allow_sha1: q.allow_sha1,
        ..VerifyOptions::default()
    };
    match verify_response(der, q.certificate, q.issuer, q.at, &options) {
        Ok(v) => Some(to_revocation_status(&v, q)),
        Err(OcspRejection::NotYetValid { this_update, .. }) => {
            let v = verify_response(der, q.certificate, q.issuer, this_update, &options).ok()?;
            match &v.status {
                OcspStatus::Revoked { revoked_at, .. } if *revoked_at > q.at => {
                    Some(RevocationStatus::Good {
                        source: format!("{} — revoked only after the signing time", v.describe()),
                    })
                }
                _ => Some(to_revocation_status(&v, q)),
            }
        }
        Err(_) => None,
    }
}

impl RevocationSource for AnySource {
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus {
        let mut last = self.crls.status(query);
        if !matches!(last, RevocationStatus::Unknown(_)) {
            return last;
        }
        for der in self.ocsp.iter() {
            if let Some(status) = embedded_ocsp(der, query)
                && !matches!(status, RevocationStatus::Unknown(_))
            {
                return status;
            }
        }
        let caller = self
            .caller_crls
            .iter()
            .map(|c| c.as_ref() as &dyn RevocationSource);
        for source in caller.chain(self.sources.iter().map(|s| s.as_ref())) {
            let status = source.status(query);
            if !matches!(status, RevocationStatus::Unknown(_)) {
                return status;
            }
            last = status;
        }
        last
    }
}
