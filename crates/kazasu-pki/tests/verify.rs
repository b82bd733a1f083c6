#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Happy paths: certificates of the test PKI validate for the right purpose with both generations,
//! personal data, identities, signatures, assertions, CRL lookups.

mod common;

use std::sync::Arc;

use common::{Fixture, at, at_2015, vc};
use kazasu_pki::time::Duration;
use kazasu_pki::{
    AuthAssertion, Certificate, CertificateId, CertificateKind, ChallengeStore, Crl, CrlSet,
    HashAlgorithm, MemoryChallengeStore, Purpose, Rejection, RevocationPolicy, RevocationSource,
    RevocationStatus, Sex, UnknownReason, Verifier, VerifierOptions, pem,
};
use vc::x509_cert::ext::pkix::CrlReason;
use vc::{
    CrlSpec, GeneratedRevocations, Generation, IssueSpec, Purpose as VcPurpose, RevokedEntry,
    SignatureAlgorithm,
};

#[test]
fn both_generations_validate_for_their_purpose() {
    let f = Fixture::new();
    for generation in Generation::ALL {
        let spec = IssueSpec {
            generation,
            ..IssueSpec::default()
        };
        let holder = f.pki.issue(&f.persona, &spec).unwrap();
        let t = at_2015();
        let verifier = f.verifier(f.current_crls(t));
        for (der, purpose, vc_purpose) in [
            (
                &holder.auth_certificate,
                Purpose::Authentication,
                VcPurpose::Authentication,
            ),
            (
                &holder.sign_certificate,
                Purpose::Signature,
                VcPurpose::Signature,
            ),
        ] {
            let cert = Certificate::from_der(der).unwrap();
            let path = verifier.validate(&cert, purpose, t).unwrap();
            let root = Certificate::from_der(&f.pki.root(vc_purpose, generation).der).unwrap();
            // Same-name generations: the right one is chosen by key identifier.
            assert_eq!(path.anchor(), &root, "{generation:?} {purpose}");
            assert_eq!(path.leaf(), &cert);
            assert!(matches!(path.revocation(), [RevocationStatus::Good { .. }]));
            assert_eq!(path.purpose(), purpose);
        }
    }
}

#[test]
fn generations_without_key_identifiers_are_told_apart_by_signature() {
    // Without an AKI the issuer is found by name among both generations and chosen by signature.
    let f = Fixture::new();
    for generation in Generation::ALL {
        let spec = IssueSpec {
            generation,
            ..IssueSpec::default()
        };
        let mut t = f.pki.auth_template(&f.persona, &spec).unwrap();
        t.authority_key_id = vc::AuthorityKeyId::Omit;
        let cert = f.issue(&t);
        assert!(cert.authority_key_id().is_none());
        let path = f
            .verifier_without_revocation()
            .validate(&cert, Purpose::Authentication, at_2015())
            .unwrap();
        let root =
            Certificate::from_der(&f.pki.root(VcPurpose::Authentication, generation).der).unwrap();
        assert_eq!(path.anchor(), &root);
    }
}

#[test]
fn classification_identity_and_personal_data() {
    let f = Fixture::new();
    let auth = f.auth_cert();
    let sign = f.sign_cert();
    assert_eq!(auth.kind(), CertificateKind::JpkiAuthentication);
    assert_eq!(sign.kind(), CertificateKind::JpkiSignature);
    for root in f.pki.roots() {
        assert_eq!(
            Certificate::from_der(&root.der).unwrap().kind(),
            CertificateKind::JpkiCa
        );
    }
    assert_eq!(auth.personal_data().unwrap(), None);
    assert_eq!(
        auth.auth_identity().unwrap(),
        f.pki
            .opaque_id(&f.persona, &IssueSpec::default(), VcPurpose::Authentication)
    );
    assert_eq!(sign.auth_identity(), None);

    let p = sign.personal_data().unwrap().unwrap();
    assert_eq!(p.name, f.persona.name);
    assert_eq!(p.address, f.persona.address);
    assert_eq!(p.sex, Sex::Female);
    assert_eq!(p.sex.code(), f.persona.sex.code());
    assert_eq!(p.birth_date.jpki_form(), f.persona.birth_date_jpki());
    assert_eq!(p.birth_date.date, f.persona.birth_date);
    assert!(p.birth_date.era_matches_date());
    assert_eq!(p.name_substitute, "");
    assert_eq!(p.address_substitute, "");
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(
        serde_json::from_str::<kazasu_pki::PersonalData>(&json).unwrap(),
        p
    );
}

#[test]
fn personal_data_of_many_personas() {
    let pki = vc::TestPki::new(5).unwrap();
    for seed in 1..6 {
        let persona = vc::PersonaBuilder::from_seed(seed).build().unwrap();
        let holder = pki.issue(&persona, &IssueSpec::default()).unwrap();
        let p = Certificate::from_der(&holder.sign_certificate)
            .unwrap()
            .personal_data()
            .unwrap()
            .unwrap();
        assert_eq!(p.name, persona.name);
        assert_eq!(p.address, persona.address);
        assert_eq!(p.sex.code(), persona.sex.code());
        assert_eq!(p.birth_date.jpki_form(), persona.birth_date_jpki());
    }
}

#[test]
fn certificate_id_links_by_issuer_key_and_serial() {
    let f = Fixture::new();
    let cert = f.auth_cert();
    let id = cert.id().unwrap();
    let root = Certificate::from_der(&f.pki.root(VcPurpose::Authentication, Generation::G2023).der)
        .unwrap();
    assert_eq!(id.issuer_key_id(), root.key_id());
    let want: String = f
        .holder
        .auth_serial
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(id.serial_hex(), want.trim_start_matches('0'));
    assert_eq!(
        id.to_string(),
        format!("kid:{}@{}", id.serial_hex(), id.issuer_key_id_hex())
    );
    // serde is the text form, so stores and JSON agree.
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{id}\""));
    assert_eq!(serde_json::from_str::<CertificateId>(&json).unwrap(), id);
    assert_eq!(id.to_string().parse::<CertificateId>().unwrap(), id);
    assert!(serde_json::from_str::<CertificateId>("\"1@CN=x\"").is_err());
    // Stable: parsing again gives the same id; the validated path and the assertion agree.
    assert_eq!(
        Certificate::from_der(&f.holder.auth_certificate)
            .unwrap()
            .id(),
        Some(id.clone())
    );
    let path = f
        .verifier(f.current_crls(at()))
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    assert_eq!(path.leaf_id(), id);
    assert_eq!(cert.id_issued_by(&root), id);
    // The legacy form is the issuer name and serial, as stores wrote it before.
    let legacy = cert.legacy_id();
    assert_eq!(
        legacy.issuer,
        "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for user authentication,O=JPKI,C=JP"
    );
    assert_eq!(legacy.serial, id.serial_hex());
    assert_eq!(
        legacy.to_string(),
        format!("{}@{}", legacy.serial, legacy.issuer)
    );
    assert!(legacy.to_string().parse::<CertificateId>().is_err());
}

#[test]
fn certificate_without_aki_is_identified_through_its_path() {
    // No AKI: the certificate alone cannot name its issuer's key; the path's issuer can.
    let f = Fixture::new();
    let mut t = f.auth_template();
    t.authority_key_id = vc::AuthorityKeyId::Omit;
    let cert = f.issue(&t);
    assert_eq!(cert.id(), None);
    let path = f
        .verifier_without_revocation()
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    let root = path.anchor();
    assert_eq!(path.leaf_id().issuer_key_id(), root.key_id());
    // Same id as the AKI-carrying certificate with this serial would get.
    assert_eq!(
        path.leaf_id(),
        CertificateId::new(root.key_id(), cert.serial()).unwrap()
    );
}

#[test]
fn signatures_over_messages_and_digests() {
    let f = Fixture::new();
    let verifier = f.verifier(f.current_crls(at()));
    let cert = f.sign_cert();
    let message = "この文書に署名します".as_bytes();
    for (hash, alg) in [
        (HashAlgorithm::Sha256, SignatureAlgorithm::Sha256WithRsa),
        (HashAlgorithm::Sha384, SignatureAlgorithm::Sha384WithRsa),
        (HashAlgorithm::Sha512, SignatureAlgorithm::Sha512WithRsa),
    ] {
        let sig = alg.sign(&f.holder.sign_key, message).unwrap();
        verifier
            .verify_message(&cert, Purpose::Signature, at(), hash, message, &sig)
            .unwrap();
        let digest = hash.digest(message);
        assert_eq!(digest.len(), hash.output_len());
        verifier
            .verify_digest(&cert, Purpose::Signature, at(), hash, &digest, &sig)
            .unwrap();
        assert_eq!(
            cert.verify_message(hash, b"another message", &sig),
            Err(Rejection::MessageSignatureInvalid)
        );
        let mut bad = sig.clone();
        bad[17] ^= 0x40;
        assert_eq!(
            cert.verify_digest(hash, &digest, &bad),
            Err(Rejection::MessageSignatureInvalid)
        );
        assert!(matches!(
            cert.verify_digest(hash, &digest[1..], &sig),
            Err(Rejection::DigestLengthMismatch { .. })
        ));
    }
    // A signature made over another hash does not verify as SHA-256.
    let sig = SignatureAlgorithm::Sha512WithRsa
        .sign(&f.holder.sign_key, message)
        .unwrap();
    assert_eq!(
        cert.verify_message(HashAlgorithm::Sha256, message, &sig),
        Err(Rejection::MessageSignatureInvalid)
    );
}

fn card_signature(f: &Fixture, challenge: &[u8]) -> Vec<u8> {
    SignatureAlgorithm::Sha256WithRsa
        .sign(&f.holder.auth_key, challenge)
        .unwrap()
}

#[test]
fn auth_assertion_fresh_replayed_expired_unknown() {
    let f = Fixture::new();
    let verifier = f.verifier(f.current_crls(at()));
    let store = MemoryChallengeStore::new(Duration::minutes(5));
    let challenge = store.issue(at()).unwrap();
    assert_eq!(challenge.len(), 32);

    let assertion = AuthAssertion::new(
        f.auth_cert(),
        challenge.clone(),
        card_signature(&f, &challenge),
    );
    // A forged signature is refused and does not use the challenge up.
    let mut forged = assertion.clone();
    forged.signature = card_signature(&f, b"something else");
    assert_eq!(
        verifier
            .verify_assertion(&forged, &store, at())
            .unwrap_err(),
        Rejection::MessageSignatureInvalid
    );
    let ok = verifier
        .verify_assertion(&assertion, &store, at() + Duration::minutes(1))
        .unwrap();
    assert_eq!(Some(ok.id), f.auth_cert().id());
    assert_eq!(ok.identity, f.auth_cert().auth_identity());
    assert_eq!(ok.path.chain().len(), 2);

    // The same assertion again: a replay.
    assert_eq!(
        verifier
            .verify_assertion(&assertion, &store, at() + Duration::minutes(2))
            .unwrap_err(),
        Rejection::ChallengeReplayed
    );

    // Expired.
    let late = store.issue(at()).unwrap();
    let assertion = AuthAssertion::new(f.auth_cert(), late.clone(), card_signature(&f, &late));
    assert!(matches!(
        verifier.verify_assertion(&assertion, &store, at() + Duration::minutes(5)),
        Err(Rejection::ChallengeExpired { .. })
    ));

    // Never issued.
    let assertion = AuthAssertion::new(
        f.auth_cert(),
        b"made up".to_vec(),
        card_signature(&f, b"made up"),
    );
    assert_eq!(
        verifier
            .verify_assertion(&assertion, &store, at())
            .unwrap_err(),
        Rejection::ChallengeUnknown
    );

    // The signature certificate cannot authenticate.
    let c = store.issue(at()).unwrap();
    let sig = SignatureAlgorithm::Sha256WithRsa
        .sign(&f.holder.sign_key, &c)
        .unwrap();
    let assertion = AuthAssertion::new(f.sign_cert(), c, sig);
    assert!(matches!(
        verifier.verify_assertion(&assertion, &store, at()),
        Err(Rejection::PolicyMismatch { .. })
    ));

    let remembered = store.len();
    assert_eq!(remembered, 3);
    assert_eq!(
        store.purge(at() + Duration::minutes(10)).unwrap(),
        remembered
    );
    assert!(store.is_empty());
}

#[test]
fn challenge_store_is_bounded_and_purges_expired_challenges() {
    let store = MemoryChallengeStore::with_capacity(Duration::minutes(5), 3);
    for _ in 0..3 {
        store.issue(at()).unwrap();
    }
    // Full of live challenges: unauthenticated requests cannot make it grow.
    assert!(matches!(
        store.issue(at() + Duration::minutes(1)),
        Err(kazasu_pki::Error::ChallengeCapacity { capacity: 3 })
    ));
    assert_eq!(store.len(), 3);
    // Once they expire, issuing purges them and goes on.
    let fresh = store.issue(at() + Duration::minutes(6)).unwrap();
    assert_eq!(store.len(), 1);
    store.check(&fresh, at() + Duration::minutes(7)).unwrap();
}

#[test]
fn auth_assertion_of_a_revoked_certificate() {
    let f = Fixture::new();
    let spec = CrlSpec::valid_at(at()).revoke(
        RevokedEntry::from_bytes(&f.holder.auth_serial, common::day(2025, 12, 1))
            .with_reason(CrlReason::Superseded),
    );
    let verifier =
        f.verifier(CrlSet::new().with(f.crl(VcPurpose::Authentication, Generation::G2023, &spec)));
    let store = MemoryChallengeStore::new(Duration::minutes(5));
    let c = store.issue(at()).unwrap();
    let assertion = AuthAssertion::new(f.auth_cert(), c.clone(), card_signature(&f, &c));
    assert!(matches!(
        verifier.verify_assertion(&assertion, &store, at()),
        Err(Rejection::Revoked { .. })
    ));
    // Refused before use: the challenge is still there.
    assert!(store.check(&c, at()).is_ok());
}

#[test]
fn auth_assertion_signed_by_the_virtual_card() {
    // The card computes the signature over a DigestInfo, as a real My Number Card does.
    let issued = kazasu_virtual_card::VirtualCardBuilder::new(0)
        .build()
        .unwrap();
    let mut card = issued.card;
    let hex = |h: &str| -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    };
    let store = MemoryChallengeStore::new(Duration::seconds(30));
    let challenge = store.issue(at()).unwrap();
    for apdu in [
        "00A4040C0AD392F000260100000001",
        "00A4020C020018",
        "002000800431323334",
        "00A4020C020017",
    ] {
        assert_eq!(card.process(&hex(apdu)), [0x90, 0x00], "{apdu}");
    }
    let mut sign = hex("802A0080333031300D060960864801650304020105000420");
    sign.extend(HashAlgorithm::Sha256.digest(&challenge));
    sign.push(0);
    let mut response = card.process(&sign);
    assert_eq!(response.split_off(response.len() - 2), [0x90, 0x00]);

    let trust = kazasu_pki::TrustStore::from_certificates(
        issued
            .pki
            .roots()
            .iter()
            .map(|r| Certificate::from_der(&r.der).unwrap()),
    );
    let mut options = VerifierOptions::default();
    options.revocation = RevocationPolicy::BestEffort;
    let verifier = Verifier::new(trust).with_options(options);
    let assertion =
        AuthAssertion::from_parts(&issued.holder.auth_certificate, &challenge, &response).unwrap();
    let ok = verifier.verify_assertion(&assertion, &store, at()).unwrap();
    // Best effort: accepted, and the unknown status is reported.
    assert_eq!(
        ok.path.revocation(),
        [RevocationStatus::Unknown(UnknownReason::NoSource)]
    );
}

#[test]
fn challenge_store_is_single_use_across_threads() {
    let store = Arc::new(MemoryChallengeStore::new(Duration::minutes(1)));
    let c = store.issue(at()).unwrap();
    let winners: usize = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            let c = c.clone();
            std::thread::spawn(move || usize::from(store.consume(&c, at()).is_ok()))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .sum();
    assert_eq!(winners, 1);
}

#[test]
fn revocation_policies() {
    let f = Fixture::new();
    let cert = f.auth_cert();
    let mut o = VerifierOptions::default();
    o.revocation = RevocationPolicy::Off;
    let path = Verifier::new(f.trust())
        .with_options(o.clone())
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    assert!(path.revocation().is_empty());
    o.revocation = RevocationPolicy::BestEffort;
    let path = Verifier::new(f.trust())
        .with_options(o)
        .with_revocation(CrlSet::new())
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    assert_eq!(
        path.revocation(),
        [RevocationStatus::Unknown(UnknownReason::NoCrlForIssuer)]
    );
}

#[test]
fn crl_set_prefers_the_freshest_usable_crl() {
    let f = Fixture::new();
    let old = f.crl(
        VcPurpose::Authentication,
        Generation::G2023,
        &CrlSpec::expired_at(at()),
    );
    let mut spec = CrlSpec::valid_at(at());
    spec.crl_number = 7;
    let current = f.crl(VcPurpose::Authentication, Generation::G2023, &spec);
    let root = Certificate::from_der(&f.pki.root(VcPurpose::Authentication, Generation::G2023).der)
        .unwrap();
    let set = CrlSet::new().with(old).with(current);
    let cert = f.auth_cert();
    match set.status(&kazasu_pki::RevocationQuery::new(&cert, &root, at())) {
        RevocationStatus::Good { source } => assert!(source.contains("#7"), "{source}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn crl_index_handles_short_long_and_unsorted_serials() {
    let f = Fixture::new();
    let long_serial = [0x42u8; 20];
    let spec = CrlSpec {
        // Crosses from 8-octet to 9-octet serials.
        generated: Some(GeneratedRevocations {
            count: 3000,
            first_serial: u64::MAX - 999,
            seed: 9,
        }),
        ..CrlSpec::valid_at(at())
    }
    // Explicit entries come first, out of order.
    .revoke(
        RevokedEntry::new(0x7000, common::day(2025, 3, 1)).with_reason(CrlReason::KeyCompromise),
    )
    .revoke(RevokedEntry::new(5, common::day(2025, 3, 2)))
    .revoke(RevokedEntry::from_bytes(
        &long_serial,
        common::day(2025, 3, 3),
    ))
    .revoke(RevokedEntry::from_bytes(&[0x80], common::day(2025, 3, 4)));
    let der = f
        .pki
        .crl(VcPurpose::Authentication, Generation::G2023, &spec)
        .unwrap();
    let crl = Crl::from_der(&der).unwrap();
    assert_eq!(crl.len(), 3004);
    let e = crl.lookup(&[0x70, 0x00]).unwrap().unwrap();
    assert_eq!(e.revoked_at, common::day(2025, 3, 1));
    assert_eq!(e.reason, Some(kazasu_pki::RevocationReason::KeyCompromise));
    assert_eq!(e.serial_hex(), "7000");
    assert!(crl.contains(&[0, 0, 5]));
    assert_eq!(
        crl.lookup(&long_serial).unwrap().unwrap().revoked_at,
        common::day(2025, 3, 3)
    );
    assert!(crl.contains(&[0x80]));
    for i in [0u128, 1, 998, 999, 1000, 1500, 2999] {
        let serial = (u128::from(u64::MAX) - 999 + i).to_be_bytes();
        assert!(crl.contains(&serial), "{i}");
    }
    for absent in [
        &[0x06][..],
        &[0x70, 0x01],
        &[0x43; 20],
        &(u128::from(u64::MAX) + 2001).to_be_bytes(),
    ] {
        assert!(!crl.contains(absent), "{absent:?}");
        assert_eq!(crl.lookup(absent).unwrap(), None);
    }
    // Every generated entry has a date before thisUpdate.
    let hit = crl
        .lookup(&(u128::from(u64::MAX) + 5).to_be_bytes())
        .unwrap()
        .unwrap();
    assert!(hit.revoked_at < crl.this_update());
    assert_eq!(crl.crl_number(), Some(&[1u8][..]));
    assert!(crl.authority_key_id().is_some());
}

#[test]
fn pem_forms() {
    let f = Fixture::new();
    let cert = f.auth_cert();
    let text = cert.to_pem().unwrap();
    assert_eq!(Certificate::from_pem(&text).unwrap(), cert);
    assert_eq!(Certificate::parse(text.as_bytes()).unwrap(), cert);
    let bundle = format!("{text}{}", f.sign_cert().to_pem().unwrap());
    let all = Certificate::parse_all(bundle.as_bytes()).unwrap();
    assert_eq!(all, [cert, f.sign_cert()]);
    let crl_der = f
        .pki
        .crl(
            VcPurpose::Signature,
            Generation::G2015,
            &CrlSpec::valid_at(at()),
        )
        .unwrap();
    let crl_pem = pem::encode(pem::X509_CRL, &crl_der).unwrap();
    assert_eq!(Crl::parse(crl_pem.as_bytes()).unwrap().der(), &crl_der[..]);
    assert_eq!(
        Crl::from_pem(&crl_pem).unwrap().issuer(),
        f.sign_cert().issuer()
    );
}

#[test]
fn shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Verifier>();
    send_sync::<Certificate>();
    send_sync::<Crl>();
    send_sync::<CrlSet>();
    send_sync::<MemoryChallengeStore>();
    send_sync::<kazasu_pki::TrustStore>();
}
