//! OCSP end to end on the virtual card's test PKIs: the local responder answers, the verifier
//! judges, and every refusal is the named one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use der::Decode;
use kazasu_pki::time::{Duration, OffsetDateTime};
use kazasu_pki::{
    Certificate, Purpose, Rejection, RevocationPolicy, RevocationQuery, RevocationReason,
    RevocationSource, RevocationStatus, TrustStore, UnknownReason, Verifier, VerifierOptions,
};
use kazasu_sign::SoftwareSigner;
use kazasu_sign::asn1::ocsp::{BasicOcspResponse, CertStatus, OcspResponse, OcspResponseStatus};
use kazasu_sign::ocsp::{
    CertIdHash, OcspRejection, OcspRequest, OcspResponder, OcspSource, OcspStatus, ResponderIdForm,
    ResponderKind, VerifyOptions, verify_response, verify_response_to,
};
use kazasu_virtual_card::pki::services::{
    OCSP_RESPONDER_KEY, ServiceCredential, hpki_ocsp_responder, jpki_ocsp_responder,
    ocsp_responder_template,
};
use kazasu_virtual_card::pki::x509_cert::ext::pkix::ExtendedKeyUsage;
use kazasu_virtual_card::pki::{
    Ext, Generation, HpkiAp, HpkiHolder, HpkiTestPki, IssueSpec, KeyChoice, Persona, Purpose as P,
    TestPki, root_key_index,
};

/// The time responses are produced at in these tests (inside every certificate's validity).
fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_272_000).unwrap() // 2026-06-01T00:00:00Z
}

struct Jpki {
    pki: TestPki,
    root: Certificate,
    /// The seed-0 holder's signature certificate.
    holder: Certificate,
    /// Another signature certificate of the same root (slot 1, serial 1001).
    other: Certificate,
    responder: ServiceCredential,
}

fn jpki() -> Jpki {
    let pki = TestPki::new(0).unwrap();
    let root = pki.root(P::Signature, Generation::G2023);
    let holder = pki
        .issue(&Persona::sample(), &IssueSpec::default())
        .unwrap();
    let other = pki
        .issue(
            &Persona::sample(),
            &IssueSpec {
                key_slot: 1,
                serial: Some(1000),
                ..IssueSpec::default()
            },
        )
        .unwrap();
    let responder = jpki_ocsp_responder(&pki, P::Signature, Generation::G2023).unwrap();
    Jpki {
        root: Certificate::from_der(&root.der).unwrap(),
        holder: Certificate::from_der(&holder.sign_certificate).unwrap(),
        other: Certificate::from_der(&other.sign_certificate).unwrap(),
        responder,
        pki,
    }
}

impl Jpki {
    fn delegated(&self) -> OcspResponder {
        let signer = SoftwareSigner::new(
            self.responder.certificate.clone(),
            self.responder.key.clone(),
        )
        .unwrap();
        OcspResponder::new(self.root.clone(), signer)
    }

    fn ca_signed(&self) -> OcspResponder {
        let root = self.pki.root(P::Signature, Generation::G2023);
        let signer = SoftwareSigner::new(root.der.clone(), root.key.clone()).unwrap();
        OcspResponder::new(self.root.clone(), signer)
    }

    fn ask(&self, responder: &OcspResponder, hash: CertIdHash) -> (OcspRequest, Vec<u8>) {
        let request = OcspRequest::new(&self.holder, &self.root, hash, true).unwrap();
        let response = responder.respond_at(request.der(), t0());
        (request, response)
    }

    fn check(&self, request: &OcspRequest, response: &[u8]) -> Result<OcspStatus, OcspRejection> {
        verify_response_to(
            response,
            request,
            &self.holder,
            &self.root,
            t0() + Duration::minutes(1),
            &VerifyOptions::default(),
        )
        .map(|v| v.status)
    }
}

#[test]
fn good_from_the_delegated_responder_with_sha1_and_sha256_cert_ids() {
    let j = jpki();
    for hash in [CertIdHash::Sha1, CertIdHash::Sha256] {
        let (request, response) = j.ask(&j.delegated(), hash);
        let v = verify_response_to(
            &response,
            &request,
            &j.holder,
            &j.root,
            t0(),
            &VerifyOptions::default(),
        )
        .unwrap();
        assert_eq!(v.status, OcspStatus::Good);
        assert_eq!(v.cert_id_hash, hash);
        assert_eq!(v.this_update, t0());
        assert_eq!(v.next_update, Some(t0() + Duration::days(1)));
        let ResponderKind::Delegated(cert) = &v.responder else {
            panic!("expected the delegated responder, got {:?}", v.responder);
        };
        assert_eq!(cert.der(), j.responder.certificate);
        // The CertID really carries the hash asked for.
        assert_eq!(request.cert_id().hash_algorithm.oid, hash.oid());
        assert_eq!(
            request.cert_id().issuer_name_hash.as_bytes().len(),
            match hash {
                CertIdHash::Sha1 => 20,
                _ => 32,
            }
        );
    }
}

#[test]
fn revoked_carries_its_time_and_reason() {
    let j = jpki();
    let when = t0() - Duration::days(10);
    let responder = j.delegated().with_revoked(
        j.holder.serial(),
        when,
        Some(RevocationReason::KeyCompromise),
    );
    let (request, response) = j.ask(&responder, CertIdHash::Sha1);
    assert_eq!(
        j.check(&request, &response).unwrap(),
        OcspStatus::Revoked {
            revoked_at: when,
            reason: Some(RevocationReason::KeyCompromise)
        }
    );
    // Another certificate of the same CA stays good.
    let other = OcspRequest::new(&j.other, &j.root, CertIdHash::Sha1, true).unwrap();
    let answer = responder.respond_at(other.der(), t0());
    let v = verify_response_to(
        &answer,
        &other,
        &j.other,
        &j.root,
        t0(),
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(v.status, OcspStatus::Good);
}

#[test]
fn unknown_for_a_certificate_the_responder_does_not_know() {
    let j = jpki();
    // The authentication certificate is of another CA: the signature root's responder says unknown.
    let holder = j
        .pki
        .issue(&Persona::sample(), &IssueSpec::default())
        .unwrap();
    let auth = Certificate::from_der(&holder.auth_certificate).unwrap();
    let auth_root =
        Certificate::from_der(&j.pki.root(P::Authentication, Generation::G2023).der).unwrap();
    let request = OcspRequest::new(&auth, &auth_root, CertIdHash::Sha1, true).unwrap();
    let response = j.delegated().respond_at(request.der(), t0());
    let outer = OcspResponse::from_der(&response).unwrap();
    let basic =
        BasicOcspResponse::from_der(outer.response_bytes.unwrap().response.as_bytes()).unwrap();
    assert!(matches!(
        basic.tbs_response_data.responses[0].cert_status,
        CertStatus::Unknown(_)
    ));
    // Signed by the signature root's responder, it is no evidence about the authentication root's
    // certificate at all.
    assert!(matches!(
        verify_response_to(
            &response,
            &request,
            &auth,
            &auth_root,
            t0(),
            &VerifyOptions::default()
        ),
        Err(OcspRejection::ResponderNotAuthorized(
            Rejection::UntrustedIssuer { .. }
        ))
    ));
    // A responder that the CA authorised but that keeps another CA's list: a verified "unknown".
    let root = j.pki.root(P::Signature, Generation::G2023);
    let signer = SoftwareSigner::new(root.der.clone(), root.key.clone()).unwrap();
    let confused = OcspResponder::new(auth_root, signer);
    let (request, response) = j.ask(&confused, CertIdHash::Sha256);
    assert_eq!(j.check(&request, &response).unwrap(), OcspStatus::Unknown);
    let source = OcspSource::from_responses([response]);
    assert_eq!(
        source.status(&RevocationQuery::new(&j.holder, &j.root, t0())),
        RevocationStatus::Unknown(UnknownReason::OcspUnknownCertificate)
    );
}

#[test]
fn the_ca_itself_may_sign_by_name_or_by_key() {
    let j = jpki();
    for form in [ResponderIdForm::ByName, ResponderIdForm::ByKey] {
        let (request, response) = j.ask(&j.ca_signed().with_responder_id(form), CertIdHash::Sha1);
        let v = verify_response_to(
            &response,
            &request,
            &j.holder,
            &j.root,
            t0(),
            &VerifyOptions::default(),
        )
        .unwrap();
        assert_eq!(v.responder, ResponderKind::Issuer, "{form:?}");
        assert_eq!(v.status, OcspStatus::Good);
    }
    // The delegated responder named by key is found among the certificates too.
    let (request, response) = j.ask(
        &j.delegated().with_responder_id(ResponderIdForm::ByKey),
        CertIdHash::Sha1,
    );
    assert_eq!(j.check(&request, &response).unwrap(), OcspStatus::Good);
}

#[test]
fn a_delegated_responder_without_ocsp_signing_is_refused() {
    let j = jpki();
    let root = j.pki.root(P::Signature, Generation::G2023);
    let mut t = ocsp_responder_template(
        &root.der,
        KeyChoice::Fixture(root_key_index(P::Signature, Generation::G2023)),
        "kazasu Test responder without OCSPSigning",
        OffsetDateTime::from_unix_timestamp(1_704_067_200).unwrap(), // 2024-01-01
        OffsetDateTime::from_unix_timestamp(2_019_686_400).unwrap(), // 2034-01-01
    );
    t.extended_key_usage = Ext::non_critical(ExtendedKeyUsage(vec![
        const_oid::db::rfc5280::ID_KP_CLIENT_AUTH,
    ]));
    let cert = j.pki.issue_with(&t).unwrap();
    let key = KeyChoice::Fixture(OCSP_RESPONDER_KEY).load().unwrap();
    let responder = OcspResponder::new(j.root.clone(), SoftwareSigner::new(cert, key).unwrap());
    let (request, response) = j.ask(&responder, CertIdHash::Sha1);
    match j.check(&request, &response) {
        Err(OcspRejection::ResponderNotAuthorized(Rejection::KeyUsageMismatch {
            required,
            ..
        })) => assert!(required.contains("OCSPSigning"), "{required}"),
        other => panic!("expected a refusal for the missing EKU, got {other:?}"),
    }
}

#[test]
fn a_responder_issued_by_another_ca_is_refused() {
    let j = jpki();
    // The authentication root's responder (OCSPSigning, valid) signing for the signature root.
    let foreign = jpki_ocsp_responder(&j.pki, P::Authentication, Generation::G2023).unwrap();
    let responder = OcspResponder::new(
        j.root.clone(),
        SoftwareSigner::new(foreign.certificate, foreign.key).unwrap(),
    );
    let (request, response) = j.ask(&responder, CertIdHash::Sha1);
    assert!(matches!(
        j.check(&request, &response),
        Err(OcspRejection::ResponderNotAuthorized(
            Rejection::UntrustedIssuer { .. }
        ))
    ));
    // The same responder for an older generation of the same purpose: another key of another
    // name, also refused.
    let g2015 = jpki_ocsp_responder(&j.pki, P::Signature, Generation::G2015).unwrap();
    let responder = OcspResponder::new(
        j.root.clone(),
        SoftwareSigner::new(g2015.certificate, g2015.key).unwrap(),
    );
    let (request, response) = j.ask(&responder, CertIdHash::Sha1);
    assert!(matches!(
        j.check(&request, &response),
        Err(OcspRejection::ResponderNotAuthorized(_))
    ));
}

#[test]
fn the_nonce_must_come_back() {
    let j = jpki();
    let responder = j.delegated();
    let sent =
        OcspRequest::with_nonce(&j.holder, &j.root, CertIdHash::Sha1, Some(&[1; 16])).unwrap();
    let replayed =
        OcspRequest::with_nonce(&j.holder, &j.root, CertIdHash::Sha1, Some(&[2; 16])).unwrap();
    let answer = responder.respond_at(replayed.der(), t0());
    assert_eq!(j.check(&sent, &answer), Err(OcspRejection::NonceMismatch));
    assert_eq!(j.check(&replayed, &answer).unwrap(), OcspStatus::Good);
    let without = OcspRequest::new(&j.holder, &j.root, CertIdHash::Sha1, false).unwrap();
    assert_eq!(without.nonce(), None);
    let answer = responder.respond_at(without.der(), t0());
    assert_eq!(j.check(&sent, &answer), Err(OcspRejection::NonceMissing));
    let mut lenient = VerifyOptions::default();
    lenient.require_nonce = false;
    let v = verify_response_to(&answer, &sent, &j.holder, &j.root, t0(), &lenient).unwrap();
    assert_eq!(v.status, OcspStatus::Good);
    // Random nonces differ.
    let a = OcspRequest::new(&j.holder, &j.root, CertIdHash::Sha1, true).unwrap();
    let b = OcspRequest::new(&j.holder, &j.root, CertIdHash::Sha1, true).unwrap();
    assert_eq!(a.nonce().unwrap().len(), 32);
    assert_ne!(a.nonce(), b.nonce());
}

#[test]
fn freshness_this_update_next_update_and_max_age() {
    let j = jpki();
    let (request, response) = j.ask(&j.delegated(), CertIdHash::Sha1);
    let opts = VerifyOptions::default();
    let at = |t| verify_response_to(&response, &request, &j.holder, &j.root, t, &opts);
    // nextUpdate passed.
    assert!(matches!(
        at(t0() + Duration::days(1)),
        Err(OcspRejection::Expired { next_update, .. }) if next_update == t0() + Duration::days(1)
    ));
    assert!(at(t0() + Duration::days(1) - Duration::seconds(1)).is_ok());
    // thisUpdate in the future beyond the skew; within it accepted.
    assert!(matches!(
        at(t0() - Duration::minutes(6)),
        Err(OcspRejection::NotYetValid { this_update, .. }) if this_update == t0()
    ));
    assert!(at(t0() - Duration::minutes(4)).is_ok());
    let mut strict = opts.clone();
    strict.max_skew = Duration::ZERO;
    assert!(matches!(
        verify_response_to(
            &response,
            &request,
            &j.holder,
            &j.root,
            t0() - Duration::seconds(1),
            &strict
        ),
        Err(OcspRejection::NotYetValid { .. })
    ));
    // Without nextUpdate: a maximum age.
    let (request, response) = j.ask(&j.delegated().with_validity(None), CertIdHash::Sha1);
    let v = verify_response_to(
        &response,
        &request,
        &j.holder,
        &j.root,
        t0() + Duration::hours(1),
        &opts,
    )
    .unwrap();
    assert_eq!(v.next_update, None);
    assert!(matches!(
        verify_response_to(
            &response,
            &request,
            &j.holder,
            &j.root,
            t0() + Duration::days(2),
            &opts
        ),
        Err(OcspRejection::TooOld { .. })
    ));
}

#[test]
fn a_tampered_response_fails_its_signature() {
    let j = jpki();
    // CA-signed: the signature is the last thing in the DER.
    let (request, mut response) = j.ask(&j.ca_signed(), CertIdHash::Sha1);
    let last = response.len() - 1;
    response[last] ^= 1;
    assert_eq!(
        j.check(&request, &response),
        Err(OcspRejection::BadSignature)
    );
    // Delegated: change a byte of the signed nonce.
    let (request, mut response) = j.ask(&j.delegated(), CertIdHash::Sha1);
    let nonce = request.nonce().unwrap().to_vec();
    let at = response
        .windows(nonce.len())
        .position(|w| w == nonce)
        .unwrap();
    response[at] ^= 0x80;
    assert_eq!(
        j.check(&request, &response),
        Err(OcspRejection::BadSignature)
    );
}

#[test]
fn an_answer_about_another_certificate_does_not_match() {
    let j = jpki();
    let (_, response) = j.ask(&j.delegated(), CertIdHash::Sha1);
    // Verified for another certificate of the same CA (its own CertID, no request).
    assert_eq!(
        verify_response(
            &response,
            &j.other,
            &j.root,
            t0(),
            &VerifyOptions::default()
        ),
        Err(OcspRejection::NoMatchingResponse)
    );
    // Verified against another request with the same nonce: the CertID differs.
    let nonce = [7u8; 20];
    let asked =
        OcspRequest::with_nonce(&j.holder, &j.root, CertIdHash::Sha1, Some(&nonce)).unwrap();
    let wanted =
        OcspRequest::with_nonce(&j.other, &j.root, CertIdHash::Sha1, Some(&nonce)).unwrap();
    let answer = j.delegated().respond_at(asked.der(), t0());
    assert_eq!(
        verify_response_to(
            &answer,
            &wanted,
            &j.other,
            &j.root,
            t0(),
            &VerifyOptions::default()
        ),
        Err(OcspRejection::NoMatchingResponse)
    );
    // The same certificate asked with SHA-256 but answered for SHA-1: not the CertID asked about.
    let sha256 =
        OcspRequest::with_nonce(&j.holder, &j.root, CertIdHash::Sha256, Some(&nonce)).unwrap();
    assert_eq!(
        verify_response_to(
            &answer,
            &sha256,
            &j.holder,
            &j.root,
            t0(),
            &VerifyOptions::default()
        ),
        Err(OcspRejection::NoMatchingResponse)
    );
}

#[test]
fn garbage_gets_malformed_request_and_bad_responses_are_named() {
    let j = jpki();
    let responder = j.delegated();
    for garbage in [&b""[..], b"\x30\x00", b"hello", &[0x30, 0x82, 0xFF, 0xFF]] {
        let answer = responder.respond_at(garbage, t0());
        let outer = OcspResponse::from_der(&answer).unwrap();
        assert_eq!(outer.response_status, OcspResponseStatus::MalformedRequest);
        let request = OcspRequest::new(&j.holder, &j.root, CertIdHash::Sha1, false).unwrap();
        assert_eq!(
            j.check(&request, &answer),
            Err(OcspRejection::NotSuccessful(
                OcspResponseStatus::MalformedRequest
            ))
        );
    }
    let request = OcspRequest::new(&j.holder, &j.root, CertIdHash::Sha1, false).unwrap();
    assert!(matches!(
        j.check(&request, b"\x30\x03\x0a\x01"),
        Err(OcspRejection::Malformed(_))
    ));
    let huge = vec![0x30; kazasu_sign::ocsp::MAX_RESPONSE_LEN + 1];
    assert!(matches!(
        j.check(&request, &huge),
        Err(OcspRejection::TooLarge { .. })
    ));
}

#[test]
fn hpki_good_and_revoked_with_the_delegated_responder() {
    let pki = HpkiTestPki::new().unwrap();
    let ca = Certificate::from_der(&pki.ca(HpkiAp::Signature).der).unwrap();
    let holder = pki.issue(&HpkiHolder::sample()).unwrap();
    let holder = Certificate::from_der(&holder.sign_certificate).unwrap();
    let cred = hpki_ocsp_responder(&pki, HpkiAp::Signature).unwrap();
    let responder = OcspResponder::new(
        ca.clone(),
        SoftwareSigner::new(cred.certificate, cred.key).unwrap(),
    );
    let request = OcspRequest::new(&holder, &ca, CertIdHash::Sha256, true).unwrap();
    let v = verify_response_to(
        &responder.respond_at(request.der(), t0()),
        &request,
        &holder,
        &ca,
        t0(),
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(v.status, OcspStatus::Good);
    assert!(matches!(v.responder, ResponderKind::Delegated(_)));
    let revoked = responder.with_revoked(holder.serial(), t0() - Duration::days(1), None);
    let v = verify_response_to(
        &revoked.respond_at(request.der(), t0()),
        &request,
        &holder,
        &ca,
        t0(),
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(
        v.status,
        OcspStatus::Revoked {
            revoked_at: t0() - Duration::days(1),
            reason: None
        }
    );
    // The JPKI responder is no authority for the HPKI CA.
    let jpki = jpki();
    let foreign = OcspResponder::new(
        ca.clone(),
        SoftwareSigner::new(
            jpki.responder.certificate.clone(),
            jpki.responder.key.clone(),
        )
        .unwrap(),
    );
    assert!(matches!(
        verify_response_to(
            &foreign.respond_at(request.der(), t0()),
            &request,
            &holder,
            &ca,
            t0(),
            &VerifyOptions::default()
        ),
        Err(OcspRejection::ResponderNotFound | OcspRejection::ResponderNotAuthorized(_))
    ));
}

#[test]
fn embedded_responses_drive_path_validation() {
    let j = jpki();
    let good = j.delegated().respond_at(
        OcspRequest::new(&j.holder, &j.root, CertIdHash::Sha1, false)
            .unwrap()
            .der(),
        t0(),
    );
    let revoked = j
        .delegated()
        .with_revoked(
            j.other.serial(),
            t0() - Duration::days(3),
            Some(RevocationReason::Superseded),
        )
        .respond_at(
            OcspRequest::new(&j.other, &j.root, CertIdHash::Sha256, false)
                .unwrap()
                .der(),
            t0(),
        );
    let source = OcspSource::from_responses([good, revoked]);
    let trust = TrustStore::new().with_for(j.root.clone(), [Purpose::Signature]);
    let mut options = VerifierOptions::default();
    options.revocation = RevocationPolicy::Required;
    let verifier = Verifier::new(trust)
        .with_revocation(source)
        .with_options(options);
    let at = t0() + Duration::hours(1);
    let path = verifier
        .validate(&j.holder, Purpose::Signature, at)
        .unwrap();
    assert!(matches!(
        &path.revocation()[0],
        RevocationStatus::Good { source } if source.contains("OCSP good")
    ));
    match verifier.validate(&j.other, Purpose::Signature, at) {
        Err(Rejection::Revoked {
            revoked_at, reason, ..
        }) => {
            assert_eq!(revoked_at, t0() - Duration::days(3));
            assert_eq!(reason, Some(RevocationReason::Superseded));
        }
        other => panic!("expected revoked, got {other:?}"),
    }
    // Stale responses are no evidence: unknown, so refused under RevocationPolicy::Required.
    assert!(matches!(
        verifier.validate(&j.holder, Purpose::Signature, t0() + Duration::days(2)),
        Err(Rejection::RevocationUnknown {
            reason: UnknownReason::OcspInvalid(_),
            ..
        })
    ));
    // A certificate no response is about.
    let empty = OcspSource::default();
    assert!(matches!(
        empty.status(&RevocationQuery::new(&j.holder, &j.root, at)),
        RevocationStatus::Unknown(UnknownReason::NoOcspResponse(_))
    ));
}

#[test]
fn over_http_on_loopback() {
    use kazasu_sign::ocsp::OcspServer;
    use kazasu_sign::ocsp::http::{HttpOptions, check};

    let j = jpki();
    let revoked_at = OffsetDateTime::now_utc() - Duration::days(2);
    let responder = j.delegated().with_revoked(
        j.other.serial(),
        revoked_at.replace_nanosecond(0).unwrap(),
        Some(RevocationReason::CessationOfOperation),
    );
    let server = OcspServer::start(vec![responder], "127.0.0.1:0").unwrap();
    let now = OffsetDateTime::now_utc();
    let http = HttpOptions::default();
    let v = check(
        server.url(),
        &j.holder,
        &j.root,
        now,
        &http,
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(v.status, OcspStatus::Good);
    let v = check(
        server.url(),
        &j.other,
        &j.root,
        now,
        &http,
        &VerifyOptions::default(),
    )
    .unwrap();
    assert!(matches!(
        v.status,
        OcspStatus::Revoked {
            reason: Some(RevocationReason::CessationOfOperation),
            ..
        }
    ));
    // As a revocation source, fetching from the URL given.
    let source = OcspSource::default().with_http(Some(server.url().to_owned()), http.clone());
    assert!(matches!(
        source.status(&RevocationQuery::new(&j.holder, &j.root, now)),
        RevocationStatus::Good { .. }
    ));
    assert!(matches!(
        source.status(&RevocationQuery::new(&j.other, &j.root, now)),
        RevocationStatus::Revoked(_)
    ));
    // GET with the request in the path (RFC 6960 Appendix A.1).
    use base64ct::Encoding;
    let request = OcspRequest::new(&j.holder, &j.root, CertIdHash::Sha1, true).unwrap();
    let path = base64ct::Base64::encode_string(request.der())
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let mut got = ureq::get(format!("{}{path}", server.url())).call().unwrap();
    let body = got.body_mut().read_to_vec().unwrap();
    let v = verify_response_to(
        &body,
        &request,
        &j.holder,
        &j.root,
        now,
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(v.status, OcspStatus::Good);
    let url = server.url().to_owned();
    server.stop();
    // Stopped: the port no longer answers, and the source says why it has no answer.
    let source = OcspSource::default().with_http(Some(url), http);
    assert!(matches!(
        source.status(&RevocationQuery::new(&j.holder, &j.root, now)),
        RevocationStatus::Unknown(UnknownReason::SourceFailed(_))
    ));
}

#[test]
fn the_aia_uri_is_used_when_no_url_is_given() {
    let j = jpki();
    assert_eq!(
        kazasu_sign::ocsp::http::responder_url(&j.holder, None).unwrap(),
        "http://ocspsignnorm.jpki.go.jp"
    );
    assert_eq!(
        kazasu_sign::ocsp::http::responder_url(&j.holder, Some("http://127.0.0.1:1/")).unwrap(),
        "http://127.0.0.1:1/"
    );
    assert!(kazasu_sign::ocsp::http::responder_url(&j.root, None).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn fixture() -> &'static Jpki {
        static J: OnceLock<Jpki> = OnceLock::new();
        J.get_or_init(jpki)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn requests_round_trip(
            sha256 in any::<bool>(),
            nonce in proptest::option::of(proptest::collection::vec(any::<u8>(), 1..=32)),
            serial in proptest::collection::vec(any::<u8>(), 1..=19),
        ) {
            let j = fixture();
            let hash = if sha256 { CertIdHash::Sha256 } else { CertIdHash::Sha1 };
            let mut id = kazasu_sign::ocsp::cert_id(&j.holder, &j.root, hash).unwrap();
            let mut positive = vec![0x01];
            positive.extend_from_slice(&serial);
            id.serial_number =
                kazasu_virtual_card::pki::x509_cert::serial_number::SerialNumber::new(&positive).unwrap();
            let request = OcspRequest::for_cert_id(id, nonce.as_deref()).unwrap();
            let back = OcspRequest::from_der(request.der()).unwrap();
            prop_assert_eq!(&back, &request);
            prop_assert_eq!(back.nonce(), nonce.as_deref());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let j = fixture();
            let _ = verify_response(&bytes, &j.holder, &j.root, t0(), &VerifyOptions::default());
            let _ = OcspRequest::from_der(&bytes);
            let answer = j.delegated().respond_at(&bytes, t0());
            prop_assert!(OcspResponse::from_der(&answer).is_ok());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn a_changed_byte_is_never_accepted_as_another_answer(index in any::<prop::sample::Index>(), bit in 0u8..8) {
            let j = fixture();
            static SIGNED: OnceLock<(OcspRequest, Vec<u8>)> = OnceLock::new();
            let (request, response) = SIGNED.get_or_init(|| j.ask(&j.ca_signed(), CertIdHash::Sha1));
            let mut changed = response.clone();
            let i = index.index(changed.len());
            changed[i] ^= 1 << bit;
            prop_assert!(j.check(request, &changed).is_err());
        }
    }
}
