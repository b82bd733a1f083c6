//! Making CAdES signatures: B-B (signed attributes with signingCertificateV2), B-T (a signature
//! timestamp) and B-LT (validation data in `certificates` and `crls`).

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::revocation::{RevocationInfoChoice, RevocationInfoChoices};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use kazasu_types::HashAlgorithm;
use time::OffsetDateTime;
use x509_cert::time::Time;

use super::attributes::{
    attribute, attribute_set, digest_algorithm, signature_algorithm, signing_certificate_v2,
};
use super::{
    ID_AA_SIGNATURE_TIME_STAMP_TOKEN, ID_AA_SIGNING_CERTIFICATE_V2, ID_CONTENT_TYPE, ID_DATA,
    ID_MESSAGE_DIGEST, ID_SIGNED_DATA, ID_SIGNING_TIME,
};
use crate::asn1::ess::{ID_AA_ETS_REVOCATION_VALUES, RevocationValues};
use crate::asn1::ocsp::{ID_PKIX_OCSP_BASIC, OcspResponse};
use crate::tsp::TimeStampAuthority;
use crate::{DocumentSigner, SignError};

/// Certificates, CRLs and OCSP responses to embed (CAdES B-LT) so the signature can be checked
/// later without the network.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ValidationData {
    /// Certificates (CAs, the TSA's), DER.
    pub certificates: Vec<Vec<u8>>,
    /// CRLs, DER.
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses (`OCSPResponse`), DER: embedded as the RFC 5126 revocationValues attribute.
    pub ocsp_responses: Vec<Vec<u8>>,
}

impl ValidationData {
    /// Nothing to embed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether there is nothing to embed.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.crls.is_empty() && self.ocsp_responses.is_empty()
    }
}

/// How to sign.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct SignOptions<'a> {
    /// Carry the content inside the SignedData (default: detached).
    pub attached: bool,
    /// The signingTime attribute (a claimed time); `None` leaves it out, as PAdES baseline wants.
    pub signing_time: Option<OffsetDateTime>,
    /// The digest algorithm (default SHA-256).
    pub hash: HashAlgorithm,
    /// A time-stamping authority for a signature timestamp (B-T).
    pub tsa: Option<&'a dyn TimeStampAuthority>,
    /// Validation data to embed (B-LT).
    pub validation: Option<&'a ValidationData>,
    /// The eContentType (default `id-data`).
    pub content_type: ObjectIdentifier,
}

impl Default for SignOptions<'_> {
    fn default() -> Self {
        Self {
            attached: false,
            signing_time: None,
            hash: HashAlgorithm::Sha256,
            tsa: None,
            validation: None,
            content_type: ID_DATA,
        }
    }
}

impl std::fmt::Debug for SignOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignOptions")
            .field("attached", &self.attached)
            .field("signing_time", &self.signing_time)
            .field("hash", &self.hash)
            .field("tsa", &self.tsa.is_some())
            .field("validation", &self.validation)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// Signs `content`: a DER `ContentInfo(SignedData)`, detached unless `options.attached`.
///
/// The signer signs `DigestInfo(hash(DER(signed attributes)))` — one card operation. The signer
/// certificate and its chain (and any validation data) go into `certificates`.
pub fn sign(
    content: &[u8],
    signer: &mut dyn DocumentSigner,
    options: &SignOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    let digest = options.hash.digest(content);
    build(
        &digest,
        options.attached.then_some(content),
        signer,
        options,
    )
}

/// Signs content already hashed with `options.hash` (a PDF's byte ranges, a large file streamed):
/// always detached.
pub fn sign_digest(
    content_digest: &[u8],
    signer: &mut dyn DocumentSigner,
    options: &SignOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    if content_digest.len() != options.hash.output_len() {
        return Err(SignError::Malformed {
            what: "content digest",
            reason: format!(
                "{} bytes, {} needs {}",
                content_digest.len(),
                options.hash,
                options.hash.output_len()
            ),
        });
    }
    build(content_digest, None, signer, options)
}

fn build(
    content_digest: &[u8],
    attached: Option<&[u8]>,
    signer: &mut dyn DocumentSigner,
    options: &SignOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    let certificate_der = signer.certificate().to_vec();
    let certificate = x509_cert::Certificate::from_der(&certificate_der)
        .map_err(|e| SignError::der("signer certificate", e))?;

    let mut attrs = vec![
        attribute(ID_CONTENT_TYPE, &options.content_type)?,
        attribute(
            ID_MESSAGE_DIGEST,
            &OctetString::new(content_digest).map_err(|e| SignError::der("messageDigest", e))?,
        )?,
        attribute(
            ID_AA_SIGNING_CERTIFICATE_V2,
            &signing_certificate_v2(&certificate_der)?,
        )?,
    ];
    if let Some(at) = options.signing_time {
        attrs.push(attribute(ID_SIGNING_TIME, &signing_time(at)?)?);
    }
    let signed_attrs = attribute_set(attrs)?;
    let to_sign = signed_attrs
        .to_der()
        .map_err(|e| SignError::der("signed attributes", e))?;
    let signature = signer
        .sign_digest(options.hash, &options.hash.digest(&to_sign))
        .map_err(SignError::Signer)?;

    let validation = options.validation.cloned().unwrap_or_default();
    let mut unsigned = Vec::new();
    if let Some(tsa) = options.tsa {
        let token = tsa.timestamp(options.hash, &options.hash.digest(&signature))?;
        let token = Any::from_der(&token).map_err(|e| SignError::der("timestamp token", e))?;
        unsigned.push(attribute(ID_AA_SIGNATURE_TIME_STAMP_TOKEN, &token)?);
    }
    if !validation.ocsp_responses.is_empty() {
        // RFC 5126 revocationValues: the cms crate cannot carry OCSP in `crls` (see the README).
        let mut basics = Vec::new();
        for der in &validation.ocsp_responses {
            basics.push(basic_ocsp_response(der)?);
        }
        let values = RevocationValues {
            ocsp_vals: Some(basics),
            ..RevocationValues::default()
        };
        unsigned.push(attribute(ID_AA_ETS_REVOCATION_VALUES, &values)?);
    }
    let unsigned_attrs = if unsigned.is_empty() {
        None
    } else {
        Some(attribute_set(unsigned)?)
    };

    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: certificate.tbs_certificate().issuer().clone(),
            serial_number: certificate.tbs_certificate().serial_number().clone(),
        }),
        digest_alg: digest_algorithm(options.hash),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: signature_algorithm(options.hash)?,
        signature: OctetString::new(signature).map_err(|e| SignError::der("signature", e))?,
        unsigned_attrs,
    };

    let mut certs = vec![certificate];
    for der in signer.chain().iter().chain(&validation.certificates) {
        let c = x509_cert::Certificate::from_der(der)
            .map_err(|e| SignError::der("chain certificate", e))?;
        if !certs.contains(&c) {
            certs.push(c);
        }
    }
    let certificates = SetOfVec::try_from(
        certs
            .into_iter()
            .map(CertificateChoices::Certificate)
            .collect::<Vec<_>>(),
    )
    .map_err(|e| SignError::der("certificates", e))?;

    let mut revocation = Vec::new();
    for der in &validation.crls {
        revocation.push(RevocationInfoChoice::Crl(
            x509_cert::crl::CertificateList::from_der(der).map_err(|e| SignError::der("CRL", e))?,
        ));
    }
    let has_other = false;
    let crls = if revocation.is_empty() {
        None
    } else {
        Some(RevocationInfoChoices(
            SetOfVec::try_from(revocation).map_err(|e| SignError::der("crls", e))?,
        ))
    };

    let econtent = match attached {
        None => None,
        Some(content) => Some(
            Any::encode_from(
                &OctetString::new(content).map_err(|e| SignError::der("eContent", e))?,
            )
            .map_err(|e| SignError::der("eContent", e))?,
        ),
    };
    // RFC 5652 §5.1: v5 with "other" revocation data, v3 for another eContentType, else v1.
    let version = if has_other {
        CmsVersion::V5
    } else if options.content_type != ID_DATA {
        CmsVersion::V3
    } else {
        CmsVersion::V1
    };
    let signed_data = SignedData {
        version,
        digest_algorithms: SetOfVec::try_from(vec![digest_algorithm(options.hash)])
            .map_err(|e| SignError::der("digestAlgorithms", e))?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: options.content_type,
            econtent,
        },
        certificates: Some(CertificateSet(certificates)),
        crls,
        signer_infos: SignerInfos(
            SetOfVec::try_from(vec![signer_info]).map_err(|e| SignError::der("signerInfos", e))?,
        ),
    };
    let info = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(|e| SignError::der("SignedData", e))?,
    };
    info.to_der().map_err(|e| SignError::der("ContentInfo", e))
}

/// signingTime as RFC 5652 §11.3 wants it: UTCTime through 2049, GeneralizedTime after.
fn signing_time(at: OffsetDateTime) -> Result<Time, SignError> {
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    let system: std::time::SystemTime = at.into();
    let dt =
        der::DateTime::from_system_time(system).map_err(|e| SignError::der("signingTime", e))?;
    if at.year() < 2050 {
        Ok(Time::UtcTime(
            der::asn1::UtcTime::from_date_time(dt).map_err(|e| SignError::der("signingTime", e))?,
        ))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_date_time(dt),
        ))
    }
}

/// The BasicOCSPResponse inside a successful OCSPResponse, as revocationValues holds it.
fn basic_ocsp_response(der: &[u8]) -> Result<Any, SignError> {
    let response = OcspResponse::from_der(der).map_err(|e| SignError::der("OCSP response", e))?;
    let bytes = response
        .response_bytes
        .filter(|b| b.response_type == ID_PKIX_OCSP_BASIC)
        .ok_or(SignError::Malformed {
            what: "OCSP response",
            reason: "not a successful basic response".into(),
        })?;
    Any::from_der(bytes.response.as_bytes()).map_err(|e| SignError::der("BasicOCSPResponse", e))
}
