#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! CAdES signing and verification with the virtual card's JPKI and HPKI test keys.

mod common;

use common::*;
use kazasu_sign::Verdict;
use kazasu_sign::cms::{SignOptions, SigningTimeSource, ValidationData, sign};

const LETTER: &[u8] = "紹介状: 患者 山田太郎 様をご紹介します。".as_bytes();

fn b_b(at: Option<time::OffsetDateTime>) -> SignOptions<'static> {
    let mut o = SignOptions::default();
    o.signing_time = at;
    o
}

#[test]
fn jpki_b_b_detached_verifies_with_every_part_valid() {
    let (j, h) = (jpki(), hpki());
    let cms = sign(LETTER, &mut j.signer(), &b_b(Some(AT))).unwrap();
    let report = verifier(&j, &h).verify(&cms, Some(LETTER));
    assert_eq!(report.verdict(), Verdict::Valid, "{report:#?}");
    assert_eq!(report.timestamp, None);
    assert_eq!(report.level, "B-B");
    let t = report.signing_time.unwrap();
    assert_eq!((t.time, t.source), (AT, SigningTimeSource::Claimed));
    let signer = report.signer.unwrap();
    assert_eq!(signer.kind, "jpki_signature");
    assert_eq!(signer.name.as_deref(), Some(j.persona.name.as_str()));
    assert!(!report.attached);
}

#[test]
fn attached_content_is_carried_and_checked() {
    let (j, h) = (jpki(), hpki());
    let mut o = b_b(Some(AT));
    o.attached = true;
    let cms = sign(LETTER, &mut j.signer(), &o).unwrap();
    let v = verifier(&j, &h);
    let report = v.verify(&cms, None);
    assert_eq!(report.verdict(), Verdict::Valid, "{report:#?}");
    assert!(report.attached);
    // Given other content than the attached one: refused.
    assert!(matches!(
        v.verify(&cms, Some(b"other")).structure,
        Verdict::Invalid(_)
    ));
}

#[test]
fn changed_content_makes_the_digest_invalid() {
    let (j, h) = (jpki(), hpki());
    let cms = sign(LETTER, &mut j.signer(), &b_b(Some(AT))).unwrap();
    let mut other = LETTER.to_vec();
    other[0] ^= 1;
    let report = verifier(&j, &h).verify(&cms, Some(&other));
    assert!(matches!(report.digest, Verdict::Invalid(_)), "{report:#?}");
    assert_eq!(report.signature, Verdict::Valid);
    // Detached without content: INDETERMINATE, not VALID.
    assert!(matches!(
        verifier(&j, &h).verify(&cms, None).structure,
        Verdict::Indeterminate(_)
    ));
}

#[test]
fn a_flipped_signature_bit_makes_the_signature_invalid() {
    let (j, h) = (jpki(), hpki());
    let cms = sign(LETTER, &mut j.signer(), &b_b(Some(AT))).unwrap();
    let report = verifier(&j, &h).verify(&cms, Some(LETTER));
    assert!(report.verdict().is_valid());
    // The signature value is the last 256 bytes of a SignedData without unsigned attributes.
    let mut bad = cms.clone();
    let n = bad.len();
    bad[n - 10] ^= 0x01;
    let report = verifier(&j, &h).verify(&bad, Some(LETTER));
    assert!(
        matches!(report.signature, Verdict::Invalid(_)),
        "{report:#?}"
    );
}

#[test]
fn hpki_signer_reports_its_role_and_needs_hpki_trust() {
    let (j, h) = (jpki(), hpki());
    let cms = sign(LETTER, &mut h.signer(), &b_b(Some(AT))).unwrap();
    let report = verifier(&j, &h).verify(&cms, Some(LETTER));
    assert_eq!(report.verdict(), Verdict::Valid, "{report:#?}");
    let signer = report.signer.unwrap();
    assert_eq!(signer.kind, "hpki_holder");
    assert_eq!(signer.hc_roles, vec!["Medical Doctor".to_string()]);
    // JPKI trust only: the HPKI signer is INDETERMINATE, never VALID.
    let jpki_only = kazasu_sign::cms::CmsVerifier::new()
        .with_jpki(j.verifier())
        .at(AT);
    assert!(matches!(
        jpki_only.verify(&cms, Some(LETTER)).signer_certificate,
        Verdict::Indeterminate(_)
    ));
}

#[test]
fn the_authentication_certificate_cannot_sign_documents() {
    let (j, h) = (jpki(), hpki());
    let cms = sign(LETTER, &mut j.auth_signer(), &b_b(Some(AT))).unwrap();
    let report = verifier(&j, &h).verify(&cms, Some(LETTER));
    assert!(
        matches!(report.signer_certificate, Verdict::Invalid(_)),
        "{report:#?}"
    );
}

#[test]
fn b_t_proves_the_time_and_b_lt_needs_no_caller_crls() {
    let (j, h) = (jpki(), hpki());
    let tsa = local_tsa(AT);
    let mut o = b_b(None);
    o.tsa = Some(&tsa);
    let cms = sign(LETTER, &mut j.signer(), &o).unwrap();
    let report = verifier(&j, &h).verify(&cms, Some(LETTER));
    assert_eq!(report.verdict(), Verdict::Valid, "{report:#?}");
    assert_eq!(report.timestamp, Some(Verdict::Valid));
    assert_eq!(report.level, "B-T");
    let t = report.signing_time.unwrap();
    assert_eq!((t.time, t.source), (AT, SigningTimeSource::Timestamp));

    // Without the caller's CRLs, B-T has no revocation answer: INDETERMINATE.
    let report = verifier_without_crls(&j, &h).verify(&cms, Some(LETTER));
    assert!(
        matches!(report.revocation, Verdict::Indeterminate(_)),
        "{report:#?}"
    );

    // B-LT carries the CRLs: valid offline.
    let mut data = ValidationData::new();
    data.crls = j.crls(&[]);
    data.certificates = vec![tsa_fixture().root.clone()];
    o.validation = Some(&data);
    let cms = sign(LETTER, &mut j.signer(), &o).unwrap();
    let report = verifier_without_crls(&j, &h).verify(&cms, Some(LETTER));
    assert_eq!(report.verdict(), Verdict::Valid, "{report:#?}");
    assert_eq!(report.level, "B-LT");
}

#[test]
fn an_untrusted_tsa_is_indeterminate_and_a_timestamp_over_other_data_invalid() {
    let j = jpki();
    let tsa = local_tsa(AT);
    let mut o = b_b(None);
    o.tsa = Some(&tsa);
    let cms = sign(LETTER, &mut j.signer(), &o).unwrap();
    let no_tsa_trust = kazasu_sign::cms::CmsVerifier::new()
        .with_jpki(j.verifier())
        .with_crls(std::sync::Arc::new(
            kazasu_pki::CrlSet::from_der_all(&j.crls(&[])).unwrap(),
        ))
        .at(AT);
    let report = no_tsa_trust.verify(&cms, Some(LETTER));
    assert!(
        matches!(report.timestamp, Some(Verdict::Indeterminate(_))),
        "{report:#?}"
    );

    // A token for other data, grafted on: the imprint does not match.
    let other_token = {
        use kazasu_sign::tsp::TimeStampAuthority;
        tsa.timestamp(kazasu_pki::HashAlgorithm::Sha256, &[7u8; 32])
            .unwrap()
    };
    let report = kazasu_sign::tsp::verify_token(&other_token, b"signature", None, &[]);
    assert!(matches!(report.verdict, Verdict::Invalid(_)), "{report:?}");
}

#[test]
fn revoked_before_signing_is_invalid_revoked_after_is_not() {
    let j = jpki();
    let tsa = local_tsa(AT);
    let mut o = b_b(None);
    o.tsa = Some(&tsa);
    let cms = sign(LETTER, &mut j.signer(), &o).unwrap();
    let before = AT - time::Duration::days(3);
    let crls = j.crls(&[(&j.creds.sign_serial, before)]);
    let v = kazasu_sign::cms::CmsVerifier::new()
        .with_jpki(j.verifier())
        .with_tsa([tsa_root()])
        .with_crls(std::sync::Arc::new(
            kazasu_pki::CrlSet::from_der_all(&crls).unwrap(),
        ));
    let report = v.verify(&cms, Some(LETTER));
    assert!(
        matches!(report.revocation, Verdict::Invalid(_)),
        "{report:#?}"
    );
}

#[test]
fn garbage_gives_an_invalid_structure_not_a_panic() {
    let (j, h) = (jpki(), hpki());
    let v = verifier(&j, &h);
    for input in [
        &b""[..],
        b"\x30\x03\x02\x01",
        b"not cms at all",
        &[0x30, 0x80, 0, 0],
    ] {
        let r = v.verify(input, Some(LETTER));
        assert!(matches!(r.structure, Verdict::Invalid(_)), "{input:?}");
        assert!(!r.verdict().is_valid());
    }
}

/// An OCSP answer about `j`'s signature certificate from the signature root's delegated responder,
/// produced at `produced`, with the certificate revoked at `revoked` if given.
fn ocsp_answer(
    j: &Jpki,
    produced: time::OffsetDateTime,
    revoked: Option<time::OffsetDateTime>,
) -> Vec<u8> {
    use kazasu_pki::Certificate;
    use kazasu_sign::ocsp::{CertIdHash, OcspRequest, OcspResponder};
    use kazasu_virtual_card::pki::services::jpki_ocsp_responder;
    use kazasu_virtual_card::pki::{Generation, Purpose};
    let root =
        Certificate::from_der(&j.pki.root(Purpose::Signature, Generation::G2023).der).unwrap();
    let holder = Certificate::from_der(&j.creds.sign_certificate).unwrap();
    let delegated = jpki_ocsp_responder(&j.pki, Purpose::Signature, Generation::G2023).unwrap();
    let mut responder = OcspResponder::new(
        root.clone(),
        kazasu_sign::SoftwareSigner::new(delegated.certificate, delegated.key).unwrap(),
    );
    if let Some(at) = revoked {
        responder.revoke(&j.creds.sign_serial, at, None);
    }
    let request = OcspRequest::new(&holder, &root, CertIdHash::Sha1, false).unwrap();
    responder.respond_at(request.der(), produced)
}

#[test]
fn b_lt_with_an_ocsp_answer_collected_after_the_timestamp_verifies_offline() {
    let (j, h) = (jpki(), hpki());
    let tsa = local_tsa(AT);
    let hour = time::Duration::hours(1);
    for (revoked, expect_valid) in [
        (None, true),
        // Revoked after the timestamped signing time: the signature stands.
        (Some(AT + time::Duration::minutes(30)), true),
        // Revoked before it: INVALID.
        (Some(AT - hour), false),
    ] {
        let mut data = ValidationData::new();
        data.ocsp_responses = vec![ocsp_answer(&j, AT + hour, revoked)];
        let mut o = b_b(None);
        o.tsa = Some(&tsa);
        o.validation = Some(&data);
        let cms = sign(LETTER, &mut j.signer(), &o).unwrap();
        let report = verifier_without_crls(&j, &h).verify(&cms, Some(LETTER));
        if expect_valid {
            assert_eq!(report.verdict(), Verdict::Valid, "{revoked:?}: {report:#?}");
            assert_eq!(report.level, "B-LT");
        } else {
            assert!(
                matches!(report.revocation, Verdict::Invalid(_)),
                "{report:#?}"
            );
        }
        // The embedded answer is what decided: ignoring it leaves revocation unknown.
        let ignoring = verifier_without_crls(&j, &h)
            .ignore_embedded_validation_data()
            .verify(&cms, Some(LETTER));
        assert!(
            matches!(ignoring.revocation, Verdict::Indeterminate(_)),
            "{ignoring:#?}"
        );
    }
}
