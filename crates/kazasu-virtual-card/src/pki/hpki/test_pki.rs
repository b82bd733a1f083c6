//! [`HpkiTestPki`]: the HPKI root, its two CAs, holder certificates, CRLs and ARLs.

use der::Any;
use der::asn1::{Ia5String, ObjectIdentifier, OctetString};
use der::oid::db::{rfc4519, rfc5280};
use rsa::PrivateKey;
use time::OffsetDateTime;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    BasicConstraints, CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectAltName,
};

use super::{HcRole, HpkiAp, hc_role_extension_value};
use crate::pki::cert::{
    AuthorityKeyId, CertTemplate, DistinguishedName, DnValue, Ext, IssuerMaterial, KeyChoice,
    build_certificate, extension, key_identifier, utc,
};
use crate::pki::crl::{CrlSpec, build_crl_with};
use crate::pki::{Issuer, PkiError, oids};

/// Holder key slots: slot `s` uses fixture keys `39 + 2s` (signature) and `40 + 2s` (authentication).
pub const HPKI_HOLDER_SLOTS: usize = 3;

const ROOT_KEY: usize = 36;
const SIGN_CA_KEY: usize = 37;
const AUTH_CA_KEY: usize = 38;
const FIRST_HOLDER_KEY: usize = 39;

const REPOSITORY: &str = "http://hpki-test.kazasu.invalid/repository/";
const SARL_URL: &str = "http://hpki-test.kazasu.invalid/repository/rlist/sarl.crl";
const RARL_URL: &str = "http://hpki-test.kazasu.invalid/repository/rlist/rarl.crl";

/// A CA of the HPKI test PKI: its certificate, private key and serial.
#[derive(Clone, Debug)]
pub struct HpkiCa {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// The private key (a committed fixture key).
    pub key: PrivateKey,
    /// Which fixture key that is.
    pub key_choice: KeyChoice,
    /// The certificate serial, unsigned big-endian.
    pub serial: Vec<u8>,
}

impl HpkiCa {
    /// The key identifier (SHA-1 of the `RSAPublicKey`), equal to the SKI and to the AKI keyIdentifier
    /// of everything this CA signs.
    pub fn key_identifier(&self) -> Result<Vec<u8>, PkiError> {
        key_identifier(&self.key)
    }

    /// The certificate parsed with `x509-cert`.
    pub fn certificate(&self) -> Result<x509_cert::Certificate, PkiError> {
        use der::Decode;
        Ok(x509_cert::Certificate::from_der(&self.der)?)
    }

    fn material(&self) -> Result<IssuerMaterial, PkiError> {
        IssuerMaterial::from_certificate(&self.der, self.key.clone())
    }
}

/// A healthcare professional and the knobs of their two certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpkiHolder {
    /// Romanized name: the subject `CN`.
    pub romanized_name: String,
    /// Kanji name: the `CN` of the subjectAltName directoryName.
    pub kanji_name: String,
    /// The HPKI ID: the subject `serialNumber` (opaque to relying parties).
    pub hpki_id: String,
    /// hcRole strings, one HCActor each (see [`HcRole::text`]); any string goes, for negative tests.
    pub roles: Vec<String>,
    /// codingSchemeReference of every HCActor (normally [`oids::HPKI_ROLE_CODING_SCHEME`]).
    pub coding_scheme: ObjectIdentifier,
    /// Whether the certificates carry subjectDirectoryAttributes with the hcRole at all.
    pub hc_role: bool,
    /// Policy of the signature certificate (normally [`oids::HPKI_SIGN_HOLDER_POLICY`]).
    pub sign_policy: ObjectIdentifier,
    /// Policy of the authentication certificate (normally [`oids::HPKI_AUTH_HOLDER_POLICY`]).
    pub auth_policy: ObjectIdentifier,
    /// Validity start of both certificates.
    pub not_before: OffsetDateTime,
    /// Validity end of both certificates.
    pub not_after: OffsetDateTime,
    /// Key slot, `0..HPKI_HOLDER_SLOTS`.
    pub key_slot: usize,
    /// Serial of the signature certificate; the authentication certificate gets `serial + 1`.
    pub serial: u64,
}

impl HpkiHolder {
    /// 医療 太郎 (`Taro Iryo`), a medical doctor, HPKI ID `KZ0000000001`, slot 0, serial `0x1001`,
    /// valid 2025-01-01 to 2030-01-01.
    pub fn sample() -> Self {
        Self::from_seed(0)
    }

    /// A holder chosen by `seed`: name from a short list, HPKI ID `KZ` + the seed in 10 digits,
    /// slot `seed % HPKI_HOLDER_SLOTS`, serial `0x1001 + 2 * seed`, role Medical Doctor.
    pub fn from_seed(seed: u64) -> Self {
        const NAMES: [(&str, &str); 4] = [
            ("Taro Iryo", "医療 太郎"),
            ("Hanako Kenko", "健康 花子"),
            ("Jiro Yakuzai", "薬剤 次郎"),
            ("Sakura Shika", "歯科 さくら"),
        ];
        let (romanized, kanji) = NAMES[usize::try_from(seed % 4).unwrap_or(0)];
        Self {
            romanized_name: romanized.into(),
            kanji_name: kanji.into(),
            hpki_id: format!("KZ{:010}", (seed % 10_000_000_000) + 1),
            roles: vec![HcRole::MedicalDoctor.text().into()],
            coding_scheme: oids::HPKI_ROLE_CODING_SCHEME,
            hc_role: true,
            sign_policy: oids::HPKI_SIGN_HOLDER_POLICY,
            auth_policy: oids::HPKI_AUTH_HOLDER_POLICY,
            not_before: utc(2025, 1, 1, 0, 0, 0),
            not_after: utc(2030, 1, 1, 0, 0, 0),
            key_slot: usize::try_from(seed % HPKI_HOLDER_SLOTS as u64).unwrap_or(0),
            serial: 0x1001u64.wrapping_add(seed.wrapping_mul(2)),
        }
    }

    /// The same holder with these roles instead.
    #[must_use]
    pub fn with_roles(mut self, roles: &[HcRole]) -> Self {
        self.roles = roles.iter().map(|r| r.text().to_string()).collect();
        self
    }

    /// The fixture key of the holder's key for `ap`.
    pub fn key_index(&self, ap: HpkiAp) -> Result<usize, PkiError> {
        if self.key_slot >= HPKI_HOLDER_SLOTS {
            return Err(PkiError::Invalid(format!(
                "HPKI key slot {} out of range 0..{HPKI_HOLDER_SLOTS}",
                self.key_slot
            )));
        }
        let base = FIRST_HOLDER_KEY + 2 * self.key_slot;
        Ok(match ap {
            HpkiAp::Signature => base,
            HpkiAp::Authentication => base + 1,
        })
    }

    /// The serial of the certificate for `ap`.
    pub fn serial_for(&self, ap: HpkiAp) -> u64 {
        match ap {
            HpkiAp::Signature => self.serial,
            HpkiAp::Authentication => self.serial.wrapping_add(1),
        }
    }
}

/// A holder's two certificates and keys, as an HPKI card carries them.
#[derive(Clone, Debug)]
pub struct HpkiCredentials {
    /// Signature certificate, DER.
    pub sign_certificate: Vec<u8>,
    /// Its private key.
    pub sign_key: PrivateKey,
    /// Authentication certificate, DER.
    pub auth_certificate: Vec<u8>,
    /// Its private key.
    pub auth_key: PrivateKey,
    /// Serial of the signature certificate, unsigned big-endian.
    pub sign_serial: Vec<u8>,
    /// Serial of the authentication certificate, unsigned big-endian.
    pub auth_serial: Vec<u8>,
}

/// Which authority revocation list of the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArlKind {
    /// SARL: the CA certificates the root issued (named in the CAs' CRL DP).
    Sarl,
    /// RARL: the root's own certificates (named in the root's CRL DP).
    Rarl,
}

impl ArlKind {
    fn common_name(self) -> &'static str {
        match self {
            ArlKind::Sarl => "SARL",
            ArlKind::Rarl => "RARL",
        }
    }

    fn url(self) -> &'static str {
        match self {
            ArlKind::Sarl => SARL_URL,
            ArlKind::Rarl => RARL_URL,
        }
    }
}

/// The issuingDistributionPoint an ARL carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IdpScope {
    /// Critical, names this ARL's DirName and URL, onlyContainsCACerts: what the HPKI root issues.
    #[default]
    OnlyCaCerts,
    /// The same, marked non-critical (RFC 5280 requires critical).
    NonCritical,
    /// Critical, onlyContainsUserCerts instead: an ARL that does not cover CA certificates.
    OnlyUserCerts,
    /// Critical, the right names, no scope flag (covers every kind of certificate).
    NoScope,
    /// Critical, onlyContainsCACerts, but naming the other ARL (a SARL that says it is the RARL).
    OtherName,
    /// No issuingDistributionPoint at all.
    Omit,
}

/// Trust anchor, CA certificates and revocation lists of an [`HpkiTestPki`], as DER.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HpkiVerificationMaterial {
    /// The root certificate.
    pub root: Vec<u8>,
    /// The signature CA and the authentication CA certificates.
    pub cas: Vec<Vec<u8>>,
    /// The signature CA's CRL and the authentication CA's CRL (empty).
    pub crls: Vec<Vec<u8>>,
    /// The root's SARL (empty).
    pub sarl: Vec<u8>,
    /// The root's RARL (empty).
    pub rarl: Vec<u8>,
}

/// A deterministic HPKI-profile test PKI on fixture keys 36–44 (see the [module docs](super)).
#[derive(Clone, Debug)]
pub struct HpkiTestPki {
    root: HpkiCa,
    sign_ca: HpkiCa,
    auth_ca: HpkiCa,
}

/// The root's name: four RDNs, no `CN`, like the MHLW HPKI Root CA V2.
fn root_name() -> DistinguishedName {
    DistinguishedName::new()
        .country("JP")
        .organization("Ministry of Health, Labour and Welfare")
        .organizational_unit("Director-General for Policy Planning and Evaluation")
        .organizational_unit("kazasu Test HPKI Root CA")
}

fn ca_name(ap: HpkiAp) -> DistinguishedName {
    DistinguishedName::new()
        .country("JP")
        .organization("kazasu Test HPKI")
        .organizational_unit("kazasu Test HPKI CA")
        .common_name(match ap {
            HpkiAp::Signature => "HPKI-01-KazasuSignCA-forNonRepudiation",
            HpkiAp::Authentication => "HPKI-01-KazasuAuthCA-forAuthentication-forIndividual",
        })
}

fn arl_name(kind: ArlKind) -> DistinguishedName {
    root_name().common_name(kind.common_name())
}

fn holder_crl_url(ap: HpkiAp) -> &'static str {
    match ap {
        HpkiAp::Signature => "http://hpki-test.kazasu.invalid/repository/crl/sign-ca.crl",
        HpkiAp::Authentication => "http://hpki-test.kazasu.invalid/repository/crl/auth-ca.crl",
    }
}

fn uri(value: &str) -> Result<GeneralName, PkiError> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(
        value,
    )?))
}

/// CRL DP with two distribution points: the DirName, then the URL (as the HPKI CA certificates do).
fn dir_and_url_dp(name: &DistinguishedName, url: &str) -> Result<CrlDistributionPoints, PkiError> {
    let dp = |general: GeneralName| DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![general])),
        reasons: None,
        crl_issuer: None,
    };
    Ok(CrlDistributionPoints(vec![
        dp(name.to_general_name()?),
        dp(uri(url)?),
    ]))
}

/// certificatePolicies with one policy and a CPS URL qualifier.
fn policy_with_cps(policy: ObjectIdentifier) -> Result<CertificatePolicies, PkiError> {
    Ok(CertificatePolicies(vec![PolicyInformation {
        policy_identifier: policy,
        policy_qualifiers: Some(vec![PolicyQualifierInfo {
            policy_qualifier_id: rfc5280::ID_QT_CPS,
            qualifier: Some(Any::encode_from(&Ia5String::new(REPOSITORY)?)?),
        }]),
    }]))
}

fn ca_basics(t: &mut CertTemplate) {
    t.key_usage = Ext::critical(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign));
    t.basic_constraints = Ext::critical(BasicConstraints {
        ca: true,
        path_len_constraint: None,
    });
    t.authority_key_id = AuthorityKeyId::Full;
}

impl HpkiTestPki {
    /// Builds the root and the two CAs.
    pub fn new() -> Result<Self, PkiError> {
        let root_t = Self::root_template()?;
        let root_der = build_certificate(&root_t, None)?;
        let root = HpkiCa {
            der: root_der,
            key: root_t.subject_key.load()?,
            key_choice: root_t.subject_key,
            serial: root_t.serial.clone(),
        };
        let ca = |ap| -> Result<HpkiCa, PkiError> {
            let t = Self::ca_template(&root, ap)?;
            Ok(HpkiCa {
                der: build_certificate(&t, Some(root.material()?))?,
                key: t.subject_key.load()?,
                key_choice: t.subject_key,
                serial: t.serial.clone(),
            })
        };
        let sign_ca = ca(HpkiAp::Signature)?;
        let auth_ca = ca(HpkiAp::Authentication)?;
        Ok(Self {
            root,
            sign_ca,
            auth_ca,
        })
    }

    /// The root's template (self-signed, serial 1, 2014-01-17 to 2044-01-16).
    pub fn root_template() -> Result<CertTemplate, PkiError> {
        let mut t = CertTemplate::bare(root_name(), KeyChoice::Fixture(ROOT_KEY));
        t.serial = vec![1];
        t.not_before = utc(2014, 1, 17, 6, 8, 8);
        t.not_after = utc(2044, 1, 16, 14, 59, 59);
        ca_basics(&mut t);
        t.subject_alt_name = Ext::non_critical(SubjectAltName(vec![
            DistinguishedName::new()
                .country("JP")
                .organization("厚生労働省")
                .organizational_unit("かざす試験用HPKIルート認証局")
                .to_general_name()?,
        ]));
        t.crl_distribution_points = Ext::non_critical(dir_and_url_dp(
            &arl_name(ArlKind::Rarl),
            ArlKind::Rarl.url(),
        )?);
        Ok(t)
    }

    fn ca_template(root: &HpkiCa, ap: HpkiAp) -> Result<CertTemplate, PkiError> {
        let (key, serial, policy, not_before, not_after) = match ap {
            HpkiAp::Signature => (
                SIGN_CA_KEY,
                4,
                oids::HPKI_SIGN_CA_POLICY,
                utc(2015, 4, 20, 4, 40, 30),
                utc(2035, 4, 19, 14, 59, 59),
            ),
            HpkiAp::Authentication => (
                AUTH_CA_KEY,
                5,
                oids::HPKI_AUTH_CA_POLICY,
                utc(2017, 3, 17, 4, 51, 2),
                utc(2037, 3, 16, 14, 59, 59),
            ),
        };
        let mut t = CertTemplate::bare(ca_name(ap), KeyChoice::Fixture(key));
        t.issuer = Issuer::Certificate {
            certificate: root.der.clone(),
            key: root.key_choice,
        };
        t.serial = vec![serial];
        t.not_before = not_before;
        t.not_after = not_after;
        ca_basics(&mut t);
        t.certificate_policies = Ext::critical(policy_with_cps(policy)?);
        t.crl_distribution_points = Ext::non_critical(dir_and_url_dp(
            &arl_name(ArlKind::Sarl),
            ArlKind::Sarl.url(),
        )?);
        Ok(t)
    }

    /// The template of the CA for `ap` (to issue a variant with [`HpkiTestPki::issue_with`], e.g. a CA
    /// without CA basic constraints).
    pub fn ca_template_for(&self, ap: HpkiAp) -> Result<CertTemplate, PkiError> {
        Self::ca_template(&self.root, ap)
    }

    /// The root.
    pub fn root(&self) -> &HpkiCa {
        &self.root
    }

    /// The CA issuing the holder certificates of `ap`.
    pub fn ca(&self, ap: HpkiAp) -> &HpkiCa {
        match ap {
            HpkiAp::Signature => &self.sign_ca,
            HpkiAp::Authentication => &self.auth_ca,
        }
    }

    /// The signature CA.
    pub fn signature_ca(&self) -> &HpkiCa {
        &self.sign_ca
    }

    /// The authentication CA.
    pub fn authentication_ca(&self) -> &HpkiCa {
        &self.auth_ca
    }

    /// The serial of the CA certificate for `ap` (to revoke it in the SARL).
    pub fn ca_serial(&self, ap: HpkiAp) -> &[u8] {
        &self.ca(ap).serial
    }

    /// The template [`HpkiTestPki::issue`] uses for `holder`'s certificate of `ap`.
    pub fn holder_template(
        &self,
        holder: &HpkiHolder,
        ap: HpkiAp,
    ) -> Result<CertTemplate, PkiError> {
        let ca = self.ca(ap);
        let subject = DistinguishedName::new()
            .country("JP")
            .common_name(&holder.romanized_name)
            .with(
                rfc4519::SERIAL_NUMBER,
                DnValue::Printable(holder.hpki_id.clone()),
            );
        let kanji = DistinguishedName::new()
            .country("JP")
            .common_name(&holder.kanji_name)
            .with(
                rfc4519::SERIAL_NUMBER,
                DnValue::Printable(holder.hpki_id.clone()),
            );
        let mut t = CertTemplate::bare(subject, KeyChoice::Fixture(holder.key_index(ap)?));
        t.issuer = Issuer::Certificate {
            certificate: ca.der.clone(),
            key: ca.key_choice,
        };
        t.serial = holder.serial_for(ap).to_be_bytes().to_vec();
        t.not_before = holder.not_before;
        t.not_after = holder.not_after;
        let (usage, policy) = match ap {
            HpkiAp::Signature => (KeyUsages::NonRepudiation, holder.sign_policy),
            HpkiAp::Authentication => (KeyUsages::DigitalSignature, holder.auth_policy),
        };
        t.key_usage = Ext::critical(KeyUsage(usage.into()));
        if ap == HpkiAp::Authentication {
            t.extended_key_usage =
                Ext::non_critical(ExtendedKeyUsage(vec![rfc5280::ID_KP_CLIENT_AUTH]));
        }
        t.certificate_policies = Ext::critical(policy_with_cps(policy)?);
        t.subject_alt_name = Ext::non_critical(SubjectAltName(vec![kanji.to_general_name()?]));
        t.crl_distribution_points =
            Ext::non_critical(CrlDistributionPoints(vec![DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![uri(
                    holder_crl_url(ap),
                )?])),
                reasons: None,
                crl_issuer: None,
            }]));
        t.authority_key_id = AuthorityKeyId::Full;
        if holder.hc_role {
            let roles: Vec<&str> = holder.roles.iter().map(String::as_str).collect();
            t.extra_extensions.push(Extension {
                extn_id: rfc5280::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES,
                critical: false,
                extn_value: OctetString::new(hc_role_extension_value(
                    holder.coding_scheme,
                    &roles,
                )?)?,
            });
        }
        Ok(t)
    }

    /// Issues `holder`'s signature and authentication certificates.
    pub fn issue(&self, holder: &HpkiHolder) -> Result<HpkiCredentials, PkiError> {
        let sign = self.holder_template(holder, HpkiAp::Signature)?;
        let auth = self.holder_template(holder, HpkiAp::Authentication)?;
        Ok(HpkiCredentials {
            sign_certificate: self.issue_with(&sign)?,
            sign_key: sign.subject_key.load()?,
            auth_certificate: self.issue_with(&auth)?,
            auth_key: auth.subject_key.load()?,
            sign_serial: sign.serial,
            auth_serial: auth.serial,
        })
    }

    /// Issues exactly what `template` describes. The issuer must be [`Issuer::Certificate`] or
    /// [`Issuer::SelfSigned`]: this PKI has no JPKI roots.
    pub fn issue_with(&self, template: &CertTemplate) -> Result<Vec<u8>, PkiError> {
        let issuer = match &template.issuer {
            Issuer::SelfSigned => None,
            Issuer::Certificate { certificate, key } => {
                Some(IssuerMaterial::from_certificate(certificate, key.load()?)?)
            }
            Issuer::Root { .. } => {
                return Err(PkiError::Invalid(
                    "the HPKI test PKI has no JPKI roots; name the issuer certificate".into(),
                ));
            }
        };
        build_certificate(template, issuer)
    }

    /// A CRL of the CA for `ap` (holder certificates; no issuingDistributionPoint).
    pub fn ca_crl(&self, ap: HpkiAp, spec: &CrlSpec) -> Result<Vec<u8>, PkiError> {
        let ca = self.ca(ap);
        let m = ca.material()?;
        build_crl_with(&m.name, &m.key_id, &ca.key, spec, &[])
    }

    /// An authority revocation list of the root, with the issuingDistributionPoint `scope` says.
    pub fn arl(&self, kind: ArlKind, spec: &CrlSpec, scope: IdpScope) -> Result<Vec<u8>, PkiError> {
        let m = self.root.material()?;
        let mut extra = Vec::new();
        if scope != IdpScope::Omit {
            let named = if scope == IdpScope::OtherName {
                match kind {
                    ArlKind::Sarl => ArlKind::Rarl,
                    ArlKind::Rarl => ArlKind::Sarl,
                }
            } else {
                kind
            };
            let idp = IssuingDistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![
                    arl_name(named).to_general_name()?,
                    uri(named.url())?,
                ])),
                only_contains_user_certs: scope == IdpScope::OnlyUserCerts,
                only_contains_ca_certs: matches!(
                    scope,
                    IdpScope::OnlyCaCerts | IdpScope::NonCritical | IdpScope::OtherName
                ),
                only_some_reasons: None,
                indirect_crl: false,
                only_contains_attribute_certs: false,
            };
            extra.push(extension(
                rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT,
                scope != IdpScope::NonCritical,
                &idp,
            )?);
        }
        build_crl_with(&m.name, &m.key_id, &self.root.key, spec, &extra)
    }

    /// What a verifier needs at `at`: the root, both CAs, and empty CRLs and ARLs current at `at`.
    pub fn verification_material(
        &self,
        at: OffsetDateTime,
    ) -> Result<HpkiVerificationMaterial, PkiError> {
        let spec = CrlSpec::valid_at(at);
        Ok(HpkiVerificationMaterial {
            root: self.root.der.clone(),
            cas: vec![self.sign_ca.der.clone(), self.auth_ca.der.clone()],
            crls: vec![
                self.ca_crl(HpkiAp::Signature, &spec)?,
                self.ca_crl(HpkiAp::Authentication, &spec)?,
            ],
            sarl: self.arl(ArlKind::Sarl, &spec, IdpScope::OnlyCaCerts)?,
            rarl: self.arl(ArlKind::Rarl, &spec, IdpScope::OnlyCaCerts)?,
        })
    }
}
