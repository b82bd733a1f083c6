//! Certificates for the test services that signed documents need: a time-stamping authority
//! (RFC 3161) under a test TSA root of its own, and delegated OCSP responders (RFC 6960) for the
//! JPKI and HPKI test PKIs.
//!
//! The services themselves (answering requests) live with the signed-document code; this module
//! only issues their certificates, deterministically, like the rest of the test PKI.

use der::oid::db::rfc5280;
use rsa::PrivateKey;
use time::OffsetDateTime;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};

use super::cert::{
    AuthorityKeyId, CertTemplate, DistinguishedName, Ext, Generation, Issuer, KeyChoice, Purpose,
    build_certificate, utc,
};
use super::hpki::HpkiTestPki;
use super::test_pki::TestPki;
use super::{HpkiAp, PkiError};

/// Fixture key of the test TSA root.
pub const TSA_ROOT_KEY: usize = 45;
/// Fixture key of the test TSA's signing certificate.
pub const TSA_KEY: usize = 46;
/// Fixture key shared by every delegated OCSP responder of the test PKIs.
pub const OCSP_RESPONDER_KEY: usize = 47;

/// `id-pkix-ocsp-nocheck` (RFC 6960 §4.2.2.2.1): the responder certificate is not itself checked
/// for revocation.
pub const OCSP_NOCHECK: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");

/// A certificate with its private key.
#[derive(Clone, Debug)]
pub struct ServiceCredential {
    /// The certificate, DER.
    pub certificate: Vec<u8>,
    /// Its private key.
    pub key: PrivateKey,
}

/// The test time-stamping authority: a self-signed root and the TSA certificate it issued
/// (KeyUsage digitalSignature + nonRepudiation, critical ExtendedKeyUsage timeStamping only).
#[derive(Clone, Debug)]
pub struct TestTsa {
    /// The TSA root (trust anchor for timestamps), DER.
    pub root: Vec<u8>,
    /// The TSA's signing certificate and key.
    pub signer: ServiceCredential,
}

impl TestTsa {
    /// Builds the root and the TSA certificate (valid 2020-01-01 to 2045-12-31).
    pub fn new() -> Result<Self, PkiError> {
        let root = Self::root_template();
        let root_der = build_certificate(&root, None)?;
        let signer = Self::signer_template(&root_der);
        let signer_der = issue(&signer)?;
        Ok(Self {
            root: root_der,
            signer: ServiceCredential {
                certificate: signer_der,
                key: KeyChoice::Fixture(TSA_KEY).load()?,
            },
        })
    }

    /// The root's template.
    pub fn root_template() -> CertTemplate {
        let mut t = CertTemplate::bare(
            DistinguishedName::new()
                .country("JP")
                .organization("kazasu test")
                .common_name("kazasu Test TSA Root"),
            KeyChoice::Fixture(TSA_ROOT_KEY),
        );
        t.not_before = utc(2020, 1, 1, 0, 0, 0);
        t.not_after = utc(2045, 12, 31, 14, 59, 59);
        t.key_usage = Ext::critical(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign));
        t.basic_constraints = Ext::critical(BasicConstraints {
            ca: true,
            path_len_constraint: None,
        });
        t
    }

    /// The TSA certificate's template, issued by `root` (tweak it for negative tests: another
    /// EKU, a non-critical EKU, an expired validity).
    pub fn signer_template(root: &[u8]) -> CertTemplate {
        let mut t = CertTemplate::bare(
            DistinguishedName::new()
                .country("JP")
                .organization("kazasu test")
                .common_name("kazasu Test TSA 1"),
            KeyChoice::Fixture(TSA_KEY),
        );
        t.issuer = Issuer::Certificate {
            certificate: root.to_vec(),
            key: KeyChoice::Fixture(TSA_ROOT_KEY),
        };
        t.serial = vec![0x10, 0x01];
        t.not_before = utc(2020, 1, 1, 0, 0, 0);
        t.not_after = utc(2045, 12, 31, 14, 59, 59);
        t.key_usage = Ext::critical(KeyUsage(
            KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
        ));
        t.extended_key_usage = Ext::critical(ExtendedKeyUsage(vec![rfc5280::ID_KP_TIME_STAMPING]));
        t.authority_key_id = AuthorityKeyId::Full;
        t
    }
}

/// Issues `template` (its issuer must be [`Issuer::Certificate`] or self-signed).
pub fn issue(template: &CertTemplate) -> Result<Vec<u8>, PkiError> {
    TestPki::new(0)?.issue_with(template)
}

/// The template of a delegated OCSP responder certificate: KeyUsage digitalSignature, EKU
/// OCSPSigning, `id-pkix-ocsp-nocheck`, issued by `issuer` (a CA certificate and its key).
pub fn ocsp_responder_template(
    issuer: &[u8],
    issuer_key: KeyChoice,
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertTemplate {
    let mut t = CertTemplate::bare(
        DistinguishedName::new()
            .country("JP")
            .organization("kazasu test")
            .common_name(common_name),
        KeyChoice::Fixture(OCSP_RESPONDER_KEY),
    );
    t.issuer = Issuer::Certificate {
        certificate: issuer.to_vec(),
        key: issuer_key,
    };
    t.serial = vec![0x0C, 0x5F];
    t.not_before = not_before;
    t.not_after = not_after;
    t.key_usage = Ext::critical(KeyUsage(KeyUsages::DigitalSignature.into()));
    t.extended_key_usage = Ext::non_critical(ExtendedKeyUsage(vec![rfc5280::ID_KP_OCSP_SIGNING]));
    t.authority_key_id = AuthorityKeyId::Full;
    // The extension's value is ASN.1 NULL; a two-byte octet string cannot fail to build.
    if let Ok(extn_value) = der::asn1::OctetString::new(vec![0x05, 0x00]) {
        t.extra_extensions.push(x509_cert::ext::Extension {
            extn_id: OCSP_NOCHECK,
            critical: false,
            extn_value,
        });
    }
    t
}

/// The delegated OCSP responder of a JPKI test root (`purpose`, `generation`): valid from 2024-01-01
/// for ten years.
pub fn jpki_ocsp_responder(
    pki: &TestPki,
    purpose: Purpose,
    generation: Generation,
) -> Result<ServiceCredential, PkiError> {
    let root = pki.root(purpose, generation);
    let t = ocsp_responder_template(
        &root.der,
        KeyChoice::Fixture(super::root_key_index(purpose, generation)),
        "kazasu Test JPKI OCSP Responder",
        utc(2024, 1, 1, 0, 0, 0),
        utc(2034, 1, 1, 0, 0, 0),
    );
    Ok(ServiceCredential {
        certificate: pki.issue_with(&t)?,
        key: KeyChoice::Fixture(OCSP_RESPONDER_KEY).load()?,
    })
}

/// The delegated OCSP responder of the HPKI test CA for `ap`: valid from 2024-01-01 for ten years.
pub fn hpki_ocsp_responder(pki: &HpkiTestPki, ap: HpkiAp) -> Result<ServiceCredential, PkiError> {
    let ca = pki.ca(ap);
    let t = ocsp_responder_template(
        &ca.der,
        ca.key_choice,
        "kazasu Test HPKI OCSP Responder",
        utc(2024, 1, 1, 0, 0, 0),
        utc(2034, 1, 1, 0, 0, 0),
    );
    Ok(ServiceCredential {
        certificate: pki.issue_with(&t)?,
        key: KeyChoice::Fixture(OCSP_RESPONDER_KEY).load()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;

    #[test]
    fn tsa_certificate_has_a_critical_time_stamping_eku_and_chains_to_its_root() {
        let tsa = TestTsa::new().unwrap();
        let cert = x509_cert::Certificate::from_der(&tsa.signer.certificate).unwrap();
        let root = x509_cert::Certificate::from_der(&tsa.root).unwrap();
        assert_eq!(
            cert.tbs_certificate().issuer(),
            root.tbs_certificate().subject()
        );
        let eku = cert
            .tbs_certificate()
            .extensions()
            .unwrap()
            .iter()
            .find(|e| e.extn_id == rfc5280::ID_CE_EXT_KEY_USAGE)
            .unwrap();
        assert!(eku.critical);
        // Deterministic: the same bytes every time.
        assert_eq!(
            TestTsa::new().unwrap().signer.certificate,
            tsa.signer.certificate
        );
    }

    #[test]
    fn responders_carry_ocsp_signing_and_nocheck() {
        let pki = TestPki::new(0).unwrap();
        let r = jpki_ocsp_responder(&pki, Purpose::Signature, Generation::G2023).unwrap();
        let cert = x509_cert::Certificate::from_der(&r.certificate).unwrap();
        let exts = cert.tbs_certificate().extensions().unwrap();
        assert!(exts.iter().any(|e| e.extn_id == OCSP_NOCHECK));
        let root = pki.root(Purpose::Signature, Generation::G2023);
        let root = x509_cert::Certificate::from_der(&root.der).unwrap();
        assert_eq!(
            cert.tbs_certificate().issuer(),
            root.tbs_certificate().subject()
        );
        let hpki = HpkiTestPki::new().unwrap();
        let h = hpki_ocsp_responder(&hpki, HpkiAp::Signature).unwrap();
        assert_ne!(h.certificate, r.certificate);
    }
}
