#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The negative suite: crafted certificates and CRLs from the virtual card's test PKI, each rejected
//! for its own named reason.

mod common;

use common::{Fixture, at, at_2015, ca_usage, day, vc};
use kazasu_pki::{
    Certificate, Crl, CrlSet, Error, Purpose, Rejection, RevocationReason, UnknownReason, Verifier,
    VerifierOptions, pem,
};
use vc::x509_cert::ext::pkix::{CrlReason, ExtendedKeyUsage, KeyUsage, KeyUsages};
use vc::{
    AuthorityKeyId, CertTemplate, CrlSpec, DistinguishedName, Ext, Generation, IssueSpec, Issuer,
    KeyChoice, Purpose as VcPurpose, RevokedEntry, SignatureAlgorithm, policies,
};

/// Validates the tweaked authentication certificate (revocation checked against current CRLs).
fn reject_auth(f: &Fixture, template: &CertTemplate) -> Rejection {
    let cert = f.issue(template);
    f.verifier(f.current_crls(at()))
        .validate(&cert, Purpose::Authentication, at())
        .expect_err("must be rejected")
}

#[test]
fn baseline_is_valid() {
    // Every case below changes one thing of this certificate, which validates.
    let f = Fixture::new();
    let cert = f.issue(&f.auth_template());
    let path = f
        .verifier(f.current_crls(at()))
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    assert_eq!(path.chain().len(), 2);
}

#[test]
fn bad_signature() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.corrupt_signature = true;
    let e = reject_auth(&f, &t);
    assert!(matches!(e, Rejection::BadSignature { .. }), "{e}");
}

#[test]
fn wrong_signer_key() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.sign_with = Some(KeyChoice::Fixture(22));
    let e = reject_auth(&f, &t);
    assert!(matches!(e, Rejection::BadSignature { .. }), "{e}");
}

#[test]
fn sha1_signature_is_not_allowed() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.signature_algorithm = SignatureAlgorithm::Sha1WithRsa;
    let e = reject_auth(&f, &t);
    match e {
        Rejection::AlgorithmNotAllowed { algorithm, .. } => {
            assert_eq!(algorithm, "sha1WithRSAEncryption")
        }
        other => panic!("{other}"),
    }
    // …and allowed when the policy says so.
    let cert = f.issue(&t);
    let mut o = VerifierOptions::default();
    o.allow_sha1 = true;
    f.verifier(f.current_crls(at()))
        .with_options(o)
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
}

#[test]
fn rsa_1024_leaf_key() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.subject_key = KeyChoice::Weak;
    let e = reject_auth(&f, &t);
    assert!(
        matches!(
            e,
            Rejection::KeyTooSmall {
                bits: 1024,
                minimum: 2048,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn rsa_1024_issuer_key() {
    let f = Fixture::new();
    let inter = f
        .pki
        .issue_with(&f.intermediate("Weak CA", KeyChoice::Weak, ca_usage(), None))
        .unwrap();
    let leaf = f.issue(&f.auth_template_under(&inter, KeyChoice::Weak));
    let e = f
        .verifier_without_revocation()
        .validate_with(
            &leaf,
            &[Certificate::from_der(&inter).unwrap()],
            Purpose::Authentication,
            at(),
        )
        .unwrap_err();
    match e {
        Rejection::KeyTooSmall { subject, bits, .. } => {
            assert!(subject.contains("Weak CA"));
            assert_eq!(bits, 1024);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn inner_and_outer_algorithms_differ() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.outer_signature_algorithm = Some(SignatureAlgorithm::Sha384WithRsa);
    let e = reject_auth(&f, &t);
    assert!(matches!(e, Rejection::AlgorithmMismatch { .. }), "{e}");
}

#[test]
fn expired_leaf() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.not_after = day(2025, 12, 31);
    let e = reject_auth(&f, &t);
    match e {
        Rejection::Expired {
            subject,
            not_after,
            at: when,
        } => {
            assert!(subject.starts_with("CN="));
            assert_eq!(not_after, day(2025, 12, 31));
            assert_eq!(when, at());
        }
        other => panic!("{other}"),
    }
}

#[test]
fn not_yet_valid_leaf() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.not_before = day(2026, 6, 1);
    let e = reject_auth(&f, &t);
    assert!(matches!(e, Rejection::NotYetValid { .. }), "{e}");
}

#[test]
fn expired_root_at_verification_time() {
    // A holder certificate of the 2015 generation, valid itself in 2026, under a root that
    // expired on 2025-10-19.
    let f = Fixture::new();
    let spec = IssueSpec {
        generation: Generation::G2015,
        ..IssueSpec::default()
    };
    let holder = f.pki.issue(&f.persona, &spec).unwrap();
    let cert = Certificate::from_der(&holder.auth_certificate).unwrap();
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&cert, Purpose::Authentication, at())
        .unwrap_err();
    match e {
        Rejection::Expired {
            subject, not_after, ..
        } => {
            assert!(
                subject.contains("JPKI for user authentication"),
                "{subject}"
            );
            assert_eq!(not_after.year(), 2025);
        }
        other => panic!("{other}"),
    }
    // The same certificate validates before the root expired.
    f.verifier(f.current_crls(at_2015()))
        .validate(&cert, Purpose::Authentication, at_2015())
        .unwrap();
}

#[test]
fn root_not_yet_valid_at_verification_time() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.not_before = day(2020, 1, 1);
    let cert = f.issue(&t);
    let e = f
        .verifier_without_revocation()
        .validate(&cert, Purpose::Authentication, day(2022, 1, 1))
        .unwrap_err();
    match e {
        Rejection::NotYetValid { subject, .. } => assert!(subject.contains("O=JPKI")),
        other => panic!("{other}"),
    }
}

#[test]
fn issuer_not_a_ca() {
    // A holder certificate (no BasicConstraints) posing as the issuer of another.
    let f = Fixture::new();
    let mut t = f.auth_template_under(&f.holder.auth_certificate, KeyChoice::Fixture(4));
    t.subject = DistinguishedName::new().country("JP").common_name("VICTIM");
    let leaf = f.issue(&t);
    let e = f
        .verifier_without_revocation()
        .validate_with(&leaf, &[f.auth_cert()], Purpose::Authentication, at())
        .unwrap_err();
    assert!(matches!(e, Rejection::IssuerNotCa { .. }), "{e}");
}

#[test]
fn issuer_without_key_cert_sign() {
    let f = Fixture::new();
    let inter = f
        .pki
        .issue_with(&f.intermediate(
            "CRL-only CA",
            KeyChoice::Fixture(20),
            KeyUsage(KeyUsages::CRLSign.into()),
            None,
        ))
        .unwrap();
    let leaf = f.issue(&f.auth_template_under(&inter, KeyChoice::Fixture(20)));
    let e = f
        .verifier_without_revocation()
        .validate_with(
            &leaf,
            &[Certificate::from_der(&inter).unwrap()],
            Purpose::Authentication,
            at(),
        )
        .unwrap_err();
    assert!(
        matches!(e, Rejection::IssuerWithoutKeyCertSign { .. }),
        "{e}"
    );
}

#[test]
fn path_length_constraint_exceeded() {
    // root → A (pathLen 0) → B (CA) → leaf: B is one CA too many under A.
    let f = Fixture::new();
    let a = f
        .pki
        .issue_with(&f.intermediate("CA A", KeyChoice::Fixture(20), ca_usage(), Some(0)))
        .unwrap();
    let mut b = f.intermediate("CA B", KeyChoice::Fixture(21), ca_usage(), None);
    b.issuer = Issuer::Certificate {
        certificate: a.clone(),
        key: KeyChoice::Fixture(20),
    };
    let b = f.pki.issue_with(&b).unwrap();
    let leaf = f.issue(&f.auth_template_under(&b, KeyChoice::Fixture(21)));
    let chain = [
        Certificate::from_der(&a).unwrap(),
        Certificate::from_der(&b).unwrap(),
    ];
    let e = f
        .verifier_without_revocation()
        .validate_with(&leaf, &chain, Purpose::Authentication, at())
        .unwrap_err();
    match e {
        Rejection::PathLengthExceeded { issuer } => assert!(issuer.contains("CA A")),
        other => panic!("{other}"),
    }
}

#[test]
fn leaf_key_usage_without_digital_signature() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.key_usage = Ext::critical(KeyUsage(KeyUsages::KeyEncipherment.into()));
    let e = reject_auth(&f, &t);
    assert!(
        matches!(
            e,
            Rejection::KeyUsageMismatch {
                purpose: Purpose::Authentication,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn leaf_key_usage_absent() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.key_usage = None;
    let e = reject_auth(&f, &t);
    assert!(matches!(e, Rejection::KeyUsageMismatch { .. }), "{e}");
}

#[test]
fn extended_key_usage_without_client_auth() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.extended_key_usage = Ext::non_critical(ExtendedKeyUsage(vec![
        der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1"),
    ]));
    let e = reject_auth(&f, &t);
    match e {
        Rejection::KeyUsageMismatch { required, .. } => assert!(required.contains("clientAuth")),
        other => panic!("{other}"),
    }
}

#[test]
fn wrong_policy_for_purpose() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.certificate_policies = Ext::critical(policies(&[der::asn1::ObjectIdentifier::new_unwrap(
        "1.2.392.200149.8.5.1.3.99",
    )]));
    let e = reject_auth(&f, &t);
    match e {
        Rejection::PolicyMismatch {
            expected, found, ..
        } => {
            assert_eq!(expected, "1.2.392.200149.8.5.1.3.30");
            assert_eq!(found, ["1.2.392.200149.8.5.1.3.99"]);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn policy_absent() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.certificate_policies = None;
    let e = reject_auth(&f, &t);
    match e {
        Rejection::PolicyMismatch { found, .. } => assert!(found.is_empty()),
        other => panic!("{other}"),
    }
}

#[test]
fn signature_certificate_used_for_authentication() {
    let f = Fixture::new();
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&f.sign_cert(), Purpose::Authentication, at())
        .unwrap_err();
    match e {
        Rejection::PolicyMismatch { purpose, found, .. } => {
            assert_eq!(purpose, Purpose::Authentication);
            assert_eq!(found, ["1.2.392.200149.8.5.1.1.20"]);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn authentication_certificate_used_for_signature() {
    let f = Fixture::new();
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&f.auth_cert(), Purpose::Signature, at())
        .unwrap_err();
    // Its KeyUsage (digitalSignature only) already rules it out, before its policy.
    assert!(
        matches!(
            e,
            Rejection::KeyUsageMismatch {
                purpose: Purpose::Signature,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.code(), "key_usage_mismatch");
    // With nonRepudiation added, the policy still says authentication.
    let mut t = f.auth_template();
    t.key_usage = Ext::critical(KeyUsage(
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
    ));
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&f.issue(&t), Purpose::Signature, at())
        .unwrap_err();
    assert!(
        matches!(
            e,
            Rejection::PolicyMismatch {
                purpose: Purpose::Signature,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn unknown_critical_extension() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.unknown_critical_extension = true;
    let e = reject_auth(&f, &t);
    match e {
        Rejection::UnknownCriticalExtension { oid, .. } => assert_eq!(oid, "1.3.6.1.4.1.32473.1.1"),
        other => panic!("{other}"),
    }
}

#[test]
fn aki_does_not_match_any_ski() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.authority_key_id = AuthorityKeyId::KeyId(vec![0xAA; 20]);
    let e = reject_auth(&f, &t);
    match e {
        Rejection::AkiSkiMismatch {
            authority_key_id, ..
        } => {
            assert!(authority_key_id.starts_with("AA:AA"))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn name_chaining_broken() {
    // Signed with the 2023 authentication root's key and naming its key identifier, but under
    // another issuer name.
    let f = Fixture::new();
    let root = f.pki.root(VcPurpose::Authentication, Generation::G2023);
    let mut impostor =
        CertTemplate::jpki_root(VcPurpose::Authentication, Generation::G2023).unwrap();
    impostor.subject = DistinguishedName::new()
        .country("JP")
        .organization("JPKI")
        .organizational_unit("Someone else");
    let impostor = f.pki.issue_with(&impostor).unwrap();
    let leaf = f.issue(&f.auth_template_under(&impostor, KeyChoice::Fixture(1)));
    assert_eq!(
        leaf.authority_key_id().unwrap().key_id.as_deref(),
        Certificate::from_der(&root.der).unwrap().subject_key_id()
    );
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&leaf, Purpose::Authentication, at())
        .unwrap_err();
    match e {
        Rejection::NameChainingBroken { issuer, signer, .. } => {
            assert!(issuer.contains("Someone else"));
            assert!(signer.contains("JPKI for user authentication"));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn untrusted_root() {
    let f = Fixture::new();
    let mut evil = CertTemplate::jpki_root(VcPurpose::Authentication, Generation::G2023).unwrap();
    evil.subject = DistinguishedName::new()
        .country("JP")
        .organization("Evil CA");
    evil.subject_key = KeyChoice::Fixture(22);
    let evil = f.pki.issue_with(&evil).unwrap();
    let leaf = f.issue(&f.auth_template_under(&evil, KeyChoice::Fixture(22)));
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&leaf, Purpose::Authentication, at())
        .unwrap_err();
    assert!(matches!(e, Rejection::UntrustedIssuer { .. }), "{e}");
    // The real J-LIS roots do not trust the test PKI either.
    let e = Verifier::jlis()
        .unwrap()
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap_err();
    assert!(matches!(e, Rejection::AkiSkiMismatch { .. }), "{e}");
}

#[test]
fn revoked_with_date_and_reason() {
    let f = Fixture::new();
    let revoked_at = day(2025, 11, 3);
    let spec = CrlSpec::valid_at(at()).revoke(
        RevokedEntry::from_bytes(&f.holder.auth_serial, revoked_at)
            .with_reason(CrlReason::KeyCompromise),
    );
    let crls = CrlSet::new().with(f.crl(VcPurpose::Authentication, Generation::G2023, &spec));
    let e = f
        .verifier(crls)
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap_err();
    match e {
        Rejection::Revoked {
            revoked_at: when,
            reason,
            serial,
            ..
        } => {
            assert_eq!(when, revoked_at);
            assert_eq!(reason, Some(RevocationReason::KeyCompromise));
            assert_eq!(serial, f.auth_cert().serial_hex());
        }
        other => panic!("{other}"),
    }
}

fn unknown_with(f: &Fixture, crls: CrlSet) -> UnknownReason {
    match f
        .verifier(crls)
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap_err()
    {
        Rejection::RevocationUnknown { reason, .. } => reason,
        other => panic!("{other}"),
    }
}

#[test]
fn crl_with_bad_signature_gives_unknown() {
    let f = Fixture::new();
    let spec = CrlSpec {
        corrupt_signature: true,
        ..CrlSpec::valid_at(at())
    };
    let crls = CrlSet::new().with(f.crl(VcPurpose::Authentication, Generation::G2023, &spec));
    assert_eq!(unknown_with(&f, crls), UnknownReason::CrlBadSignature);
}

#[test]
fn crl_signed_by_another_key_gives_unknown() {
    let f = Fixture::new();
    let spec = CrlSpec {
        sign_with: Some(KeyChoice::Fixture(22)),
        ..CrlSpec::valid_at(at())
    };
    let crls = CrlSet::new().with(f.crl(VcPurpose::Authentication, Generation::G2023, &spec));
    assert_eq!(unknown_with(&f, crls), UnknownReason::CrlBadSignature);
}

#[test]
fn expired_crl_gives_unknown() {
    let f = Fixture::new();
    let crls = CrlSet::new().with(f.crl(
        VcPurpose::Authentication,
        Generation::G2023,
        &CrlSpec::expired_at(at()),
    ));
    assert!(matches!(
        unknown_with(&f, crls),
        UnknownReason::CrlExpired { .. }
    ));
}

#[test]
fn future_crl_gives_unknown() {
    let f = Fixture::new();
    let crls = CrlSet::new().with(f.crl(
        VcPurpose::Authentication,
        Generation::G2023,
        &CrlSpec::valid_at(day(2026, 2, 1)),
    ));
    assert!(matches!(
        unknown_with(&f, crls),
        UnknownReason::CrlNotYetValid { .. }
    ));
}

#[test]
fn crl_of_another_generation_is_not_applicable() {
    let f = Fixture::new();
    let crls = CrlSet::new().with(f.crl(
        VcPurpose::Authentication,
        Generation::G2015,
        &CrlSpec::valid_at(at()),
    ));
    assert_eq!(unknown_with(&f, crls), UnknownReason::CrlNotApplicable);
}

#[test]
fn sha1_crl_gives_unknown() {
    let f = Fixture::new();
    let spec = CrlSpec {
        signature_algorithm: SignatureAlgorithm::Sha1WithRsa,
        ..CrlSpec::valid_at(at())
    };
    let crls = CrlSet::new().with(f.crl(VcPurpose::Authentication, Generation::G2023, &spec));
    assert!(matches!(
        unknown_with(&f, crls),
        UnknownReason::CrlAlgorithmNotAllowed(_)
    ));
}

#[test]
fn revocation_required_but_no_crl() {
    let f = Fixture::new();
    // CRLs of the signature CA only: nothing about the authentication CA.
    let crls = CrlSet::new().with(f.crl(
        VcPurpose::Signature,
        Generation::G2023,
        &CrlSpec::valid_at(at()),
    ));
    assert_eq!(unknown_with(&f, crls), UnknownReason::NoCrlForIssuer);
    // No revocation source at all.
    let e = Verifier::new(f.trust())
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap_err();
    assert!(
        matches!(
            e,
            Rejection::RevocationUnknown {
                reason: UnknownReason::NoSource,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn message_signature_from_another_key() {
    let f = Fixture::new();
    let sig = SignatureAlgorithm::Sha256WithRsa
        .sign(&f.holder.sign_key, b"challenge")
        .unwrap();
    let e = f
        .verifier(f.current_crls(at()))
        .verify_message(
            &f.auth_cert(),
            Purpose::Authentication,
            at(),
            kazasu_pki::HashAlgorithm::Sha256,
            b"challenge",
            &sig,
        )
        .unwrap_err();
    assert_eq!(e, Rejection::MessageSignatureInvalid);
}

#[test]
fn truncated_der() {
    let f = Fixture::new();
    let der = &f.holder.auth_certificate;
    for cut in [1, 10, der.len() / 2, der.len() - 1] {
        let e = Certificate::from_der(&der[..cut]).unwrap_err();
        assert!(matches!(e, Error::Der { .. }), "{cut}: {e}");
    }
    let crl = f
        .pki
        .crl(
            VcPurpose::Authentication,
            Generation::G2023,
            &CrlSpec::valid_at(at()),
        )
        .unwrap();
    let e = Crl::from_der(&crl[..crl.len() - 3]).unwrap_err();
    assert!(matches!(e, Error::Der { .. }), "{e}");
}

#[test]
fn trailing_garbage_after_der() {
    let f = Fixture::new();
    let mut der = f.holder.auth_certificate.clone();
    der.push(0);
    assert!(matches!(
        Certificate::from_der(&der),
        Err(Error::Der { .. })
    ));
}

#[test]
fn garbage_pem() {
    let e = Certificate::parse(
        b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    )
    .unwrap_err();
    assert!(matches!(e, Error::Pem(_)), "{e}");
    let e = Certificate::parse(b"plain garbage").unwrap_err();
    assert_eq!(e, Error::NotDerOrPem);
}

#[test]
fn crl_pem_given_as_certificate() {
    let f = Fixture::new();
    let crl = f
        .pki
        .crl(
            VcPurpose::Authentication,
            Generation::G2023,
            &CrlSpec::valid_at(at()),
        )
        .unwrap();
    let text = pem::encode(pem::X509_CRL, &crl).unwrap();
    let e = Certificate::parse(text.as_bytes()).unwrap_err();
    assert!(matches!(e, Error::PemLabel { .. }), "{e}");
}

#[test]
fn huge_input() {
    let e = Certificate::from_der(&vec![0x30; 1 << 20]).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
}

#[test]
fn malformed_personal_data() {
    let f = Fixture::new();
    let mut t = f.sign_template();
    t.subject_alt_name = Ext::non_critical(
        vc::jpki_other_names(&[
            (kazasu_pki::oids::JPKI_NAME, "山田 花子"),
            (kazasu_pki::oids::JPKI_SEX, "7"),
            (kazasu_pki::oids::JPKI_BIRTH_DATE, "319850412"),
            (kazasu_pki::oids::JPKI_ADDRESS, "東京都"),
        ])
        .unwrap(),
    );
    let e = f.issue(&t).personal_data().unwrap_err();
    assert!(matches!(e, Error::PersonalData(_)), "{e}");
}

// ---- Issue 10 hardening: each case below was accepted (or told apart wrongly) before. ----

/// The 2023 authentication root's key identifier.
fn auth_root_2023_key_id(f: &Fixture) -> Vec<u8> {
    Certificate::from_der(&f.pki.root(VcPurpose::Authentication, Generation::G2023).der)
        .unwrap()
        .key_id()
        .to_vec()
}

/// `n` self-signed anchors with the 2023 authentication root's name and key identifier on
/// `key` (not the root's key), told apart by serial.
fn impostor_anchors(f: &Fixture, key: KeyChoice, n: u8) -> Vec<Certificate> {
    let ski = auth_root_2023_key_id(f);
    (0..n)
        .map(|i| {
            let mut t =
                CertTemplate::jpki_root(VcPurpose::Authentication, Generation::G2023).unwrap();
            t.subject_key = key;
            t.subject_key_id = vc::SubjectKeyId::Custom(ski.clone());
            t.serial = vec![0x70, i];
            f.issue(&t)
        })
        .collect()
}

/// The test roots after `first`, in that order.
fn store_with(f: &Fixture, first: Vec<Certificate>) -> kazasu_pki::TrustStore {
    kazasu_pki::TrustStore::from_certificates(first.into_iter().chain(f.trust().anchors().to_vec()))
}

#[test]
fn same_name_anchors_exhaust_the_signature_budget() {
    // 40 anchors claim the root's name and key id; each costs an RSA verification that fails.
    let f = Fixture::new();
    let store = store_with(&f, impostor_anchors(&f, KeyChoice::Fixture(22), 40));
    let verifier = Verifier::new(store.clone()).with_revocation(f.current_crls(at()));
    let e = verifier
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap_err();
    assert_eq!(e, Rejection::SignatureBudgetExceeded { limit: 32 });
    assert_eq!(e.code(), "signature_budget_exceeded");
    // The budget is the only reason: with room for 41 checks the real root is found.
    let mut o = VerifierOptions::default();
    o.max_signature_checks = 41;
    Verifier::new(store)
        .with_revocation(f.current_crls(at()))
        .with_options(o)
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap();
}

#[test]
fn same_name_anchors_exhaust_the_candidate_budget() {
    // 130 anchors with the root's name and key id but RSA-1024 keys: each is ruled out without a
    // signature check, yet trying them all is capped too.
    let f = Fixture::new();
    let store = store_with(&f, impostor_anchors(&f, KeyChoice::Weak, 130));
    let e = Verifier::new(store.clone())
        .with_revocation(f.current_crls(at()))
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap_err();
    assert_eq!(e, Rejection::IssuerCandidateBudgetExceeded { limit: 128 });
    assert_eq!(e.code(), "issuer_candidate_budget_exceeded");
    let mut o = VerifierOptions::default();
    o.max_issuer_candidates = 131;
    Verifier::new(store)
        .with_revocation(f.current_crls(at()))
        .with_options(o)
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap();
}

#[test]
fn presented_intermediates_share_the_signature_budget() {
    // The presenter controls the intermediates: 40 CAs named like the leaf's issuer with its key
    // id, none of which signed it.
    let f = Fixture::new();
    let inter = f
        .pki
        .issue_with(&f.intermediate("Busy CA", KeyChoice::Fixture(20), ca_usage(), None))
        .unwrap();
    let inter = Certificate::from_der(&inter).unwrap();
    let leaf = f.issue(&f.auth_template_under(inter.der(), KeyChoice::Fixture(20)));
    let mut decoys: Vec<Certificate> = (0..40u8)
        .map(|i| {
            let mut t = f.intermediate("Busy CA", KeyChoice::Fixture(21), ca_usage(), None);
            t.serial = vec![0x71, i];
            t.subject_key_id = vc::SubjectKeyId::Custom(inter.key_id().to_vec());
            f.issue(&t)
        })
        .collect();
    decoys.push(inter);
    let e = f
        .verifier_without_revocation()
        .validate_with(&leaf, &decoys, Purpose::Authentication, at())
        .unwrap_err();
    assert_eq!(e, Rejection::SignatureBudgetExceeded { limit: 32 });
    assert_eq!(e.code(), "signature_budget_exceeded");
}

#[test]
fn ca_certificate_presented_as_leaf() {
    // Everything an authentication certificate needs, plus CA:TRUE.
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.basic_constraints = Ext::critical(vc::x509_cert::ext::pkix::BasicConstraints {
        ca: true,
        path_len_constraint: None,
    });
    t.key_usage = Ext::critical(KeyUsage(
        KeyUsages::DigitalSignature | KeyUsages::KeyCertSign,
    ));
    let e = reject_auth(&f, &t);
    match &e {
        Rejection::CaAsEndEntity { subject } => assert!(subject.starts_with("CN="), "{subject}"),
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "ca_as_end_entity");
    // A J-LIS root itself is refused the same way.
    let root =
        Certificate::from_der(&f.pki.root(VcPurpose::Signature, Generation::G2023).der).unwrap();
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&root, Purpose::Signature, at())
        .unwrap_err();
    assert_eq!(e.code(), "ca_as_end_entity");
}

#[test]
fn signature_certificate_without_non_repudiation() {
    let f = Fixture::new();
    let mut t = f.sign_template();
    t.key_usage = Ext::critical(KeyUsage(KeyUsages::DigitalSignature.into()));
    let cert = f.issue(&t);
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&cert, Purpose::Signature, at())
        .unwrap_err();
    match &e {
        Rejection::KeyUsageMismatch {
            purpose: Purpose::Signature,
            required,
            ..
        } => assert_eq!(required, "KeyUsage nonRepudiation"),
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "key_usage_mismatch");
    // nonRepudiation alone (as HPKI signature certificates have it) is enough.
    t.key_usage = Ext::critical(KeyUsage(KeyUsages::NonRepudiation.into()));
    f.verifier(f.current_crls(at()))
        .validate(&f.issue(&t), Purpose::Signature, at())
        .unwrap();
}

#[test]
fn signature_certificate_chaining_to_the_authentication_root() {
    // Issued (name, AKI, signature) by the authentication root: the keys verify, the purpose not.
    let f = Fixture::new();
    let mut t = f.sign_template();
    t.issuer = Issuer::Root {
        purpose: VcPurpose::Authentication,
        generation: Generation::G2023,
    };
    let cert = f.issue(&t);
    let e = f
        .verifier(f.current_crls(at()))
        .validate(&cert, Purpose::Signature, at())
        .unwrap_err();
    match &e {
        Rejection::AnchorPurposeMismatch {
            anchor,
            purpose,
            anchor_purposes,
        } => {
            assert!(anchor.contains("JPKI for user authentication"), "{anchor}");
            assert_eq!(*purpose, Purpose::Signature);
            assert_eq!(anchor_purposes, &[Purpose::Authentication]);
        }
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "anchor_purpose_mismatch");
}

#[test]
fn authentication_certificate_chaining_to_the_signature_root() {
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.issuer = Issuer::Root {
        purpose: VcPurpose::Signature,
        generation: Generation::G2023,
    };
    let e = reject_auth(&f, &t);
    match &e {
        Rejection::AnchorPurposeMismatch {
            purpose: Purpose::Authentication,
            anchor_purposes,
            ..
        } => assert_eq!(anchor_purposes, &[Purpose::Signature]),
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "anchor_purpose_mismatch");
    // Trusting that root for authentication too is the store's decision, and then it validates.
    let cert = f.issue(&t);
    let sign_root =
        Certificate::from_der(&f.pki.root(VcPurpose::Signature, Generation::G2023).der).unwrap();
    let store = f
        .trust()
        .with_for(sign_root.clone(), [Purpose::Authentication]);
    assert_eq!(
        store.purposes(&sign_root),
        [Purpose::Signature, Purpose::Authentication]
    );
    Verifier::new(store)
        .with_revocation(f.current_crls(at()))
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
}

#[test]
fn anchor_without_a_jlis_name_is_trusted_for_nothing_until_told() {
    let f = Fixture::new();
    let mut ca = CertTemplate::jpki_root(VcPurpose::Authentication, Generation::G2023).unwrap();
    ca.subject = DistinguishedName::new()
        .country("JP")
        .organization("Private CA");
    ca.subject_key = KeyChoice::Fixture(22);
    let ca = f.issue(&ca);
    let leaf = f.issue(&f.auth_template_under(ca.der(), KeyChoice::Fixture(22)));
    let mut o = VerifierOptions::default();
    o.revocation = kazasu_pki::RevocationPolicy::Off;
    let store = kazasu_pki::TrustStore::new().with(ca.clone());
    assert!(store.purposes(&ca).is_empty());
    let e = Verifier::new(store)
        .with_options(o.clone())
        .validate(&leaf, Purpose::Authentication, at())
        .unwrap_err();
    match &e {
        Rejection::AnchorPurposeMismatch {
            anchor_purposes, ..
        } => assert!(anchor_purposes.is_empty()),
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "anchor_purpose_mismatch");
    assert!(e.to_string().contains("trusted for no purpose"), "{e}");
    Verifier::new(kazasu_pki::TrustStore::new().with_for(ca, [Purpose::Authentication]))
        .with_options(o)
        .validate(&leaf, Purpose::Authentication, at())
        .unwrap();
}

#[test]
fn crl_without_next_update_gives_unknown() {
    let f = Fixture::new();
    let spec = CrlSpec {
        next_update: None,
        ..CrlSpec::valid_at(at())
    };
    let crl = || f.crl(VcPurpose::Authentication, Generation::G2023, &spec);
    assert_eq!(crl().next_update(), None);
    assert_eq!(
        unknown_with(&f, CrlSet::new().with(crl())),
        UnknownReason::CrlWithoutNextUpdate
    );
    let e = f
        .verifier(CrlSet::new().with(crl()))
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap_err();
    assert_eq!(e.code(), "revocation_unknown");
}

/// A current CRL of the 2023 authentication root listing `serial`, whose entry carries `ext`
/// (re-signed by the root after the entry was changed).
fn crl_with_entry_extension(f: &Fixture, serial: &[u8], ext: vc::x509_cert::ext::Extension) -> Crl {
    use der::{Decode, Encode};
    use vc::x509_cert::crl::CertificateList;
    let spec = CrlSpec::valid_at(at()).revoke(
        RevokedEntry::from_bytes(serial, day(2025, 11, 3)).with_reason(CrlReason::KeyCompromise),
    );
    let der = f
        .pki
        .crl(VcPurpose::Authentication, Generation::G2023, &spec)
        .unwrap();
    let mut list: CertificateList = CertificateList::from_der(&der).unwrap();
    let entry = &mut list.tbs_cert_list.revoked_certificates.as_mut().unwrap()[0];
    entry
        .crl_entry_extensions
        .get_or_insert_with(Vec::new)
        .push(ext);
    let tbs = list.tbs_cert_list.to_der().unwrap();
    let root = f.pki.root(VcPurpose::Authentication, Generation::G2023);
    let signature = SignatureAlgorithm::Sha256WithRsa
        .sign(&root.key, &tbs)
        .unwrap();
    list.signature = der::asn1::BitString::from_bytes(&signature).unwrap();
    Crl::from_der_vec(list.to_der().unwrap()).unwrap()
}

fn entry_extension(oid: &str, critical: bool, value: &[u8]) -> vc::x509_cert::ext::Extension {
    vc::x509_cert::ext::Extension {
        extn_id: der::asn1::ObjectIdentifier::new_unwrap(oid),
        critical,
        extn_value: der::asn1::OctetString::new(value).unwrap(),
    }
}

#[test]
fn crl_with_an_unsupported_critical_entry_extension_calls_no_one_good() {
    // Another holder's entry carries a critical extension we do not understand: the CRL cannot
    // say our holder is good (RFC 5280 §5.3).
    let f = Fixture::new();
    let other = [0x77];
    let ext = entry_extension("1.3.6.1.4.1.32473.9.9", true, &[0x05, 0x00]);
    let crl = crl_with_entry_extension(&f, &other, ext.clone());
    assert_eq!(
        crl.unsupported_critical_entry_extension(),
        Some(("77", "1.3.6.1.4.1.32473.9.9"))
    );
    let reason = unknown_with(&f, CrlSet::new().with(crl));
    assert_eq!(
        reason,
        UnknownReason::CrlUnsupportedCriticalEntryExtension {
            serial: "77".into(),
            oid: "1.3.6.1.4.1.32473.9.9".into(),
        }
    );
    // Best effort accepts an unknown status, but a certificate the CRL lists stays revoked.
    let listed = crl_with_entry_extension(&f, &f.holder.auth_serial, ext);
    let mut o = VerifierOptions::default();
    o.revocation = kazasu_pki::RevocationPolicy::BestEffort;
    let e = f
        .verifier(CrlSet::new().with(listed))
        .with_options(o)
        .validate(&f.auth_cert(), Purpose::Authentication, at())
        .unwrap_err();
    match &e {
        Rejection::Revoked {
            revoked_at, reason, ..
        } => {
            assert_eq!(*revoked_at, day(2025, 11, 3));
            assert_eq!(*reason, Some(RevocationReason::KeyCompromise));
        }
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "revoked");
}

#[test]
fn critical_entry_extensions_that_are_understood_are_fine() {
    // invalidityDate (understood) marked critical, and an unknown one that is not critical.
    let f = Fixture::new();
    let invalidity = {
        use der::Encode;
        der::asn1::GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(
            1_760_000_000,
        ))
        .unwrap()
        .to_der()
        .unwrap()
    };
    for ext in [
        entry_extension("2.5.29.24", true, &invalidity),
        entry_extension("1.3.6.1.4.1.32473.9.9", false, &[0x05, 0x00]),
    ] {
        let crl = crl_with_entry_extension(&f, &[0x77], ext);
        assert_eq!(crl.unsupported_critical_entry_extension(), None);
        f.verifier(CrlSet::new().with(crl))
            .validate(&f.auth_cert(), Purpose::Authentication, at())
            .unwrap();
    }
}

#[test]
fn certificate_ids_tell_same_name_generations_apart() {
    // The 2015 and 2023 authentication roots share one name; a holder certificate of each with the
    // same serial used to get the same id.
    let f = Fixture::new();
    let cert = |generation| {
        let spec = IssueSpec {
            generation,
            serial: Some(0x0123_4567),
            ..IssueSpec::default()
        };
        let holder = f.pki.issue(&f.persona, &spec).unwrap();
        Certificate::from_der(&holder.auth_certificate).unwrap()
    };
    let (old, new) = (cert(Generation::G2015), cert(Generation::G2023));
    assert_eq!(old.serial(), new.serial());
    assert_eq!(old.issuer_der(), new.issuer_der());
    assert_eq!(old.legacy_id(), new.legacy_id(), "the old id collides");
    let (old_id, new_id) = (old.id().unwrap(), new.id().unwrap());
    assert_ne!(old_id, new_id);
    assert_ne!(old_id.to_string(), new_id.to_string());
    for (cert, id, generation) in [
        (&old, &old_id, Generation::G2015),
        (&new, &new_id, Generation::G2023),
    ] {
        let root =
            Certificate::from_der(&f.pki.root(VcPurpose::Authentication, generation).der).unwrap();
        assert_eq!(id.issuer_key_id(), root.key_id());
        assert_eq!(id.serial_hex(), "1234567");
        let path = f
            .verifier_without_revocation()
            .validate(cert, Purpose::Authentication, at_2015())
            .unwrap();
        assert_eq!(&path.leaf_id(), id);
    }
}
