//! [`Certificate`]: a parsed X.509 certificate with what JPKI verification needs at hand.

mod extensions;
mod framing;
mod id;
mod kind;
mod name;
mod purpose;

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use der::Decode;
use der::asn1::ObjectIdentifier;
use time::OffsetDateTime;
use x509_cert::ext::pkix::AuthorityInfoAccessSyntax;
use x509_cert::ext::pkix::name::GeneralName;

pub use extensions::{AuthorityKeyId, KeyUsage};
pub use id::{CERTIFICATE_ID_PREFIX, CertificateId, LegacyCertificateId};
pub use kind::CertificateKind;
pub(crate) use name::rfc4514;
pub use purpose::Purpose;

use crate::crypto::{Hash, PublicKey, SignatureAlgorithm};
use crate::hex_form::{serial_hex, strip_zeros};
use crate::personal::PersonalData;
use crate::{Error, HashAlgorithm, Rejection, pem};
use extensions::{Exts, duplicate_extension};
use framing::Framing;
use kind::classify;
use name::{common_name, jpki_ca_name_purpose};

/// Certificates larger than this are refused before parsing (real JPKI certificates are ~1.5 KB).
pub const MAX_CERTIFICATE_LEN: usize = 64 * 1024;

/// A parsed certificate. Cheap to clone (the parsed form is shared).
#[derive(Clone)]
pub struct Certificate(Arc<Inner>);

struct Inner {
    der: Vec<u8>,
    tbs: Range<usize>,
    issuer_der: Range<usize>,
    subject_der: Range<usize>,
    signature: Range<usize>,
    x509: x509_cert::Certificate,
    subject: OnceLock<String>,
    issuer: OnceLock<String>,
    /// SHA-256 of `der`, computed on first use (the path cache's key).
    sha256: OnceLock<[u8; 32]>,
    serial: Vec<u8>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    signature_algorithm: SignatureAlgorithm,
    tbs_signature_algorithm: SignatureAlgorithm,
    key: PublicKey,
    key_id: Vec<u8>,
    ext: Exts,
    kind: CertificateKind,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("issuer", &self.issuer())
            .field("serial", &self.serial_hex())
            .field("kind", &self.0.kind)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.der == other.0.der
    }
}
impl Eq for Certificate {}

fn unix(t: x509_cert::time::Time) -> Result<OffsetDateTime, Error> {
    let secs = i64::try_from(t.to_unix_duration().as_secs())
        .map_err(|_| Error::der("certificate", "time out of range"))?;
    OffsetDateTime::from_unix_timestamp(secs).map_err(|e| Error::der("certificate", e))
}

impl Certificate {
    /// Parses a DER certificate (copied).
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_der_vec(der.to_vec())
    }

    /// Parses a DER certificate, keeping `der` as its one copy.
    pub fn from_der_vec(der: Vec<u8>) -> Result<Self, Error> {
        if der.len() > MAX_CERTIFICATE_LEN {
            return Err(Error::TooLarge {
                what: "certificate",
                len: der.len(),
                limit: MAX_CERTIFICATE_LEN,
            });
        }
        let Framing {
            tbs,
            issuer_der,
            subject_der,
            signature,
        } = Framing::of(&der).map_err(|e| Error::der("certificate", e))?;

        let x509 =
            x509_cert::Certificate::from_der(&der).map_err(|e| Error::der("certificate", e))?;
        let tbs_cert = x509.tbs_certificate();
        let key = PublicKey::from_spki(tbs_cert.subject_public_key_info())
            .map_err(|e| Error::der("subjectPublicKeyInfo", e))?;
        let spki_bits = tbs_cert
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        let validity = tbs_cert.validity();

        let extensions = tbs_cert.extensions().map_or(&[][..], |e| e.as_slice());
        if let Some(oid) = duplicate_extension(extensions) {
            return Err(Error::der(
                "certificate",
                format!("extension {oid} appears twice"),
            ));
        }
        let mut ext = Exts::default();
        for e in extensions {
            ext.read(e)?;
        }
        let kind = classify(&ext, tbs_cert.subject());
        let inner = Inner {
            tbs,
            issuer_der,
            subject_der,
            signature,
            subject: OnceLock::new(),
            issuer: OnceLock::new(),
            sha256: OnceLock::new(),
            serial: strip_zeros(tbs_cert.serial_number().as_bytes()).to_vec(),
            not_before: unix(validity.not_before)?,
            not_after: unix(validity.not_after)?,
            signature_algorithm: SignatureAlgorithm::from_identifier(x509.signature_algorithm()),
            tbs_signature_algorithm: SignatureAlgorithm::from_identifier(tbs_cert.signature()),
            key,
            key_id: ext
                .ski
                .clone()
                .filter(|ski| !ski.is_empty())
                .unwrap_or_else(|| Hash::Sha1.digest(spki_bits)),
            ext,
            kind,
            x509,
            der,
        };
        Ok(Self(Arc::new(inner)))
    }

    /// Parses PEM text holding one `CERTIFICATE` block (the first one if there are several).
    pub fn from_pem(text: &str) -> Result<Self, Error> {
        let der = pem::decode_first(text.as_bytes(), pem::CERTIFICATE)?;
        Self::from_der_vec(der)
    }

    /// Parses DER or PEM (one certificate; with PEM, the first block).
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        match pem::sniff(input)? {
            pem::Format::Der => Self::from_der(input),
            pem::Format::Pem => Self::from_der_vec(pem::decode_first(input, pem::CERTIFICATE)?),
        }
    }

    /// Parses every certificate of a PEM bundle, or the single certificate of a DER file.
    pub fn parse_all(input: &[u8]) -> Result<Vec<Self>, Error> {
        match pem::sniff(input)? {
            pem::Format::Der => Ok(vec![Self::from_der(input)?]),
            pem::Format::Pem => pem::decode_all(input, pem::CERTIFICATE)?
                .into_iter()
                .map(Self::from_der_vec)
                .collect(),
        }
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }

    /// PEM (`CERTIFICATE`, LF line endings).
    pub fn to_pem(&self) -> Result<String, Error> {
        pem::encode(pem::CERTIFICATE, self.der())
    }

    /// The `x509-cert` form, for anything this type does not expose.
    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.0.x509
    }

    /// The signed `tbsCertificate` bytes as received.
    pub fn tbs_der(&self) -> &[u8] {
        &self.0.der[self.0.tbs.clone()]
    }

    /// Subject, RFC 4514.
    pub fn subject(&self) -> &str {
        self.0
            .subject
            .get_or_init(|| rfc4514(self.0.x509.tbs_certificate().subject()))
    }

    /// Issuer, RFC 4514.
    pub fn issuer(&self) -> &str {
        self.0
            .issuer
            .get_or_init(|| rfc4514(self.0.x509.tbs_certificate().issuer()))
    }

    /// DER of the subject name as received (names chain by these bytes).
    pub fn subject_der(&self) -> &[u8] {
        &self.0.der[self.0.subject_der.clone()]
    }

    /// DER of the issuer name as received.
    pub fn issuer_der(&self) -> &[u8] {
        &self.0.der[self.0.issuer_der.clone()]
    }

    /// The serial number, unsigned big-endian without leading zeros.
    pub fn serial(&self) -> &[u8] {
        &self.0.serial
    }

    /// The serial number in lower-case hex without leading zeros.
    pub fn serial_hex(&self) -> String {
        serial_hex(&self.0.serial)
    }

    /// notBefore.
    pub fn not_before(&self) -> OffsetDateTime {
        self.0.not_before
    }

    /// notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        self.0.not_after
    }

    /// The outer signature algorithm.
    pub fn signature_algorithm(&self) -> &SignatureAlgorithm {
        &self.0.signature_algorithm
    }

    /// The signature algorithm named inside the signed part (must equal the outer one).
    pub fn tbs_signature_algorithm(&self) -> &SignatureAlgorithm {
        &self.0.tbs_signature_algorithm
    }

    /// The signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.0.der[self.0.signature.clone()]
    }

    /// "RSA-2048" or the OID of another key algorithm.
    pub fn public_key_description(&self) -> String {
        self.0.key.describe()
    }

    /// The RSA modulus size in bits (`None` for other keys).
    pub fn rsa_bits(&self) -> Option<usize> {
        match &self.0.key {
            PublicKey::Rsa(k) => Some(k.bits()),
            PublicKey::Other(_) => None,
        }
    }

    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.0.key
    }

    /// The SubjectKeyIdentifier extension.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.0.ext.ski.as_deref()
    }

    /// The key identifier used for chaining and in [`CertificateId`]: the SubjectKeyIdentifier, or
    /// SHA-1 of the `subjectPublicKey` BIT STRING contents (RFC 5280 method 1) when there is none
    /// (or it is empty). Never empty.
    pub fn key_id(&self) -> &[u8] {
        &self.0.key_id
    }

    /// The AuthorityKeyIdentifier extension.
    pub fn authority_key_id(&self) -> Option<&AuthorityKeyId> {
        self.0.ext.aki()
    }

    /// The AuthorityKeyIdentifier's keyIdentifier, without writing out the rest.
    pub(crate) fn authority_key_id_key_id(&self) -> Option<&[u8]> {
        self.0.ext.aki_key_id()
    }

    /// The KeyUsage extension.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.0.ext.key_usage
    }

    /// BasicConstraints: `Some((ca, pathLenConstraint))` when present.
    pub fn basic_constraints(&self) -> Option<(bool, Option<u8>)> {
        self.0
            .ext
            .basic_constraints
            .as_ref()
            .map(|b| (b.ca, b.path_len_constraint))
    }

    /// Whether BasicConstraints says CA:TRUE.
    pub fn is_ca(&self) -> bool {
        self.0.ext.basic_constraints.as_ref().is_some_and(|b| b.ca)
    }

    /// The policy identifiers of CertificatePolicies (`None` without the extension).
    pub fn policies(&self) -> Option<&[ObjectIdentifier]> {
        self.0.ext.policies.as_deref()
    }

    /// The ExtendedKeyUsage purposes (`None` without the extension).
    pub fn extended_key_usage(&self) -> Option<&[ObjectIdentifier]> {
        self.0.ext.extended_key_usage.as_deref()
    }

    /// Whether the ExtendedKeyUsage extension is marked critical (RFC 3161 requires it of a TSA).
    pub fn extended_key_usage_critical(&self) -> bool {
        self.0.ext.extended_key_usage_critical
    }

    /// OCSP responder URIs of AuthorityInfoAccess.
    pub fn ocsp_uris(&self) -> Result<Vec<String>, Error> {
        let Some(der) = &self.0.ext.authority_info_access else {
            return Ok(Vec::new());
        };
        let aia = AuthorityInfoAccessSyntax::from_der(der)
            .map_err(|e| Error::der("authorityInfoAccess", e))?;
        Ok(aia
            .0
            .iter()
            .filter_map(|a| match &a.access_location {
                GeneralName::UniformResourceIdentifier(uri) => Some(uri.as_str().to_owned()),
                _ => None,
            })
            .collect())
    }

    /// Critical extensions this crate does not process (any makes path validation fail).
    pub fn unknown_critical_extensions(&self) -> &[ObjectIdentifier] {
        &self.0.ext.unknown_critical
    }

    /// What the certificate is.
    pub fn kind(&self) -> CertificateKind {
        self.0.kind
    }

    /// The (issuer key, serial) identity for linking, from this certificate alone: the issuer key
    /// is the AuthorityKeyIdentifier `keyIdentifier`. `None` without one (use
    /// [`crate::ValidatedPath::leaf_id`] or [`Certificate::id_issued_by`] then). See
    /// [`CertificateId`] for the definition.
    pub fn id(&self) -> Option<CertificateId> {
        let key_id = self.authority_key_id_key_id()?;
        CertificateId::new(key_id, self.serial()).ok()
    }

    /// The identity of this certificate as issued by `issuer`: `issuer`'s [`Certificate::key_id`]
    /// (SubjectKeyIdentifier, or SHA-1 of its public key bits without one) + this serial. Give the
    /// issuer path validation chose ([`crate::ValidatedPath::leaf_id`] does).
    pub fn id_issued_by(&self, issuer: &Certificate) -> CertificateId {
        CertificateId::issued_by(issuer.key_id(), self.serial())
    }

    /// The older (issuer name, serial) identity, to find records stored before [`CertificateId`].
    pub fn legacy_id(&self) -> LegacyCertificateId {
        LegacyCertificateId {
            issuer: self.issuer().to_owned(),
            serial: self.serial_hex(),
        }
    }

    /// The subject's first common name. For an authentication certificate this is the opaque
    /// identity J-LIS assigns (the certificate carries no name).
    pub fn subject_common_name(&self) -> Option<String> {
        common_name(self.0.x509.tbs_certificate().subject())
    }

    /// The first `serialNumber` (2.5.4.5) attribute of the subject (HPKI: the HPKI ID).
    pub fn subject_serial_number(&self) -> Option<String> {
        name::attribute(
            self.0.x509.tbs_certificate().subject(),
            const_oid::db::rfc4519::SERIAL_NUMBER,
        )
    }

    /// The CN of the first directoryName in subjectAltName that has one (HPKI: the holder's name
    /// in kanji; the subject carries it romanized). `None` when absent or undecodable.
    pub fn alt_name_common_name(&self) -> Option<String> {
        let der = self.subject_alt_name_der()?;
        let names = x509_cert::ext::pkix::SubjectAltName::from_der(der).ok()?;
        names.0.iter().find_map(|n| match n {
            GeneralName::DirectoryName(name) => common_name(name),
            _ => None,
        })
    }

    /// The opaque identity of a JPKI authentication certificate (its subject CN).
    pub fn auth_identity(&self) -> Option<String> {
        (self.0.kind == CertificateKind::JpkiAuthentication)
            .then(|| self.subject_common_name())
            .flatten()
    }

    /// The personal data of a JPKI signature certificate; `Ok(None)` for other kinds.
    pub fn personal_data(&self) -> Result<Option<PersonalData>, Error> {
        if self.0.kind != CertificateKind::JpkiSignature {
            return Ok(None);
        }
        let names = self
            .0
            .ext
            .subject_alt_name
            .as_deref()
            .ok_or_else(|| Error::PersonalData("no subjectAltName".into()))?;
        PersonalData::from_subject_alt_name(names).map(Some)
    }

    /// SHA-256 of the DER.
    pub fn fingerprint_sha256(&self) -> Vec<u8> {
        self.sha256().to_vec()
    }

    /// Records the SHA-256 of the DER computed elsewhere (from these very bytes).
    pub(crate) fn remember_sha256(&self, sha256: [u8; 32]) {
        let _ = self.0.sha256.set(sha256);
    }

    /// SHA-256 of the DER, computed once.
    pub(crate) fn sha256(&self) -> &[u8; 32] {
        self.0.sha256.get_or_init(|| {
            use sha2::Digest;
            sha2::Sha256::digest(&self.0.der).into()
        })
    }

    /// Verifies a PKCS#1 v1.5 signature over `message` with this certificate's key. This checks the
    /// signature only: validate the certificate with [`crate::Verifier`] (which also applies the
    /// key-size policy) before trusting it.
    pub fn verify_message(
        &self,
        hash: HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Rejection> {
        match &self.0.key {
            PublicKey::Rsa(k)
                if Hash::of(hash).is_some_and(|h| k.verify_message(h, message, signature)) =>
            {
                Ok(())
            }
            PublicKey::Rsa(_) => Err(Rejection::MessageSignatureInvalid),
            PublicKey::Other(oid) => Err(Rejection::AlgorithmNotAllowed {
                subject: self.subject().to_owned(),
                algorithm: format!("public key algorithm {oid}"),
            }),
        }
    }

    /// Verifies a PKCS#1 v1.5 signature over a digest the caller computed with `hash`.
    pub fn verify_digest(
        &self,
        hash: HashAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), Rejection> {
        if digest.len() != hash.output_len() {
            return Err(Rejection::DigestLengthMismatch {
                hash,
                expected: hash.output_len(),
                found: digest.len(),
            });
        }
        match &self.0.key {
            PublicKey::Rsa(k)
                if Hash::of(hash).is_some_and(|h| k.verify_digest(h, digest, signature)) =>
            {
                Ok(())
            }
            PublicKey::Rsa(_) => Err(Rejection::MessageSignatureInvalid),
            PublicKey::Other(oid) => Err(Rejection::AlgorithmNotAllowed {
                subject: self.subject().to_owned(),
                algorithm: format!("public key algorithm {oid}"),
            }),
        }
    }

    /// Verifies a signature made with the algorithm `algorithm` names (an AlgorithmIdentifier as
    /// signed structures carry it: an OCSP response, a CMS SignerInfo) over `message` with this
    /// certificate's key. sha256/384/512WithRSAEncryption are accepted, sha1WithRSAEncryption only
    /// when `allow_sha1`; anything else is [`Rejection::AlgorithmNotAllowed`]. Like
    /// [`Certificate::verify_message`], this checks the signature only.
    pub fn verify_signed_data(
        &self,
        algorithm: &x509_cert::spki::AlgorithmIdentifierOwned,
        message: &[u8],
        signature: &[u8],
        allow_sha1: bool,
    ) -> Result<(), Rejection> {
        let alg = SignatureAlgorithm::from_identifier(algorithm);
        let hash = match alg.hash() {
            Some(Hash::Sha1) if !allow_sha1 => None,
            h => h,
        };
        let not_allowed = || Rejection::AlgorithmNotAllowed {
            subject: self.subject().to_owned(),
            algorithm: alg.to_string(),
        };
        let Some(hash) = hash else {
            return Err(not_allowed());
        };
        match &self.0.key {
            PublicKey::Rsa(k) if k.verify_message(hash, message, signature) => Ok(()),
            PublicKey::Rsa(_) => Err(Rejection::MessageSignatureInvalid),
            PublicKey::Other(oid) => Err(Rejection::AlgorithmNotAllowed {
                subject: self.subject().to_owned(),
                algorithm: format!("public key algorithm {oid}"),
            }),
        }
    }

    /// Whether `issuer`'s key verifies this certificate's signature (algorithm policy not applied).
    pub(crate) fn signed_by(&self, issuer: &Certificate) -> bool {
        let Some(hash) = self.0.signature_algorithm.hash() else {
            return false;
        };
        match issuer.public_key() {
            PublicKey::Rsa(k) => k.verify_message(hash, self.tbs_der(), self.signature()),
            PublicKey::Other(_) => false,
        }
    }

    /// The DER of the subjectDirectoryAttributes extension value, if present.
    pub fn subject_directory_attributes_der(&self) -> Option<&[u8]> {
        self.0.ext.subject_directory_attributes.as_deref()
    }

    /// The HPKI roles (hcRole actors) the certificate states: empty without subjectDirectoryAttributes
    /// or without an hcRole attribute in it; [`Error::HcRole`] when the attribute is malformed.
    pub fn hc_actors(&self) -> Result<Vec<crate::HcActor>, Error> {
        match self.subject_directory_attributes_der() {
            Some(der) => crate::hpki::parse_subject_directory_attributes(der),
            None => Ok(Vec::new()),
        }
    }

    /// The roles of [`Certificate::hc_actors`].
    pub fn hc_roles(&self) -> Result<Vec<crate::HcRole>, Error> {
        Ok(self.hc_actors()?.into_iter().map(|a| a.role).collect())
    }

    /// The DER of the cRLDistributionPoints extension value, if present.
    pub fn crl_distribution_points_der(&self) -> Option<&[u8]> {
        self.0.ext.crl_distribution_points.as_deref()
    }

    /// The DER of the subjectAltName extension value (`GeneralNames`).
    pub fn subject_alt_name_der(&self) -> Option<&[u8]> {
        self.0.ext.subject_alt_name.as_deref()
    }
}

/// Whether the certificate's subject is the MHLW HPKI root CA name.
pub(crate) fn is_hpki_root(cert: &Certificate) -> bool {
    name::is_hpki_root_name(cert.0.x509.tbs_certificate().subject())
}

/// The purpose of a J-LIS CA from its name.
pub(crate) fn jpki_ca_purpose(cert: &Certificate) -> Option<Purpose> {
    jpki_ca_name_purpose(cert.0.x509.tbs_certificate().subject())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_input_is_an_error() {
        assert!(matches!(Certificate::from_der(&[]), Err(Error::Der { .. })));
        assert!(matches!(
            Certificate::from_der(&[0x30, 0x03, 0x02, 0x01, 0x01]),
            Err(Error::Der { .. })
        ));
        assert!(matches!(
            Certificate::from_der(&vec![0x30; MAX_CERTIFICATE_LEN + 1]),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            Certificate::parse(b"hello"),
            Err(Error::NotDerOrPem)
        ));
    }
}
