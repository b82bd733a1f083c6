//! Building OCSP requests: a [`CertId`] of the certificate asked about, and a nonce.

use der::asn1::OctetString;
use der::{Decode, Encode};
use kazasu_pki::Certificate;
use sha2::Digest;
use x509_cert::ext::Extension;
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::SignError;
use crate::asn1::ocsp::{
    CertId, ID_PKIX_OCSP_NONCE, OcspRequest as OcspRequestAsn1, Request, TbsRequest,
};

/// Requests larger than this are refused before parsing (a request for one certificate with a
/// nonce is about 120 bytes).
pub const MAX_REQUEST_LEN: usize = 64 * 1024;

/// Length of the nonces [`OcspRequest::new`] draws (RFC 8954 allows 1 to 32 bytes).
pub const NONCE_LEN: usize = 32;

/// The hash of a [`CertId`]'s issuer name and key hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CertIdHash {
    /// SHA-1: what most responders index their answers by (RFC 5019), the default.
    #[default]
    Sha1,
    /// SHA-256.
    Sha256,
}

impl CertIdHash {
    /// The hash's OID.
    pub fn oid(self) -> der::asn1::ObjectIdentifier {
        match self {
            CertIdHash::Sha1 => const_oid::db::rfc5912::ID_SHA_1,
            CertIdHash::Sha256 => const_oid::db::rfc5912::ID_SHA_256,
        }
    }

    /// The hash named by `oid`, if it is one of these.
    pub fn from_oid(oid: &der::asn1::ObjectIdentifier) -> Option<Self> {
        [CertIdHash::Sha1, CertIdHash::Sha256]
            .into_iter()
            .find(|h| h.oid() == *oid)
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            CertIdHash::Sha1 => sha1::Sha1::digest(data).to_vec(),
            CertIdHash::Sha256 => sha2::Sha256::digest(data).to_vec(),
        }
    }

    /// The AlgorithmIdentifier (parameters NULL, as openssl and most responders write it).
    pub fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: Some(der::Any::null()),
        }
    }
}

impl std::fmt::Display for CertIdHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CertIdHash::Sha1 => "SHA-1",
            CertIdHash::Sha256 => "SHA-256",
        })
    }
}

/// The subjectPublicKey BIT STRING contents of `cert` (what issuerKeyHash and byKey hash).
pub(crate) fn public_key_bits(cert: &Certificate) -> &[u8] {
    cert.x509()
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes()
}

/// The hashes of `issuer`'s name and key with `hash`, as a CertID carries them.
pub(crate) fn issuer_hashes(issuer: &Certificate, hash: CertIdHash) -> (Vec<u8>, Vec<u8>) {
    (
        hash.digest(issuer.subject_der()),
        hash.digest(public_key_bits(issuer)),
    )
}

/// The CertID of `cert`, issued by `issuer`, with `hash`. The name hash is over the DER of the
/// certificate's issuer field, the key hash over the issuer's subjectPublicKey bits (RFC 6960
/// §4.1.1); the serial is copied as the certificate encodes it.
pub fn cert_id(
    cert: &Certificate,
    issuer: &Certificate,
    hash: CertIdHash,
) -> Result<CertId, SignError> {
    if cert.issuer_der() != issuer.subject_der() {
        return Err(SignError::Unsupported {
            what: "OCSP CertID",
            detail: format!(
                "\"{}\" is not the issuer of \"{}\"",
                issuer.subject(),
                cert.subject()
            ),
        });
    }
    let octets = |v: Vec<u8>| OctetString::new(v).map_err(|e| SignError::der("CertID", e));
    Ok(CertId {
        hash_algorithm: hash.algorithm_identifier(),
        issuer_name_hash: octets(hash.digest(cert.issuer_der()))?,
        issuer_key_hash: octets(hash.digest(public_key_bits(issuer)))?,
        serial_number: cert.x509().tbs_certificate().serial_number().clone(),
    })
}

/// Whether two CertIDs name the same certificate the same way: same hash algorithm (parameters
/// NULL or absent alike), name hash, key hash and serial number.
pub fn same_cert_id(a: &CertId, b: &CertId) -> bool {
    a.hash_algorithm.oid == b.hash_algorithm.oid
        && a.issuer_name_hash == b.issuer_name_hash
        && a.issuer_key_hash == b.issuer_key_hash
        && strip(a.serial_number.as_bytes()) == strip(b.serial_number.as_bytes())
}

/// An INTEGER's content octets without leading zero octets (the magnitude of a positive serial).
pub(crate) fn strip(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// An OCSP request for one certificate, DER-encoded, with the CertID and nonce it carries (to
/// check the response against).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspRequest {
    der: Vec<u8>,
    cert_id: CertId,
    nonce: Option<Vec<u8>>,
}

impl OcspRequest {
    /// A request for `cert` (issued by `issuer`) with a `hash` CertID and, when `nonce` is true, a
    /// fresh random nonce of [`NONCE_LEN`] bytes.
    pub fn new(
        cert: &Certificate,
        issuer: &Certificate,
        hash: CertIdHash,
        nonce: bool,
    ) -> Result<Self, SignError> {
        let nonce = if nonce {
            let mut n = vec![0u8; NONCE_LEN];
            getrandom::fill(&mut n).map_err(|e| SignError::Signer(Box::new(e)))?;
            Some(n)
        } else {
            None
        };
        Self::with_nonce(cert, issuer, hash, nonce.as_deref())
    }

    /// A request with the given nonce (1 to 32 bytes) or none.
    pub fn with_nonce(
        cert: &Certificate,
        issuer: &Certificate,
        hash: CertIdHash,
        nonce: Option<&[u8]>,
    ) -> Result<Self, SignError> {
        Self::for_cert_id(cert_id(cert, issuer, hash)?, nonce)
    }

    /// A request for a CertID made elsewhere.
    pub fn for_cert_id(cert_id: CertId, nonce: Option<&[u8]>) -> Result<Self, SignError> {
        let request_extensions = match nonce {
            Some(n) => Some(vec![nonce_extension(n)?]),
            None => None,
        };
        let request = OcspRequestAsn1 {
            tbs_request: TbsRequest {
                version: 0,
                requestor_name: None,
                request_list: vec![Request {
                    req_cert: cert_id.clone(),
                    single_request_extensions: None,
                }],
                request_extensions,
            },
            optional_signature: None,
        };
        let der = request
            .to_der()
            .map_err(|e| SignError::der("OCSP request", e))?;
        Ok(Self {
            der,
            cert_id,
            nonce: nonce.map(<[u8]>::to_vec),
        })
    }

    /// Reads a DER request for exactly one certificate (what [`OcspRequest::new`] makes).
    pub fn from_der(der: &[u8]) -> Result<Self, SignError> {
        SignError::check_size("OCSP request", der.len(), MAX_REQUEST_LEN)?;
        let parsed =
            OcspRequestAsn1::from_der(der).map_err(|e| SignError::der("OCSP request", e))?;
        let [one] = parsed.tbs_request.request_list.as_slice() else {
            return Err(SignError::Unsupported {
                what: "OCSP request",
                detail: format!(
                    "{} certificates asked about; this reads requests for one",
                    parsed.tbs_request.request_list.len()
                ),
            });
        };
        let nonce = match find_nonce(parsed.tbs_request.request_extensions.as_deref()) {
            Some(ext) => Some(nonce_value(ext)?),
            None => None,
        };
        Ok(Self {
            der: der.to_vec(),
            cert_id: one.req_cert.clone(),
            nonce,
        })
    }

    /// The DER to send.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The CertID asked about.
    pub fn cert_id(&self) -> &CertId {
        &self.cert_id
    }

    /// The nonce, if the request carries one.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }
}

/// The nonce extension for `nonce`: extnValue is the DER of an OCTET STRING holding it (RFC 8954).
pub(crate) fn nonce_extension(nonce: &[u8]) -> Result<Extension, SignError> {
    if nonce.is_empty() || nonce.len() > 32 {
        return Err(SignError::Unsupported {
            what: "OCSP nonce",
            detail: format!("{} bytes; RFC 8954 allows 1 to 32", nonce.len()),
        });
    }
    let inner = OctetString::new(nonce)
        .and_then(|o| o.to_der())
        .map_err(|e| SignError::der("OCSP nonce", e))?;
    Ok(Extension {
        extn_id: ID_PKIX_OCSP_NONCE,
        critical: false,
        extn_value: OctetString::new(inner).map_err(|e| SignError::der("OCSP nonce", e))?,
    })
}

/// The nonce extension among `exts`.
pub(crate) fn find_nonce(exts: Option<&[Extension]>) -> Option<&Extension> {
    exts?.iter().find(|e| e.extn_id == ID_PKIX_OCSP_NONCE)
}

/// The nonce an extension carries: the OCTET STRING inside extnValue, or (as some old clients
/// send it) extnValue itself when it does not hold one.
pub(crate) fn nonce_value(ext: &Extension) -> Result<Vec<u8>, SignError> {
    let raw = ext.extn_value.as_bytes();
    match OctetString::from_der(raw) {
        Ok(inner) => Ok(inner.as_bytes().to_vec()),
        Err(_) if !raw.is_empty() => Ok(raw.to_vec()),
        Err(e) => Err(SignError::der("OCSP nonce", e)),
    }
}
