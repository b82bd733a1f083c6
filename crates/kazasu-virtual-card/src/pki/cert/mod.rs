//! JPKI-profile certificate templates and the code that turns a template into signed DER.
//!
//! Certificates are encoded with `der` from typed structures (`x509-cert`'s names, validity, SPKI,
//! algorithm identifiers and extensions) so that every field a verifier checks can still be set to
//! something wrong on purpose: the signature algorithm of the TBS and of the outer certificate, the
//! signing key, the key identifiers, criticality flags, unknown critical extensions, a flipped
//! signature bit.

use der::asn1::{
    AnyRef, BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString, UintRef, UtcTime,
    Utf8StringRef,
};
use der::oid::db::{rfc5280, rfc5912};
use der::{Any, DateTime, Decode, Encode, Sequence};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::{Pkcs1v15Sign, PrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use x509_cert::Certificate;
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, OtherName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, IssuerAltName, KeyUsage,
    KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, Extensions};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

mod der_writer;
mod generation;
mod name;
mod purpose;

pub(super) use der_writer::{push_len, push_time, push_unsigned_integer, tlv};
pub use generation::{Generation, root_key_index};
pub use name::{DistinguishedName, DnValue};
pub use purpose::{Purpose, ocsp_uri};
use time::macros::datetime;

use super::oids;
use super::{Persona, PkiError, fixture_key, weak_fixture_key};

/// A root CA of the test PKI: its certificate and private key.
#[derive(Clone, Debug)]
pub struct CaCertificate {
    /// The self-signed certificate, DER.
    pub der: Vec<u8>,
    /// The CA private key (a committed fixture key).
    pub key: PrivateKey,
    /// Authentication or signature CA.
    pub purpose: Purpose,
    /// Root generation.
    pub generation: Generation,
}

impl CaCertificate {
    /// The key identifier (SHA-1 of the `RSAPublicKey`, RFC 5280 method 1), equal to the certificate's
    /// SubjectKeyIdentifier and to the keyIdentifier of the AKI in everything this CA signs.
    pub fn key_identifier(&self) -> Result<Vec<u8>, PkiError> {
        key_identifier(&self.key)
    }

    /// The certificate parsed with `x509-cert`.
    pub fn certificate(&self) -> Result<Certificate, PkiError> {
        Ok(Certificate::from_der(&self.der)?)
    }

    /// The CA public key.
    pub fn public_key(&self) -> rsa::PublicKey {
        self.key.to_public_key()
    }
}

/// Which key a template uses (as subject key or signing key).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum KeyChoice {
    /// Committed RSA-2048 fixture key number `n` (see [`super::fixture_key`]).
    Fixture(usize),
    /// The committed RSA-1024 key, which key-size policy must reject.
    Weak,
}

impl KeyChoice {
    /// Loads the private key.
    pub fn load(self) -> Result<PrivateKey, PkiError> {
        match self {
            KeyChoice::Fixture(i) => fixture_key(i),
            KeyChoice::Weak => weak_fixture_key(),
        }
    }
}

/// Who signs a certificate built from a [`CertTemplate`].
#[derive(Clone, Debug)]
pub enum Issuer {
    /// One of the [`super::TestPki`] roots.
    Root {
        /// Authentication or signature root.
        purpose: Purpose,
        /// Root generation.
        generation: Generation,
    },
    /// Self-signed: the issuer name is the subject and the subject key signs.
    SelfSigned,
    /// Any certificate and its private key, e.g. a holder certificate posing as a CA.
    Certificate {
        /// The issuer certificate, DER; its subject, serial, issuer and key identifier are used.
        certificate: Vec<u8>,
        /// The issuer's private key.
        key: KeyChoice,
    },
}

/// Signature algorithms a template can sign with (all RSASSA-PKCS1-v1_5).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SignatureAlgorithm {
    /// `sha1WithRSAEncryption`: really signed over SHA-1 (for "weak hash" negative tests).
    Sha1WithRsa,
    /// `sha256WithRSAEncryption`, the JPKI algorithm.
    Sha256WithRsa,
    /// `sha384WithRSAEncryption`.
    Sha384WithRsa,
    /// `sha512WithRSAEncryption`.
    Sha512WithRsa,
}

impl SignatureAlgorithm {
    /// The algorithm OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            SignatureAlgorithm::Sha1WithRsa => rfc5912::SHA_1_WITH_RSA_ENCRYPTION,
            SignatureAlgorithm::Sha256WithRsa => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            SignatureAlgorithm::Sha384WithRsa => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
            SignatureAlgorithm::Sha512WithRsa => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
        }
    }

    /// The `AlgorithmIdentifier` (OID with NULL parameters).
    pub fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: Some(Any::null()),
        }
    }

    /// `AlgorithmIdentifier` DER (OID with NULL parameters).
    pub fn algorithm_identifier_der(self) -> Result<Vec<u8>, PkiError> {
        Ok(self.algorithm_identifier().to_der()?)
    }

    /// Signs `message` with PKCS#1 v1.5 over this algorithm's hash.
    pub fn sign(self, key: &PrivateKey, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let signed = match self {
            SignatureAlgorithm::Sha1WithRsa => {
                key.sign(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(message))
            }
            SignatureAlgorithm::Sha256WithRsa => {
                key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
            }
            SignatureAlgorithm::Sha384WithRsa => {
                key.sign(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(message))
            }
            SignatureAlgorithm::Sha512WithRsa => {
                key.sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(message))
            }
        };
        signed.map_err(|e| PkiError::Signature(e.to_string()))
    }
}

/// An extension value with its criticality flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext<T> {
    /// The extension value (an `x509-cert` type).
    pub value: T,
    /// Whether the extension is marked critical.
    pub critical: bool,
}

impl<T> Ext<T> {
    /// A critical extension.
    pub fn critical(value: T) -> Option<Self> {
        Some(Self {
            value,
            critical: true,
        })
    }

    /// A non-critical extension.
    pub fn non_critical(value: T) -> Option<Self> {
        Some(Self {
            value,
            critical: false,
        })
    }
}

/// What to put in the SubjectKeyIdentifier extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectKeyId {
    /// SHA-1 of the subject `RSAPublicKey` (RFC 5280 method 1, as the J-LIS roots do).
    Derived,
    /// These bytes.
    Custom(Vec<u8>),
    /// No SubjectKeyIdentifier extension.
    Omit,
}

/// What to put in the AuthorityKeyIdentifier extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorityKeyId {
    /// keyIdentifier + authorityCertIssuer (DirName) + authorityCertSerialNumber: the JPKI holder profile.
    Full,
    /// keyIdentifier only.
    KeyIdOnly,
    /// keyIdentifier with these bytes (e.g. a wrong key id) and nothing else.
    KeyId(Vec<u8>),
    /// Exactly this value.
    Custom(AuthorityKeyIdentifier),
    /// No AuthorityKeyIdentifier extension (as in the J-LIS roots).
    Omit,
}

/// Everything that goes into one certificate. Start from [`CertTemplate::jpki_root`],
/// [`CertTemplate::jpki_auth`], [`CertTemplate::jpki_sign`] (or [`super::TestPki::auth_template`] /
/// [`super::TestPki::sign_template`]), change the knobs a negative test needs, and hand it to
/// [`super::TestPki::issue_with`].
///
/// Extensions are emitted in this order: keyUsage, extKeyUsage, certificatePolicies, subjectAltName,
/// basicConstraints, issuerAltName, cRLDistributionPoints, authorityInfoAccess,
/// authorityKeyIdentifier, subjectKeyIdentifier, the unknown critical extension, `extra_extensions`.
#[derive(Clone, Debug)]
pub struct CertTemplate {
    /// Who signs (and whose name, key identifier and serial go into issuer and AKI).
    pub issuer: Issuer,
    /// Subject name.
    pub subject: DistinguishedName,
    /// Subject public key.
    pub subject_key: KeyChoice,
    /// Serial number, unsigned big-endian (leading zeros are dropped; empty means 0).
    pub serial: Vec<u8>,
    /// Validity start.
    pub not_before: OffsetDateTime,
    /// Validity end.
    pub not_after: OffsetDateTime,
    /// KeyUsage.
    pub key_usage: Option<Ext<KeyUsage>>,
    /// ExtendedKeyUsage.
    pub extended_key_usage: Option<Ext<ExtendedKeyUsage>>,
    /// CertificatePolicies.
    pub certificate_policies: Option<Ext<CertificatePolicies>>,
    /// SubjectAltName.
    pub subject_alt_name: Option<Ext<SubjectAltName>>,
    /// BasicConstraints (`None`: absent; `ca: false`: present, not a CA).
    pub basic_constraints: Option<Ext<BasicConstraints>>,
    /// IssuerAltName.
    pub issuer_alt_name: Option<Ext<IssuerAltName>>,
    /// CRLDistributionPoints.
    pub crl_distribution_points: Option<Ext<CrlDistributionPoints>>,
    /// AuthorityInfoAccess.
    pub authority_info_access: Option<Ext<AuthorityInfoAccessSyntax>>,
    /// AuthorityKeyIdentifier.
    pub authority_key_id: AuthorityKeyId,
    /// SubjectKeyIdentifier.
    pub subject_key_id: SubjectKeyId,
    /// Adds a critical extension [`oids::TEST_UNKNOWN_EXTENSION`] (value `NULL`) no verifier knows.
    pub unknown_critical_extension: bool,
    /// Further extensions, appended verbatim.
    pub extra_extensions: Vec<Extension>,
    /// The algorithm named in the TBS `signature` field and used to sign.
    pub signature_algorithm: SignatureAlgorithm,
    /// If set, the outer `signatureAlgorithm` names this instead (a TBS/outer mismatch).
    pub outer_signature_algorithm: Option<SignatureAlgorithm>,
    /// If set, this key signs instead of the issuer's (names and AKI still claim the issuer).
    pub sign_with: Option<KeyChoice>,
    /// Flip one bit of the signature after signing.
    pub corrupt_signature: bool,
}

impl CertTemplate {
    /// A template with no extensions: self-signed, serial 1, the default holder validity,
    /// sha256WithRSAEncryption, no AKI, derived SKI.
    pub fn bare(subject: DistinguishedName, subject_key: KeyChoice) -> Self {
        Self {
            issuer: Issuer::SelfSigned,
            subject,
            subject_key,
            serial: vec![1],
            not_before: default_holder_not_before(),
            not_after: default_holder_not_after(),
            key_usage: None,
            extended_key_usage: None,
            certificate_policies: None,
            subject_alt_name: None,
            basic_constraints: None,
            issuer_alt_name: None,
            crl_distribution_points: None,
            authority_info_access: None,
            authority_key_id: AuthorityKeyId::Omit,
            subject_key_id: SubjectKeyId::Derived,
            unknown_critical_extension: false,
            extra_extensions: Vec::new(),
            signature_algorithm: SignatureAlgorithm::Sha256WithRsa,
            outer_signature_algorithm: None,
            sign_with: None,
            corrupt_signature: false,
        }
    }

    /// The self-signed JPKI root of `purpose` and `generation` on its fixture key: KeyUsage critical
    /// {keyCertSign, cRLSign}, subjectAltName DirName 公的個人認証サービス, BasicConstraints critical
    /// CA:TRUE, CRLDistributionPoints DirName (the root's own name), SubjectKeyIdentifier.
    pub fn jpki_root(purpose: Purpose, generation: Generation) -> Result<Self, PkiError> {
        let subject = DistinguishedName::jpki_root(purpose);
        let (not_before, not_after) = generation.root_validity();
        let mut t = Self::bare(
            subject.clone(),
            KeyChoice::Fixture(root_key_index(purpose, generation)),
        );
        t.serial = generation.root_serial(purpose);
        t.not_before = not_before;
        t.not_after = not_after;
        t.key_usage = Ext::critical(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign));
        t.subject_alt_name = Ext::non_critical(SubjectAltName(vec![
            DistinguishedName::jpki_service(purpose).to_general_name()?,
        ]));
        t.basic_constraints = Ext::critical(BasicConstraints {
            ca: true,
            path_len_constraint: None,
        });
        t.crl_distribution_points = Ext::non_critical(crl_distribution_points(&subject)?);
        Ok(t)
    }

    /// A JPKI authentication (利用者証明用) holder certificate issued by the `generation` root:
    /// subject `C=JP, CN=<opaque_id>`, KeyUsage critical digitalSignature, ExtendedKeyUsage clientAuth,
    /// CertificatePolicies **critical** `1.2.392.200149.8.5.1.3.30`, IssuerAltName, CRL DP, AIA OCSP,
    /// full AKI, SKI. Validity defaults to 2025-01-01..2030-01-01.
    pub fn jpki_auth(
        generation: Generation,
        subject_key: KeyChoice,
        serial: u64,
        opaque_id: &str,
    ) -> Result<Self, PkiError> {
        let subject = DistinguishedName::new()
            .country("JP")
            .common_name(opaque_id);
        let mut t = Self::holder(
            Purpose::Authentication,
            generation,
            subject,
            subject_key,
            serial,
        )?;
        t.key_usage = Ext::critical(KeyUsage(KeyUsages::DigitalSignature.into()));
        t.extended_key_usage =
            Ext::non_critical(ExtendedKeyUsage(vec![rfc5280::ID_KP_CLIENT_AUTH]));
        Ok(t)
    }

    /// A JPKI signature (署名用) holder certificate for `persona` issued by the `generation` root:
    /// subject `C=JP, L=<municipality>, CN=<opaque_id>`, KeyUsage critical
    /// {digitalSignature, nonRepudiation}, CertificatePolicies critical `1.2.392.200149.8.5.1.1.20`,
    /// subjectAltName otherNames `1.2.392.200149.8.5.5.1`–`.6` (substitute-character fields empty),
    /// IssuerAltName, CRL DP, AIA OCSP, full AKI, SKI. Validity defaults to 2025-01-01..2030-01-01.
    pub fn jpki_sign(
        generation: Generation,
        subject_key: KeyChoice,
        serial: u64,
        opaque_id: &str,
        persona: &Persona,
    ) -> Result<Self, PkiError> {
        let subject = DistinguishedName::new()
            .country("JP")
            .locality(&persona.municipality)
            .common_name(opaque_id);
        let mut t = Self::holder(Purpose::Signature, generation, subject, subject_key, serial)?;
        t.key_usage = Ext::critical(KeyUsage(
            KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
        ));
        let sex = persona.sex.code().to_string();
        let birth = persona.birth_date_jpki();
        t.subject_alt_name = Ext::non_critical(jpki_other_names(&[
            (oids::JPKI_NAME, persona.name.as_str()),
            (oids::JPKI_NAME_SUBSTITUTE, ""),
            (oids::JPKI_SEX, sex.as_str()),
            (oids::JPKI_BIRTH_DATE, birth.as_str()),
            (oids::JPKI_ADDRESS, persona.address.as_str()),
            (oids::JPKI_ADDRESS_SUBSTITUTE, ""),
        ])?);
        Ok(t)
    }

    fn holder(
        purpose: Purpose,
        generation: Generation,
        subject: DistinguishedName,
        subject_key: KeyChoice,
        serial: u64,
    ) -> Result<Self, PkiError> {
        let mut t = Self::bare(subject, subject_key);
        t.issuer = Issuer::Root {
            purpose,
            generation,
        };
        t.serial = serial.to_be_bytes().to_vec();
        t.certificate_policies = Ext::critical(policies(&[purpose.policy()]));
        t.issuer_alt_name = Ext::non_critical(IssuerAltName(vec![
            DistinguishedName::jpki_service(purpose).to_general_name()?,
        ]));
        t.crl_distribution_points = Ext::non_critical(crl_distribution_points(
            &DistinguishedName::jpki_holder_crl_dp(purpose),
        )?);
        t.authority_info_access = Ext::non_critical(ocsp_access(ocsp_uri(purpose)?)?);
        t.authority_key_id = AuthorityKeyId::Full;
        Ok(t)
    }
}

/// CertificatePolicies with these policy OIDs and no qualifiers.
pub fn policies(oids: &[ObjectIdentifier]) -> CertificatePolicies {
    CertificatePolicies(
        oids.iter()
            .map(|&policy_identifier| PolicyInformation {
                policy_identifier,
                policy_qualifiers: None,
            })
            .collect(),
    )
}

/// CRLDistributionPoints with one distribution point whose fullName is `name` as a DirName.
pub fn crl_distribution_points(
    name: &DistinguishedName,
) -> Result<CrlDistributionPoints, PkiError> {
    Ok(CrlDistributionPoints(vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![
            name.to_general_name()?,
        ])),
        reasons: None,
        crl_issuer: None,
    }]))
}

/// AuthorityInfoAccess with one OCSP URI.
pub fn ocsp_access(uri: &str) -> Result<AuthorityInfoAccessSyntax, PkiError> {
    Ok(AuthorityInfoAccessSyntax(vec![AccessDescription {
        access_method: rfc5280::ID_AD_OCSP,
        access_location: GeneralName::UniformResourceIdentifier(Ia5String::new(uri)?),
    }]))
}

/// A subjectAltName of otherNames with UTF8String values, in the given order (the signature
/// certificate uses the `1.2.392.200149.8.5.5.*` OIDs; pass other orders or OIDs for negative tests).
pub fn jpki_other_names(entries: &[(ObjectIdentifier, &str)]) -> Result<SubjectAltName, PkiError> {
    let names = entries
        .iter()
        .map(|&(type_id, value)| {
            Ok(GeneralName::OtherName(OtherName {
                type_id,
                value: Any::encode_from(&Utf8StringRef::new(value)?)?,
            }))
        })
        .collect::<Result<Vec<_>, PkiError>>()?;
    Ok(SubjectAltName(names))
}

/// The key identifier of `key`: SHA-1 of its DER `RSAPublicKey` (RFC 5280 §4.2.1.2 method 1).
pub fn key_identifier(key: &PrivateKey) -> Result<Vec<u8>, PkiError> {
    let der = key
        .as_public_key()
        .to_pkcs1_der()
        .map_err(|e| PkiError::Key(e.to_string()))?;
    Ok(Sha1::digest(der.as_bytes()).to_vec())
}

/// The name, key identifier and serial an issuer contributes to what it signs.
#[derive(Clone, Debug)]
pub(super) struct IssuerMaterial {
    /// DER of the issuer's subject name (the `issuer` field of what it signs).
    pub(super) name: Vec<u8>,
    /// DER of the issuer's own issuer name (`authorityCertIssuer`).
    pub(super) issuer_name: Vec<u8>,
    /// The issuer's key identifier.
    pub(super) key_id: Vec<u8>,
    /// The issuer certificate's serial, unsigned big-endian.
    pub(super) serial: Vec<u8>,
    /// The issuer's private key.
    pub(super) key: PrivateKey,
}

impl IssuerMaterial {
    /// Reads the material from an issuer certificate (key identifier from its SKI extension, else
    /// SHA-1 of its public key bits).
    pub(super) fn from_certificate(der: &[u8], key: PrivateKey) -> Result<Self, PkiError> {
        let cert = Certificate::from_der(der)?;
        let tbs = cert.tbs_certificate();
        let key_id = match tbs.get_extension::<SubjectKeyIdentifier>()? {
            Some((_, ski)) => ski.0.as_bytes().to_vec(),
            None => {
                Sha1::digest(tbs.subject_public_key_info().subject_public_key.raw_bytes()).to_vec()
            }
        };
        Ok(Self {
            name: tbs.subject().to_der()?,
            issuer_name: tbs.issuer().to_der()?,
            key_id,
            serial: tbs.serial_number().as_bytes().to_vec(),
            key,
        })
    }
}

/// Builds and signs the certificate `t`; `issuer` is `None` for [`Issuer::SelfSigned`].
pub(super) fn build_certificate(
    t: &CertTemplate,
    issuer: Option<IssuerMaterial>,
) -> Result<Vec<u8>, PkiError> {
    let subject_key = t.subject_key.load()?;
    let spki = subject_key
        .as_public_key()
        .to_public_key_der()
        .map_err(|e| PkiError::Key(e.to_string()))?;
    let subject = t.subject.to_der()?;
    let ski = match &t.subject_key_id {
        SubjectKeyId::Derived => Some(key_identifier(&subject_key)?),
        SubjectKeyId::Custom(v) => Some(v.clone()),
        SubjectKeyId::Omit => None,
    };
    let issuer = match issuer {
        Some(i) => i,
        None => IssuerMaterial {
            name: subject.clone(),
            issuer_name: subject.clone(),
            key_id: match &ski {
                Some(id) => id.clone(),
                None => key_identifier(&subject_key)?,
            },
            serial: t.serial.clone(),
            key: subject_key,
        },
    };

    let mut exts: Vec<Extension> = Vec::new();
    push_ext(&mut exts, rfc5280::ID_CE_KEY_USAGE, &t.key_usage)?;
    push_ext(
        &mut exts,
        rfc5280::ID_CE_EXT_KEY_USAGE,
        &t.extended_key_usage,
    )?;
    push_ext(
        &mut exts,
        rfc5280::ID_CE_CERTIFICATE_POLICIES,
        &t.certificate_policies,
    )?;
    push_ext(
        &mut exts,
        rfc5280::ID_CE_SUBJECT_ALT_NAME,
        &t.subject_alt_name,
    )?;
    push_ext(
        &mut exts,
        rfc5280::ID_CE_BASIC_CONSTRAINTS,
        &t.basic_constraints,
    )?;
    push_ext(
        &mut exts,
        rfc5280::ID_CE_ISSUER_ALT_NAME,
        &t.issuer_alt_name,
    )?;
    push_ext(
        &mut exts,
        rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS,
        &t.crl_distribution_points,
    )?;
    push_ext(
        &mut exts,
        rfc5280::ID_PE_AUTHORITY_INFO_ACCESS,
        &t.authority_info_access,
    )?;
    let aki = match &t.authority_key_id {
        AuthorityKeyId::Full => Some(AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(issuer.key_id.clone())?),
            authority_cert_issuer: Some(vec![GeneralName::DirectoryName(Name::from_der(
                &issuer.issuer_name,
            )?)]),
            authority_cert_serial_number: Some(SerialNumber::new(&issuer.serial)?),
        }),
        AuthorityKeyId::KeyIdOnly => Some(key_id_only(&issuer.key_id)?),
        AuthorityKeyId::KeyId(id) => Some(key_id_only(id)?),
        AuthorityKeyId::Custom(aki) => Some(aki.clone()),
        AuthorityKeyId::Omit => None,
    };
    if let Some(aki) = aki {
        exts.push(extension(
            rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &aki,
        )?);
    }
    if let Some(ski) = ski {
        exts.push(extension(
            rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &SubjectKeyIdentifier(OctetString::new(ski)?),
        )?);
    }
    if t.unknown_critical_extension {
        exts.push(Extension {
            extn_id: oids::TEST_UNKNOWN_EXTENSION,
            critical: true,
            extn_value: OctetString::new(vec![0x05, 0x00])?,
        });
    }
    exts.extend(t.extra_extensions.iter().cloned());

    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: UintRef::new(&t.serial)?,
        signature: t.signature_algorithm.algorithm_identifier(),
        issuer: Name::from_der(&issuer.name)?,
        validity: Validity::new(x509_time(t.not_before)?, x509_time(t.not_after)?),
        subject: Name::from_der(&subject)?,
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(spki.as_bytes())?,
        extensions: (!exts.is_empty()).then_some(exts),
    }
    .to_der()?;

    let signing_key = match t.sign_with {
        Some(k) => k.load()?,
        None => issuer.key,
    };
    let outer = t.outer_signature_algorithm.unwrap_or(t.signature_algorithm);
    let signature = t.signature_algorithm.sign(&signing_key, &tbs)?;
    assemble_signed(
        &tbs,
        outer.algorithm_identifier(),
        signature,
        t.corrupt_signature,
    )
}

/// `TBSCertificate` (RFC 5280 §4.1). `x509-cert`'s own type has no public constructor (only its
/// `builder` feature makes one, and the builder signs for itself, so it cannot put another
/// algorithm in the outer certificate or flip a signature bit); this mirrors it field for field.
/// The serial is a plain `INTEGER`, not `x509-cert`'s `SerialNumber`, which refuses the over-long
/// serials negative tests may ask for.
#[derive(Sequence)]
struct TbsCertificate<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: Version,
    serial_number: UintRef<'a>,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity,
    subject: Name,
    subject_public_key_info: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Extensions>,
}

/// `SEQUENCE { tbs, signatureAlgorithm, signatureValue }` of a certificate or CRL, with the TBS kept
/// as the exact bytes that were signed.
#[derive(Sequence)]
struct Signed<'a> {
    tbs: AnyRef<'a>,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// An X.509 `Time`: UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). `der`'s
/// `DateTime` starts at 1970, so earlier times are refused.
pub(super) fn x509_time(t: OffsetDateTime) -> Result<Time, PkiError> {
    let t = t.to_offset(UtcOffset::UTC);
    let year = u16::try_from(t.year())
        .map_err(|_| PkiError::Invalid(format!("year {} cannot be encoded", t.year())))?;
    let at = DateTime::new(
        year,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )?;
    Ok(if year < 2050 {
        Time::UtcTime(UtcTime::from_date_time(at)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(at))
    })
}

fn key_id_only(id: &[u8]) -> Result<AuthorityKeyIdentifier, PkiError> {
    Ok(AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(id)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    })
}

fn push_ext<T: Encode>(
    exts: &mut Vec<Extension>,
    oid: ObjectIdentifier,
    ext: &Option<Ext<T>>,
) -> Result<(), PkiError> {
    if let Some(e) = ext {
        exts.push(extension(oid, e.critical, &e.value)?);
    }
    Ok(())
}

/// An extension whose value is the DER of `value`.
pub(super) fn extension<T: Encode>(
    oid: ObjectIdentifier,
    critical: bool,
    value: &T,
) -> Result<Extension, PkiError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// The signed structure around `tbs`, optionally with one signature bit flipped.
pub(super) fn assemble_signed(
    tbs: &[u8],
    signature_algorithm: AlgorithmIdentifierOwned,
    mut signature: Vec<u8>,
    corrupt: bool,
) -> Result<Vec<u8>, PkiError> {
    if corrupt && let Some(last) = signature.last_mut() {
        *last ^= 0x01;
    }
    Ok(Signed {
        tbs: AnyRef::try_from(tbs)?,
        signature_algorithm,
        signature: BitString::from_bytes(&signature)?,
    }
    .to_der()?)
}

/// `y-m-d h:mi:s` UTC. Every call site passes a valid constant (checked by the unit tests); an
/// invalid date would yield the Unix epoch.
pub(super) fn utc(y: i32, m: u8, d: u8, h: u8, mi: u8, s: u8) -> OffsetDateTime {
    Month::try_from(m)
        .ok()
        .and_then(|month| Date::from_calendar_date(y, month, d).ok())
        .and_then(|date| date.with_hms(h, mi, s).ok())
        .map_or(OffsetDateTime::UNIX_EPOCH, PrimitiveDateTime::assume_utc)
}

/// The default holder `notBefore`, 2025-01-01T00:00:00Z.
pub(super) fn default_holder_not_before() -> OffsetDateTime {
    datetime!(2025-01-01 00:00:00 UTC)
}

/// The default holder `notAfter`, 2030-01-01T00:00:00Z.
pub(super) fn default_holder_not_after() -> OffsetDateTime {
    datetime!(2030-01-01 00:00:00 UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_constants_are_valid() {
        for g in Generation::ALL {
            let (nb, na) = g.root_validity();
            assert_ne!(nb, OffsetDateTime::UNIX_EPOCH);
            assert_ne!(na, OffsetDateTime::UNIX_EPOCH);
            assert!(nb < na);
        }
        assert_eq!(default_holder_not_before().year(), 2025);
        assert_eq!(default_holder_not_after().year(), 2030);
        assert_eq!(utc(2025, 2, 30, 0, 0, 0), OffsetDateTime::UNIX_EPOCH);
    }

    #[test]
    fn sha1_signatures_verify_under_sha1() {
        use rsa::pkcs1v15::{Signature, VerifyingKey};
        use rsa::signature::Verifier;
        let key = fixture_key(4).unwrap();
        let sig = SignatureAlgorithm::Sha1WithRsa.sign(&key, b"msg").unwrap();
        let vk = VerifyingKey::<Sha1>::new(key.to_public_key());
        vk.verify(b"msg", &Signature::try_from(&sig[..]).unwrap())
            .unwrap();
        let vk256 = VerifyingKey::<Sha256>::new(key.to_public_key());
        assert!(
            vk256
                .verify(b"msg", &Signature::try_from(&sig[..]).unwrap())
                .is_err()
        );
    }
}
