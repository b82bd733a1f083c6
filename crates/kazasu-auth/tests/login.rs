//! Login: binding on first use with identity proofing, login with the authentication key alone,
//! renewal, revocation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{Holder, World, at};
use kazasu_auth::{
    AccountStore, AssertionPurpose, AuthError, CardLinks, Enrolment, LoginService,
    MemoryAccountStore, MemoryCardLinks, Presented, RelyingParty,
};
use kazasu_pki::Rejection;

fn service(rp: RelyingParty, links: Arc<MemoryCardLinks>) -> LoginService<MemoryAccountStore> {
    LoginService::new(rp, MemoryAccountStore::new(), links)
}

fn enrolment<S: AccountStore>(s: &LoginService<S>, h: &Holder) -> Enrolment {
    let nonce = s.relying_party().issue_nonce(at()).unwrap();
    let authentication = h.assert(AssertionPurpose::Enrol, &nonce, at());
    Enrolment {
        signature: h.sign_sign(&authentication.message),
        signature_certificate: h.sign.clone(),
        authentication,
    }
}

fn login<S: AccountStore>(
    s: &LoginService<S>,
    h: &Holder,
) -> Result<kazasu_auth::Principal, AuthError> {
    let nonce = s.relying_party().issue_nonce(at()).unwrap();
    s.login(
        &Presented::Bound(h.assert(AssertionPurpose::Login, &nonce, at())),
        at(),
    )
}

fn linked(holders: &[&Holder]) -> Arc<MemoryCardLinks> {
    let links = Arc::new(MemoryCardLinks::new());
    for h in holders {
        links.insert_card(h.sign_id(), h.auth_id()).unwrap();
    }
    links
}

#[test]
fn first_use_binds_with_the_basic_four_then_login_needs_the_authentication_key_only() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let s = service(w.rp(&[]), linked(&[&alice]));
    let enrolled = s.enrol(&enrolment(&s, &alice), at()).unwrap();
    assert_eq!(enrolled.certificate, alice.auth_id());
    assert_eq!(enrolled.claim.personal.name, alice.persona.name);
    assert_eq!(enrolled.claim.personal.address, alice.persona.address);
    assert_eq!(enrolled.claim.source, alice.sign_id());

    let p = login(&s, &alice).unwrap();
    assert_eq!(p.account, enrolled.account);
    assert_eq!(p.claim, enrolled.claim);
    assert_eq!(p.renewed_from, None);
    // Binding the same card again is refused.
    assert_eq!(
        s.enrol(&enrolment(&s, &alice), at()).unwrap_err(),
        AuthError::AlreadyBound
    );
}

#[test]
fn enrolment_proves_the_two_certificates_are_one_card() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let bob = w.holder(1, 1);
    // Bob's signature certificate with Alice's authentication key: the links say no.
    let links = linked(&[&alice, &bob]);
    let s = service(w.rp(&[]), links);
    let mut e = enrolment(&s, &alice);
    e.signature_certificate = bob.sign.clone();
    e.signature = bob.sign_sign(&e.authentication.message);
    assert_eq!(s.enrol(&e, at()).unwrap_err(), AuthError::NotSameCard);
    // Nothing was written.
    assert_eq!(s.store().find(&alice.auth_id()).unwrap(), None);
    assert_eq!(login(&s, &alice).unwrap_err(), AuthError::NotBound);
    // Without any link the service cannot tell either.
    let s = service(w.rp(&[]), Arc::new(MemoryCardLinks::new()));
    assert_eq!(
        s.enrol(&enrolment(&s, &alice), at()).unwrap_err(),
        AuthError::NotSameCard
    );
}

#[test]
fn enrolment_needs_the_signature_key_over_the_same_message_and_the_enrol_purpose() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let s = service(w.rp(&[]), linked(&[&alice]));
    let mut e = enrolment(&s, &alice);
    e.signature = alice.sign_sign(b"another message");
    assert_eq!(s.enrol(&e, at()).unwrap_err(), AuthError::BadSignature);
    // A login assertion cannot enrol.
    let nonce = s.relying_party().issue_nonce(at()).unwrap();
    let authentication = alice.assert(AssertionPurpose::Login, &nonce, at());
    let e = Enrolment {
        signature: alice.sign_sign(&authentication.message),
        signature_certificate: alice.sign.clone(),
        authentication,
    };
    assert!(matches!(
        s.enrol(&e, at()).unwrap_err(),
        AuthError::WrongPurpose { .. }
    ));
    // An authentication certificate in the signature role is refused by path validation.
    let mut e = enrolment(&s, &alice);
    e.signature_certificate = alice.auth.clone();
    e.signature = alice.auth_sign(&e.authentication.message);
    assert!(matches!(
        s.enrol(&e, at()).unwrap_err(),
        AuthError::Certificate(_)
    ));
}

#[test]
fn an_unbound_card_cannot_log_in_and_an_enrol_assertion_is_no_login() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let bob = w.holder(1, 1);
    let s = service(w.rp(&[]), linked(&[&alice, &bob]));
    s.enrol(&enrolment(&s, &alice), at()).unwrap();
    assert_eq!(login(&s, &bob).unwrap_err(), AuthError::NotBound);
    let nonce = s.relying_party().issue_nonce(at()).unwrap();
    let enrol = alice.assert(AssertionPurpose::Enrol, &nonce, at());
    assert!(matches!(
        s.login(&Presented::Bound(enrol), at()).unwrap_err(),
        AuthError::WrongPurpose { .. }
    ));
}

#[test]
fn a_renewed_certificate_logs_in_to_the_same_account_through_the_links() {
    let w = World::new();
    let alice = w.holder(0, 0);
    // The same person, a renewed pair of certificates on new keys.
    let renewed = w.holder(0, 2);
    assert_ne!(alice.auth_id(), renewed.auth_id());
    let links = linked(&[&alice]);
    let s = service(w.rp(&[]), links.clone());
    let first = s.enrol(&enrolment(&s, &alice), at()).unwrap();
    // Unknown to the links: not bound.
    assert_eq!(login(&s, &renewed).unwrap_err(), AuthError::NotBound);
    links
        .insert_renewal(alice.auth_id(), renewed.auth_id())
        .unwrap();
    assert_eq!(
        links.renewed_from(&renewed.auth_id()).unwrap(),
        Some(alice.auth_id())
    );
    let p = login(&s, &renewed).unwrap();
    assert_eq!(p.account, first.account);
    assert_eq!(p.renewed_from, Some(alice.auth_id()));
    // The account moved: the new certificate logs in directly, the old one no longer does.
    assert_eq!(login(&s, &renewed).unwrap().renewed_from, None);
    assert_eq!(login(&s, &alice).unwrap_err(), AuthError::NotBound);
}

#[test]
fn a_revoked_certificate_is_refused_at_login_and_at_enrolment() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let links = linked(&[&alice]);
    let store = Arc::new(MemoryAccountStore::new());
    let ok = LoginService::new(w.rp(&[]), store.clone(), links.clone());
    ok.enrol(&enrolment(&ok, &alice), at()).unwrap();
    // The same account store behind a relying party whose CRLs revoke Alice's certificates.
    let revoked = LoginService::new(w.rp(&[&alice]), store.clone(), links);
    let unused = LoginService::new(
        w.rp(&[&alice]),
        MemoryAccountStore::new(),
        linked(&[&alice]),
    );
    assert!(matches!(
        unused.enrol(&enrolment(&unused, &alice), at()).unwrap_err(),
        AuthError::Certificate(Rejection::Revoked { .. })
    ));
    let nonce = revoked.relying_party().issue_nonce(at()).unwrap();
    let a = alice.assert(AssertionPurpose::Login, &nonce, at());
    let err = revoked.login(&Presented::Bound(a), at()).unwrap_err();
    assert_eq!(err.code(), "revoked");
    // The account is still there: the refusal is the certificate's.
    assert!(store.find(&alice.auth_id()).unwrap().is_some());
    assert!(login(&ok, &alice).is_ok());
}
