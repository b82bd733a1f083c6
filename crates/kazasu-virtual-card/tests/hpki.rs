//! The HPKI test PKI and the HPKI card: every profile element checked with `x509-cert` (no OpenSSL),
//! the CRLs and ARLs, the negative knobs, and literal-bytes APDUs for both APs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use der::asn1::{ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use der::oid::db::{rfc4519, rfc5280};
use der::{Any, Decode, Encode, Reader, SliceReader, Tagged};
use kazasu_virtual_card::pki::{
    ArlKind, AuthorityKeyId, CrlSpec, HcRole, HpkiAp, HpkiHolder, HpkiTestPki, IdpScope,
    RevokedEntry, hc_role_extension_value, oids,
};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha2::Sha256;
use time::macros::datetime;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CrlDistributionPoints, KeyUsage,
    KeyUsages, SubjectAltName, SubjectDirectoryAttributes, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

/// The hcRole attribute of a real HPKI certificate (card specification §7), "Medical Doctor".
const REAL_MEDICAL_DOCTOR: &str = concat!(
    "303430320606288185420001312831263024a0223120a00c060a2a83088691",
    "0f01060101a2100c0e"
);

fn parse(der: &[u8]) -> Certificate {
    let cert = Certificate::from_der(der).unwrap();
    assert_eq!(cert.to_der().unwrap(), der, "not canonical DER");
    cert
}

fn tbs_bytes(der: &[u8]) -> Vec<u8> {
    let outer = Any::from_der(der).unwrap();
    let mut r = SliceReader::new(outer.value()).unwrap();
    let tbs: Any = r.decode().unwrap();
    tbs.to_der().unwrap()
}

fn signature_bits(der: &[u8]) -> Vec<u8> {
    let outer = Any::from_der(der).unwrap();
    let mut r = SliceReader::new(outer.value()).unwrap();
    let _: Any = r.decode().unwrap();
    let _: Any = r.decode().unwrap();
    let bits: der::asn1::BitString = r.decode().unwrap();
    bits.raw_bytes().to_vec()
}

fn signed_by(der: &[u8], key: &rsa::PrivateKey) -> bool {
    let vk = VerifyingKey::<Sha256>::new(key.to_public_key());
    let sig = Signature::try_from(&signature_bits(der)[..]).unwrap();
    vk.verify(&tbs_bytes(der), &sig).is_ok()
}

fn ext(cert: &Certificate, oid: ObjectIdentifier) -> Option<&x509_cert::ext::Extension> {
    cert.tbs_certificate()
        .extensions()
        .and_then(|e| e.iter().find(|x| x.extn_id == oid))
}

fn ext_value<T: for<'a> Decode<'a>>(cert: &Certificate, oid: ObjectIdentifier) -> (T, bool) {
    let e = ext(cert, oid).unwrap_or_else(|| panic!("no extension {oid}"));
    (T::from_der(e.extn_value.as_bytes()).unwrap(), e.critical)
}

/// `(type, value as text)` of every RDN, in order.
fn rdns(name: &Name) -> Vec<(ObjectIdentifier, String)> {
    name.iter()
        .map(|atv| {
            let text = Utf8StringRef::try_from(&atv.value)
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    PrintableStringRef::try_from(&atv.value).map(|s| s.as_str().to_owned())
                })
                .unwrap();
            (atv.oid, text)
        })
        .collect()
}

fn policies(cert: &Certificate) -> (Vec<ObjectIdentifier>, bool) {
    let (p, critical): (CertificatePolicies, bool) =
        ext_value(cert, rfc5280::ID_CE_CERTIFICATE_POLICIES);
    (p.0.iter().map(|i| i.policy_identifier).collect(), critical)
}

fn key_usage(cert: &Certificate) -> (KeyUsage, bool) {
    ext_value(cert, rfc5280::ID_CE_KEY_USAGE)
}

/// The role strings of the hcRole attribute, decoded by hand from the extension value, checking the
/// coding scheme of each.
fn roles_of(cert: &Certificate, scheme: ObjectIdentifier) -> Vec<String> {
    let (sda, critical): (SubjectDirectoryAttributes, bool) =
        ext_value(cert, rfc5280::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES);
    assert!(
        !critical,
        "RFC 5280: subjectDirectoryAttributes is non-critical"
    );
    assert_eq!(sda.0.len(), 1);
    let attr = &sda.0[0];
    assert_eq!(attr.oid, oids::HC_ROLE_ATTRIBUTE);
    let mut out = Vec::new();
    for actor_set in attr.values.iter() {
        assert_eq!(actor_set.tag(), der::Tag::Set);
        let mut r = SliceReader::new(actor_set.value()).unwrap();
        while !r.is_finished() {
            let actor: Any = r.decode().unwrap(); // HCActor SEQUENCE
            assert_eq!(actor.tag(), der::Tag::Sequence);
            let mut a = SliceReader::new(actor.value()).unwrap();
            let coded: Any = a.decode().unwrap(); // [0] EXPLICIT
            assert_eq!(coded.to_der().unwrap()[0], 0xA0);
            let set = Any::from_der(coded.value()).unwrap();
            assert_eq!(set.tag(), der::Tag::Set);
            let mut s = SliceReader::new(set.value()).unwrap();
            let scheme_tagged: Any = s.decode().unwrap();
            assert_eq!(scheme_tagged.to_der().unwrap()[0], 0xA0);
            assert_eq!(
                ObjectIdentifier::from_der(scheme_tagged.value()).unwrap(),
                scheme
            );
            let text_tagged: Any = s.decode().unwrap();
            assert_eq!(text_tagged.to_der().unwrap()[0], 0xA2);
            out.push(
                Utf8StringRef::from_der(text_tagged.value())
                    .unwrap()
                    .as_str()
                    .to_owned(),
            );
            assert!(s.is_finished() && a.is_finished());
        }
    }
    out
}

#[test]
fn medical_doctor_hc_role_is_byte_identical_to_the_real_certificate() {
    let want = hex::decode(REAL_MEDICAL_DOCTOR.replace(' ', "")).unwrap();
    let mut want_full = want.clone();
    want_full.extend_from_slice(b"Medical Doctor");
    let got = hc_role_extension_value(oids::HPKI_ROLE_CODING_SCHEME, &["Medical Doctor"]).unwrap();
    assert_eq!(hex::encode(&got), hex::encode(&want_full));
    // Another string changes the lengths, another scheme the OID.
    assert_ne!(
        hc_role_extension_value(oids::HPKI_ROLE_CODING_SCHEME, &["Pharmacist"]).unwrap(),
        want_full
    );
}

#[test]
fn root_follows_the_mhlw_root_profile() {
    let pki = HpkiTestPki::new().unwrap();
    let root = pki.root();
    let cert = parse(&root.der);
    let tbs = cert.tbs_certificate();
    assert_eq!(tbs.subject(), tbs.issuer());
    let names = rdns(tbs.subject());
    assert_eq!(names.len(), 4, "four RDNs");
    assert!(
        names.iter().all(|(oid, _)| *oid != rfc4519::COMMON_NAME),
        "no CN"
    );
    assert_eq!(names[0], (rfc4519::COUNTRY_NAME, "JP".into()));
    assert_eq!(
        names[1],
        (
            rfc4519::ORGANIZATION_NAME,
            "Ministry of Health, Labour and Welfare".into()
        )
    );
    assert!(signed_by(&root.der, &root.key));
    assert_eq!(tbs.serial_number().as_bytes(), &[1]);
    let (ku, critical) = key_usage(&cert);
    assert!(critical);
    assert_eq!(ku.0, KeyUsages::KeyCertSign | KeyUsages::CRLSign);
    let (bc, critical): (BasicConstraints, bool) =
        ext_value(&cert, rfc5280::ID_CE_BASIC_CONSTRAINTS);
    assert!(critical && bc.ca);
    let (san, _): (SubjectAltName, bool) = ext_value(&cert, rfc5280::ID_CE_SUBJECT_ALT_NAME);
    let GeneralName::DirectoryName(kanji) = &san.0[0] else {
        panic!("SAN is not a DirName")
    };
    assert_eq!(rdns(kanji)[1].1, "厚生労働省");
    let (cdp, _): (CrlDistributionPoints, bool) =
        ext_value(&cert, rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS);
    assert_eq!(cdp.0.len(), 2);
    let Some(DistributionPointName::FullName(n)) = &cdp.0[0].distribution_point else {
        panic!()
    };
    let GeneralName::DirectoryName(dp) = &n[0] else {
        panic!()
    };
    let dp = rdns(dp);
    assert_eq!(dp.len(), 5);
    assert_eq!(dp[4], (rfc4519::COMMON_NAME, "RARL".into()));
    let (aki, _): (AuthorityKeyIdentifier, bool) =
        ext_value(&cert, rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER);
    let (ski, _): (SubjectKeyIdentifier, bool) =
        ext_value(&cert, rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER);
    assert_eq!(aki.key_identifier.unwrap(), ski.0);
    assert_eq!(ski.0.as_bytes(), root.key_identifier().unwrap());
    assert_eq!(aki.authority_cert_serial_number.unwrap().as_bytes(), &[1]);
}

#[test]
fn cas_follow_the_medis_ca_profile() {
    let pki = HpkiTestPki::new().unwrap();
    let root = parse(&pki.root().der);
    for (ap, policy, serial, cn_suffix) in [
        (
            HpkiAp::Signature,
            oids::HPKI_SIGN_CA_POLICY,
            4u8,
            "forNonRepudiation",
        ),
        (
            HpkiAp::Authentication,
            oids::HPKI_AUTH_CA_POLICY,
            5,
            "forAuthentication-forIndividual",
        ),
    ] {
        let ca = pki.ca(ap);
        let cert = parse(&ca.der);
        let tbs = cert.tbs_certificate();
        assert_eq!(tbs.issuer(), root.tbs_certificate().subject());
        assert!(signed_by(&ca.der, &pki.root().key), "{ap:?}");
        assert!(!signed_by(&ca.der, &ca.key));
        assert_eq!(tbs.serial_number().as_bytes(), &[serial]);
        assert_eq!(pki.ca_serial(ap), &[serial]);
        let names = rdns(tbs.subject());
        assert!(names[3].1.starts_with("HPKI-01-") && names[3].1.ends_with(cn_suffix));
        let (p, critical) = policies(&cert);
        assert!(critical);
        assert_eq!(p, vec![policy]);
        let (ku, critical) = key_usage(&cert);
        assert!(critical);
        assert_eq!(ku.0, KeyUsages::KeyCertSign | KeyUsages::CRLSign);
        let (bc, critical): (BasicConstraints, bool) =
            ext_value(&cert, rfc5280::ID_CE_BASIC_CONSTRAINTS);
        assert!(critical && bc.ca);
        let (cdp, _): (CrlDistributionPoints, bool) =
            ext_value(&cert, rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS);
        let Some(DistributionPointName::FullName(n)) = &cdp.0[0].distribution_point else {
            panic!()
        };
        let GeneralName::DirectoryName(dp) = &n[0] else {
            panic!()
        };
        assert_eq!(rdns(dp).last().unwrap().1, "SARL");
        let Some(DistributionPointName::FullName(n)) = &cdp.0[1].distribution_point else {
            panic!()
        };
        assert!(
            matches!(&n[0], GeneralName::UniformResourceIdentifier(u) if u.as_str().ends_with("sarl.crl"))
        );
        let (aki, _): (AuthorityKeyIdentifier, bool) =
            ext_value(&cert, rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER);
        assert_eq!(
            aki.key_identifier.unwrap().as_bytes(),
            pki.root().key_identifier().unwrap()
        );
        assert_eq!(
            aki.authority_cert_issuer.unwrap()[0],
            GeneralName::DirectoryName(root.tbs_certificate().issuer().clone())
        );
        assert_eq!(aki.authority_cert_serial_number.unwrap().as_bytes(), &[1]);
    }
}

#[test]
fn holder_certificates_follow_the_hpki_profile() {
    let pki = HpkiTestPki::new().unwrap();
    let holder = HpkiHolder::sample();
    let creds = pki.issue(&holder).unwrap();
    for (ap, der, usage, policy) in [
        (
            HpkiAp::Signature,
            &creds.sign_certificate,
            KeyUsages::NonRepudiation,
            oids::HPKI_SIGN_HOLDER_POLICY,
        ),
        (
            HpkiAp::Authentication,
            &creds.auth_certificate,
            KeyUsages::DigitalSignature,
            oids::HPKI_AUTH_HOLDER_POLICY,
        ),
    ] {
        let ca = pki.ca(ap);
        let ca_cert = parse(&ca.der);
        let cert = parse(der);
        let tbs = cert.tbs_certificate();
        assert!(signed_by(der, &ca.key), "{ap:?}");
        assert_eq!(tbs.issuer(), ca_cert.tbs_certificate().subject());
        assert_eq!(
            tbs.serial_number().as_bytes(),
            holder
                .serial_for(ap)
                .to_be_bytes()
                .as_slice()
                .strip_prefix(&[0u8; 6][..])
                .unwrap()
        );
        // Subject: romanized name, HPKI ID in serialNumber (PrintableString).
        let subject = rdns(tbs.subject());
        assert_eq!(
            subject,
            vec![
                (rfc4519::COUNTRY_NAME, "JP".to_string()),
                (rfc4519::COMMON_NAME, holder.romanized_name.clone()),
                (rfc4519::SERIAL_NUMBER, holder.hpki_id.clone()),
            ]
        );
        // Kanji copy in a SAN DirName.
        let (san, _): (SubjectAltName, bool) = ext_value(&cert, rfc5280::ID_CE_SUBJECT_ALT_NAME);
        let GeneralName::DirectoryName(kanji) = &san.0[0] else {
            panic!("SAN is not a DirName")
        };
        assert_eq!(
            rdns(kanji)[1],
            (rfc4519::COMMON_NAME, holder.kanji_name.clone())
        );
        let (ku, critical) = key_usage(&cert);
        assert!(critical);
        assert_eq!(ku.0, der::flagset::FlagSet::from(usage), "{ap:?}");
        let (p, critical) = policies(&cert);
        assert!(critical);
        assert_eq!(p, vec![policy]);
        assert!(
            policy
                .as_bytes()
                .starts_with(oids::HPKI_POLICY_ARC.as_bytes())
        );
        assert_eq!(
            roles_of(&cert, oids::HPKI_ROLE_CODING_SCHEME),
            vec!["Medical Doctor".to_string()]
        );
        // The hcRole extension value is byte-identical to the real one.
        let mut real = hex::decode(REAL_MEDICAL_DOCTOR).unwrap();
        real.extend_from_slice(b"Medical Doctor");
        assert_eq!(
            ext(&cert, rfc5280::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES)
                .unwrap()
                .extn_value
                .as_bytes(),
            real
        );
        // AKI: the CA's key id, the CA's issuer (the root) as DirName, the CA's serial.
        let (aki, critical): (AuthorityKeyIdentifier, bool) =
            ext_value(&cert, rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER);
        assert!(!critical);
        assert_eq!(
            aki.key_identifier.unwrap().as_bytes(),
            ca.key_identifier().unwrap()
        );
        assert_eq!(
            aki.authority_cert_issuer.unwrap()[0],
            GeneralName::DirectoryName(ca_cert.tbs_certificate().issuer().clone())
        );
        assert_eq!(
            aki.authority_cert_serial_number.unwrap().as_bytes(),
            pki.ca_serial(ap)
        );
        let (ski, _): (SubjectKeyIdentifier, bool) =
            ext_value(&cert, rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER);
        assert_eq!(ski.0.as_bytes().len(), 20);
        let (cdp, _): (CrlDistributionPoints, bool) =
            ext_value(&cert, rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS);
        let Some(DistributionPointName::FullName(n)) = &cdp.0[0].distribution_point else {
            panic!()
        };
        assert!(
            matches!(&n[0], GeneralName::UniformResourceIdentifier(u) if u.as_str().starts_with("http://"))
        );
    }
    // Both keys differ and match the certificates.
    assert_ne!(creds.sign_key, creds.auth_key);
}

#[test]
fn every_role_string_is_issued_and_read_back() {
    let pki = HpkiTestPki::new().unwrap();
    for role in HcRole::ALL {
        let holder = HpkiHolder::sample().with_roles(&[role]);
        let der = pki
            .issue_with(&pki.holder_template(&holder, HpkiAp::Signature).unwrap())
            .unwrap();
        assert_eq!(
            roles_of(&parse(&der), oids::HPKI_ROLE_CODING_SCHEME),
            vec![role.text().to_string()]
        );
    }
    // Two roles: a doctor who directs a clinic, in DER SET OF order.
    let holder =
        HpkiHolder::sample().with_roles(&[HcRole::MedicalDoctor, HcRole::DirectorOfClinic]);
    let der = pki
        .issue_with(&pki.holder_template(&holder, HpkiAp::Signature).unwrap())
        .unwrap();
    let mut roles = roles_of(&parse(&der), oids::HPKI_ROLE_CODING_SCHEME);
    roles.sort();
    assert_eq!(roles, vec!["Director of Clinic", "Medical Doctor"]);
}

#[test]
fn negative_knobs_change_exactly_what_they_say() {
    let pki = HpkiTestPki::new().unwrap();
    let base = HpkiHolder::sample();

    let mut wrong_policy = base.clone();
    wrong_policy.sign_policy = oids::JPKI_SIGN_POLICY;
    let c = parse(&pki.issue(&wrong_policy).unwrap().sign_certificate);
    assert_eq!(policies(&c).0, vec![oids::JPKI_SIGN_POLICY]);

    let mut no_role = base.clone();
    no_role.hc_role = false;
    let c = parse(&pki.issue(&no_role).unwrap().sign_certificate);
    assert!(ext(&c, rfc5280::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES).is_none());

    let unknown = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.9.9");
    let mut scheme = base.clone();
    scheme.coding_scheme = unknown;
    let c = parse(&pki.issue(&scheme).unwrap().sign_certificate);
    assert_eq!(roles_of(&c, unknown), vec!["Medical Doctor".to_string()]);

    let mut expired = base.clone();
    expired.not_before = datetime!(2015-01-01 00:00 UTC);
    expired.not_after = datetime!(2020-01-01 00:00 UTC);
    let c = parse(&pki.issue(&expired).unwrap().auth_certificate);
    assert_eq!(
        c.tbs_certificate()
            .validity()
            .not_after
            .to_unix_duration()
            .as_secs(),
        1_577_836_800
    );

    let mut t = pki.holder_template(&base, HpkiAp::Signature).unwrap();
    t.authority_key_id = AuthorityKeyId::Omit;
    let c = parse(&pki.issue_with(&t).unwrap());
    assert!(ext(&c, rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER).is_none());
    assert!(signed_by(
        &pki.issue_with(&t).unwrap(),
        &pki.signature_ca().key
    ));

    // The authentication certificate is not a signature certificate.
    let c = parse(&pki.issue(&base).unwrap().auth_certificate);
    assert!(!key_usage(&c).0.0.contains(KeyUsages::NonRepudiation));

    // Unknown role string.
    let mut odd = base.clone();
    odd.roles = vec!["Wizard".into()];
    let c = parse(&pki.issue(&odd).unwrap().sign_certificate);
    assert_eq!(roles_of(&c, oids::HPKI_ROLE_CODING_SCHEME), vec!["Wizard"]);

    // Holder issuance is deterministic.
    assert_eq!(
        pki.issue(&base).unwrap().sign_certificate,
        HpkiTestPki::new()
            .unwrap()
            .issue(&base)
            .unwrap()
            .sign_certificate
    );
}

fn parse_crl(der: &[u8]) -> CertificateList {
    let crl = CertificateList::from_der(der).unwrap();
    assert_eq!(crl.to_der().unwrap(), der);
    crl
}

fn revoked_serials(crl: &CertificateList) -> Vec<Vec<u8>> {
    crl.tbs_cert_list
        .revoked_certificates
        .as_ref()
        .map(|v| {
            v.iter()
                .map(|r| r.serial_number.as_bytes().to_vec())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ca_crls_revoke_holders() {
    let pki = HpkiTestPki::new().unwrap();
    let creds = pki.issue(&HpkiHolder::sample()).unwrap();
    for (ap, serial) in [
        (HpkiAp::Signature, &creds.sign_serial),
        (HpkiAp::Authentication, &creds.auth_serial),
    ] {
        let spec = CrlSpec::default().revoke(RevokedEntry::from_bytes(
            serial,
            datetime!(2025-05-01 00:00 UTC),
        ));
        let der = pki.ca_crl(ap, &spec).unwrap();
        let crl = parse_crl(&der);
        assert!(signed_by(&der, &pki.ca(ap).key));
        assert_eq!(
            &crl.tbs_cert_list.issuer,
            parse(&pki.ca(ap).der).tbs_certificate().subject()
        );
        let trimmed: Vec<u8> = serial.iter().copied().skip_while(|b| *b == 0).collect();
        assert_eq!(revoked_serials(&crl), vec![trimmed]);
        let exts = crl.tbs_cert_list.crl_extensions.unwrap();
        assert!(
            exts.iter()
                .all(|e| e.extn_id != rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT)
        );
        let aki = exts
            .iter()
            .find(|e| e.extn_id == rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
            .unwrap();
        let aki = AuthorityKeyIdentifier::from_der(aki.extn_value.as_bytes()).unwrap();
        assert_eq!(
            aki.key_identifier.unwrap().as_bytes(),
            pki.ca(ap).key_identifier().unwrap()
        );
    }
}

fn idp_of(crl: &CertificateList) -> Option<(IssuingDistributionPoint, bool)> {
    crl.tbs_cert_list
        .crl_extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT)
        .map(|e| {
            (
                IssuingDistributionPoint::from_der(e.extn_value.as_bytes()).unwrap(),
                e.critical,
            )
        })
}

fn idp_cn(idp: &IssuingDistributionPoint) -> String {
    let Some(DistributionPointName::FullName(names)) = &idp.distribution_point else {
        panic!("no fullName")
    };
    let GeneralName::DirectoryName(n) = &names[0] else {
        panic!("not a DirName")
    };
    assert!(matches!(
        &names[1],
        GeneralName::UniformResourceIdentifier(_)
    ));
    rdns(n).last().unwrap().1.clone()
}

#[test]
fn root_arls_carry_a_critical_idp_and_revoke_cas() {
    let pki = HpkiTestPki::new().unwrap();
    let root = parse(&pki.root().der);
    for kind in [ArlKind::Sarl, ArlKind::Rarl] {
        let spec = CrlSpec::default().revoke(RevokedEntry::from_bytes(
            pki.ca_serial(HpkiAp::Signature),
            datetime!(2025-05-01 00:00 UTC),
        ));
        let der = pki.arl(kind, &spec, IdpScope::OnlyCaCerts).unwrap();
        let crl = parse_crl(&der);
        assert!(signed_by(&der, &pki.root().key));
        assert_eq!(&crl.tbs_cert_list.issuer, root.tbs_certificate().subject());
        assert_eq!(revoked_serials(&crl), vec![vec![4u8]]);
        let (idp, critical) = idp_of(&crl).unwrap();
        assert!(critical);
        assert!(idp.only_contains_ca_certs && !idp.only_contains_user_certs);
        let want = match kind {
            ArlKind::Sarl => "SARL",
            _ => "RARL",
        };
        assert_eq!(idp_cn(&idp), want);
    }
    // The SARL's IDP names what the CA certificates' CRL DP names.
    let ca = parse(&pki.signature_ca().der);
    let (cdp, _): (CrlDistributionPoints, bool) =
        ext_value(&ca, rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS);
    let sarl = parse_crl(
        &pki.arl(ArlKind::Sarl, &CrlSpec::default(), IdpScope::default())
            .unwrap(),
    );
    let (idp, _) = idp_of(&sarl).unwrap();
    let Some(DistributionPointName::FullName(idp_names)) = &idp.distribution_point else {
        panic!()
    };
    let Some(DistributionPointName::FullName(cdp_names)) = &cdp.0[0].distribution_point else {
        panic!()
    };
    assert_eq!(idp_names[0], cdp_names[0]);

    // Scope variants.
    let scoped = |scope| parse_crl(&pki.arl(ArlKind::Sarl, &CrlSpec::default(), scope).unwrap());
    let (idp, critical) = idp_of(&scoped(IdpScope::NonCritical)).unwrap();
    assert!(!critical && idp.only_contains_ca_certs);
    let (idp, critical) = idp_of(&scoped(IdpScope::OnlyUserCerts)).unwrap();
    assert!(critical && idp.only_contains_user_certs && !idp.only_contains_ca_certs);
    let (idp, _) = idp_of(&scoped(IdpScope::NoScope)).unwrap();
    assert!(!idp.only_contains_user_certs && !idp.only_contains_ca_certs);
    let (idp, _) = idp_of(&scoped(IdpScope::OtherName)).unwrap();
    assert_eq!(idp_cn(&idp), "RARL");
    assert!(idp_of(&scoped(IdpScope::Omit)).is_none());
}

#[test]
fn verification_material_is_current() {
    let pki = HpkiTestPki::new().unwrap();
    let at = datetime!(2026-03-01 12:00 UTC);
    let m = pki.verification_material(at).unwrap();
    assert_eq!(m.root, pki.root().der);
    assert_eq!(m.cas.len(), 2);
    for der in m.crls.iter().chain([&m.sarl, &m.rarl]) {
        let crl = parse_crl(der);
        assert!(crl.tbs_cert_list.revoked_certificates.is_none());
        let next = crl.tbs_cert_list.next_update.unwrap().to_unix_duration();
        assert!(next.as_secs() > at.unix_timestamp() as u64);
    }
}

// ---------------------------------------------------------------------------------------------
// The HPKI card, literal bytes.

mod card {
    use super::*;
    use kazasu_virtual_card::card::HPKI_ATR;
    use kazasu_virtual_card::{HpkiCardBuilder, IssuedHpkiCard, VirtualCard};
    use rsa::pkcs8::DecodePublicKey;
    use sha2::Digest;

    const SELECT_SIGN_AP: &str = "00A4040C10E828BD080FA000000391000000000001";
    const SELECT_AUTH_AP: &str = "00A4040C10E828BD080FA000000391000000000002";
    const SELECT_JPKI_AP: &str = "00A4040C0AD392F000260100000001";
    const SELECT_PIN: &str = "00A4020C020002";
    const SELECT_KEY: &str = "00A4020C02000C";
    const SELECT_CERT: &str = "00A4020C020016";
    const PIN_STATUS: &str = "00200088";
    const VERIFY_1234: &str = "002000880431323334";
    const VERIFY_9999: &str = "002000880439393939";
    const SHA256_PREFIX: &str = "3031300D060960864801650304020105000420";

    fn send(card: &mut VirtualCard, apdu: &str) -> (Vec<u8>, u16) {
        let r = card.process(&hex::decode(apdu).unwrap());
        let (data, sw) = r.split_at(r.len() - 2);
        (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
    }

    fn sw(card: &mut VirtualCard, apdu: &str) -> u16 {
        send(card, apdu).1
    }

    fn issued() -> IssuedHpkiCard {
        HpkiCardBuilder::new(0).build().unwrap()
    }

    fn der_len(bytes: &[u8]) -> usize {
        assert_eq!(bytes[0], 0x30);
        assert_eq!(bytes[1], 0x82);
        4 + usize::from(u16::from_be_bytes([bytes[2], bytes[3]]))
    }

    fn aps() -> [(&'static str, HpkiAp); 2] {
        [
            (SELECT_SIGN_AP, HpkiAp::Signature),
            (SELECT_AUTH_AP, HpkiAp::Authentication),
        ]
    }

    #[test]
    fn selects_both_aps_and_nothing_of_jpki() {
        let mut i = issued();
        assert_eq!(i.card.atr(), HPKI_ATR);
        assert_eq!(sw(&mut i.card, SELECT_SIGN_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_AUTH_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_JPKI_AP), 0x6A82);
        // Both AIDs with the last byte changed are unknown.
        assert_eq!(
            sw(&mut i.card, "00A4040C10E828BD080FA000000391000000000003"),
            0x6A82
        );
        // A JPKI card does not know the HPKI APs.
        let mut jpki = kazasu_virtual_card::VirtualCardBuilder::new(0)
            .build()
            .unwrap()
            .card;
        assert_eq!(sw(&mut jpki, SELECT_SIGN_AP), 0x6A82);
        assert_eq!(sw(&mut jpki, SELECT_AUTH_AP), 0x6A82);
        // EFs of the AP.
        assert_eq!(sw(&mut i.card, SELECT_SIGN_AP), 0x9000);
        for ef in [SELECT_PIN, SELECT_KEY, SELECT_CERT] {
            assert_eq!(sw(&mut i.card, ef), 0x9000, "{ef}");
        }
        assert_eq!(sw(&mut i.card, "00A4020C02000A"), 0x6A82);
        // An AP left off the card is not found.
        let mut half = HpkiCardBuilder::new(0)
            .without_authentication_ap()
            .build()
            .unwrap();
        assert_eq!(sw(&mut half.card, SELECT_SIGN_AP), 0x9000);
        assert_eq!(sw(&mut half.card, SELECT_AUTH_AP), 0x6A82);
    }

    #[test]
    fn certificates_read_without_pin_short_and_extended() {
        let mut i = issued();
        for (select, ap) in aps() {
            let want = match ap {
                HpkiAp::Signature => i.credentials.sign_certificate.clone(),
                HpkiAp::Authentication => i.credentials.auth_certificate.clone(),
            };
            assert_eq!(sw(&mut i.card, select), 0x9000);
            assert_eq!(sw(&mut i.card, SELECT_CERT), 0x9000);
            // Header first, like the peers do.
            let (head, s) = send(&mut i.card, "00B0000004");
            assert_eq!(s, 0x9000);
            assert_eq!(head, want[..4]);
            let total = der_len(&head);
            // Extended Le: the whole file (certificate and filler) in one APDU.
            let (whole, s) = send(&mut i.card, "00B00000000000");
            assert_eq!(s, 0x9000);
            assert_eq!(&whole[..total], &want[..]);
            assert!(whole[total..].iter().all(|b| *b == 0xFF));
            // 256-byte chunks with short Le.
            let mut chunks = Vec::new();
            while chunks.len() < total {
                let off = u16::try_from(chunks.len()).unwrap();
                let (d, s) = send(&mut i.card, &format!("00B0{off:04X}00"));
                assert_eq!(s, 0x9000);
                assert_eq!(d.len(), 256.min(whole.len() - chunks.len()));
                chunks.extend(d);
            }
            assert_eq!(&chunks[..total], &want[..]);
            // Past the end.
            let end = u16::try_from(whole.len()).unwrap();
            assert_ne!(sw(&mut i.card, &format!("00B0{end:04X}01")), 0x9000);
            // The certificate on the card is the holder's, signed by the CA of its AP.
            parse(&want);
            assert!(signed_by(&want, &i.pki.ca(ap).key));
        }
        // Nothing was verified on the way.
        assert_eq!(sw(&mut i.card, SELECT_SIGN_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
        assert_eq!(sw(&mut i.card, PIN_STATUS), 0x63C5);
    }

    #[test]
    fn short_only_card_refuses_extended_le() {
        let mut i = HpkiCardBuilder::new(1)
            .extended_apdus(false)
            .build()
            .unwrap();
        assert_eq!(sw(&mut i.card, SELECT_AUTH_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_CERT), 0x9000);
        assert_ne!(sw(&mut i.card, "00B00000000000"), 0x9000);
        assert_eq!(sw(&mut i.card, "00B0000000"), 0x9000);
    }

    #[test]
    fn verify_uses_p2_88_counts_and_blocks() {
        for (select, ap) in aps() {
            let mut i = issued();
            assert_eq!(i.tries, 5);
            assert_eq!(sw(&mut i.card, select), 0x9000);
            assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
            // The empty VERIFY reads the counter and spends nothing.
            assert_eq!(sw(&mut i.card, PIN_STATUS), 0x63C5);
            assert_eq!(sw(&mut i.card, PIN_STATUS), 0x63C5);
            // The JPKI P2 is wrong here and spends nothing.
            assert_eq!(sw(&mut i.card, "002000800431323334"), 0x6A86);
            assert_eq!(sw(&mut i.card, "00200080"), 0x6A86);
            assert_eq!(sw(&mut i.card, PIN_STATUS), 0x63C5);
            // Wrong PIN counts down; the right one restores the counter.
            assert_eq!(sw(&mut i.card, VERIFY_9999), 0x63C4);
            assert_eq!(sw(&mut i.card, PIN_STATUS), 0x63C4);
            assert_eq!(sw(&mut i.card, VERIFY_1234), 0x9000);
            assert_eq!(sw(&mut i.card, PIN_STATUS), 0x9000);
            assert_eq!(
                i.card
                    .tries_left(&ap.aid(), kazasu_virtual_card::pki::HPKI_PIN_EF),
                Some(5)
            );
            // Power off: not verified any more, counter kept.
            i.card.power_cycle();
            assert_eq!(sw(&mut i.card, select), 0x9000);
            assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
            assert_eq!(sw(&mut i.card, PIN_STATUS), 0x63C5);
            // Five wrong tries block; the fifth answers 63C0.
            for left in (0..5u16).rev() {
                assert_eq!(sw(&mut i.card, VERIFY_9999), 0x63C0 | left);
            }
            assert_eq!(sw(&mut i.card, PIN_STATUS), 0x6984);
            assert_eq!(sw(&mut i.card, VERIFY_1234), 0x6984);
            assert_eq!(
                i.card
                    .tries_left(&ap.aid(), kazasu_virtual_card::pki::HPKI_PIN_EF),
                Some(0)
            );
        }
    }

    #[test]
    fn the_two_pins_are_separate() {
        let mut i = HpkiCardBuilder::new(0)
            .pins("1234", "87654321")
            .tries(3)
            .build()
            .unwrap();
        assert_eq!(sw(&mut i.card, SELECT_AUTH_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
        assert_eq!(sw(&mut i.card, PIN_STATUS), 0x63C3);
        assert_eq!(sw(&mut i.card, VERIFY_1234), 0x63C2);
        assert_eq!(sw(&mut i.card, "00200088083837363534333231"), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_SIGN_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
        assert_eq!(sw(&mut i.card, PIN_STATUS), 0x63C3);
        // PINs outside 4–8 digits are refused when building.
        assert!(HpkiCardBuilder::new(0).pin("123").build().is_err());
        assert!(HpkiCardBuilder::new(0).pin("123456789").build().is_err());
        assert!(HpkiCardBuilder::new(0).pin("12a4").build().is_err());
    }

    #[test]
    fn signs_after_verify_with_the_certified_key() {
        for (select, ap) in aps() {
            let mut i = issued();
            let digest = Sha256::digest(b"referral letter");
            let apdu = format!("802A008033{SHA256_PREFIX}{}00", hex::encode(digest));
            assert_eq!(sw(&mut i.card, select), 0x9000);
            assert_eq!(sw(&mut i.card, SELECT_KEY), 0x9000);
            // Without the PIN: security status not satisfied.
            assert_eq!(sw(&mut i.card, &apdu), 0x6982);
            assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
            assert_eq!(sw(&mut i.card, VERIFY_1234), 0x9000);
            assert_eq!(sw(&mut i.card, SELECT_KEY), 0x9000);
            let (signature, s) = send(&mut i.card, &apdu);
            assert_eq!(s, 0x9000);
            assert_eq!(signature.len(), 256);
            // Check it with the public key of the certificate read from the card.
            assert_eq!(sw(&mut i.card, SELECT_CERT), 0x9000);
            let (file, _) = send(&mut i.card, "00B00000000000");
            let cert = parse(&file[..der_len(&file)]);
            let spki = cert
                .tbs_certificate()
                .subject_public_key_info()
                .to_der()
                .unwrap();
            let public = rsa::PublicKey::from_public_key_der(&spki).unwrap();
            let vk = VerifyingKey::<Sha256>::new(public);
            vk.verify(
                b"referral letter",
                &Signature::try_from(&signature[..]).unwrap(),
            )
            .unwrap_or_else(|e| panic!("{ap:?}: {e}"));
        }
    }

    #[test]
    fn selecting_the_other_ap_drops_the_verification() {
        let mut i = issued();
        assert_eq!(sw(&mut i.card, SELECT_SIGN_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
        assert_eq!(sw(&mut i.card, VERIFY_1234), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_AUTH_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_KEY), 0x9000);
        let digest = Sha256::digest(b"x");
        let apdu = format!("802A008033{SHA256_PREFIX}{}00", hex::encode(digest));
        assert_eq!(sw(&mut i.card, &apdu), 0x6982);
    }

    #[test]
    fn change_reference_data_uses_p2_88() {
        let mut i = issued();
        assert_eq!(sw(&mut i.card, SELECT_SIGN_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
        // Not verified yet.
        assert_eq!(sw(&mut i.card, "0024018806313132323333"), 0x6982);
        assert_eq!(sw(&mut i.card, VERIFY_1234), 0x9000);
        assert_eq!(sw(&mut i.card, "002401800431313131"), 0x6A86);
        // Too short for 4–8 digits.
        assert_eq!(sw(&mut i.card, "0024018803313131"), 0x6A80);
        assert_eq!(sw(&mut i.card, "0024018806313132323333"), 0x9000);
        i.card.power_cycle();
        assert_eq!(sw(&mut i.card, SELECT_SIGN_AP), 0x9000);
        assert_eq!(sw(&mut i.card, SELECT_PIN), 0x9000);
        assert_eq!(sw(&mut i.card, VERIFY_1234), 0x63C4);
        assert_eq!(sw(&mut i.card, "0020008806313132323333"), 0x9000);
    }
}

// ---------------------------------------------------------------------------------------------
// vpcd: a JPKI card in slot 0 and an HPKI card in slot 1 at the same time.

mod vpcd_slots {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use kazasu_virtual_card::card::{ATR, HPKI_ATR};
    use kazasu_virtual_card::vpcd::{ServeEnd, VpcdOptions, serve};
    use kazasu_virtual_card::{HpkiCardBuilder, SharedCard, VirtualCardBuilder};

    fn frame(stream: &mut TcpStream, payload: &[u8]) {
        let mut f = u16::try_from(payload.len()).unwrap().to_be_bytes().to_vec();
        f.extend_from_slice(payload);
        stream.write_all(&f).unwrap();
    }

    fn answer(stream: &mut TcpStream) -> Vec<u8> {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).unwrap();
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut payload).unwrap();
        payload
    }

    fn exchange(stream: &mut TcpStream, apdu: &str) -> Vec<u8> {
        frame(stream, &hex::decode(apdu).unwrap());
        answer(stream)
    }

    #[test]
    fn slot_one_is_port_35964() {
        assert_eq!(VpcdOptions::slot(0).address, "127.0.0.1:35963");
        assert_eq!(VpcdOptions::slot(1).address, "127.0.0.1:35964");
    }

    #[test]
    fn a_jpki_card_and_an_hpki_card_in_two_readers() {
        let jpki: SharedCard =
            Arc::new(Mutex::new(VirtualCardBuilder::new(0).build().unwrap().card));
        let hpki: SharedCard = Arc::new(Mutex::new(HpkiCardBuilder::new(0).build().unwrap().card));
        let stop = Arc::new(AtomicBool::new(false));
        let mut readers = Vec::new();
        let mut handles = Vec::new();
        for card in [jpki, hpki] {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let options = VpcdOptions {
                address: listener.local_addr().unwrap().to_string(),
                connect_timeout: Duration::from_secs(10),
                reconnect: false,
            };
            let s = Arc::clone(&stop);
            handles.push(std::thread::spawn(move || {
                serve(&card, &options, &s).unwrap()
            }));
            readers.push(listener);
        }
        let mut slot0 = readers[0].accept().unwrap().0;
        let mut slot1 = readers[1].accept().unwrap().0;
        for s in [&slot0, &slot1] {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        }
        frame(&mut slot0, &[0x01]);
        frame(&mut slot1, &[0x01]);
        frame(&mut slot0, &[0x04]);
        assert_eq!(answer(&mut slot0), ATR.to_vec());
        frame(&mut slot1, &[0x04]);
        assert_eq!(answer(&mut slot1), HPKI_ATR.to_vec());
        // Interleaved: each reader holds its own card.
        assert_eq!(
            exchange(&mut slot1, "00A4040C10E828BD080FA000000391000000000002"),
            [0x90, 0x00]
        );
        assert_eq!(
            exchange(&mut slot0, "00A4040C10E828BD080FA000000391000000000002"),
            [0x6A, 0x82]
        );
        assert_eq!(
            exchange(&mut slot0, "00A4040C0AD392F000260100000001"),
            [0x90, 0x00]
        );
        assert_eq!(
            exchange(&mut slot1, "00A4040C0AD392F000260100000001"),
            [0x6A, 0x82]
        );
        assert_eq!(
            exchange(&mut slot1, "00A4040C10E828BD080FA000000391000000000001"),
            [0x90, 0x00]
        );
        assert_eq!(exchange(&mut slot1, "00A4020C020002"), [0x90, 0x00]);
        assert_eq!(exchange(&mut slot1, "00200088"), [0x63, 0xC5]);
        assert_eq!(exchange(&mut slot1, "002000880431323334"), [0x90, 0x00]);
        assert_eq!(exchange(&mut slot1, "00A4020C020016"), [0x90, 0x00]);
        let cert = exchange(&mut slot1, "00B0000004");
        assert_eq!(&cert[..2], &[0x30, 0x82]);
        assert_eq!(&cert[4..], &[0x90, 0x00]);
        stop.store(true, Ordering::Relaxed);
        drop(slot0);
        drop(slot1);
        for h in handles {
            let end = h.join().unwrap();
            assert!(
                matches!(end, ServeEnd::Stopped | ServeEnd::Disconnected),
                "{end:?}"
            );
        }
    }
}
