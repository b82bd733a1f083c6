//! Reading and verifying OCSP responses: every check fails closed with a named
//! [`OcspRejection`].

use der::asn1::ObjectIdentifier;
use der::{Decode, Reader, SliceReader};
use kazasu_pki::{
    Certificate, Purpose, Rejection, RevocationPolicy, RevocationReason, TrustStore, Verifier,
    VerifierOptions,
};
use time::{Duration, OffsetDateTime};

use super::request::{
    CertIdHash, OcspRequest, cert_id, find_nonce, nonce_value, public_key_bits, same_cert_id,
};
use crate::asn1::ocsp::{
    BasicOcspResponse, CertStatus, ID_PKIX_OCSP_BASIC, ID_PKIX_OCSP_NONCE, OcspResponse,
    OcspResponseStatus, ResponderId, SingleResponse,
};

/// Responses larger than this are refused before parsing by default (one answer with a
/// responder certificate is 2–3 KB).
pub const MAX_RESPONSE_LEN: usize = 256 * 1024;

/// How strictly responses are judged.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Accept sha1WithRSAEncryption signatures (and SHA-1 certificates of a delegated responder).
    pub allow_sha1: bool,
    /// How far thisUpdate (and producedAt) may lie in the future of the verification time, for
    /// clocks that disagree. Default 5 minutes.
    pub max_skew: Duration,
    /// How old thisUpdate may be when the response has no nextUpdate. Default 1 day.
    pub max_age: Duration,
    /// Larger responses are refused before parsing. Default [`MAX_RESPONSE_LEN`].
    pub max_response_len: usize,
    /// Smallest RSA key of a delegated responder. Default 2048.
    pub min_rsa_bits: usize,
    /// When a nonce was sent, require the response to echo it (RFC 8954). Default true; turn it
    /// off only for responders that serve pre-produced answers (RFC 5019).
    pub require_nonce: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            allow_sha1: false,
            max_skew: Duration::minutes(5),
            max_age: Duration::days(1),
            max_response_len: MAX_RESPONSE_LEN,
            min_rsa_bits: 2048,
            require_nonce: true,
        }
    }
}

/// Why an OCSP response is not accepted. `Display` gives an English reason and
/// [`OcspRejection::code`] a stable machine-readable one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OcspRejection {
    /// The response is over the size limit (checked before parsing).
    #[error("the OCSP response is {len} bytes; at most {max} are accepted")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a well-formed OCSP response.
    #[error("malformed OCSP response: {0}")]
    Malformed(String),
    /// The responder did not answer `successful` (malformedRequest, tryLater, unauthorized…).
    #[error("the OCSP responder answered {0}")]
    NotSuccessful(OcspResponseStatus),
    /// responseBytes of a type other than id-pkix-ocsp-basic.
    #[error("unsupported OCSP response type {0}")]
    UnsupportedResponseType(String),
    /// ResponseData of a version other than v1.
    #[error("unsupported OCSP response version {0}")]
    UnsupportedVersion(u8),
    /// The responderID names neither the issuing CA nor a certificate the response carries.
    #[error("the responder is neither the issuing CA nor a certificate included in the response")]
    ResponderNotFound,
    /// The response is signed by a delegated responder the CA did not authorise: not issued by
    /// the CA, without id-kp-OCSPSigning, not valid when the response was produced, a weak key.
    #[error("the delegated responder is not authorised by the CA: {0}")]
    ResponderNotAuthorized(Rejection),
    /// The signature algorithm is not allowed (SHA-1 without `allow_sha1`, not RSA PKCS#1 v1.5).
    #[error("the response is signed with {0}, which is not allowed")]
    AlgorithmNotAllowed(String),
    /// The signature over tbsResponseData does not verify with the responder's key.
    #[error("the response's signature does not verify with the responder's key")]
    BadSignature,
    /// A critical extension this crate does not process.
    #[error("the response has an unsupported critical extension {0}")]
    UnsupportedCriticalExtension(String),
    /// A nonce was sent and the response carries none.
    #[error("the response does not echo the request's nonce")]
    NonceMissing,
    /// The response carries another nonce than the one sent (a replayed or misrouted answer).
    #[error("the response's nonce differs from the request's")]
    NonceMismatch,
    /// No SingleResponse is about the certificate (CertID: hash, issuer name and key, serial).
    #[error("the response has no answer for this certificate")]
    NoMatchingResponse,
    /// thisUpdate (or producedAt) lies in the future of the verification time beyond the allowed skew.
    #[error("the response is not valid before {} (verification time {})", rfc3339(.this_update), rfc3339(.at))]
    NotYetValid {
        /// thisUpdate.
        this_update: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// nextUpdate has passed.
    #[error("the response expired at {} (verification time {})", rfc3339(.next_update), rfc3339(.at))]
    Expired {
        /// nextUpdate.
        next_update: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// Without nextUpdate, thisUpdate is older than the allowed age.
    #[error("the response has no nextUpdate and its thisUpdate {} is older than {max_age_secs} s", rfc3339(.this_update))]
    TooOld {
        /// thisUpdate.
        this_update: OffsetDateTime,
        /// The allowed age, seconds.
        max_age_secs: i64,
    },
}

impl OcspRejection {
    /// A stable snake_case code (`bad_signature`, `nonce_mismatch`, `expired`, …).
    pub fn code(&self) -> &'static str {
        match self {
            OcspRejection::TooLarge { .. } => "too_large",
            OcspRejection::Malformed(_) => "malformed",
            OcspRejection::NotSuccessful(_) => "not_successful",
            OcspRejection::UnsupportedResponseType(_) => "unsupported_response_type",
            OcspRejection::UnsupportedVersion(_) => "unsupported_version",
            OcspRejection::ResponderNotFound => "responder_not_found",
            OcspRejection::ResponderNotAuthorized(_) => "responder_not_authorized",
            OcspRejection::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            OcspRejection::BadSignature => "bad_signature",
            OcspRejection::UnsupportedCriticalExtension(_) => "unsupported_critical_extension",
            OcspRejection::NonceMissing => "nonce_missing",
            OcspRejection::NonceMismatch => "nonce_mismatch",
            OcspRejection::NoMatchingResponse => "no_matching_response",
            OcspRejection::NotYetValid { .. } => "not_yet_valid",
            OcspRejection::Expired { .. } => "expired",
            OcspRejection::TooOld { .. } => "too_old",
        }
    }
}

fn rfc3339(t: &OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn malformed(e: impl std::fmt::Display) -> OcspRejection {
    OcspRejection::Malformed(e.to_string())
}

/// The status a verified response gives the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspStatus {
    /// Not revoked.
    Good,
    /// Revoked.
    Revoked {
        /// revocationTime.
        revoked_at: OffsetDateTime,
        /// revocationReason, if given.
        reason: Option<RevocationReason>,
    },
    /// The responder does not know the certificate.
    Unknown,
}

impl OcspStatus {
    /// `good`, `revoked` or `unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            OcspStatus::Good => "good",
            OcspStatus::Revoked { .. } => "revoked",
            OcspStatus::Unknown => "unknown",
        }
    }
}

/// Who signed a verified response.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponderKind {
    /// The CA that issued the certificate, with its own key.
    Issuer,
    /// A delegated responder certificate the CA issued, with id-kp-OCSPSigning.
    Delegated(Certificate),
}

/// A response that passed every check, and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedResponse {
    /// The certificate's status.
    pub status: OcspStatus,
    /// thisUpdate of the answer.
    pub this_update: OffsetDateTime,
    /// nextUpdate of the answer, if given.
    pub next_update: Option<OffsetDateTime>,
    /// producedAt of the response.
    pub produced_at: OffsetDateTime,
    /// Who signed.
    pub responder: ResponderKind,
    /// The hash of the matching CertID.
    pub cert_id_hash: CertIdHash,
}

impl VerifiedResponse {
    /// A one-line description (status, responder, thisUpdate), for reports.
    pub fn describe(&self) -> String {
        let who = match &self.responder {
            ResponderKind::Issuer => "the issuing CA".to_owned(),
            ResponderKind::Delegated(c) => format!("delegated responder \"{}\"", c.subject()),
        };
        format!(
            "OCSP {} from {who} (thisUpdate {})",
            self.status.label(),
            rfc3339(&self.this_update)
        )
    }
}

/// Verifies an OCSP response (DER `OCSPResponse`) about `cert`, issued by `issuer` (already
/// validated), at `at`, without a request: for responses embedded in signatures (B-LT), which
/// carry no nonce of ours. The answer is matched by a CertID computed with the response's hash.
pub fn verify_response(
    der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    at: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<VerifiedResponse, OcspRejection> {
    verify_inner(der, cert, issuer, None, at, options)
}

/// Verifies the response to `request`: as [`verify_response`], and the answer must be for
/// exactly the CertID asked about (same hash), and the nonce sent must come back.
pub fn verify_response_to(
    der: &[u8],
    request: &OcspRequest,
    cert: &Certificate,
    issuer: &Certificate,
    at: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<VerifiedResponse, OcspRejection> {
    verify_inner(der, cert, issuer, Some(request), at, options)
}

/// Reads an `OCSPResponse` down to its `BasicOCSPResponse` and the DER of its tbsResponseData as
/// received (what the signature covers).
fn parse(der: &[u8], max: usize) -> Result<(BasicOcspResponse, Vec<u8>), OcspRejection> {
    if der.len() > max {
        return Err(OcspRejection::TooLarge {
            len: der.len(),
            max,
        });
    }
    let response = OcspResponse::from_der(der).map_err(malformed)?;
    if response.response_status != OcspResponseStatus::Successful {
        return Err(OcspRejection::NotSuccessful(response.response_status));
    }
    let bytes = response
        .response_bytes
        .ok_or_else(|| malformed("successful, but no responseBytes"))?;
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return Err(OcspRejection::UnsupportedResponseType(
            bytes.response_type.to_string(),
        ));
    }
    let basic_der = bytes.response.as_bytes();
    let basic = BasicOcspResponse::from_der(basic_der).map_err(malformed)?;
    let tbs = tbs_bytes(basic_der).map_err(malformed)?;
    Ok((basic, tbs))
}

/// The first element of a SEQUENCE, as encoded.
fn tbs_bytes(seq: &[u8]) -> der::Result<Vec<u8>> {
    let mut r = SliceReader::new(seq)?;
    let _outer = der::Header::decode(&mut r)?;
    Ok(r.tlv_bytes()?.to_vec())
}

fn responder_matches(id: &ResponderId, cert: &Certificate) -> bool {
    match id {
        ResponderId::ByName(name) => {
            der::Encode::to_der(name).is_ok_and(|n| n == cert.subject_der())
        }
        ResponderId::ByKey(hash) => {
            CertIdHash::Sha1.digest(public_key_bits(cert)) == hash.as_bytes()
        }
    }
}

/// Finds who signed: the issuer itself, or a certificate of `certs` that the issuer authorised.
fn find_responder(
    basic: &BasicOcspResponse,
    issuer: &Certificate,
    produced_at: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<ResponderKind, OcspRejection> {
    let id = &basic.tbs_response_data.responder_id;
    if responder_matches(id, issuer) {
        return Ok(ResponderKind::Issuer);
    }
    let candidate = basic
        .certs
        .iter()
        .flatten()
        .filter_map(|any| der::Encode::to_der(any).ok())
        .filter_map(|d| Certificate::from_der_vec(d).ok())
        .find(|c| responder_matches(id, c))
        .ok_or(OcspRejection::ResponderNotFound)?;
    // RFC 6960 §4.2.2.2: issued directly by the CA that issued the certificate in question, with
    // id-kp-OCSPSigning. The path is this one link, the CA as its only anchor, trusted for OCSP
    // signing alone. The responder's own revocation is not checked (id-pkix-ocsp-nocheck, and
    // nothing else to ask). Checked when the response was produced: that is when it signed.
    let trust = {
        let mut t = TrustStore::new();
        t.add_for(issuer.clone(), [Purpose::OcspSigning]);
        t
    };
    let mut vo = VerifierOptions::default();
    vo.revocation = RevocationPolicy::Off;
    vo.allow_sha1 = options.allow_sha1;
    vo.min_rsa_bits = options.min_rsa_bits;
    vo.max_path_len = 2;
    Verifier::new(trust)
        .with_options(vo)
        .validate(&candidate, Purpose::OcspSigning, produced_at)
        .map_err(OcspRejection::ResponderNotAuthorized)?;
    Ok(ResponderKind::Delegated(candidate))
}

fn check_extensions(
    exts: Option<&[x509_cert::ext::Extension]>,
    known: &[ObjectIdentifier],
) -> Result<(), OcspRejection> {
    match exts
        .into_iter()
        .flatten()
        .find(|e| e.critical && !known.contains(&e.extn_id))
    {
        Some(e) => Err(OcspRejection::UnsupportedCriticalExtension(
            e.extn_id.to_string(),
        )),
        None => Ok(()),
    }
}

fn matching<'r>(
    responses: &'r [SingleResponse],
    cert: &Certificate,
    issuer: &Certificate,
    request: Option<&OcspRequest>,
) -> Option<(&'r SingleResponse, CertIdHash)> {
    responses.iter().find_map(|single| {
        let hash = CertIdHash::from_oid(&single.cert_id.hash_algorithm.oid)?;
        let wanted = match request {
            Some(r) => r.cert_id().clone(),
            None => cert_id(cert, issuer, hash).ok()?,
        };
        same_cert_id(&single.cert_id, &wanted).then_some((single, hash))
    })
}

fn verify_inner(
    der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    request: Option<&OcspRequest>,
    at: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<VerifiedResponse, OcspRejection> {
    let (basic, tbs) = parse(der, options.max_response_len)?;
    let data = &basic.tbs_response_data;
    if data.version != 0 {
        return Err(OcspRejection::UnsupportedVersion(data.version));
    }
    let produced_at = data.produced_at.to_offset();
    let responder = find_responder(&basic, issuer, produced_at, options)?;
    let signer = match &responder {
        ResponderKind::Issuer => issuer,
        ResponderKind::Delegated(c) => c,
    };
    let signature = basic
        .signature
        .as_bytes()
        .ok_or_else(|| malformed("the signature BIT STRING has unused bits"))?;
    signer
        .verify_signed_data(
            &basic.signature_algorithm,
            &tbs,
            signature,
            options.allow_sha1,
        )
        .map_err(|r| match r {
            Rejection::MessageSignatureInvalid => OcspRejection::BadSignature,
            Rejection::AlgorithmNotAllowed { algorithm, .. } => {
                OcspRejection::AlgorithmNotAllowed(algorithm)
            }
            other => OcspRejection::Malformed(other.to_string()),
        })?;
    check_extensions(data.response_extensions.as_deref(), &[ID_PKIX_OCSP_NONCE])?;
    if let Some(sent) = request.and_then(OcspRequest::nonce) {
        match find_nonce(data.response_extensions.as_deref()) {
            None if options.require_nonce => return Err(OcspRejection::NonceMissing),
            None => {}
            Some(ext) if nonce_value(ext).map_err(malformed)? != sent => {
                return Err(OcspRejection::NonceMismatch);
            }
            Some(_) => {}
        }
    }
    let (single, cert_id_hash) = matching(&data.responses, cert, issuer, request)
        .ok_or(OcspRejection::NoMatchingResponse)?;
    check_extensions(single.single_extensions.as_deref(), &[])?;
    let this_update = single.this_update.to_offset();
    let next_update = single.next_update.map(|t| t.to_offset());
    for t in [this_update, produced_at] {
        if t > at + options.max_skew {
            return Err(OcspRejection::NotYetValid { this_update: t, at });
        }
    }
    match next_update {
        Some(next) if at >= next => {
            return Err(OcspRejection::Expired {
                next_update: next,
                at,
            });
        }
        None if this_update + options.max_age < at => {
            return Err(OcspRejection::TooOld {
                this_update,
                max_age_secs: options.max_age.whole_seconds(),
            });
        }
        _ => {}
    }
    let status = match &single.cert_status {
        CertStatus::Good(_) => OcspStatus::Good,
        CertStatus::Revoked(info) => OcspStatus::Revoked {
            revoked_at: info.revocation_time.to_offset(),
            reason: info.revocation_reason.map(RevocationReason::from),
        },
        CertStatus::Unknown(_) => OcspStatus::Unknown,
    };
    Ok(VerifiedResponse {
        status,
        this_update,
        next_update,
        produced_at,
        responder,
        cert_id_hash,
    })
}
