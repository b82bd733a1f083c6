//! Revocation answers from several places at once: the CRLs (and OCSP responses) embedded in a
//! signature, then the caller's sources.

use std::sync::Arc;

use kazasu_pki::{CrlSet, RevocationQuery, RevocationSource, RevocationStatus};

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

impl RevocationSource for AnySource {
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus {
        let mut last = self.crls.status(query);
        if !matches!(last, RevocationStatus::Unknown(_)) {
            return last;
        }
        let _ = &self.ocsp;
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
