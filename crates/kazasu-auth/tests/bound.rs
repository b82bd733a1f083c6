//! Bound assertions: each refusal the relying party names, and the one way through.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ORIGIN, RP, World, at, nonces};
use kazasu_auth::{AssertionPurpose, AuthError, BoundAssertion, LegacyForm, Malformed, Presented};
use kazasu_pki::time::Duration;
use kazasu_pki::{AuthAssertion, Rejection, Verifier};

#[test]
fn verifies_once_then_a_replay_is_refused() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let rp = w.rp(&[]);
    let nonce = rp.issue_nonce(at()).unwrap();
    let a = alice.assert(AssertionPurpose::Login, &nonce, at());
    let v = rp
        .verify_bound(&a, AssertionPurpose::Login, at() + Duration::seconds(5))
        .unwrap();
    assert_eq!(v.id, alice.auth_id());
    let m = v.message.unwrap();
    assert_eq!((m.rp_id(), m.origin(), m.nonce()), (RP, ORIGIN, &nonce[..]));
    assert_eq!(
        rp.verify_bound(&a, AssertionPurpose::Login, at() + Duration::seconds(6))
            .unwrap_err(),
        AuthError::NonceReplayed
    );
}

#[test]
fn relays_to_another_relying_party_or_origin_are_refused() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let rp = w.rp(&[]);
    let nonce = rp.issue_nonce(at()).unwrap();
    // The card signed for another service (a phishing site fetched our nonce and relayed).
    let other_rp = alice.assert_for(
        "evil.example",
        ORIGIN,
        AssertionPurpose::Login,
        &nonce,
        at(),
    );
    assert_eq!(
        rp.verify_bound(&other_rp, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::WrongRelyingParty {
            expected: RP.into(),
            found: "evil.example".into()
        }
    );
    // Our id, but the client saw another origin.
    let other_origin = alice.assert_for(
        RP,
        "https://bank.example.evil.example",
        AssertionPurpose::Login,
        &nonce,
        at(),
    );
    assert_eq!(
        rp.verify_bound(&other_origin, AssertionPurpose::Login, at())
            .unwrap_err()
            .code(),
        "wrong_origin"
    );
    // The refusals did not burn the nonce: the genuine assertion still goes through.
    let genuine = alice.assert(AssertionPurpose::Login, &nonce, at());
    rp.verify_bound(&genuine, AssertionPurpose::Login, at())
        .unwrap();
}

#[test]
fn another_purpose_is_refused() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let rp = w.rp(&[]);
    let nonce = rp.issue_nonce(at()).unwrap();
    let a = alice.assert(AssertionPurpose::Consent, &nonce, at());
    for asked in [
        AssertionPurpose::Login,
        AssertionPurpose::Ticket,
        AssertionPurpose::Enrol,
    ] {
        assert_eq!(
            rp.verify_bound(&a, asked, at()).unwrap_err(),
            AuthError::WrongPurpose {
                expected: asked,
                found: AssertionPurpose::Consent
            }
        );
    }
}

#[test]
fn stale_and_future_issue_times_are_refused_within_the_skew_accepted() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let rp = w.rp(&[]);
    let nonce = rp.issue_nonce(at()).unwrap();
    let old = alice.assert(AssertionPurpose::Login, &nonce, at() - Duration::minutes(6));
    assert!(matches!(
        rp.verify_bound(&old, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::Stale { .. }
    ));
    let future = alice.assert(
        AssertionPurpose::Login,
        &nonce,
        at() + Duration::seconds(31),
    );
    assert!(matches!(
        rp.verify_bound(&future, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::FromTheFuture { .. }
    ));
    // A client clock 30 s ahead is inside the default skew.
    let ahead = alice.assert(
        AssertionPurpose::Login,
        &nonce,
        at() + Duration::seconds(30),
    );
    rp.verify_bound(&ahead, AssertionPurpose::Login, at())
        .unwrap();
}

#[test]
fn nonces_not_issued_here_or_expired_are_refused() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let rp = w.rp(&[]);
    let a = alice.assert(AssertionPurpose::Login, &[9u8; 32], at());
    assert_eq!(
        rp.verify_bound(&a, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::NonceUnknown
    );
    // Another relying party's nonce store does not know ours.
    let other = w.rp(&[]);
    let theirs = other.issue_nonce(at()).unwrap();
    let a = alice.assert(AssertionPurpose::Login, &theirs, at());
    assert_eq!(
        rp.verify_bound(&a, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::NonceUnknown
    );
    // Expired: the nonce lives 5 minutes; the message is fresh (4 minutes old is within max age).
    let rp = rp.with_max_age(Duration::minutes(10));
    let nonce = rp.issue_nonce(at()).unwrap();
    let later = at() + Duration::minutes(6);
    let a = alice.assert(AssertionPurpose::Login, &nonce, later);
    assert!(matches!(
        rp.verify_bound(&a, AssertionPurpose::Login, later)
            .unwrap_err(),
        AuthError::NonceExpired { .. }
    ));
}

#[test]
fn bad_signatures_are_refused() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let bob = w.holder(1, 1);
    let rp = w.rp(&[]);
    let nonce = rp.issue_nonce(at()).unwrap();
    let good = alice.assert(AssertionPurpose::Login, &nonce, at());
    // Bob's card signed, Alice's certificate presented.
    let mut forged = good.clone();
    forged.signature = bob.auth_sign(&good.message);
    assert_eq!(
        rp.verify_bound(&forged, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::BadSignature
    );
    // The signature of a bare challenge does not stand for the bound message.
    let mut bare = good.clone();
    bare.signature = alice.auth_sign(&nonce);
    assert_eq!(
        rp.verify_bound(&bare, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::BadSignature
    );
    // Signed with the signature key instead of the authentication key.
    let mut sign_key = good.clone();
    sign_key.signature = alice.sign_sign(&good.message);
    assert_eq!(
        rp.verify_bound(&sign_key, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::BadSignature
    );
    rp.verify_bound(&good, AssertionPurpose::Login, at())
        .unwrap();
}

#[test]
fn certificates_that_do_not_validate_are_refused() {
    let w = World::new();
    let alice = w.holder(0, 0);
    // Revoked.
    let rp = w.rp(&[&alice]);
    let nonce = rp.issue_nonce(at()).unwrap();
    let a = alice.assert(AssertionPurpose::Login, &nonce, at());
    let err = rp
        .verify_bound(&a, AssertionPurpose::Login, at())
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Certificate(Rejection::Revoked { .. })),
        "{err:?}"
    );
    assert_eq!(err.code(), "revoked");
    // Another trust anchor set (the real J-LIS roots): the test PKI's certificate is untrusted.
    let rp = w.rp_with(RP, ORIGIN, Verifier::jlis().unwrap(), nonces());
    let nonce = rp.issue_nonce(at()).unwrap();
    let a = alice.assert(AssertionPurpose::Login, &nonce, at());
    assert!(matches!(
        rp.verify_bound(&a, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::Certificate(_)
    ));
    // A signature certificate is not an authentication certificate.
    let rp = w.rp(&[]);
    let nonce = rp.issue_nonce(at()).unwrap();
    let bytes = alice.assert(AssertionPurpose::Login, &nonce, at()).message;
    let as_sign = BoundAssertion::new(alice.sign.clone(), bytes.clone(), alice.sign_sign(&bytes));
    assert!(matches!(
        rp.verify_bound(&as_sign, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::Certificate(_)
    ));
    // After the certificate expired.
    let late = alice.auth.not_after() + Duration::days(1);
    let nonce = rp.issue_nonce(late).unwrap();
    let a = alice.assert(AssertionPurpose::Login, &nonce, late);
    assert!(matches!(
        rp.verify_bound(&a, AssertionPurpose::Login, late)
            .unwrap_err(),
        AuthError::Certificate(Rejection::Expired { .. })
    ));
}

#[test]
fn malformed_bytes_are_refused_with_the_reason() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let rp = w.rp(&[]);
    let nonce = rp.issue_nonce(at()).unwrap();
    let mut a = alice.assert(AssertionPurpose::Login, &nonce, at());
    a.message.push(0);
    a.signature = alice.auth_sign(&a.message);
    assert_eq!(
        rp.verify_bound(&a, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::Malformed(Malformed::TrailingBytes(1))
    );
    // A bare challenge sent as if it were a bound message.
    let bare = kazasu_auth::BoundAssertion::new(
        alice.auth.clone(),
        nonce.clone(),
        alice.auth_sign(&nonce),
    );
    assert_eq!(
        rp.verify_bound(&bare, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::Malformed(Malformed::NotBoundAssertion)
    );
}

#[test]
fn the_old_bare_challenge_form_only_behind_the_option() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let rp = w.rp(&[]);
    let challenge = rp.issue_nonce(at()).unwrap();
    let legacy = Presented::Legacy(AuthAssertion::new(
        alice.auth.clone(),
        challenge.clone(),
        alice.auth_sign(&challenge),
    ));
    assert_eq!(
        rp.verify(&legacy, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::LegacyRefused
    );
    let rp = rp.accept_legacy(LegacyForm::Accept);
    let v = rp.verify(&legacy, AssertionPurpose::Login, at()).unwrap();
    assert_eq!(v.id, alice.auth_id());
    assert!(v.message.is_none());
    // Still single use.
    assert_eq!(
        rp.verify(&legacy, AssertionPurpose::Login, at())
            .unwrap_err(),
        AuthError::NonceReplayed
    );
}

#[test]
fn relying_party_configuration_is_checked() {
    let w = World::new();
    let v = w.verifier(&[]);
    assert!(kazasu_auth::RelyingParty::new("", &[ORIGIN], v.clone(), nonces()).is_err());
    assert!(kazasu_auth::RelyingParty::new(RP, &[], v.clone(), nonces()).is_err());
    assert!(kazasu_auth::RelyingParty::new(RP, &["https://a b"], v, nonces()).is_err());
}
