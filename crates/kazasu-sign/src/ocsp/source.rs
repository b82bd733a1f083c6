//! [`OcspSource`]: OCSP as a `kazasu_pki::RevocationSource`.

use kazasu_pki::{
    RevocationQuery, RevocationSource, RevocationStatus, RevokedEntry, UnknownReason,
};

use super::verify::{OcspRejection, OcspStatus, VerifiedResponse, VerifyOptions, verify_response};

/// Answers revocation queries from OCSP responses: responses already at hand (the validation
/// data embedded in a signature, B-LT) and, with the `http` feature, responses fetched from a
/// responder.
///
/// good → [`RevocationStatus::Good`], revoked → [`RevocationStatus::Revoked`], anything else →
/// [`RevocationStatus::Unknown`] with the reason (a responder's `unknown`, a refused response, no
/// response, an unreachable responder).
#[derive(Clone, Debug, Default)]
pub struct OcspSource {
    responses: Vec<Vec<u8>>,
    options: VerifyOptions,
    #[cfg(feature = "http")]
    fetch: Option<super::http::Fetch>,
}

impl OcspSource {
    /// A source of the DER `OCSPResponse`s given (nothing is fetched).
    pub fn from_responses(responses: impl IntoIterator<Item = Vec<u8>>) -> Self {
        Self {
            responses: responses.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Adds a response.
    pub fn add(&mut self, response: Vec<u8>) {
        self.responses.push(response);
    }

    /// The responses at hand.
    pub fn responses(&self) -> &[Vec<u8>] {
        &self.responses
    }

    /// Sets how responses are judged (`allow_sha1` is also taken from each query).
    #[must_use]
    pub fn with_options(mut self, options: VerifyOptions) -> Self {
        self.options = options;
        self
    }

    /// Fetches over HTTP when no response at hand is about the certificate: from `url`, or from
    /// the certificate's AuthorityInfoAccess OCSP URI when `url` is `None`.
    #[cfg(feature = "http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "http")))]
    #[must_use]
    pub fn with_http(mut self, url: Option<String>, http: super::http::HttpOptions) -> Self {
        self.fetch = Some(super::http::Fetch { url, http });
        self
    }

    fn options_for(&self, q: &RevocationQuery<'_>) -> VerifyOptions {
        let mut o = self.options.clone();
        o.allow_sha1 |= q.allow_sha1;
        o
    }
}

/// The revocation status a verified response gives.
pub fn to_revocation_status(v: &VerifiedResponse, q: &RevocationQuery<'_>) -> RevocationStatus {
    match &v.status {
        OcspStatus::Good => RevocationStatus::Good {
            source: v.describe(),
        },
        OcspStatus::Revoked { revoked_at, reason } => RevocationStatus::Revoked(RevokedEntry {
            serial: q.certificate.serial().to_vec(),
            revoked_at: *revoked_at,
            reason: *reason,
            invalidity_date: None,
        }),
        OcspStatus::Unknown => RevocationStatus::Unknown(UnknownReason::OcspUnknownCertificate),
    }
}

/// The status from a verification result.
#[cfg(feature = "http")]
pub(crate) fn status_of(
    result: Result<VerifiedResponse, OcspRejection>,
    q: &RevocationQuery<'_>,
) -> RevocationStatus {
    match result {
        Ok(v) => to_revocation_status(&v, q),
        Err(r) => RevocationStatus::Unknown(UnknownReason::OcspInvalid(r.to_string())),
    }
}

impl RevocationSource for OcspSource {
    fn status(&self, q: &RevocationQuery<'_>) -> RevocationStatus {
        let options = self.options_for(q);
        // The first response about the certificate that passes decides; otherwise the most telling
        // refusal (one about this certificate over one that is about another).
        let mut refusal: Option<OcspRejection> = None;
        for der in &self.responses {
            match verify_response(der, q.certificate, q.issuer, q.at, &options) {
                Ok(v) => return to_revocation_status(&v, q),
                Err(OcspRejection::NoMatchingResponse) => {
                    refusal.get_or_insert(OcspRejection::NoMatchingResponse);
                }
                Err(r) => {
                    if refusal
                        .as_ref()
                        .is_none_or(|p| *p == OcspRejection::NoMatchingResponse)
                    {
                        refusal = Some(r);
                    }
                }
            }
        }
        #[cfg(feature = "http")]
        if let Some(fetch) = &self.fetch {
            return fetch.status(q, &options);
        }
        match refusal {
            None | Some(OcspRejection::NoMatchingResponse) => RevocationStatus::Unknown(
                UnknownReason::NoOcspResponse("none of the responses at hand is about it".into()),
            ),
            Some(r) => RevocationStatus::Unknown(UnknownReason::OcspInvalid(r.to_string())),
        }
    }
}
