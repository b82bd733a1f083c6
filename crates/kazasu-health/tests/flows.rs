//! Eligibility and check-in end to end, in process: virtual cards, the test PKI, SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kazasu_card::{AuthPin, CardError, LastTry, SignPassword};
use kazasu_health::sandbox::{Sandbox, overlapping_record, person_record};
use kazasu_health::{
    AgencyCode, ApprovalPurpose, Binding, CardHolderProof, CheckinService, CheckinStore,
    EligibilityService, EligibilityStore, FacilityCode, FacilityStore, FacilityTerminal,
    HealthError, IdentityCheck, InsurerNumber, LinkApproval, PatientCardNumber, Presentation,
    QualificationValidity, RenewalStore, Reservation, SqliteChallengeStore, SqliteStore,
    TrustedLinkImport, present_card, prove_card_holder,
};
use kazasu_pki::{AuthAssertion, CertificateId, ChallengeStore, Rejection};
use kazasu_virtual_card::VirtualTransport;
use kazasu_virtual_card::pki::{IssueSpec, Persona, PersonaBuilder};
use proptest::prelude::*;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const AT: OffsetDateTime = datetime!(2026-11-26 10:00 +09:00);

fn agency() -> AgencyCode {
    AgencyCode::new("AGC0000000000001").unwrap()
}

fn pin() -> AuthPin {
    AuthPin::new("1234").unwrap()
}

fn password() -> SignPassword {
    SignPassword::new("ABC123").unwrap()
}

fn slot(key_slot: usize) -> IssueSpec {
    IssueSpec {
        key_slot,
        ..IssueSpec::default()
    }
}

struct World {
    sandbox: Sandbox,
    persona: Persona,
    facility: FacilityCode,
    terminal: FacilityTerminal,
    service: EligibilityService<SqliteStore>,
    /// Cards already built, by issue spec: building one costs RSA work, touching it again does not.
    cards: Mutex<HashMap<String, VirtualTransport>>,
}

impl World {
    /// A touch of the persona's card issued with `spec` (built once, then reused).
    fn card(&self, spec: IssueSpec) -> VirtualTransport {
        let key = format!("{spec:?}");
        self.cards
            .lock()
            .unwrap()
            .entry(key)
            .or_insert_with(|| {
                VirtualTransport::new(self.sandbox.card(&self.persona, spec).unwrap().card)
            })
            .clone()
    }
}

fn register_terminal(store: &dyn FacilityStore, terminal: &FacilityTerminal) {
    store
        .register_terminal(
            terminal.facility(),
            terminal.terminal(),
            &terminal.public_key_der().unwrap(),
            AT,
        )
        .unwrap();
}

fn service_on(sandbox: &Sandbox, store: SqliteStore) -> EligibilityService<SqliteStore> {
    EligibilityService::new(sandbox.setup.clone(), store, sandbox.card_links.clone())
}

fn world_with(revoked: &[Vec<u8>]) -> World {
    let sandbox = Sandbox::new(0, AT, revoked).unwrap();
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let store = SqliteStore::in_memory().unwrap();
    let (person, qualifications) = person_record(&persona, &agency(), AT.date()).unwrap();
    store.put_person(&person, &qualifications).unwrap();
    let terminal = sandbox.terminal().unwrap();
    register_terminal(&store, &terminal);
    World {
        facility: sandbox.facility().unwrap(),
        terminal,
        service: service_on(&sandbox, store),
        sandbox,
        persona,
        cards: Mutex::new(HashMap::new()),
    }
}

fn world() -> World {
    world_with(&[])
}

fn assertion(card: VirtualTransport, challenge: &[u8]) -> AuthAssertion {
    let check = IdentityCheck::Pin {
        pin: &pin(),
        last_try: LastTry::Refuse,
    };
    match present_card(card, challenge, check).unwrap().0 {
        Presentation::Assertion(a) => a,
        other => panic!("{other:?}"),
    }
}

fn proof(card: VirtualTransport, challenge: &[u8]) -> CardHolderProof {
    prove_card_holder(card, challenge, &pin(), &password(), LastTry::Refuse)
        .unwrap()
        .0
}

fn fresh_assertion(w: &World, spec: IssueSpec, at: OffsetDateTime) -> AuthAssertion {
    let challenge = w.service.issue_challenge(at).unwrap();
    assertion(w.card(spec), &challenge)
}

fn enrol(w: &World) -> CertificateId {
    let challenge = w.service.issue_challenge(AT).unwrap();
    let p = proof(w.card(IssueSpec::default()), &challenge);
    w.service.enrol(&agency(), &p, AT).unwrap()
}

#[test]
fn enrol_then_confirm_with_the_pin() {
    let w = world();
    let id = enrol(&w);
    assert_eq!(w.service.store().resolve(&id).unwrap(), Some(agency()));
    let challenge = w.service.issue_challenge(AT).unwrap();
    let (presented, stats) = present_card(
        w.card(IssueSpec::default()),
        &challenge,
        IdentityCheck::Pin {
            pin: &pin(),
            last_try: LastTry::Refuse,
        },
    )
    .unwrap();
    assert!(
        stats.commands <= 8,
        "certificate read + authentication in {} APDUs",
        stats.commands
    );
    let answer = w.service.confirm(&w.facility, &presented, AT).unwrap();
    assert_eq!(answer.processing_result_status, "1");
    assert_eq!(
        answer.qualification_validity,
        Some(QualificationValidity::Valid)
    );
    assert_eq!(answer.binding, Some(Binding::CardHolder));
    assert!(answer.sharing_available);
    assert_eq!(answer.result_list.len(), 1);
    let r = &answer.result_list[0];
    assert_eq!(r.insurer_number, "06139992");
    assert_eq!(r.name, "山田\u{3000}花子");
    assert_eq!(r.name_kana, "ﾔﾏﾀﾞ ﾊﾅｺ");
    assert_eq!(r.birthdate, "19850412");
    assert_eq!(r.sex1.code(), "2");
    assert_eq!(r.sex2.code(), "2");
    assert_eq!(r.insured_card_valid_date, "20200401");
    assert_eq!(r.reference_number, None);
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["QualificationValidity"], "1");
    assert_eq!(json["ResultList"][0]["InsurerNumber"], "06139992");
    assert_eq!(json["ResultList"][0]["Sex1"], "2");
}

#[test]
fn a_replayed_assertion_is_refused() {
    let w = world();
    enrol(&w);
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let presented = Presentation::Assertion(a);
    w.service.confirm(&w.facility, &presented, AT).unwrap();
    let err = w
        .service
        .confirm(&w.facility, &presented, AT + Duration::seconds(5))
        .unwrap_err();
    assert!(
        matches!(err, HealthError::Rejected(Rejection::ChallengeReplayed)),
        "{err}"
    );
}

#[test]
fn a_refusal_is_an_error_answer_with_its_code() {
    let w = world();
    enrol(&w);
    let presented = Presentation::Assertion(fresh_assertion(&w, IssueSpec::default(), AT));
    let first = w.service.answer(&w.facility, &presented, AT);
    assert_eq!(first.processing_result_status, "1");
    assert_eq!(first.processing_result_code, None);
    let replay = w.service.answer(&w.facility, &presented, AT);
    assert_eq!(replay.processing_result_status, "2");
    assert_eq!(replay.processing_result_code, Some("K1003"));
    assert!(replay.processing_result_message.is_some());
    assert_eq!(replay.qualification_validity, None);
    assert!(replay.result_list.is_empty());
    assert_eq!(replay.binding, None);
    assert!(!replay.sharing_available);
    let json = serde_json::to_value(&replay).unwrap();
    assert_eq!(json["ProcessingResultStatus"], "2");
    assert_eq!(json["ProcessingResultCode"], "K1003");
}

#[test]
fn unknown_and_expired_challenges_are_refused() {
    let w = world();
    enrol(&w);
    let forged = assertion(w.card(IssueSpec::default()), &[7u8; 32]);
    let err = w
        .service
        .confirm(&w.facility, &Presentation::Assertion(forged), AT)
        .unwrap_err();
    assert!(
        matches!(err, HealthError::Rejected(Rejection::ChallengeUnknown)),
        "{err}"
    );
    let late = fresh_assertion(&w, IssueSpec::default(), AT);
    let err = w
        .service
        .confirm(
            &w.facility,
            &Presentation::Assertion(late),
            AT + Duration::minutes(6),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            HealthError::Rejected(Rejection::ChallengeExpired { .. })
        ),
        "{err}"
    );
}

#[test]
fn staff_check_reads_the_certificate_only_and_says_so() {
    let w = world();
    enrol(&w);
    let (presented, stats) = present_card(
        w.card(IssueSpec::default()),
        &[],
        IdentityCheck::StaffVerified {
            terminal: &w.terminal,
            staff: "nurse-07",
            at: AT,
            genuineness: None,
        },
    )
    .unwrap();
    assert!(stats.commands <= 3, "{} APDUs", stats.commands);
    let answer = w.service.confirm(&w.facility, &presented, AT).unwrap();
    assert_eq!(answer.binding, Some(Binding::StaffChecked));
    assert_eq!(
        answer.qualification_validity,
        Some(QualificationValidity::Valid)
    );
}

#[test]
fn a_wrong_pin_never_reaches_the_service() {
    let w = world();
    let challenge = w.service.issue_challenge(AT).unwrap();
    let err = present_card(
        w.card(IssueSpec::default()),
        &challenge,
        IdentityCheck::Pin {
            pin: &AuthPin::new("9999").unwrap(),
            last_try: LastTry::Refuse,
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            HealthError::Card(CardError::WrongSecret { tries_left: 2, .. })
        ),
        "{err}"
    );
}

#[test]
fn a_revoked_card_is_refused_and_enrolment_writes_nothing() {
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let serial = Sandbox::new(0, AT, &[])
        .unwrap()
        .pki
        .issue(&persona, &IssueSpec::default())
        .unwrap()
        .auth_serial;
    let w = world_with(&[serial]);
    let challenge = w.service.issue_challenge(AT).unwrap();
    let p = proof(w.card(IssueSpec::default()), &challenge);
    let err = w.service.enrol(&agency(), &p, AT).unwrap_err();
    assert!(
        matches!(err, HealthError::Rejected(Rejection::Revoked { .. })),
        "{err}"
    );
    let id = p.authentication.certificate.id().unwrap();
    assert_eq!(
        w.service.store().resolve(&id).unwrap(),
        None,
        "rejected requests write nothing"
    );
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let err = w
        .service
        .confirm(&w.facility, &Presentation::Assertion(a), AT)
        .unwrap_err();
    assert!(
        matches!(err, HealthError::Rejected(Rejection::Revoked { .. })),
        "{err}"
    );
}

#[test]
fn without_enrolment_there_is_no_answer() {
    let w = world();
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let err = w
        .service
        .confirm(&w.facility, &Presentation::Assertion(a), AT)
        .unwrap_err();
    assert!(matches!(err, HealthError::NotEnrolled), "{err}");
}

#[test]
fn a_renewed_card_finds_the_same_person_through_the_serial_link() {
    let w = world();
    let old_id = enrol(&w);
    let renewed = slot(1);
    let a = fresh_assertion(&w, renewed.clone(), AT);
    let err = w
        .service
        .confirm(&w.facility, &Presentation::Assertion(a.clone()), AT)
        .unwrap_err();
    assert!(matches!(err, HealthError::NotEnrolled), "{err}");
    let new_id = a.certificate.id().unwrap();
    assert_ne!(old_id, new_id);
    assert_eq!(
        w.service
            .store()
            .import_renewals(&[(old_id, new_id)])
            .unwrap(),
        1
    );
    let a = fresh_assertion(&w, renewed, AT);
    let answer = w
        .service
        .confirm(&w.facility, &Presentation::Assertion(a), AT)
        .unwrap();
    assert_eq!(answer.result_list[0].name, "山田\u{3000}花子");
}

#[test]
fn expired_certificate_gets_three_months_of_qualification_only_then_refusal() {
    let w = world();
    let expiring = IssueSpec {
        key_slot: 2,
        not_after: Some(datetime!(2026-10-01 00:00 UTC)),
        ..IssueSpec::default()
    };
    // Enrolled while valid, at a service whose CRLs are current then (and which consults the card
    // links of the sandbox that issued the card).
    let before = datetime!(2026-09-15 10:00 +09:00);
    let enrolling = EligibilityService::new(
        Sandbox::new(0, before, &[]).unwrap().setup,
        SqliteStore::in_memory().unwrap(),
        w.sandbox.card_links.clone(),
    );
    let (person, q) = person_record(&w.persona, &agency(), before.date()).unwrap();
    enrolling.store().put_person(&person, &q).unwrap();
    let challenge = enrolling.issue_challenge(before).unwrap();
    let p = proof(w.card(expiring.clone()), &challenge);
    let id = enrolling.enrol(&agency(), &p, before).unwrap();
    // Later the insurer's feed carries the link to the service of today (CRLs current at AT).
    w.service
        .import_trusted_links(
            &TrustedLinkImport::from_trusted_feed("test feed", vec![(id, agency())]),
            AT,
        )
        .unwrap();
    // Two months after expiry: qualification data, no sharing.
    let a = fresh_assertion(&w, expiring.clone(), AT);
    let answer = w
        .service
        .confirm(&w.facility, &Presentation::Assertion(a), AT)
        .unwrap();
    assert_eq!(answer.binding, Some(Binding::ExpiredCertificateGrace));
    assert_eq!(
        answer.qualification_validity,
        Some(QualificationValidity::Valid)
    );
    assert!(!answer.sharing_available);
    assert_eq!(answer.result_list[0].name, "山田\u{3000}花子");
    assert_eq!(answer.result_list[0].insurer_number, "06139992");
    // Past the end of the third month after the month of expiry (2027-01-31 JST): refused.
    let later = datetime!(2027-02-01 10:00 +09:00);
    let after = service_on(
        &Sandbox::new(0, later, &[]).unwrap(),
        SqliteStore::in_memory().unwrap(),
    );
    let challenge = after.issue_challenge(later).unwrap();
    let a = assertion(w.card(expiring), &challenge);
    let err = after
        .confirm(&w.facility, &Presentation::Assertion(a), later)
        .unwrap_err();
    assert!(
        matches!(err, HealthError::GraceOver { expired } if expired == date!(2026-10-01)),
        "{err}"
    );
}

#[test]
fn the_clinic_reference_number_comes_back() {
    let w = world();
    enrol(&w);
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    w.service
        .register_reference_number(&w.facility, &a, "P-000123", AT)
        .unwrap();
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let answer = w
        .service
        .confirm(&w.facility, &Presentation::Assertion(a), AT)
        .unwrap();
    assert_eq!(
        answer.result_list[0].reference_number.as_deref(),
        Some("P-000123")
    );
    let other = FacilityCode::new("2712345678").unwrap();
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    assert_eq!(
        w.service
            .confirm(&other, &Presentation::Assertion(a), AT)
            .unwrap()
            .result_list[0]
            .reference_number,
        None
    );
}

#[test]
fn several_qualifications_answer_5_and_list_them_all() {
    let w = world();
    let overlapping = AgencyCode::new("AGC0000000000022").unwrap();
    let (person, qualifications) = overlapping_record(&w.persona, &overlapping, AT.date()).unwrap();
    assert_eq!(qualifications.len(), 2);
    w.service
        .store()
        .put_person(&person, &qualifications)
        .unwrap();
    let challenge = w.service.issue_challenge(AT).unwrap();
    let p = proof(w.card(IssueSpec::default()), &challenge);
    w.service.enrol(&overlapping, &p, AT).unwrap();
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let answer = w
        .service
        .confirm(&w.facility, &Presentation::Assertion(a), AT)
        .unwrap();
    assert_eq!(
        answer.qualification_validity,
        Some(QualificationValidity::Multiple)
    );
    let mut insurers: Vec<&str> = answer
        .result_list
        .iter()
        .map(|r| r.insurer_number.as_str())
        .collect();
    insurers.sort_unstable();
    let mut expected: Vec<String> = qualifications
        .iter()
        .map(|q| q.insurer_number.padded())
        .collect();
    expected.sort_unstable();
    assert_eq!(insurers, expected);
    assert_ne!(expected[0], expected[1]);
    assert_eq!(
        serde_json::to_value(&answer).unwrap()["QualificationValidity"],
        "5"
    );
}

#[test]
fn insurer_numbers_carry_a_check_digit() {
    let n = InsurerNumber::new("33120015").unwrap();
    assert_eq!(n.as_str(), "33120015");
    assert_eq!(n.padded(), "33120015");
    assert!(matches!(
        InsurerNumber::new("33120016"),
        Err(HealthError::Invalid {
            field: "insurer number",
            ..
        })
    ));
    // A 6-digit 国民健康保険 number as the XML sends it: two spaces, then the digits.
    let kokuho = InsurerNumber::new("  138008").unwrap();
    assert_eq!(kokuho.as_str(), "138008");
    assert_eq!(kokuho.padded(), "  138008");
    assert_eq!(InsurerNumber::new(&kokuho.padded()).unwrap(), kokuho);
    assert_eq!(InsurerNumber::new("138008").unwrap(), kokuho);
    assert!(InsurerNumber::new("  138009").is_err());
    for bad in [
        "",
        "3312001",
        "331200155",
        "3312001a",
        " 138008",
        "１３８００８",
    ] {
        assert!(InsurerNumber::new(bad).is_err(), "{bad:?}");
    }
}

proptest! {
    #[test]
    fn exactly_one_check_digit_is_valid(body in "[0-9]{7}", short in "[0-9]{5}") {
        let valid = |body: &str| (0..10).filter(|d| InsurerNumber::new(&format!("{body}{d}")).is_ok()).count();
        prop_assert_eq!(valid(&body), 1);
        prop_assert_eq!(valid(&short), 1);
        prop_assert_eq!(
            (0..10).filter(|d| InsurerNumber::new(&format!("  {short}{d}")).is_ok()).count(),
            1
        );
    }
}

#[test]
fn a_challenge_store_file_is_shared_between_service_instances() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.sqlite3");
    let w = world();
    let instance = || {
        let store = SqliteStore::open(&path).unwrap();
        let challenges = SqliteChallengeStore::open(&path, Duration::minutes(5), 100).unwrap();
        service_on(&w.sandbox, store).with_challenge_store(Arc::new(challenges))
    };
    let (one, two) = (instance(), instance());
    let (person, q) = person_record(&w.persona, &agency(), AT.date()).unwrap();
    one.store().put_person(&person, &q).unwrap();
    // Enrolment: challenge from one instance, answered to the other.
    let challenge = one.issue_challenge(AT).unwrap();
    let p = proof(w.card(IssueSpec::default()), &challenge);
    two.enrol(&agency(), &p, AT).unwrap();
    let challenge = two.issue_challenge(AT).unwrap();
    let presented = Presentation::Assertion(assertion(w.card(IssueSpec::default()), &challenge));
    one.confirm(&w.facility, &presented, AT).unwrap();
    for instance in [&one, &two] {
        let err = instance
            .confirm(&w.facility, &presented, AT + Duration::seconds(1))
            .unwrap_err();
        assert!(
            matches!(err, HealthError::Rejected(Rejection::ChallengeReplayed)),
            "{err}"
        );
    }
}

#[test]
fn the_challenge_store_is_bounded_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("challenges.sqlite3");
    let store = SqliteChallengeStore::open(&path, Duration::minutes(5), 2).unwrap();
    assert!(store.is_empty().unwrap());
    let first = store.issue(AT).unwrap();
    store.issue(AT).unwrap();
    assert!(matches!(
        store.issue(AT),
        Err(kazasu_pki::Error::ChallengeCapacity { capacity: 2 })
    ));
    // A used challenge still counts (it must stay remembered to refuse its replay) until it expires.
    store.consume(&first, AT).unwrap();
    assert!(store.issue(AT + Duration::minutes(1)).is_err());
    // Once expired, they make room.
    let later = AT + Duration::minutes(5);
    let third = store.issue(later).unwrap();
    assert_eq!(store.len().unwrap(), 1);
    store.check(&third, later).unwrap();
    assert_eq!(store.purge(later + Duration::minutes(5)).unwrap(), 1);
    assert!(store.is_empty().unwrap());
    // Through a service the refusal is a typed error, not a panic.
    let w = world();
    let full = service_on(&w.sandbox, SqliteStore::in_memory().unwrap()).with_challenge_store(
        Arc::new(SqliteChallengeStore::open(&path, Duration::minutes(5), 1).unwrap()),
    );
    full.issue_challenge(AT).unwrap();
    assert!(matches!(
        full.issue_challenge(AT),
        Err(HealthError::Pki(kazasu_pki::Error::ChallengeCapacity {
            capacity: 1
        }))
    ));
}

#[test]
fn a_legacy_certificate_link_is_adopted_when_the_card_is_presented() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eligibility.sqlite3");
    let w = world();
    let service = service_on(&w.sandbox, SqliteStore::open(&path).unwrap());
    let (person, q) = person_record(&w.persona, &agency(), AT.date()).unwrap();
    service.store().put_person(&person, &q).unwrap();
    let challenge = service.issue_challenge(AT).unwrap();
    let a = assertion(w.card(IssueSpec::default()), &challenge);
    let legacy = a.certificate.legacy_id();
    let id = a.certificate.id().unwrap();
    // A link written before ids were keyed on the issuer key: (issuer DN, serial).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO certificate_links (issuer, serial, agency_code, linked_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![legacy.issuer, legacy.serial, agency().as_str(), "2024-01-01T00:00:00Z"],
    )
    .unwrap();
    assert_eq!(service.store().resolve(&id).unwrap(), None);
    let answer = service
        .confirm(&w.facility, &Presentation::Assertion(a), AT)
        .unwrap();
    assert_eq!(answer.result_list[0].name, "山田\u{3000}花子");
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT issuer, serial FROM certificate_links")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows, vec![(id.issuer_key_id_hex(), id.serial_hex())]);
    assert_eq!(service.store().resolve(&id).unwrap(), Some(agency()));
}

fn desk(w: &World, store: SqliteStore) -> CheckinService<SqliteStore> {
    register_terminal(&store, &w.terminal);
    CheckinService::new(w.facility.clone(), w.sandbox.setup.clone(), store)
}

fn desk_assertion(w: &World, d: &CheckinService<SqliteStore>, spec: IssueSpec) -> AuthAssertion {
    desk_assertion_at(w, d, spec, AT)
}

fn desk_assertion_at(
    w: &World,
    d: &CheckinService<SqliteStore>,
    spec: IssueSpec,
    at: OffsetDateTime,
) -> AuthAssertion {
    let challenge = d.issue_challenge(at).unwrap();
    assertion(w.card(spec), &challenge)
}

/// Links the card of `spec` to `card` at the desk, approved by the clerk on the facility terminal.
fn staff_link(
    w: &World,
    d: &CheckinService<SqliteStore>,
    spec: IssueSpec,
    card: &PatientCardNumber,
) -> Result<CertificateId, HealthError> {
    let a = desk_assertion(w, d, spec);
    let approval = w
        .terminal
        .approve(
            "clerk-02",
            ApprovalPurpose::LinkPatientCard(card.clone()),
            &a.certificate,
            AT,
        )
        .unwrap();
    d.link(&a, card, &LinkApproval::Staff(approval), AT)
}

#[test]
fn check_in_with_a_touch() {
    let w = world();
    let d = desk(&w, SqliteStore::in_memory().unwrap());
    let patient = PatientCardNumber::new("P-000123").unwrap();
    let a = desk_assertion(&w, &d, IssueSpec::default());
    let err = d.check_in(&a, AT).unwrap_err();
    assert!(matches!(err, HealthError::NotLinked { .. }), "{err}");
    staff_link(&w, &d, IssueSpec::default(), &patient).unwrap();
    d.store()
        .add_reservation(
            &w.facility,
            &patient,
            &Reservation::new(AT.date(), "10:30", "内科"),
        )
        .unwrap();
    let a = desk_assertion(&w, &d, IssueSpec::default());
    let r = d.check_in(&a, AT).unwrap();
    assert_eq!(r.patient_card, patient);
    assert_eq!(r.queue_number, 1);
    assert_eq!(r.reservations.len(), 1);
    assert_eq!(r.reservations[0].department, "内科");
    // A replayed touch is refused.
    assert!(matches!(
        d.check_in(&a, AT),
        Err(HealthError::Rejected(Rejection::ChallengeReplayed))
    ));
}

#[test]
fn checking_in_twice_a_day_keeps_the_number_and_the_next_day_starts_over() {
    let w = world();
    let d = desk(&w, SqliteStore::in_memory().unwrap());
    let patient = PatientCardNumber::new("P-5").unwrap();
    staff_link(&w, &d, IssueSpec::default(), &patient).unwrap();
    // Two other patients came first today.
    for (n, other) in ["P-1", "P-2"].into_iter().enumerate() {
        let other = PatientCardNumber::new(other).unwrap();
        let got = d
            .store()
            .check_in(&w.facility, &other, AT.date(), AT)
            .unwrap();
        assert_eq!(got as usize, n + 1);
    }
    let a = desk_assertion(&w, &d, IssueSpec::default());
    assert_eq!(d.check_in(&a, AT).unwrap().queue_number, 3);
    let later = AT + Duration::minutes(30);
    let a = desk_assertion_at(&w, &d, IssueSpec::default(), later);
    let again = d.check_in(&a, later).unwrap();
    assert_eq!(
        again.queue_number, 3,
        "the same number again, not a new one"
    );
    // The next morning in Japan (08:00 JST) is a new day with its own counter.
    let tomorrow = AT + Duration::hours(22);
    let a = desk_assertion_at(&w, &d, IssueSpec::default(), tomorrow);
    let r = d.check_in(&a, tomorrow).unwrap();
    assert_eq!(r.day, date!(2026 - 11 - 27));
    assert_eq!(r.queue_number, 1);
    let other = PatientCardNumber::new("P-1").unwrap();
    assert_eq!(
        d.store()
            .check_in(&w.facility, &other, r.day, tomorrow)
            .unwrap(),
        2
    );
}

#[test]
fn renewal_keeps_the_patient_card_link() {
    let w = world();
    let d = desk(&w, SqliteStore::in_memory().unwrap());
    let patient = PatientCardNumber::new("P-7").unwrap();
    let old_id = staff_link(&w, &d, IssueSpec::default(), &patient).unwrap();
    let renewed = slot(1);
    let a = desk_assertion(&w, &d, renewed.clone());
    assert!(matches!(
        d.check_in(&a, AT),
        Err(HealthError::NotLinked { .. })
    ));
    let new_id = a.certificate.id().unwrap();
    d.store()
        .import_renewals(&[(old_id, new_id.clone())])
        .unwrap();
    let a = desk_assertion(&w, &d, renewed.clone());
    assert_eq!(d.check_in(&a, AT).unwrap().patient_card, patient);
    // A renewed card may link the number again (approved); a card that renewed nothing may not.
    assert_eq!(staff_link(&w, &d, renewed, &patient).unwrap(), new_id);
    let third = slot(3);
    let err = staff_link(&w, &d, third.clone(), &patient).unwrap_err();
    assert!(
        matches!(
            err,
            HealthError::Store(kazasu_health::StoreError::Conflict(_))
        ),
        "{err}"
    );
    let a = desk_assertion(&w, &d, third);
    assert!(matches!(
        d.check_in(&a, AT),
        Err(HealthError::NotLinked { .. })
    ));
}

#[test]
fn many_desks_at_once_get_unique_queue_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite3");
    let w = world();
    drop(SqliteStore::open(&path).unwrap());
    // 4 desks, each with its own connection to the shared file, 25 patients each.
    let facility = w.facility.clone();
    let threads: Vec<_> = (0..4)
        .map(|desk| {
            let path = path.clone();
            let facility = facility.clone();
            std::thread::spawn(move || {
                let store = SqliteStore::open(&path).unwrap();
                (0..25)
                    .map(|i| {
                        let card = PatientCardNumber::new(&format!("P-{desk}-{i}")).unwrap();
                        store.check_in(&facility, &card, AT.date(), AT).unwrap()
                    })
                    .collect::<Vec<u32>>()
            })
        })
        .collect();
    let mut all: Vec<u32> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=100).collect::<Vec<u32>>(),
        "no number lost, none given twice"
    );
    // And through the full flow (verification included), two desks on threads, each touched
    // three times by its own patient's card: one new number per patient, the same one again after.
    let desks: Vec<_> = (0..2)
        .map(|_| desk(&w, SqliteStore::open(&path).unwrap()))
        .collect();
    for (i, d) in desks.iter().enumerate() {
        let card = PatientCardNumber::new(&format!("Q-{i}")).unwrap();
        staff_link(&w, d, slot(i), &card).unwrap();
    }
    let assertions: Vec<Vec<AuthAssertion>> = desks
        .iter()
        .enumerate()
        .map(|(i, d)| (0..3).map(|_| desk_assertion(&w, d, slot(i))).collect())
        .collect();
    let numbers: Vec<Vec<u32>> = std::thread::scope(|s| {
        let handles: Vec<_> = desks
            .iter()
            .zip(assertions)
            .map(|(d, list)| {
                s.spawn(move || {
                    list.iter()
                        .map(|a| d.check_in(a, AT).unwrap().queue_number)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for list in &numbers {
        assert!(list.iter().all(|n| *n == list[0]), "{numbers:?}");
    }
    let mut firsts = vec![numbers[0][0], numbers[1][0]];
    firsts.sort_unstable();
    assert_eq!(firsts, vec![101, 102]);
}

#[test]
fn the_database_survives_reopening_and_refuses_corrupt_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eligibility.sqlite3");
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    {
        let store = SqliteStore::open(&path).unwrap();
        let (person, q) = person_record(&persona, &agency(), AT.date()).unwrap();
        store.put_person(&person, &q).unwrap();
        assert_eq!(store.schema_version().unwrap(), 3);
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.person(&agency()).unwrap().unwrap().0.name,
        "山田\u{3000}花子"
    );
    drop(store);
    // A row written by something else, with a date this version cannot read.
    let conn = rusqlite_conn(&path);
    conn.execute("UPDATE persons SET birth_date = 'yesterday'", [])
        .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let err = store.person(&agency()).unwrap_err();
    assert!(
        matches!(
            err,
            kazasu_health::StoreError::CorruptRow {
                table: "persons",
                ..
            }
        ),
        "{err}"
    );
    drop(store);
    // A database from a newer schema is refused, not misread.
    let conn = rusqlite_conn(&path);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        SqliteStore::open(&path),
        Err(kazasu_health::StoreError::SchemaTooNew { found: 99, .. })
    ));
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn renewal_cycles_are_corrupt_data_not_a_hang() {
    let store = SqliteStore::in_memory().unwrap();
    let id = |s: &str| CertificateId::from_hex_parts("0a", s).unwrap();
    store
        .import_renewals(&[(id("1"), id("2")), (id("2"), id("3")), (id("3"), id("1"))])
        .unwrap();
    assert!(matches!(
        store.lineage(&id("3")),
        Err(kazasu_health::StoreError::CorruptRow {
            table: "renewals",
            ..
        })
    ));
}

#[test]
fn confirmation_by_insurance_card_data_is_answered_and_audited() {
    use kazasu_health::{AuditStore, InsuranceCardQuery, LookupMode};
    let w = world();
    let (_, qualifications) = person_record(&w.persona, &agency(), AT.date()).unwrap();
    let q = &qualifications[0];
    let query = |birth| {
        InsuranceCardQuery::new(
            q.insurer_number.clone(),
            format!(" {} ", q.insured_card_symbol),
            q.insured_identification_number.clone(),
            None,
            birth,
        )
    };
    let answer = w
        .service
        .confirm_by_insurance_card(&w.facility, &query(w.persona.birth_date), AT)
        .unwrap();
    assert_eq!(answer.reference_classification, "2");
    assert_eq!(
        answer.qualification_validity,
        Some(QualificationValidity::Valid)
    );
    assert_eq!(answer.result_list.len(), 1);
    assert_eq!(
        answer.result_list[0].insurer_number,
        q.insurer_number.padded()
    );
    assert!(!answer.sharing_available);
    // Another birth date: nobody holds that card.
    let nobody = w
        .service
        .confirm_by_insurance_card(
            &w.facility,
            &query(w.persona.birth_date + Duration::days(1)),
            AT,
        )
        .unwrap();
    assert_eq!(
        nobody.qualification_validity,
        Some(QualificationValidity::NoQualification)
    );
    assert!(nobody.result_list.is_empty());
    // The qualification ended and a newer one began: 3.
    let mut ended = q.clone();
    ended.valid_until = Some(date!(2026 - 03 - 31));
    let mut newer = q.clone();
    newer.insurer_number = InsurerNumber::new("01130012").unwrap();
    newer.valid_from = date!(2026 - 04 - 01);
    let (person, _) = person_record(&w.persona, &agency(), AT.date()).unwrap();
    w.service
        .store()
        .put_person(&person, &[ended, newer])
        .unwrap();
    let answer = w
        .service
        .confirm_by_insurance_card(&w.facility, &query(w.persona.birth_date), AT)
        .unwrap();
    assert_eq!(
        answer.qualification_validity,
        Some(QualificationValidity::InvalidNewerExists)
    );
    // Every lookup is in the audit trail, without a certificate.
    let trail = w.service.store().audit_trail(Some(&w.facility)).unwrap();
    let card_data: Vec<_> = trail
        .iter()
        .filter(|e| e.mode == LookupMode::InsuranceCardData)
        .collect();
    assert_eq!(card_data.len(), 3);
    assert!(
        card_data
            .iter()
            .all(|e| e.certificate.is_none() && e.result == "1")
    );
}
