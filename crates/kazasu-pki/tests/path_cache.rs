#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The validated-path cache: a card seen before costs one RSA verification, and nothing that
//! would change the answer (revocation data, time, purpose, options, the certificate's bytes)
//! lets a cached path answer.

mod common;

use std::sync::Arc;

use common::vc::{CrlSpec, Generation, IssueSpec, Purpose as VcPurpose, RevokedEntry};
use common::{Fixture, at, day};
use kazasu_pki::time::{Duration, OffsetDateTime};
use kazasu_pki::{
    AuthAssertion, Certificate, ChallengeStore, CrlSet, MemoryChallengeStore, Purpose, Rejection,
    RevocationPolicy, RevocationQuery, RevocationSource, RevocationStatus, SharedCrlSet,
    TimeWindow, Verifier, VerifierOptions, rsa_verifications,
};

const CAPACITY: usize = 1000;

/// One assertion of the fixture's card at `t`; returns the result and the RSA verifications spent.
fn assert_once(
    f: &Fixture,
    verifier: &Verifier,
    cert_der: &[u8],
    t: OffsetDateTime,
) -> (Result<(), Rejection>, u64) {
    let store = MemoryChallengeStore::new(Duration::minutes(5));
    let challenge = store.issue(t).unwrap();
    let signature = common::vc::SignatureAlgorithm::Sha256WithRsa
        .sign(&f.holder.auth_key, &challenge)
        .unwrap();
    // Parsed afresh every time, as a server receives the certificate's bytes with each assertion.
    let assertion = AuthAssertion::from_parts(cert_der, &challenge, &signature).unwrap();
    let before = rsa_verifications();
    let result = verifier.verify_assertion(&assertion, &store, t).map(|_| ());
    (result, rsa_verifications() - before)
}

fn shared_crls(f: &Fixture) -> Arc<SharedCrlSet> {
    Arc::new(SharedCrlSet::new(f.current_crls(at())))
}

fn cached_verifier(f: &Fixture, crls: &Arc<SharedCrlSet>) -> Verifier {
    f.verifier(CrlSet::new())
        .with_shared_revocation(crls.clone())
        .with_path_cache(CAPACITY)
}

fn hits(v: &Verifier) -> u64 {
    v.path_cache_stats().unwrap().hits
}

#[test]
fn a_card_seen_before_costs_one_rsa_verification() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = cached_verifier(&f, &crls);
    let der = &f.holder.auth_certificate;

    let (first, spent_first) = assert_once(&f, &verifier, der, at());
    first.unwrap();
    // The certificate's signature, the CRL's signature (first use) and the card's signature.
    assert_eq!(spent_first, 3);
    for _ in 0..3 {
        let (again, spent) = assert_once(&f, &verifier, der, at() + Duration::minutes(1));
        again.unwrap();
        assert_eq!(
            spent, 1,
            "a repeat assertion verifies the card's signature only"
        );
    }
    assert_eq!(hits(&verifier), 3);

    // Without the cache, every assertion also verifies the certificate's signature.
    let uncached = f
        .verifier(CrlSet::new())
        .with_shared_revocation(crls.clone());
    assert_once(&f, &uncached, der, at()).0.unwrap();
    let (again, spent) = assert_once(&f, &uncached, der, at());
    again.unwrap();
    assert_eq!(spent, 2);
    assert!(uncached.path_cache_stats().is_none());
}

#[test]
fn a_cached_card_revoked_by_a_new_crl_is_refused_at_once() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = cached_verifier(&f, &crls);
    let der = &f.holder.auth_certificate;
    assert_once(&f, &verifier, der, at()).0.unwrap();
    assert_once(&f, &verifier, der, at()).0.unwrap();
    assert_eq!(hits(&verifier), 1);

    // A fresher CRL listing the card (thisUpdate half an hour after the current one's).
    let spec = CrlSpec {
        this_update: at() - Duration::minutes(30),
        crl_number: 2,
        ..CrlSpec::valid_at(at())
    }
    .revoke(RevokedEntry::from_bytes(
        &f.holder.auth_serial,
        day(2025, 12, 31),
    ));
    crls.add(f.crl(VcPurpose::Authentication, Generation::G2023, &spec));

    let (after, _) = assert_once(&f, &verifier, der, at());
    assert!(matches!(after, Err(Rejection::Revoked { .. })), "{after:?}");
    assert_eq!(hits(&verifier), 1, "the cached path did not answer");
    // And it stays refused.
    assert!(matches!(
        assert_once(&f, &verifier, der, at()).0,
        Err(Rejection::Revoked { .. })
    ));
}

#[test]
fn replacing_the_crls_invalidates_the_cache() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = cached_verifier(&f, &crls);
    let der = &f.holder.auth_certificate;
    assert_once(&f, &verifier, der, at()).0.unwrap();
    // Same CRLs again, newly built: nothing changed in substance, but the data was replaced, so
    // the next validation is made afresh (and cached again).
    crls.replace(f.current_crls(at()));
    let (again, spent) = assert_once(&f, &verifier, der, at());
    again.unwrap();
    assert_eq!(spent, 3);
    assert_eq!(hits(&verifier), 0);
    assert_eq!(assert_once(&f, &verifier, der, at()).1, 1);
}

#[test]
fn a_cached_path_is_not_used_outside_the_certificates_validity() {
    let f = Fixture::new();
    let mut options = VerifierOptions::default();
    options.revocation = RevocationPolicy::Off;
    let verifier = Verifier::new(f.trust())
        .with_options(options)
        .with_path_cache(CAPACITY);
    let cert = f.auth_cert();
    verifier
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();

    let after = cert.not_after() + Duration::seconds(1);
    assert!(matches!(
        verifier.validate(&cert, Purpose::Authentication, after),
        Err(Rejection::Expired { .. })
    ));
    let before = cert.not_before() - Duration::seconds(1);
    assert!(matches!(
        verifier.validate(&cert, Purpose::Authentication, before),
        Err(Rejection::NotYetValid { .. })
    ));
    assert_eq!(hits(&verifier), 0);
    // notAfter itself is inside (validity is inclusive): that one is a hit.
    let path = verifier
        .validate(&cert, Purpose::Authentication, cert.not_after())
        .unwrap();
    assert_eq!(path.at(), cert.not_after());
    assert_eq!(hits(&verifier), 1);
}

#[test]
fn a_cached_path_is_not_used_once_its_crl_is_no_longer_current() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = cached_verifier(&f, &crls);
    let cert = f.auth_cert();
    verifier
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    // CrlSpec::valid_at: nextUpdate is 23 hours after `at`; a day later the certificate is still
    // valid but the CRL is stale.
    let later = at() + Duration::days(1);
    assert!(matches!(
        verifier.validate(&cert, Purpose::Authentication, later),
        Err(Rejection::RevocationUnknown { .. })
    ));
    assert_eq!(hits(&verifier), 0);
    // Before the CRL's thisUpdate (an hour before `at`) it is not yet current either.
    assert!(matches!(
        verifier.validate(&cert, Purpose::Authentication, at() - Duration::hours(2)),
        Err(Rejection::RevocationUnknown { .. })
    ));
    assert_eq!(hits(&verifier), 0);
}

#[test]
fn another_purpose_does_not_hit() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = cached_verifier(&f, &crls);
    let cert = f.auth_cert();
    verifier
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    assert!(matches!(
        verifier.validate(&cert, Purpose::Signature, at()),
        Err(Rejection::KeyUsageMismatch { .. } | Rejection::PolicyMismatch { .. })
    ));
    assert_eq!(hits(&verifier), 0);
}

#[test]
fn other_options_or_anchors_do_not_hit() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = cached_verifier(&f, &crls);
    let cert = f.auth_cert();
    verifier
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    // A clone shares the cache.
    let clone = verifier.clone();
    clone
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();
    assert_eq!(hits(&verifier), 1);

    // A clone with stricter options starts an empty cache: the 2048-bit keys are now refused.
    let mut strict = VerifierOptions::default();
    strict.min_rsa_bits = 4096;
    let stricter = verifier.clone().with_options(strict);
    assert!(matches!(
        stricter.validate(&cert, Purpose::Authentication, at()),
        Err(Rejection::KeyTooSmall { .. })
    ));
    assert_eq!(hits(&stricter), 0);

    // A verifier over other anchors (the 2015 authentication root only) does not see the path.
    let root_2015 = f
        .pki
        .roots()
        .iter()
        .map(|r| Certificate::from_der(&r.der).unwrap())
        .find(|r| {
            verifier.trust().purposes(r) == [Purpose::Authentication]
                && r.key_id() != cert.authority_key_id().unwrap().key_id.as_deref().unwrap()
        })
        .unwrap();
    let other = Verifier::new(kazasu_pki::TrustStore::new().with(root_2015))
        .with_shared_revocation(crls.clone())
        .with_path_cache(CAPACITY);
    assert!(
        other
            .validate(&cert, Purpose::Authentication, at())
            .is_err()
    );
    assert_eq!(hits(&other), 0);
}

#[test]
fn a_tampered_certificate_does_not_hit() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = cached_verifier(&f, &crls);
    let der = f.holder.auth_certificate.clone();
    assert_once(&f, &verifier, &der, at()).0.unwrap();
    // Same certificate but for the last bit of its signature: another SHA-256, and a bad signature.
    let mut tampered = der.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let (result, _) = assert_once(&f, &verifier, &tampered, at());
    assert!(
        matches!(result, Err(Rejection::BadSignature { .. })),
        "{result:?}"
    );
    assert_eq!(hits(&verifier), 0);
    // The genuine one still hits.
    assert_eq!(assert_once(&f, &verifier, &der, at()).1, 1);
}

/// A source that answers like its CRLs but tracks no generation.
struct Untracked(CrlSet);

impl RevocationSource for Untracked {
    fn status(&self, q: &RevocationQuery<'_>) -> RevocationStatus {
        self.0.status(q)
    }
}

#[test]
fn a_source_without_generation_is_never_cached_over() {
    let f = Fixture::new();
    let verifier = f
        .verifier(CrlSet::new())
        .with_revocation(Untracked(f.current_crls(at())))
        .with_path_cache(CAPACITY);
    let der = &f.holder.auth_certificate;
    assert_once(&f, &verifier, der, at()).0.unwrap();
    let (again, spent) = assert_once(&f, &verifier, der, at());
    again.unwrap();
    assert_eq!(spent, 2);
    let stats = verifier.path_cache_stats().unwrap();
    assert_eq!((stats.hits, stats.len), (0, 0));
}

#[test]
fn the_cache_is_bounded() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = f
        .verifier(CrlSet::new())
        .with_shared_revocation(crls.clone())
        .with_path_cache(2);
    let certs: Vec<Certificate> = (0..4u64)
        .map(|n| {
            let spec = IssueSpec {
                serial: Some(0x5000 + 2 * n),
                ..IssueSpec::default()
            };
            let holder = f.pki.issue(&f.persona, &spec).unwrap();
            Certificate::from_der(&holder.auth_certificate).unwrap()
        })
        .collect();
    for c in &certs {
        verifier.validate(c, Purpose::Authentication, at()).unwrap();
    }
    let stats = verifier.path_cache_stats().unwrap();
    assert_eq!(stats.capacity, 2);
    assert_eq!(stats.len, 2);
    // The last one validated is still there.
    verifier
        .validate(&certs[3], Purpose::Authentication, at())
        .unwrap();
    assert_eq!(hits(&verifier), 1);
    verifier.clear_path_cache();
    assert_eq!(verifier.path_cache_stats().unwrap().len, 0);
}

#[test]
fn crl_set_windows_follow_the_crls() {
    let f = Fixture::new();
    let set = f.current_crls(at());
    let cert = f.auth_cert();
    let trust = f.trust();
    let issuer = trust
        .anchors()
        .iter()
        .find(|a| a.key_id() == cert.authority_key_id().unwrap().key_id.as_deref().unwrap())
        .unwrap();
    let (status, window) = set.status_window(&RevocationQuery::new(&cert, issuer, at()));
    assert!(matches!(status, RevocationStatus::Good { .. }));
    // CrlSpec::valid_at: thisUpdate an hour before, nextUpdate 23 hours after.
    assert_eq!(
        window,
        Some(TimeWindow::new(
            Some(at() - Duration::hours(1)),
            Some(at() + Duration::hours(23))
        ))
    );
    let shared = SharedCrlSet::new(CrlSet::new());
    let g0 = shared.generation();
    shared.add(f.crl(
        VcPurpose::Authentication,
        Generation::G2023,
        &CrlSpec::valid_at(at()),
    ));
    assert_ne!(shared.generation(), g0);
    assert_eq!(shared.crls().len(), 1);
}

#[test]
fn assertion_from_parts_reuses_the_cached_certificate() {
    let f = Fixture::new();
    let crls = shared_crls(&f);
    let verifier = cached_verifier(&f, &crls);
    let der = &f.holder.auth_certificate;
    let store = MemoryChallengeStore::new(Duration::minutes(5));
    let sign = |c: &[u8]| {
        common::vc::SignatureAlgorithm::Sha256WithRsa
            .sign(&f.holder.auth_key, c)
            .unwrap()
    };
    for round in 0..3 {
        let challenge = store.issue(at()).unwrap();
        let a = verifier
            .assertion_from_parts(der, &challenge, &sign(&challenge))
            .unwrap();
        assert_eq!(a.certificate.der(), &der[..]);
        let before = rsa_verifications();
        verifier.verify_assertion(&a, &store, at()).unwrap();
        let spent = rsa_verifications() - before;
        assert_eq!(spent, if round == 0 { 3 } else { 1 });
    }
    // PEM of the same certificate parses as usual (and then hits: same DER).
    let pem = f.auth_cert().to_pem().unwrap();
    let challenge = store.issue(at()).unwrap();
    let a = verifier
        .assertion_from_parts(pem.as_bytes(), &challenge, &sign(&challenge))
        .unwrap();
    verifier.verify_assertion(&a, &store, at()).unwrap();
    // Tampered bytes are parsed, miss, and are refused.
    let mut tampered = der.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let challenge = store.issue(at()).unwrap();
    let a = verifier
        .assertion_from_parts(&tampered, &challenge, &sign(&challenge))
        .unwrap();
    assert!(matches!(
        verifier.verify_assertion(&a, &store, at()),
        Err(Rejection::BadSignature { .. })
    ));
    assert!(
        verifier
            .assertion_from_parts(b"not a certificate", &challenge, b"")
            .is_err()
    );
    assert_eq!(hits(&verifier), 3);
}
