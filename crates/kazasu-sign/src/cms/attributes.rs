//! Signed and unsigned attributes: building them, and finding them again.

use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use kazasu_types::HashAlgorithm;
use x509_cert::attr::{Attribute, Attributes};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::SignError;
use crate::asn1::ess::{EssCertIdV2, IssuerSerial, SigningCertificateV2};

/// An attribute with one value.
pub(crate) fn attribute(
    oid: ObjectIdentifier,
    value: &impl Encode,
) -> Result<Attribute, SignError> {
    let der = value
        .to_der()
        .map_err(|e| SignError::der("attribute value", e))?;
    let any = Any::from_der(&der).map_err(|e| SignError::der("attribute value", e))?;
    let values =
        SetOfVec::try_from(vec![any]).map_err(|e| SignError::der("attribute values", e))?;
    Ok(Attribute { oid, values })
}

/// Attributes as a DER SET OF (sorted as DER wants).
pub(crate) fn attribute_set(attrs: Vec<Attribute>) -> Result<Attributes, SignError> {
    SetOfVec::try_from(attrs).map_err(|e| SignError::der("attributes", e))
}

/// The single value of attribute `oid`: `Ok(None)` when absent, an error when it appears twice or
/// with other than one value (RFC 5652 §5.3 and §11).
pub(crate) fn single_value<'a>(
    attrs: &'a Attributes,
    oid: ObjectIdentifier,
    what: &'static str,
) -> Result<Option<&'a Any>, String> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(format!("{what} appears more than once"));
    }
    let mut values = attr.values.iter();
    match (values.next(), values.next()) {
        (Some(v), None) => Ok(Some(v)),
        _ => Err(format!("{what} must have exactly one value")),
    }
}

/// The `SigningCertificateV2` attribute value for `certificate` (DER): SHA-256 of the certificate
/// (hash algorithm omitted, the DER default) and its issuer and serial.
pub fn signing_certificate_v2(certificate: &[u8]) -> Result<SigningCertificateV2, SignError> {
    let cert = x509_cert::Certificate::from_der(certificate)
        .map_err(|e| SignError::der("signer certificate", e))?;
    let hash = HashAlgorithm::Sha256.digest(certificate);
    Ok(SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(hash).map_err(|e| SignError::der("certHash", e))?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    cert.tbs_certificate().issuer().clone(),
                )],
                serial_number: cert.tbs_certificate().serial_number().clone(),
            }),
        }],
        policies: None,
    })
}

/// Whether the first ESSCertIDv2 of `value` names `certificate` (DER): the hash (SHA-256, -384 or
/// -512) over the certificate matches and, when present, the issuer and serial too. `Err` says why
/// not.
pub fn signing_certificate_v2_matches(
    value: &SigningCertificateV2,
    certificate: &[u8],
) -> Result<(), String> {
    let first = value
        .certs
        .first()
        .ok_or("signingCertificateV2 lists no certificate")?;
    let hash = match &first.hash_algorithm {
        None => HashAlgorithm::Sha256,
        Some(alg) => hash_from_oid(alg)
            .ok_or_else(|| format!("unsupported ESSCertIDv2 hash algorithm {}", alg.oid))?,
    };
    if hash.digest(certificate) != first.cert_hash.as_bytes() {
        return Err(
            "the certificate hash in signingCertificateV2 does not match the signer's".into(),
        );
    }
    if let Some(issuer_serial) = &first.issuer_serial {
        let cert = x509_cert::Certificate::from_der(certificate)
            .map_err(|e| format!("signer certificate: {e}"))?;
        let names_issuer = issuer_serial.issuer.iter().any(
            |g| matches!(g, GeneralName::DirectoryName(n) if n == cert.tbs_certificate().issuer()),
        );
        if !names_issuer || issuer_serial.serial_number != *cert.tbs_certificate().serial_number() {
            return Err("issuerSerial in signingCertificateV2 names another certificate".into());
        }
    }
    Ok(())
}

/// The hash algorithm of a digest AlgorithmIdentifier (parameters absent or NULL).
pub(crate) fn hash_from_oid(alg: &AlgorithmIdentifierOwned) -> Option<HashAlgorithm> {
    if alg.parameters.as_ref().is_some_and(|p| !p.is_null()) {
        return None;
    }
    HashAlgorithm::ALL.into_iter().find(|h| h.oid() == alg.oid)
}

/// The digest AlgorithmIdentifier of `hash` (parameters absent, RFC 5754 §2).
pub(crate) fn digest_algorithm(hash: HashAlgorithm) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: hash.oid(),
        parameters: None,
    }
}

/// `sha{256,384,512}WithRSAEncryption` with NULL parameters.
pub(crate) fn signature_algorithm(
    hash: HashAlgorithm,
) -> Result<AlgorithmIdentifierOwned, SignError> {
    use const_oid::db::rfc5912;
    let oid = match hash {
        HashAlgorithm::Sha256 => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
        HashAlgorithm::Sha384 => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
        HashAlgorithm::Sha512 => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
        other => {
            return Err(SignError::Unsupported {
                what: "hash algorithm",
                detail: other.to_string(),
            });
        }
    };
    Ok(AlgorithmIdentifierOwned {
        oid,
        parameters: Some(Any::null()),
    })
}
