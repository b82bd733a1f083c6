//! The HPKI test PKI and the HPKI card: every profile element checked with `x509-cert` (no OpenSSL),
//! the CRLs and ARLs, the negative knobs, and literal-bytes APDUs for both APs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use der::asn1::{ObjectIdentifier, PrintableStringRef, Utf8StringRef};
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

fn ext<'a>(cert: &'a Certificate, oid: ObjectIdentifier) -> Option<&'a x509_cert::ext::Extension> {
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
        ext_value(cert, oids::EXT_CERTIFICATE_POLICIES);
    (p.0.iter().map(|i| i.policy_identifier).collect(), critical)
}

fn key_usage(cert: &Certificate) -> (KeyUsage, bool) {
    ext_value(cert, oids::EXT_KEY_USAGE)
}

/// The role strings of the hcRole attribute, decoded by hand from the extension value, checking the
/// coding scheme of each.
fn roles_of(cert: &Certificate, scheme: ObjectIdentifier) -> Vec<String> {
    let (sda, critical): (SubjectDirectoryAttributes, bool) =
        ext_value(cert, oids::EXT_SUBJECT_DIRECTORY_ATTRIBUTES);
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
        names.iter().all(|(oid, _)| *oid != oids::AT_COMMON_NAME),
        "no CN"
    );
    assert_eq!(names[0], (oids::AT_COUNTRY, "JP".into()));
    assert_eq!(
        names[1],
        (
            oids::AT_ORGANIZATION,
            "Ministry of Health, Labour and Welfare".into()
        )
    );
    assert!(signed_by(&root.der, &root.key));
    assert_eq!(tbs.serial_number().as_bytes(), &[1]);
    let (ku, critical) = key_usage(&cert);
    assert!(critical);
    assert_eq!(ku.0, KeyUsages::KeyCertSign | KeyUsages::CRLSign);
    let (bc, critical): (BasicConstraints, bool) = ext_value(&cert, oids::EXT_BASIC_CONSTRAINTS);
    assert!(critical && bc.ca);
    let (san, _): (SubjectAltName, bool) = ext_value(&cert, oids::EXT_SUBJECT_ALT_NAME);
    let GeneralName::DirectoryName(kanji) = &san.0[0] else {
        panic!("SAN is not a DirName")
    };
    assert_eq!(rdns(kanji)[1].1, "厚生労働省");
    let (cdp, _): (CrlDistributionPoints, bool) =
        ext_value(&cert, oids::EXT_CRL_DISTRIBUTION_POINTS);
    assert_eq!(cdp.0.len(), 2);
    let Some(DistributionPointName::FullName(n)) = &cdp.0[0].distribution_point else {
        panic!()
    };
    let GeneralName::DirectoryName(dp) = &n[0] else {
        panic!()
    };
    let dp = rdns(dp);
    assert_eq!(dp.len(), 5);
    assert_eq!(dp[4], (oids::AT_COMMON_NAME, "RARL".into()));
    let (aki, _): (AuthorityKeyIdentifier, bool) = ext_value(&cert, oids::EXT_AUTHORITY_KEY_ID);
    let (ski, _): (SubjectKeyIdentifier, bool) = ext_value(&cert, oids::EXT_SUBJECT_KEY_ID);
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
            ext_value(&cert, oids::EXT_BASIC_CONSTRAINTS);
        assert!(critical && bc.ca);
        let (cdp, _): (CrlDistributionPoints, bool) =
            ext_value(&cert, oids::EXT_CRL_DISTRIBUTION_POINTS);
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
        let (aki, _): (AuthorityKeyIdentifier, bool) = ext_value(&cert, oids::EXT_AUTHORITY_KEY_ID);
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
                (oids::AT_COUNTRY, "JP".to_string()),
                (oids::AT_COMMON_NAME, holder.romanized_name.clone()),
                (oids::AT_SERIAL_NUMBER, holder.hpki_id.clone()),
            ]
        );
        // Kanji copy in a SAN DirName.
        let (san, _): (SubjectAltName, bool) = ext_value(&cert, oids::EXT_SUBJECT_ALT_NAME);
        let GeneralName::DirectoryName(kanji) = &san.0[0] else {
            panic!("SAN is not a DirName")
        };
        assert_eq!(
            rdns(kanji)[1],
            (oids::AT_COMMON_NAME, holder.kanji_name.clone())
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
            ext(&cert, oids::EXT_SUBJECT_DIRECTORY_ATTRIBUTES)
                .unwrap()
                .extn_value
                .as_bytes(),
            real
        );
        // AKI: the CA's key id, the CA's issuer (the root) as DirName, the CA's serial.
        let (aki, critical): (AuthorityKeyIdentifier, bool) =
            ext_value(&cert, oids::EXT_AUTHORITY_KEY_ID);
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
        let (ski, _): (SubjectKeyIdentifier, bool) = ext_value(&cert, oids::EXT_SUBJECT_KEY_ID);
        assert_eq!(ski.0.as_bytes().len(), 20);
        let (cdp, _): (CrlDistributionPoints, bool) =
            ext_value(&cert, oids::EXT_CRL_DISTRIBUTION_POINTS);
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
    assert!(ext(&c, oids::EXT_SUBJECT_DIRECTORY_ATTRIBUTES).is_none());

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
    assert!(ext(&c, oids::EXT_AUTHORITY_KEY_ID).is_none());
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
                .all(|e| e.extn_id != oids::EXT_ISSUING_DISTRIBUTION_POINT)
        );
        let aki = exts
            .iter()
            .find(|e| e.extn_id == oids::EXT_AUTHORITY_KEY_ID)
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
        .find(|e| e.extn_id == oids::EXT_ISSUING_DISTRIBUTION_POINT)
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
    let (cdp, _): (CrlDistributionPoints, bool) = ext_value(&ca, oids::EXT_CRL_DISTRIBUTION_POINTS);
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
