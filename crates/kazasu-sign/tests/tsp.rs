#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! RFC 3161 with the local test TSA: requests answered, nonces and imprints checked, bad requests
//! rejected with a status, tokens verified against the TSA's trust.

mod common;

use common::*;
use der::Decode;
use kazasu_pki::{HashAlgorithm, Purpose, TrustStore, Verifier, VerifierOptions};
use kazasu_sign::Verdict;
use kazasu_sign::asn1::tsp::TimeStampResp;
use kazasu_sign::tsp::{request, response_token, verify_token};

fn tsa_trust() -> Verifier {
    let mut options = VerifierOptions::default();
    options.revocation = kazasu_pki::RevocationPolicy::Off;
    Verifier::new(TrustStore::new().with_for(tsa_root(), [Purpose::TimeStamping]))
        .with_options(options)
}

#[test]
fn a_request_is_answered_with_a_token_over_its_imprint_and_nonce() {
    let tsa = local_tsa(AT);
    let digest = HashAlgorithm::Sha256.digest(b"the data");
    let req = request(HashAlgorithm::Sha256, &digest, Some(&[0x81, 2, 3])).unwrap();
    let resp = tsa.respond(&req);
    let token = response_token(&resp, &req).unwrap();
    let report = verify_token(&token, b"the data", Some(&tsa_trust()), &[]);
    assert_eq!(report.verdict, Verdict::Valid, "{report:?}");
    assert_eq!(report.gen_time, Some(AT));
    assert!(report.tsa.unwrap().contains("kazasu Test TSA"));
    // The same answer for another request (another nonce) is refused.
    let other = request(HashAlgorithm::Sha256, &digest, Some(&[9])).unwrap();
    assert!(response_token(&resp, &other).is_err());
    // And for other data.
    let other = request(HashAlgorithm::Sha256, &[0u8; 32], Some(&[0x81, 2, 3])).unwrap();
    assert!(response_token(&resp, &other).is_err());
}

#[test]
fn bad_requests_get_a_rejection_status_not_a_token() {
    let tsa = local_tsa(AT);
    for req in [&b"garbage"[..], &[]] {
        let resp = tsa.respond(req);
        let parsed = TimeStampResp::from_der(&resp).unwrap();
        assert_eq!(parsed.status.status, 2);
        assert!(parsed.time_stamp_token.is_none());
    }
    // An imprint of the wrong length for its algorithm.
    let req = request(HashAlgorithm::Sha256, &[1u8; 20], None).unwrap();
    let parsed_resp = tsa.respond(&req);
    assert_eq!(
        TimeStampResp::from_der(&parsed_resp).unwrap().status.status,
        2
    );
    assert!(response_token(&parsed_resp, &req).is_err());
}

#[test]
fn a_tsa_certificate_without_the_critical_eku_is_refused() {
    use kazasu_virtual_card::pki::services::{TestTsa, issue};
    use kazasu_virtual_card::pki::{Ext, x509_cert::ext::pkix::ExtendedKeyUsage};
    let fixture = TestTsa::new().unwrap();
    let mut t = TestTsa::signer_template(&fixture.root);
    t.extended_key_usage = Ext::non_critical(ExtendedKeyUsage(vec![
        der::oid::db::rfc5280::ID_KP_TIME_STAMPING,
    ]));
    let cert = issue(&t).unwrap();
    let signer = kazasu_sign::SoftwareSigner::new(cert, fixture.signer.key.clone()).unwrap();
    let tsa = kazasu_sign::tsp::LocalTsa::new(signer).with_clock(|| AT);
    let token = {
        use kazasu_sign::tsp::TimeStampAuthority;
        tsa.timestamp(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(b"x"))
            .unwrap()
    };
    let report = verify_token(&token, b"x", Some(&tsa_trust()), &[]);
    assert!(
        matches!(&report.verdict, Verdict::Invalid(r) if r.contains("critical")),
        "{report:?}"
    );
    // With the proper certificate the same flow is valid.
    let good = local_tsa(AT);
    let token = {
        use kazasu_sign::tsp::TimeStampAuthority;
        good.timestamp(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(b"x"))
            .unwrap()
    };
    assert!(
        verify_token(&token, b"x", Some(&tsa_trust()), &[])
            .verdict
            .is_valid()
    );
}

#[test]
fn a_token_signed_by_a_holder_key_is_not_a_timestamp() {
    // The JPKI signature certificate has no timeStamping EKU: a token it signs is refused.
    let j = jpki();
    let tsa = kazasu_sign::tsp::LocalTsa::new(j.signer()).with_clock(|| AT);
    let token = {
        use kazasu_sign::tsp::TimeStampAuthority;
        tsa.timestamp(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(b"x"))
            .unwrap()
    };
    let mut store = TrustStore::new();
    let material = j.pki.verification_material(AT).unwrap();
    for r in &material.roots {
        store.add_for(
            kazasu_pki::Certificate::from_der(r).unwrap(),
            [Purpose::TimeStamping],
        );
    }
    let mut options = VerifierOptions::default();
    options.revocation = kazasu_pki::RevocationPolicy::Off;
    let trust = Verifier::new(store).with_options(options);
    let report = verify_token(&token, b"x", Some(&trust), &[]);
    assert!(matches!(report.verdict, Verdict::Invalid(_)), "{report:?}");
}
