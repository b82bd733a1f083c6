//! [`OcspResponder`]: a local OCSP responder over a CA, for tests and test services.

use std::collections::BTreeMap;

use der::asn1::{BitString, Null, OctetString};
use der::{Decode, Encode};
use kazasu_pki::{Certificate, RevocationReason, RevokedEntry};
use kazasu_types::HashAlgorithm;
use time::{Duration, OffsetDateTime};
use x509_cert::ext::pkix::CrlReason;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::request::{
    CertIdHash, MAX_REQUEST_LEN, find_nonce, issuer_hashes, public_key_bits, strip,
};
use crate::asn1::ocsp::{
    BasicOcspResponse, CertId, CertStatus, ID_PKIX_OCSP_BASIC, OcspRequest, OcspResponse,
    OcspResponseStatus, ResponderId, ResponseBytes, ResponseData, RevokedInfo, SingleResponse,
};
use crate::asn1::time::PreciseTime;
use crate::{DocumentSigner, SignError, SoftwareSigner};

/// How the responder names itself in responderID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ResponderIdForm {
    /// byName: the signer's subject (openssl's default).
    #[default]
    ByName,
    /// byKey: SHA-1 of the signer's public key.
    ByKey,
}

/// A local OCSP responder for one CA: answers `OCSPRequest` DER with signed `OCSPResponse` DER.
///
/// It signs with the CA's own key or with a delegated responder's (whose certificate then goes
/// into `certs`); it answers good for the CA's certificates that are not in its revoked list,
/// revoked (with time and reason) for those that are, and unknown for certificates of other CAs.
/// The nonce of a request is echoed; thisUpdate and producedAt are now (whole seconds),
/// nextUpdate a day later. Garbage gets `malformedRequest`.
///
/// It signs whatever it is given (a responder certificate without OCSPSigning, one of another
/// CA): deciding whether a response is acceptable is the verifier's job, and tests need both.
#[derive(Clone, Debug)]
pub struct OcspResponder {
    ca: Certificate,
    signer: SoftwareSigner,
    delegated: bool,
    revoked: BTreeMap<Vec<u8>, RevokedEntry>,
    id_form: ResponderIdForm,
    validity: Option<Duration>,
    hash: HashAlgorithm,
}

fn sig_alg(hash: HashAlgorithm) -> Result<AlgorithmIdentifierOwned, SignError> {
    use const_oid::db::rfc5912;
    let oid = match hash {
        HashAlgorithm::Sha256 => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
        HashAlgorithm::Sha384 => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
        HashAlgorithm::Sha512 => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
        other => {
            return Err(SignError::Unsupported {
                what: "OCSP response signature hash",
                detail: other.to_string(),
            });
        }
    };
    Ok(AlgorithmIdentifierOwned {
        oid,
        parameters: Some(der::Any::null()),
    })
}

impl OcspResponder {
    /// A responder for `ca` signing with `signer`: the CA's own certificate and key, or a
    /// delegated responder certificate and its key.
    pub fn new(ca: Certificate, signer: SoftwareSigner) -> Self {
        let delegated = signer.certificate() != ca.der();
        Self {
            ca,
            signer,
            delegated,
            revoked: BTreeMap::new(),
            id_form: ResponderIdForm::ByName,
            validity: Some(Duration::days(1)),
            hash: HashAlgorithm::Sha256,
        }
    }

    /// Lists `serial` (unsigned big-endian) as revoked at `at` for `reason`.
    pub fn revoke(&mut self, serial: &[u8], at: OffsetDateTime, reason: Option<RevocationReason>) {
        let serial = strip(serial).to_vec();
        self.revoked.insert(
            serial.clone(),
            RevokedEntry {
                serial,
                revoked_at: at,
                reason,
                invalidity_date: None,
            },
        );
    }

    /// [`OcspResponder::revoke`], builder style.
    #[must_use]
    pub fn with_revoked(
        mut self,
        serial: &[u8],
        at: OffsetDateTime,
        reason: Option<RevocationReason>,
    ) -> Self {
        self.revoke(serial, at, reason);
        self
    }

    /// How responderID names the signer.
    #[must_use]
    pub fn with_responder_id(mut self, form: ResponderIdForm) -> Self {
        self.id_form = form;
        self
    }

    /// nextUpdate = thisUpdate + `validity`, or no nextUpdate with `None`. Default one day.
    #[must_use]
    pub fn with_validity(mut self, validity: Option<Duration>) -> Self {
        self.validity = validity;
        self
    }

    /// The hash of the response signature (SHA-256 by default; SHA-384 and SHA-512 too).
    #[must_use]
    pub fn with_signature_hash(mut self, hash: HashAlgorithm) -> Self {
        self.hash = hash;
        self
    }

    /// The CA answered for.
    pub fn ca(&self) -> &Certificate {
        &self.ca
    }

    /// Whether a CertID names a certificate of this CA.
    pub fn covers(&self, id: &CertId) -> bool {
        let Some(hash) = CertIdHash::from_oid(&id.hash_algorithm.oid) else {
            return false;
        };
        let (name, key) = issuer_hashes(&self.ca, hash);
        id.issuer_name_hash.as_bytes() == name && id.issuer_key_hash.as_bytes() == key
    }

    /// Answers `request` (DER) now.
    pub fn respond(&self, request: &[u8]) -> Vec<u8> {
        self.respond_at(request, OffsetDateTime::now_utc())
    }

    /// Answers `request` (DER) as of `now` (tests use other times).
    pub fn respond_at(&self, request: &[u8], now: OffsetDateTime) -> Vec<u8> {
        let parsed = (request.len() <= MAX_REQUEST_LEN)
            .then(|| OcspRequest::from_der(request).ok())
            .flatten()
            .filter(|r| !r.tbs_request.request_list.is_empty());
        let Some(parsed) = parsed else {
            return status_only(OcspResponseStatus::MalformedRequest);
        };
        self.answer(&parsed, now)
            .unwrap_or_else(|_| status_only(OcspResponseStatus::InternalError))
    }

    fn status_of(&self, id: &CertId) -> CertStatus {
        if !self.covers(id) {
            return CertStatus::Unknown(Null);
        }
        match self.revoked.get(strip(id.serial_number.as_bytes())) {
            Some(entry) => CertStatus::Revoked(RevokedInfo {
                revocation_time: PreciseTime(entry.revoked_at),
                revocation_reason: entry.reason.and_then(crl_reason),
            }),
            None => CertStatus::Good(Null),
        }
    }

    fn answer(&self, request: &OcspRequest, now: OffsetDateTime) -> Result<Vec<u8>, SignError> {
        // Whole seconds, as RFC 5280 profiles GeneralizedTime and every client reads it.
        let now = now - Duration::nanoseconds(i64::from(now.nanosecond()));
        let next = self.validity.map(|v| PreciseTime(now + v));
        let responses = request
            .tbs_request
            .request_list
            .iter()
            .map(|r| SingleResponse {
                cert_id: r.req_cert.clone(),
                cert_status: self.status_of(&r.req_cert),
                this_update: PreciseTime(now),
                next_update: next,
                single_extensions: None,
            })
            .collect();
        let signer_cert = Certificate::from_der(self.signer.certificate())?;
        let responder_id = match self.id_form {
            ResponderIdForm::ByName => {
                ResponderId::ByName(signer_cert.x509().tbs_certificate().subject().clone())
            }
            ResponderIdForm::ByKey => ResponderId::ByKey(
                OctetString::new(CertIdHash::Sha1.digest(public_key_bits(&signer_cert)))
                    .map_err(|e| SignError::der("responderID", e))?,
            ),
        };
        let response_extensions =
            find_nonce(request.tbs_request.request_extensions.as_deref()).map(|n| vec![n.clone()]);
        let data = ResponseData {
            version: 0,
            responder_id,
            produced_at: PreciseTime(now),
            responses,
            response_extensions,
        };
        let tbs = data
            .to_der()
            .map_err(|e| SignError::der("ResponseData", e))?;
        let digest = self.hash.digest(&tbs);
        let mut signer = self.signer.clone();
        let signature = signer
            .sign_digest(self.hash, &digest)
            .map_err(SignError::Signer)?;
        let certs = if self.delegated {
            Some(vec![
                der::Any::from_der(self.signer.certificate())
                    .map_err(|e| SignError::der("responder certificate", e))?,
            ])
        } else {
            None
        };
        let basic = BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: sig_alg(self.hash)?,
            signature: BitString::from_bytes(&signature)
                .map_err(|e| SignError::der("signature", e))?,
            certs,
        };
        let basic = basic
            .to_der()
            .map_err(|e| SignError::der("BasicOCSPResponse", e))?;
        OcspResponse {
            response_status: OcspResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: ID_PKIX_OCSP_BASIC,
                response: OctetString::new(basic).map_err(|e| SignError::der("response", e))?,
            }),
        }
        .to_der()
        .map_err(|e| SignError::der("OCSPResponse", e))
    }
}

/// An `OCSPResponse` with only a status (no responseBytes).
pub fn status_only(status: OcspResponseStatus) -> Vec<u8> {
    // Three fixed bytes cannot fail to encode; the literal is the same value, spelled out.
    OcspResponse {
        response_status: status,
        response_bytes: None,
    }
    .to_der()
    .unwrap_or_else(|_| vec![0x30, 0x03, 0x0A, 0x01, status as u8])
}

/// Answers `request` with the responder whose CA the first CertID names, or (no CA matches) with
/// the first responder, which answers unknown. `None` when `responders` is empty.
pub fn respond_any(responders: &[OcspResponder], request: &[u8]) -> Option<Vec<u8>> {
    let first_id = (request.len() <= MAX_REQUEST_LEN)
        .then(|| OcspRequest::from_der(request).ok())
        .flatten()
        .and_then(|r| {
            r.tbs_request
                .request_list
                .first()
                .map(|q| q.req_cert.clone())
        });
    let chosen = first_id
        .and_then(|id| responders.iter().find(|r| r.covers(&id)))
        .or_else(|| responders.first())?;
    Some(chosen.respond(request))
}

fn crl_reason(r: RevocationReason) -> Option<CrlReason> {
    Some(match r {
        RevocationReason::Unspecified => CrlReason::Unspecified,
        RevocationReason::KeyCompromise => CrlReason::KeyCompromise,
        RevocationReason::CaCompromise => CrlReason::CaCompromise,
        RevocationReason::AffiliationChanged => CrlReason::AffiliationChanged,
        RevocationReason::Superseded => CrlReason::Superseded,
        RevocationReason::CessationOfOperation => CrlReason::CessationOfOperation,
        RevocationReason::CertificateHold => CrlReason::CertificateHold,
        RevocationReason::RemoveFromCrl => CrlReason::RemoveFromCRL,
        RevocationReason::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
        RevocationReason::AaCompromise => CrlReason::AaCompromise,
        _ => return None,
    })
}
