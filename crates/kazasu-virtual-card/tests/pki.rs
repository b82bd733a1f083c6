//! The JPKI-profile test PKI: certificates and CRLs parse, verify, follow the JPKI profile, and are
//! accepted by OpenSSL; the negative-test knobs do what they say.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::oid::db::{rfc5280, rfc5912};
use der::{Any, Decode, Encode, Reader, SliceReader};
use kazasu_virtual_card::pki::{
    AuthorityKeyId, CertTemplate, CrlSpec, DistinguishedName, Ext, GeneratedRevocations,
    Generation, IssueSpec, Issuer, KeyChoice, Persona, PersonaBuilder, Purpose, RevokedEntry,
    SignatureAlgorithm, SubjectKeyId, TestPki, key_identifier, ocsp_uri, oids,
};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use sha2::Sha256;
use time::{Date, Month, OffsetDateTime};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, CrlNumber, CrlReason, ExtendedKeyUsage, IssuerAltName, KeyUsage,
    KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

fn utc(y: i32, m: u8, d: u8) -> OffsetDateTime {
    Date::from_calendar_date(y, Month::try_from(m).unwrap(), d)
        .unwrap()
        .midnight()
        .assume_utc()
}

fn parse(der: &[u8]) -> Certificate {
    let cert = Certificate::from_der(der).unwrap();
    // DER is canonical: re-encoding gives the same bytes.
    assert_eq!(cert.to_der().unwrap(), der);
    cert
}

/// The exact bytes under the signature: the first element of the outer SEQUENCE.
fn signed_part(der: &[u8]) -> Vec<u8> {
    let outer = Any::from_der(der).unwrap();
    let mut r = SliceReader::new(outer.value()).unwrap();
    let tbs: Any = r.decode().unwrap();
    tbs.to_der().unwrap()
}

fn signature_bits(der: &[u8]) -> Vec<u8> {
    let outer = Any::from_der(der).unwrap();
    let mut r = SliceReader::new(outer.value()).unwrap();
    let _tbs: Any = r.decode().unwrap();
    let _alg: Any = r.decode().unwrap();
    let bits: der::asn1::BitString = r.decode().unwrap();
    bits.raw_bytes().to_vec()
}

fn verifies(der: &[u8], key: &rsa::PublicKey) -> bool {
    let sig = Signature::try_from(signature_bits(der).as_slice()).unwrap();
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(&signed_part(der), &sig)
        .is_ok()
}

fn ext<'a, T: Decode<'a, Error = der::Error> + der::oid::AssociatedOid>(
    cert: &'a Certificate,
) -> Option<(bool, T)> {
    cert.tbs_certificate().get_extension::<T>().unwrap()
}

fn ext_oids(cert: &Certificate) -> Vec<ObjectIdentifier> {
    cert.tbs_certificate()
        .extensions()
        .map(|e| e.iter().map(|x| x.extn_id).collect())
        .unwrap_or_default()
}

fn dir_name(names: &[GeneralName]) -> &Name {
    match names {
        [GeneralName::DirectoryName(n)] => n,
        other => panic!("expected one DirName, got {other:?}"),
    }
}

fn dn(d: &DistinguishedName) -> Name {
    d.to_name().unwrap()
}

#[test]
fn same_seed_gives_identical_bytes() {
    let persona = Persona::sample();
    let spec = IssueSpec::default();
    let a = TestPki::new(42).unwrap();
    let b = TestPki::new(42).unwrap();
    let c = TestPki::new(43).unwrap();
    for (ra, rb) in a.roots().iter().zip(b.roots()) {
        assert_eq!(ra.der, rb.der);
    }
    let (ha, hb, hc) = (
        a.issue(&persona, &spec).unwrap(),
        b.issue(&persona, &spec).unwrap(),
        c.issue(&persona, &spec).unwrap(),
    );
    assert_eq!(ha.auth_certificate, hb.auth_certificate);
    assert_eq!(ha.sign_certificate, hb.sign_certificate);
    assert_ne!(ha.auth_certificate, hc.auth_certificate);
    assert_ne!(ha.auth_serial, hc.auth_serial);
    // Roots do not depend on the seed.
    assert_eq!(a.roots()[1].der, c.roots()[1].der);

    let crl_spec = CrlSpec {
        generated: Some(GeneratedRevocations {
            count: 100,
            first_serial: 1000,
            seed: 5,
        }),
        ..CrlSpec::default()
    };
    assert_eq!(
        a.crl(Purpose::Signature, Generation::G2023, &crl_spec)
            .unwrap(),
        b.crl(Purpose::Signature, Generation::G2023, &crl_spec)
            .unwrap()
    );
}

#[test]
fn roots_follow_the_profile() {
    let pki = TestPki::new(0).unwrap();
    for purpose in Purpose::ALL {
        for generation in Generation::ALL {
            let root = pki.root(purpose, generation);
            assert_eq!((root.purpose, root.generation), (purpose, generation));
            let cert = parse(&root.der);
            let tbs = cert.tbs_certificate();
            assert_eq!(tbs.version(), x509_cert::Version::V3);
            assert_eq!(
                cert.signature_algorithm().oid,
                rfc5912::SHA_256_WITH_RSA_ENCRYPTION
            );
            assert_eq!(tbs.signature().oid, rfc5912::SHA_256_WITH_RSA_ENCRYPTION);
            assert_eq!(tbs.subject(), tbs.issuer());
            assert_eq!(tbs.subject(), &dn(&DistinguishedName::jpki_root(purpose)));
            assert!(verifies(&root.der, &root.public_key()), "self-signature");
            assert_eq!(root.key.size(), 256);
            assert_eq!(
                root.key.e().to_be_bytes_trimmed_vartime().as_ref(),
                [1, 0, 1]
            );

            let (crit, ku) = ext::<KeyUsage>(&cert).unwrap();
            assert!(crit);
            assert_eq!(ku.0, KeyUsages::KeyCertSign | KeyUsages::CRLSign);
            let (crit, bc) = ext::<BasicConstraints>(&cert).unwrap();
            assert!(crit && bc.ca);
            let (crit, san) = ext::<SubjectAltName>(&cert).unwrap();
            assert!(!crit);
            let san_name = dir_name(&san.0);
            assert_eq!(san_name, &dn(&DistinguishedName::jpki_service(purpose)));
            assert_eq!(
                san_name.organization().unwrap().unwrap().value(),
                "公的個人認証サービス"
            );
            let (_, dp) = ext::<CrlDistributionPoints>(&cert).unwrap();
            match &dp.0[0].distribution_point {
                Some(DistributionPointName::FullName(n)) => {
                    assert_eq!(dir_name(n), tbs.subject());
                }
                other => panic!("{other:?}"),
            }
            let (crit, ski) = ext::<SubjectKeyIdentifier>(&cert).unwrap();
            assert!(!crit);
            assert_eq!(ski.0.as_bytes(), root.key_identifier().unwrap());
            assert!(ext::<AuthorityKeyIdentifier>(&cert).is_none());
            assert_eq!(
                ext_oids(&cert),
                [
                    rfc5280::ID_CE_KEY_USAGE,
                    rfc5280::ID_CE_SUBJECT_ALT_NAME,
                    rfc5280::ID_CE_BASIC_CONSTRAINTS,
                    rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS,
                    rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER
                ]
            );
            let (nb, na) = generation.root_validity();
            assert_eq!(
                tbs.validity().not_before.to_unix_duration().as_secs(),
                nb.unix_timestamp() as u64
            );
            assert_eq!(
                tbs.validity().not_after.to_unix_duration().as_secs(),
                na.unix_timestamp() as u64
            );
        }
        // Two generations: same name, different key, key identifier and serial.
        let (old, new) = (
            pki.root(purpose, Generation::G2015),
            pki.root(purpose, Generation::G2023),
        );
        let (oc, nc) = (parse(&old.der), parse(&new.der));
        assert_eq!(
            oc.tbs_certificate().subject(),
            nc.tbs_certificate().subject()
        );
        assert_ne!(old.key_identifier().unwrap(), new.key_identifier().unwrap());
        assert_ne!(old.public_key(), new.public_key());
        assert_ne!(
            oc.tbs_certificate().serial_number(),
            nc.tbs_certificate().serial_number()
        );
        assert!(!verifies(&new.der, &old.public_key()));
    }
}

fn check_holder_common(
    cert: &Certificate,
    purpose: Purpose,
    pki: &TestPki,
    generation: Generation,
    key: &rsa::PrivateKey,
) {
    let root = pki.root(purpose, generation);
    let root_cert = parse(&root.der);
    let tbs = cert.tbs_certificate();
    assert_eq!(tbs.version(), x509_cert::Version::V3);
    assert_eq!(
        cert.signature_algorithm().oid,
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION
    );
    assert_eq!(tbs.issuer(), root_cert.tbs_certificate().subject());

    let (crit, cp) = ext::<CertificatePolicies>(cert).unwrap();
    assert!(crit, "certificatePolicies must be critical");
    assert_eq!(cp.0.len(), 1);
    assert_eq!(cp.0[0].policy_identifier, purpose.policy());

    let (crit, ian) = ext::<IssuerAltName>(cert).unwrap();
    assert!(!crit);
    let ian = dir_name(&ian.0);
    assert_eq!(ian.country().unwrap().unwrap().as_str(), "JP");
    assert_eq!(
        ian.organization().unwrap().unwrap().value(),
        "公的個人認証サービス"
    );

    let (_, dp) = ext::<CrlDistributionPoints>(cert).unwrap();
    assert!(matches!(
        &dp.0[0].distribution_point,
        Some(DistributionPointName::FullName(n)) if matches!(n.as_slice(), [GeneralName::DirectoryName(_)])
    ));

    let (_, aia) = ext::<AuthorityInfoAccessSyntax>(cert).unwrap();
    assert_eq!(aia.0.len(), 1);
    assert_eq!(aia.0[0].access_method, rfc5280::ID_AD_OCSP);
    match &aia.0[0].access_location {
        GeneralName::UniformResourceIdentifier(uri) => {
            assert_eq!(uri.as_str(), ocsp_uri(purpose).unwrap())
        }
        other => panic!("{other:?}"),
    }

    let (crit, aki) = ext::<AuthorityKeyIdentifier>(cert).unwrap();
    assert!(!crit);
    assert_eq!(
        aki.key_identifier.unwrap().as_bytes(),
        root.key_identifier().unwrap()
    );
    assert_eq!(
        dir_name(&aki.authority_cert_issuer.unwrap()),
        root_cert.tbs_certificate().issuer()
    );
    assert_eq!(
        aki.authority_cert_serial_number.unwrap(),
        *root_cert.tbs_certificate().serial_number()
    );
    let (_, ski) = ext::<SubjectKeyIdentifier>(cert).unwrap();
    assert_eq!(ski.0.as_bytes(), key_identifier(key).unwrap());
    assert!(ext::<BasicConstraints>(cert).is_none());

    let spki = tbs.subject_public_key_info().to_der().unwrap();
    assert_eq!(
        rsa::PublicKey::try_from(rsa::pkcs8::SubjectPublicKeyInfoRef::from_der(&spki).unwrap())
            .unwrap(),
        key.to_public_key()
    );
}

#[test]
fn holder_certificates_follow_the_profile_and_verify() {
    let pki = TestPki::new(9).unwrap();
    for seed in [0, 1, 2] {
        let persona = PersonaBuilder::from_seed(seed).build().unwrap();
        for generation in Generation::ALL {
            let spec = IssueSpec {
                generation,
                key_slot: usize::try_from(seed).unwrap(),
                ..IssueSpec::default()
            };
            let h = pki.issue(&persona, &spec).unwrap();

            // Authentication certificate.
            let auth = parse(&h.auth_certificate);
            let root = pki.root(Purpose::Authentication, generation);
            assert!(verifies(&h.auth_certificate, &root.public_key()));
            let other = pki.root(Purpose::Authentication, other_generation(generation));
            assert!(!verifies(&h.auth_certificate, &other.public_key()));
            check_holder_common(
                &auth,
                Purpose::Authentication,
                &pki,
                generation,
                &h.auth_key,
            );
            let tbs = auth.tbs_certificate();
            assert_eq!(tbs.serial_number().as_bytes(), h.auth_serial);
            assert_eq!(tbs.subject().len(), 2, "C and CN only");
            assert_eq!(tbs.subject().country().unwrap().unwrap().as_str(), "JP");
            let cn = tbs.subject().common_name().unwrap().unwrap();
            assert_eq!(
                cn.value(),
                pki.opaque_id(&persona, &spec, Purpose::Authentication)
            );
            assert!(!cn.value().contains(&persona.name));
            let (crit, ku) = ext::<KeyUsage>(&auth).unwrap();
            assert!(crit);
            assert!(ku.digital_signature(), "{ku:?}");
            assert_eq!(
                ku.0,
                KeyUsage(KeyUsages::DigitalSignature.into()).0,
                "{ku:?}"
            );
            let (_, eku) = ext::<ExtendedKeyUsage>(&auth).unwrap();
            assert_eq!(eku.0, [rfc5280::ID_KP_CLIENT_AUTH]);
            assert!(ext::<SubjectAltName>(&auth).is_none(), "no personal data");
            assert_eq!(
                tbs.validity().not_before.to_unix_duration().as_secs(),
                spec.not_before.unix_timestamp() as u64
            );

            // Signature certificate.
            let sign = parse(&h.sign_certificate);
            let root = pki.root(Purpose::Signature, generation);
            assert!(verifies(&h.sign_certificate, &root.public_key()));
            assert!(!verifies(
                &h.sign_certificate,
                &pki.root(Purpose::Authentication, generation).public_key()
            ));
            check_holder_common(&sign, Purpose::Signature, &pki, generation, &h.sign_key);
            let tbs = sign.tbs_certificate();
            assert_eq!(tbs.serial_number().as_bytes(), h.sign_serial);
            assert_ne!(h.sign_serial, h.auth_serial);
            assert_eq!(
                tbs.subject().locality().unwrap().unwrap().value(),
                persona.municipality
            );
            let (crit, ku) = ext::<KeyUsage>(&sign).unwrap();
            assert!(crit);
            assert_eq!(
                ku.0,
                KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
            );
            assert!(ext::<ExtendedKeyUsage>(&sign).is_none());
            let (_, san) = ext::<SubjectAltName>(&sign).unwrap();
            let values: Vec<(ObjectIdentifier, String)> = san
                .0
                .iter()
                .map(|g| match g {
                    GeneralName::OtherName(o) => (
                        o.type_id,
                        Utf8StringRef::try_from(&o.value)
                            .unwrap()
                            .as_str()
                            .to_owned(),
                    ),
                    other => panic!("{other:?}"),
                })
                .collect();
            let expected = [
                (oids::JPKI_NAME, persona.name.clone()),
                (oids::JPKI_NAME_SUBSTITUTE, String::new()),
                (oids::JPKI_SEX, persona.sex.code().to_string()),
                (oids::JPKI_BIRTH_DATE, persona.birth_date_jpki()),
                (oids::JPKI_ADDRESS, persona.address.clone()),
                (oids::JPKI_ADDRESS_SUBSTITUTE, String::new()),
            ];
            assert_eq!(values, expected);
            assert_eq!(persona.birth_date_jpki().len(), 9);
        }
    }
}

fn other_generation(g: Generation) -> Generation {
    match g {
        Generation::G2015 => Generation::G2023,
        Generation::G2023 => Generation::G2015,
    }
}

#[test]
fn explicit_serials_and_slots() {
    let pki = TestPki::new(1).unwrap();
    let spec = IssueSpec {
        serial: Some(0x1234),
        key_slot: 3,
        ..IssueSpec::default()
    };
    let h = pki.issue(&Persona::sample(), &spec).unwrap();
    assert_eq!(
        parse(&h.auth_certificate)
            .tbs_certificate()
            .serial_number()
            .as_bytes(),
        [0x12, 0x34]
    );
    assert_eq!(
        parse(&h.sign_certificate)
            .tbs_certificate()
            .serial_number()
            .as_bytes(),
        [0x12, 0x35]
    );
    assert_eq!(
        h.auth_key,
        kazasu_virtual_card::pki::fixture_key(10).unwrap()
    );
    assert_eq!(
        h.sign_key,
        kazasu_virtual_card::pki::fixture_key(11).unwrap()
    );
    let bad = IssueSpec {
        key_slot: 9,
        ..IssueSpec::default()
    };
    assert!(pki.issue(&Persona::sample(), &bad).is_err());
}

#[test]
fn crl_parses_verifies_and_lists_entries() {
    let pki = TestPki::new(4).unwrap();
    let persona = Persona::sample();
    let h = pki.issue(&persona, &IssueSpec::default()).unwrap();
    let spec = CrlSpec {
        crl_number: 77,
        generated: Some(GeneratedRevocations {
            count: 10_000,
            first_serial: 1,
            seed: 99,
        }),
        ..CrlSpec::default()
    }
    .revoke(
        RevokedEntry::from_bytes(&h.sign_serial, utc(2025, 5, 20))
            .with_reason(CrlReason::AffiliationChanged),
    );
    let root = pki.root(Purpose::Signature, Generation::G2023);
    let der = pki
        .crl(Purpose::Signature, Generation::G2023, &spec)
        .unwrap();
    let crl = CertificateList::<x509_cert::certificate::Rfc5280>::from_der(&der).unwrap();
    assert_eq!(crl.to_der().unwrap(), der);
    let tbs = &crl.tbs_cert_list;
    assert_eq!(tbs.version, x509_cert::Version::V2);
    assert_eq!(tbs.signature.oid, rfc5912::SHA_256_WITH_RSA_ENCRYPTION);
    assert_eq!(&tbs.issuer, parse(&root.der).tbs_certificate().subject());
    assert_eq!(
        tbs.this_update.to_unix_duration().as_secs(),
        spec.this_update.unix_timestamp() as u64
    );
    assert!(tbs.next_update.is_some());
    let revoked = tbs.revoked_certificates.as_ref().unwrap();
    assert_eq!(revoked.len(), 10_001);
    assert_eq!(revoked[0].serial_number.as_bytes(), h.sign_serial);
    let reason_ext = &revoked[0].crl_entry_extensions.as_ref().unwrap()[0];
    assert_eq!(reason_ext.extn_id, rfc5280::ID_CE_CRL_REASONS);
    assert_eq!(
        CrlReason::from_der(reason_ext.extn_value.as_bytes()).unwrap(),
        CrlReason::AffiliationChanged
    );
    for (i, entry) in revoked[1..].iter().enumerate() {
        let want = u64::try_from(i + 1).unwrap().to_be_bytes();
        let skip = want.iter().take_while(|&&b| b == 0).count();
        let want = &want[skip..];
        let got = entry.serial_number.as_bytes();
        // x509-cert keeps a sign-padding zero in front of a high-bit byte.
        assert!(got == want || (got[0] == 0 && &got[1..] == want), "{i}");
        assert!(
            entry.revocation_date.to_unix_duration().as_secs()
                < spec.this_update.unix_timestamp() as u64
        );
    }
    let with_reason = revoked[1..]
        .iter()
        .filter(|e| e.crl_entry_extensions.is_some())
        .count();
    assert!(with_reason > 5_000 && with_reason < 8_000, "{with_reason}");

    let exts = tbs.crl_extensions.as_ref().unwrap();
    let aki = exts
        .iter()
        .find(|e| e.extn_id == rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
        .unwrap();
    let aki = AuthorityKeyIdentifier::from_der(aki.extn_value.as_bytes()).unwrap();
    assert_eq!(
        aki.key_identifier.unwrap().as_bytes(),
        root.key_identifier().unwrap()
    );
    let number = exts
        .iter()
        .find(|e| e.extn_id == rfc5280::ID_CE_CRL_NUMBER)
        .unwrap();
    assert_eq!(
        CrlNumber::from_der(number.extn_value.as_bytes())
            .unwrap()
            .0
            .as_bytes(),
        [77]
    );

    assert!(verifies(&der, &root.public_key()));
    assert!(!verifies(
        &der,
        &pki.root(Purpose::Signature, Generation::G2015).public_key()
    ));

    // Empty CRL: revokedCertificates omitted.
    let empty = pki
        .crl(
            Purpose::Authentication,
            Generation::G2015,
            &CrlSpec::default(),
        )
        .unwrap();
    let crl = CertificateList::<x509_cert::certificate::Rfc5280>::from_der(&empty).unwrap();
    assert!(crl.tbs_cert_list.revoked_certificates.is_none());
    assert!(verifies(
        &empty,
        &pki.root(Purpose::Authentication, Generation::G2015)
            .public_key()
    ));
}

#[test]
fn crl_negative_knobs() {
    let pki = TestPki::new(4).unwrap();
    let root = pki.root(Purpose::Authentication, Generation::G2023);
    let at = utc(2026, 3, 1);

    let corrupt = CrlSpec {
        corrupt_signature: true,
        ..CrlSpec::valid_at(at)
    };
    let der = pki
        .crl(Purpose::Authentication, Generation::G2023, &corrupt)
        .unwrap();
    CertificateList::<x509_cert::certificate::Rfc5280>::from_der(&der).unwrap();
    assert!(!verifies(&der, &root.public_key()));

    let wrong_key = CrlSpec {
        sign_with: Some(KeyChoice::Fixture(0)),
        ..CrlSpec::valid_at(at)
    };
    let der = pki
        .crl(Purpose::Authentication, Generation::G2023, &wrong_key)
        .unwrap();
    assert!(!verifies(&der, &root.public_key()));
    assert!(verifies(
        &der,
        &pki.root(Purpose::Authentication, Generation::G2015)
            .public_key()
    ));

    let expired = CrlSpec::expired_at(at);
    assert!(expired.next_update.unwrap() < at);
    let der = pki
        .crl(Purpose::Authentication, Generation::G2023, &expired)
        .unwrap();
    let crl = CertificateList::<x509_cert::certificate::Rfc5280>::from_der(&der).unwrap();
    assert!(
        crl.tbs_cert_list
            .next_update
            .unwrap()
            .to_unix_duration()
            .as_secs()
            < at.unix_timestamp() as u64
    );
    let valid = CrlSpec::valid_at(at);
    assert!(valid.this_update < at && valid.next_update.unwrap() > at);
}

#[test]
fn certificate_negative_knobs() {
    let pki = TestPki::new(2).unwrap();
    let persona = Persona::sample();
    let spec = IssueSpec::default();
    let root = pki.root(Purpose::Authentication, Generation::G2023);
    let base = pki.auth_template(&persona, &spec).unwrap();
    let good = pki.issue_with(&base).unwrap();
    assert_eq!(good, pki.issue(&persona, &spec).unwrap().auth_certificate);

    // Corrupt signature: parses, does not verify.
    let mut t = base.clone();
    t.corrupt_signature = true;
    let der = pki.issue_with(&t).unwrap();
    parse(&der);
    assert!(!verifies(&der, &root.public_key()));
    assert_eq!(signed_part(&der), signed_part(&good));

    // SHA-1: both algorithm fields say so, and it is really signed over SHA-1.
    let mut t = base.clone();
    t.signature_algorithm = SignatureAlgorithm::Sha1WithRsa;
    let der = pki.issue_with(&t).unwrap();
    let cert = parse(&der);
    assert_eq!(
        cert.signature_algorithm().oid,
        rfc5912::SHA_1_WITH_RSA_ENCRYPTION
    );
    assert_eq!(
        cert.tbs_certificate().signature().oid,
        rfc5912::SHA_1_WITH_RSA_ENCRYPTION
    );
    let sig = Signature::try_from(signature_bits(&der).as_slice()).unwrap();
    VerifyingKey::<sha1::Sha1>::new(root.public_key())
        .verify(&signed_part(&der), &sig)
        .unwrap();

    // Outer/TBS algorithm mismatch.
    let mut t = base.clone();
    t.outer_signature_algorithm = Some(SignatureAlgorithm::Sha512WithRsa);
    let cert = parse(&pki.issue_with(&t).unwrap());
    assert_eq!(
        cert.signature_algorithm().oid,
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION
    );
    assert_eq!(
        cert.tbs_certificate().signature().oid,
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION
    );

    // Weak subject key.
    let mut t = base.clone();
    t.subject_key = KeyChoice::Weak;
    let der = pki.issue_with(&t).unwrap();
    assert!(verifies(&der, &root.public_key()));
    let spki = parse(&der)
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let key =
        rsa::PublicKey::try_from(rsa::pkcs8::SubjectPublicKeyInfoRef::from_der(&spki).unwrap())
            .unwrap();
    assert_eq!(key.size(), 128);

    // Unknown critical extension, non-critical policies, no KU, CA:TRUE, not-CA.
    let mut t = base.clone();
    t.unknown_critical_extension = true;
    t.certificate_policies.as_mut().unwrap().critical = false;
    t.key_usage = None;
    t.basic_constraints = Ext::critical(BasicConstraints {
        ca: true,
        path_len_constraint: Some(0),
    });
    let cert = parse(&pki.issue_with(&t).unwrap());
    let unknown = cert
        .tbs_certificate()
        .extensions()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == oids::TEST_UNKNOWN_EXTENSION)
        .unwrap();
    assert!(unknown.critical);
    assert!(!ext::<CertificatePolicies>(&cert).unwrap().0);
    assert!(ext::<KeyUsage>(&cert).is_none());
    assert!(ext::<BasicConstraints>(&cert).unwrap().1.ca);
    let mut t = base.clone();
    t.basic_constraints = Ext::non_critical(BasicConstraints {
        ca: false,
        path_len_constraint: None,
    });
    let cert = parse(&pki.issue_with(&t).unwrap());
    assert!(!ext::<BasicConstraints>(&cert).unwrap().1.ca);

    // AKI: wrong key id, key id only, omitted; SKI custom / omitted.
    let mut t = base.clone();
    t.authority_key_id = AuthorityKeyId::KeyId(vec![0xAB; 20]);
    t.subject_key_id = SubjectKeyId::Custom(vec![1, 2, 3]);
    let cert = parse(&pki.issue_with(&t).unwrap());
    let aki = ext::<AuthorityKeyIdentifier>(&cert).unwrap().1;
    assert_eq!(aki.key_identifier.unwrap().as_bytes(), [0xAB; 20]);
    assert!(aki.authority_cert_issuer.is_none());
    assert_eq!(
        ext::<SubjectKeyIdentifier>(&cert).unwrap().1.0.as_bytes(),
        [1, 2, 3]
    );
    let mut t = base.clone();
    t.authority_key_id = AuthorityKeyId::Omit;
    t.subject_key_id = SubjectKeyId::Omit;
    let cert = parse(&pki.issue_with(&t).unwrap());
    assert!(ext::<AuthorityKeyIdentifier>(&cert).is_none());
    assert!(ext::<SubjectKeyIdentifier>(&cert).is_none());

    // Claims the 2023 root but is signed with the 2015 key.
    let mut t = base.clone();
    t.sign_with = Some(KeyChoice::Fixture(0));
    let der = pki.issue_with(&t).unwrap();
    assert!(!verifies(&der, &root.public_key()));
    assert!(verifies(
        &der,
        &pki.root(Purpose::Authentication, Generation::G2015)
            .public_key()
    ));

    // Issued by the 2015 root: AKI points at the 2015 key.
    let mut t = base.clone();
    t.issuer = Issuer::Root {
        purpose: Purpose::Authentication,
        generation: Generation::G2015,
    };
    let cert = parse(&pki.issue_with(&t).unwrap());
    let aki = ext::<AuthorityKeyIdentifier>(&cert).unwrap().1;
    assert_eq!(
        aki.key_identifier.unwrap().as_bytes(),
        pki.root(Purpose::Authentication, Generation::G2015)
            .key_identifier()
            .unwrap()
    );

    // Expired / not yet valid.
    let mut t = base.clone();
    t.not_before = utc(2019, 1, 1);
    t.not_after = utc(2020, 1, 1);
    let cert = parse(&pki.issue_with(&t).unwrap());
    assert_eq!(
        cert.tbs_certificate()
            .validity()
            .not_after
            .to_unix_duration()
            .as_secs(),
        utc(2020, 1, 1).unix_timestamp() as u64
    );

    // A holder certificate used as a CA (no basicConstraints, no keyCertSign).
    let holder = pki.issue(&persona, &spec).unwrap();
    let mut t =
        CertTemplate::jpki_auth(Generation::G2023, KeyChoice::Fixture(20), 5, "CHILD").unwrap();
    t.issuer = Issuer::Certificate {
        certificate: holder.auth_certificate.clone(),
        key: KeyChoice::Fixture(4),
    };
    let der = pki.issue_with(&t).unwrap();
    let cert = parse(&der);
    let parent = parse(&holder.auth_certificate);
    assert_eq!(
        cert.tbs_certificate().issuer(),
        parent.tbs_certificate().subject()
    );
    assert!(verifies(&der, &holder.auth_key.to_public_key()));
    let aki = ext::<AuthorityKeyIdentifier>(&cert).unwrap().1;
    assert_eq!(
        aki.key_identifier.unwrap().as_bytes(),
        key_identifier(&holder.auth_key).unwrap()
    );
    assert_eq!(
        aki.authority_cert_serial_number.unwrap(),
        *parent.tbs_certificate().serial_number()
    );

    // A self-signed impostor root with the genuine name on another key.
    let mut t = CertTemplate::jpki_root(Purpose::Authentication, Generation::G2023).unwrap();
    t.subject_key = KeyChoice::Fixture(22);
    let der = pki.issue_with(&t).unwrap();
    let cert = parse(&der);
    assert_eq!(
        cert.tbs_certificate().subject(),
        parse(&root.der).tbs_certificate().subject()
    );
    assert!(verifies(
        &der,
        &kazasu_virtual_card::pki::fixture_key(22)
            .unwrap()
            .to_public_key()
    ));
    assert!(!verifies(&der, &root.public_key()));

    // The root template reproduces the root.
    let t = CertTemplate::jpki_root(Purpose::Authentication, Generation::G2023).unwrap();
    assert_eq!(pki.issue_with(&t).unwrap(), root.der);
}

// ---------------------------------------------------------------------------------------------
// OpenSSL cross-checks (skipped when `openssl` is not on PATH).

fn openssl() -> Option<()> {
    Command::new("openssl")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| ())
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "kazasu-pki-{tag}-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn to_pem(der_path: &Path, kind: &str) -> PathBuf {
    let pem = der_path.with_extension("pem");
    let (ok, text) = run(&[
        kind,
        "-inform",
        "DER",
        "-in",
        der_path.to_str().unwrap(),
        "-out",
        pem.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    pem
}

#[test]
fn openssl_accepts_certificates_and_crls() {
    if openssl().is_none() {
        eprintln!("openssl not on PATH; skipped");
        return;
    }
    let dir = TempDir::new("accept");
    let pki = TestPki::new(11).unwrap();
    let persona = Persona::sample();
    let spec = IssueSpec::default();
    let h = pki.issue(&persona, &spec).unwrap();

    let mut files = Vec::new();
    for root in pki.roots() {
        files.push(dir.write(
            &format!("root-{:?}-{:?}.der", root.purpose, root.generation),
            &root.der,
        ));
    }
    let auth = dir.write("auth.der", &h.auth_certificate);
    let sign = dir.write("sign.der", &h.sign_certificate);
    files.push(auth.clone());
    files.push(sign.clone());
    for f in &files {
        let (ok, text) = run(&[
            "x509",
            "-inform",
            "DER",
            "-noout",
            "-text",
            "-in",
            f.to_str().unwrap(),
        ]);
        assert!(ok, "{}: {text}", f.display());
        assert!(text.contains("sha256WithRSAEncryption"));
    }
    let (_, text) = run(&[
        "x509",
        "-inform",
        "DER",
        "-noout",
        "-text",
        "-in",
        auth.to_str().unwrap(),
    ]);
    assert!(text.contains("1.2.392.200149.8.5.1.3.30"), "{text}");
    assert!(text.contains("http://ocspauthnorm.jpki.go.jp"), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    let (_, text) = run(&[
        "x509",
        "-inform",
        "DER",
        "-noout",
        "-text",
        "-in",
        sign.to_str().unwrap(),
    ]);
    assert!(text.contains("1.2.392.200149.8.5.1.1.20"), "{text}");
    assert!(text.contains("Non Repudiation"), "{text}");

    // Chains verify with OpenSSL, at a time inside the validity windows.
    let at = utc(2026, 1, 1).unix_timestamp().to_string();
    let auth_root = to_pem(&files[1], "x509");
    let sign_root = to_pem(&files[3], "x509");
    let auth_pem = to_pem(&auth, "x509");
    let sign_pem = to_pem(&sign, "x509");
    for (root, leaf) in [(&auth_root, &auth_pem), (&sign_root, &sign_pem)] {
        let (ok, text) = run(&[
            "verify",
            "-attime",
            &at,
            "-policy_check",
            "-CAfile",
            root.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ]);
        assert!(ok && text.contains(": OK"), "{text}");
    }
    // The other generation's root (same name) must not verify the chain.
    let old_root = to_pem(&files[0], "x509");
    let (ok, _) = run(&[
        "verify",
        "-attime",
        &at,
        "-CAfile",
        old_root.to_str().unwrap(),
        auth_pem.to_str().unwrap(),
    ]);
    assert!(!ok);

    // CRLs: accepted, signature checked, and revocation seen by OpenSSL.
    let revoking = CrlSpec {
        generated: Some(GeneratedRevocations {
            count: 1000,
            first_serial: 1,
            seed: 1,
        }),
        ..CrlSpec::valid_at(utc(2026, 1, 1))
    }
    .revoke(
        RevokedEntry::from_bytes(&h.auth_serial, utc(2025, 12, 1))
            .with_reason(CrlReason::KeyCompromise),
    );
    let crl = pki
        .crl(Purpose::Authentication, Generation::G2023, &revoking)
        .unwrap();
    let crl_der = dir.write("revoking.crl", &crl);
    let (ok, text) = run(&[
        "crl",
        "-inform",
        "DER",
        "-noout",
        "-in",
        crl_der.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    let (ok, text) = run(&[
        "crl",
        "-inform",
        "DER",
        "-noout",
        "-in",
        crl_der.to_str().unwrap(),
        "-CAfile",
        auth_root.to_str().unwrap(),
    ]);
    assert!(ok && text.contains("verify OK"), "{text}");
    let crl_pem = to_pem(&crl_der, "crl");
    let (ok, text) = run(&[
        "verify",
        "-attime",
        &at,
        "-crl_check",
        "-CAfile",
        auth_root.to_str().unwrap(),
        "-CRLfile",
        crl_pem.to_str().unwrap(),
        auth_pem.to_str().unwrap(),
    ]);
    assert!(!ok && text.contains("certificate revoked"), "{text}");

    let clean = pki
        .crl(
            Purpose::Authentication,
            Generation::G2023,
            &CrlSpec::valid_at(utc(2026, 1, 1)),
        )
        .unwrap();
    let clean_pem = to_pem(&dir.write("clean.crl", &clean), "crl");
    let (ok, text) = run(&[
        "verify",
        "-attime",
        &at,
        "-crl_check",
        "-CAfile",
        auth_root.to_str().unwrap(),
        "-CRLfile",
        clean_pem.to_str().unwrap(),
        auth_pem.to_str().unwrap(),
    ]);
    assert!(ok, "{text}");

    // Negative knobs as OpenSSL sees them.
    let mut t = pki.auth_template(&persona, &spec).unwrap();
    t.unknown_critical_extension = true;
    let bad = to_pem(
        &dir.write("unknown-critical.der", &pki.issue_with(&t).unwrap()),
        "x509",
    );
    let (ok, text) = run(&[
        "verify",
        "-attime",
        &at,
        "-CAfile",
        auth_root.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(
        !ok && text.contains("unhandled critical extension"),
        "{text}"
    );
    let mut t = pki.auth_template(&persona, &spec).unwrap();
    t.corrupt_signature = true;
    let bad = to_pem(
        &dir.write("corrupt.der", &pki.issue_with(&t).unwrap()),
        "x509",
    );
    let (ok, text) = run(&[
        "verify",
        "-attime",
        &at,
        "-CAfile",
        auth_root.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(!ok && text.contains("signature failure"), "{text}");
}
