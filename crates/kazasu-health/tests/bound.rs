//! Eligibility with bound assertions (kazasu-auth v1 messages), made by the virtual card through
//! the card layer: accepted for this service and purpose only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_auth::{AssertionPurpose, AuthError, BoundAssertion, BoundMessage};
use kazasu_card::{AuthPin, LastTry, SignPassword};
use kazasu_health::sandbox::{Sandbox, person_record};
use kazasu_health::{
    AgencyCode, AuditStore, Binding, EligibilityService, EligibilityStore, FacilityCode,
    HealthError, QualificationValidity, SqliteStore, present_bound, prove_card_holder,
};
use kazasu_virtual_card::VirtualTransport;
use kazasu_virtual_card::pki::{IssueSpec, PersonaBuilder};
use time::OffsetDateTime;
use time::macros::datetime;

const AT: OffsetDateTime = datetime!(2026-11-26 10:00 +09:00);
const RP: &str = "eligibility.clinic.example";
const ORIGIN: &str = "terminal:clinic-0001";

struct World {
    service: EligibilityService<SqliteStore>,
    card: VirtualTransport,
    facility: FacilityCode,
}

fn world() -> World {
    let sandbox = Sandbox::new(0, AT, &[]).unwrap();
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let store = SqliteStore::in_memory().unwrap();
    let agency = AgencyCode::new("AGC0000000000001").unwrap();
    let (person, q) = person_record(&persona, &agency, AT.date()).unwrap();
    store.put_person(&person, &q).unwrap();
    let service = EligibilityService::new(sandbox.setup.clone(), store, sandbox.card_links.clone())
        .with_relying_party(RP, &[ORIGIN])
        .unwrap();
    let card = VirtualTransport::new(sandbox.card(&persona, IssueSpec::default()).unwrap().card);
    let challenge = service.issue_challenge(AT).unwrap();
    let (proof, _) = prove_card_holder(
        card.clone(),
        &challenge,
        &AuthPin::new("1234").unwrap(),
        &SignPassword::new("ABC123").unwrap(),
        LastTry::Refuse,
    )
    .unwrap();
    service.enrol(&agency, &proof, AT).unwrap();
    World {
        facility: sandbox.facility().unwrap(),
        service,
        card,
    }
}

fn touch(w: &World, rp: &str, origin: &str, purpose: AssertionPurpose) -> BoundAssertion {
    let nonce = w.service.issue_challenge(AT).unwrap();
    let message = BoundMessage::new(rp, origin, purpose, &nonce, AT).unwrap();
    present_bound(
        w.card.clone(),
        &message,
        &AuthPin::new("1234").unwrap(),
        LastTry::Refuse,
    )
    .unwrap()
    .0
}

#[test]
fn a_bound_confirm_assertion_answers_once() {
    let w = world();
    let a = touch(&w, RP, ORIGIN, AssertionPurpose::Confirm);
    let answer = w.service.confirm_bound(&w.facility, &a, AT).unwrap();
    assert_eq!(
        answer.qualification_validity,
        Some(QualificationValidity::Valid)
    );
    assert_eq!(answer.binding, Some(Binding::CardHolder));
    let err = w.service.confirm_bound(&w.facility, &a, AT).unwrap_err();
    assert!(
        matches!(err, HealthError::Assertion(AuthError::NonceReplayed)),
        "{err}"
    );
    assert_eq!(err.result_code(), "K1003");
}

#[test]
fn assertions_for_another_purpose_service_or_origin_are_refused() {
    let w = world();
    for (rp, origin, purpose, code) in [
        (RP, ORIGIN, AssertionPurpose::CheckIn, "wrong_purpose"),
        (RP, ORIGIN, AssertionPurpose::Consent, "wrong_purpose"),
        (
            "bank.example",
            ORIGIN,
            AssertionPurpose::Confirm,
            "wrong_relying_party",
        ),
        (
            RP,
            "https://phish.example",
            AssertionPurpose::Confirm,
            "wrong_origin",
        ),
    ] {
        let a = touch(&w, rp, origin, purpose);
        let err = w.service.confirm_bound(&w.facility, &a, AT).unwrap_err();
        match &err {
            HealthError::Assertion(e) => assert_eq!(e.code(), code),
            other => panic!("{other}"),
        }
        assert_eq!(err.result_code(), "K1002");
    }
    // Every refusal was audited as a lookup.
    let audited = w
        .service
        .store()
        .count_lookups(
            &w.facility,
            kazasu_health::LookupMode::Pin,
            AT - time::Duration::hours(1),
        )
        .unwrap();
    assert_eq!(audited, 4);
}

#[test]
fn a_service_without_a_relying_party_takes_no_bound_assertion() {
    let w = world();
    let a = touch(&w, RP, ORIGIN, AssertionPurpose::Confirm);
    let sandbox = Sandbox::new(0, AT, &[]).unwrap();
    let plain = EligibilityService::new(
        sandbox.setup.clone(),
        SqliteStore::in_memory().unwrap(),
        sandbox.card_links.clone(),
    );
    assert!(matches!(
        plain.confirm_bound(&w.facility, &a, AT).unwrap_err(),
        HealthError::Invalid {
            field: "presentation",
            ..
        }
    ));
}

#[test]
fn an_expired_certificate_gets_the_grace_with_a_bound_assertion_too() {
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let agency = AgencyCode::new("AGC0000000000001").unwrap();
    let expiring = IssueSpec {
        key_slot: 2,
        not_after: Some(datetime!(2026-10-01 00:00 UTC)),
        ..IssueSpec::default()
    };
    let sandbox = Sandbox::new(0, AT, &[]).unwrap();
    let card = VirtualTransport::new(sandbox.card(&persona, expiring).unwrap().card);
    let id = kazasu_pki::Certificate::from_der(
        &kazasu_card::Jpki::open(card.clone())
            .unwrap()
            .read_auth_certificate()
            .unwrap()
            .into_der(),
    )
    .unwrap()
    .id()
    .unwrap();
    let store = SqliteStore::in_memory().unwrap();
    let (person, q) = person_record(&persona, &agency, AT.date()).unwrap();
    store.put_person(&person, &q).unwrap();
    let service = EligibilityService::new(sandbox.setup.clone(), store, sandbox.card_links.clone())
        .with_relying_party(RP, &[ORIGIN])
        .unwrap();
    service
        .import_trusted_links(
            &kazasu_health::TrustedLinkImport::from_trusted_feed("test feed", vec![(id, agency)]),
            AT,
        )
        .unwrap();
    let w = World {
        facility: sandbox.facility().unwrap(),
        service,
        card,
    };
    // Two months after expiry: qualification data, no sharing.
    let a = touch(&w, RP, ORIGIN, AssertionPurpose::Confirm);
    let answer = w.service.confirm_bound(&w.facility, &a, AT).unwrap();
    assert_eq!(answer.binding, Some(Binding::ExpiredCertificateGrace));
    assert!(!answer.sharing_available);
    // The relay checks still come first: a check-in assertion gets no grace answer.
    let a = touch(&w, RP, ORIGIN, AssertionPurpose::CheckIn);
    assert!(matches!(
        w.service.confirm_bound(&w.facility, &a, AT).unwrap_err(),
        HealthError::Assertion(AuthError::WrongPurpose { .. })
    ));
}

#[test]
fn check_in_takes_a_bound_check_in_assertion_for_this_desk_only() {
    use kazasu_health::{
        ApprovalPurpose, CheckinService, FacilityStore, IdentityCheck, LinkApproval,
        PatientCardNumber, Presentation, present_card,
    };
    const DESK: &str = "checkin.clinic.example";
    let sandbox = Sandbox::new(0, AT, &[]).unwrap();
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let card = VirtualTransport::new(sandbox.card(&persona, IssueSpec::default()).unwrap().card);
    let terminal = sandbox.terminal().unwrap();
    let store = SqliteStore::in_memory().unwrap();
    store
        .register_terminal(
            terminal.facility(),
            terminal.terminal(),
            &terminal.public_key_der().unwrap(),
            AT,
        )
        .unwrap();
    let desk = CheckinService::new(sandbox.facility().unwrap(), sandbox.setup.clone(), store)
        .with_relying_party(DESK, &[ORIGIN])
        .unwrap();
    // The clerk links the patient card once (a PIN assertion and the terminal's approval).
    let patient = PatientCardNumber::new("P-000123").unwrap();
    let pin = AuthPin::new("1234").unwrap();
    let challenge = desk.issue_challenge(AT).unwrap();
    let check = IdentityCheck::Pin {
        pin: &pin,
        last_try: LastTry::Refuse,
    };
    let Presentation::Assertion(a) = present_card(card.clone(), &challenge, check).unwrap().0
    else {
        panic!("a PIN assertion expected");
    };
    let approval = terminal
        .approve(
            "clerk-02",
            ApprovalPurpose::LinkPatientCard(patient.clone()),
            &a.certificate,
            AT,
        )
        .unwrap();
    desk.link(&a, &patient, &LinkApproval::Staff(approval), AT)
        .unwrap();

    let touch = |rp: &str, purpose: AssertionPurpose| {
        let nonce = desk.issue_challenge(AT).unwrap();
        let message = BoundMessage::new(rp, ORIGIN, purpose, &nonce, AT).unwrap();
        present_bound(card.clone(), &message, &pin, LastTry::Refuse)
            .unwrap()
            .0
    };
    let b = touch(DESK, AssertionPurpose::CheckIn);
    let receipt = desk.check_in_bound(&b, AT).unwrap();
    assert_eq!((receipt.patient_card, receipt.queue_number), (patient, 1));
    assert!(matches!(
        desk.check_in_bound(&b, AT).unwrap_err(),
        HealthError::Assertion(AuthError::NonceReplayed)
    ));
    // Made for the eligibility service, or for confirmation: not a check-in here.
    for (rp, purpose, code) in [
        (RP, AssertionPurpose::CheckIn, "wrong_relying_party"),
        (DESK, AssertionPurpose::Confirm, "wrong_purpose"),
    ] {
        match desk.check_in_bound(&touch(rp, purpose), AT).unwrap_err() {
            HealthError::Assertion(e) => assert_eq!(e.code(), code),
            other => panic!("{other}"),
        }
    }
}
