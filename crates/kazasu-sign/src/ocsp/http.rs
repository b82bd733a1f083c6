//! OCSP over HTTP (RFC 6960 Appendix A): POST `application/ocsp-request`, with a timeout and a
//! cap on the answer's size.

use std::time::Duration;

use kazasu_pki::{Certificate, RevocationQuery, RevocationStatus, UnknownReason};

use super::request::{CertIdHash, OcspRequest};
use super::source::status_of;
use super::verify::{MAX_RESPONSE_LEN, VerifyOptions, verify_response_to};
use crate::SignError;

/// How HTTP exchanges with a responder are made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// The whole exchange must finish within this. Default 10 seconds.
    pub timeout: Duration,
    /// Larger answers are refused. Default [`MAX_RESPONSE_LEN`].
    pub max_response_len: usize,
    /// The CertID hash of requests. Default SHA-1.
    pub hash: CertIdHash,
    /// Send a nonce. Default true.
    pub nonce: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_response_len: MAX_RESPONSE_LEN,
            hash: CertIdHash::Sha1,
            nonce: true,
        }
    }
}

/// POSTs `request` to `url` and returns the body of a 200 answer (not yet verified).
pub fn post(url: &str, request: &OcspRequest, options: &HttpOptions) -> Result<Vec<u8>, SignError> {
    let fail = |reason: String| SignError::Http {
        url: url.to_owned(),
        reason,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(options.timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/ocsp-request")
        .header("Accept", "application/ocsp-response")
        .send(request.der())
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    if status != 200 {
        return Err(fail(format!("status {status}")));
    }
    let limit = u64::try_from(options.max_response_len).unwrap_or(u64::MAX);
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| fail(e.to_string()))
}

/// The URL to ask about `cert`: `url`, or its first AIA OCSP URI.
pub fn responder_url(cert: &Certificate, url: Option<&str>) -> Result<String, SignError> {
    if let Some(u) = url {
        return Ok(u.to_owned());
    }
    cert.ocsp_uris()?
        .into_iter()
        .next()
        .ok_or_else(|| SignError::Unsupported {
            what: "OCSP",
            detail: format!("\"{}\" names no OCSP responder", cert.subject()),
        })
}

/// What [`super::OcspSource::with_http`] keeps.
#[derive(Clone, Debug)]
pub(crate) struct Fetch {
    pub(crate) url: Option<String>,
    pub(crate) http: HttpOptions,
}

impl Fetch {
    pub(crate) fn status(
        &self,
        q: &RevocationQuery<'_>,
        options: &VerifyOptions,
    ) -> RevocationStatus {
        let url = match responder_url(q.certificate, self.url.as_deref()) {
            Ok(u) => u,
            Err(e) => {
                return RevocationStatus::Unknown(UnknownReason::NoOcspResponse(e.to_string()));
            }
        };
        let request =
            match OcspRequest::new(q.certificate, q.issuer, self.http.hash, self.http.nonce) {
                Ok(r) => r,
                Err(e) => {
                    return RevocationStatus::Unknown(UnknownReason::SourceFailed(e.to_string()));
                }
            };
        let mut options = options.clone();
        options.max_response_len = options.max_response_len.min(self.http.max_response_len);
        match post(&url, &request, &self.http) {
            Ok(der) => status_of(
                verify_response_to(&der, &request, q.certificate, q.issuer, q.at, &options),
                q,
            ),
            Err(e) => RevocationStatus::Unknown(UnknownReason::SourceFailed(e.to_string())),
        }
    }
}

/// Asks the responder at `url` about `cert` (issued by `issuer`) and verifies the answer at `at`:
/// a fresh request (with a nonce unless `http.nonce` is false), POSTed, checked with
/// [`verify_response_to`].
pub fn check(
    url: &str,
    cert: &Certificate,
    issuer: &Certificate,
    at: time::OffsetDateTime,
    http: &HttpOptions,
    verify: &VerifyOptions,
) -> Result<super::VerifiedResponse, SignError> {
    let request = OcspRequest::new(cert, issuer, http.hash, http.nonce)?;
    let der = post(url, &request, http)?;
    let mut verify = verify.clone();
    verify.max_response_len = verify.max_response_len.min(http.max_response_len);
    Ok(verify_response_to(
        &der, &request, cert, issuer, at, &verify,
    )?)
}
