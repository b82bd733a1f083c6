//! Eligibility and check-in end to end, in process: virtual cards, the test PKI, SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_card::{AuthPin, CardError, LastTry};
use kazasu_health::sandbox::{Sandbox, person_record};
use kazasu_health::{
    AgencyCode, Binding, CheckinService, CheckinStore, EligibilityService, EligibilityStore,
    FacilityCode, HealthError, IdentityCheck, PatientCardNumber, Presentation,
    QualificationValidity, RenewalStore, Reservation, SqliteStore, present_card,
};
use kazasu_pki::{AuthAssertion, Rejection};
use kazasu_virtual_card::pki::{IssueSpec, Persona, PersonaBuilder};
use kazasu_virtual_card::{IssuedCard, VirtualTransport};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const AT: OffsetDateTime = datetime!(2026-11-26 10:00 +09:00);

fn facility() -> FacilityCode {
    FacilityCode::new("1312345678").unwrap()
}

fn agency() -> AgencyCode {
    AgencyCode::new("AGC0000000000001").unwrap()
}

fn pin() -> AuthPin {
    AuthPin::new("1234").unwrap()
}

struct World {
    sandbox: Sandbox,
    persona: Persona,
    service: EligibilityService<SqliteStore>,
}

fn world_with(revoked: &[Vec<u8>]) -> World {
    let sandbox = Sandbox::new(0, AT, revoked).unwrap();
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let store = SqliteStore::in_memory().unwrap();
    let (person, qualifications) = person_record(&persona, &agency());
    store.put_person(&person, &qualifications).unwrap();
    let service = EligibilityService::new(sandbox.setup.clone(), store, Duration::minutes(5));
    World {
        sandbox,
        persona,
        service,
    }
}

fn world() -> World {
    world_with(&[])
}

fn card(w: &World, spec: IssueSpec) -> IssuedCard {
    w.sandbox.card(&w.persona, spec).unwrap()
}

fn assertion(card: IssuedCard, challenge: &[u8]) -> AuthAssertion {
    let check = IdentityCheck::Pin {
        pin: &pin(),
        last_try: LastTry::Refuse,
    };
    match present_card(VirtualTransport::new(card.card), challenge, check)
        .unwrap()
        .0
    {
        Presentation::Assertion(a) => a,
        other => panic!("{other:?}"),
    }
}

fn fresh_assertion(w: &World, spec: IssueSpec, at: OffsetDateTime) -> AuthAssertion {
    let challenge = w.service.issue_challenge(at).unwrap();
    assertion(card(w, spec), &challenge)
}

fn enrol(w: &World) {
    let a = fresh_assertion(w, IssueSpec::default(), AT);
    w.service.enrol(&a, &agency(), AT).unwrap();
}

#[test]
fn enrol_then_confirm_with_the_pin() {
    let w = world();
    enrol(&w);
    let challenge = w.service.issue_challenge(AT).unwrap();
    let (presented, stats) = present_card(
        VirtualTransport::new(card(&w, IssueSpec::default()).card),
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
    let answer = w.service.confirm(&facility(), &presented, AT).unwrap();
    assert_eq!(answer.qualification_validity, QualificationValidity::Valid);
    assert_eq!(answer.binding, Binding::CardHolder);
    assert_eq!(answer.insurer_number.as_deref(), Some("06139999"));
    assert_eq!(answer.name.as_deref(), Some("山田 花子"));
    assert_eq!(answer.name_kana.as_deref(), Some("ヤマダ ハナコ"));
    assert_eq!(answer.birthdate.as_deref(), Some("19850412"));
    assert_eq!(answer.sex.as_deref(), Some("2"));
    assert_eq!(answer.insured_card_valid_date.as_deref(), Some("20200401"));
    assert_eq!(answer.reference_number, None);
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["QualificationValidity"], "1");
    assert_eq!(json["InsurerNumber"], "06139999");
}

#[test]
fn a_replayed_assertion_is_refused() {
    let w = world();
    enrol(&w);
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let presented = Presentation::Assertion(a);
    w.service.confirm(&facility(), &presented, AT).unwrap();
    let err = w
        .service
        .confirm(&facility(), &presented, AT + Duration::seconds(5))
        .unwrap_err();
    assert!(
        matches!(err, HealthError::Rejected(Rejection::ChallengeReplayed)),
        "{err}"
    );
}

#[test]
fn unknown_and_expired_challenges_are_refused() {
    let w = world();
    enrol(&w);
    let forged = assertion(card(&w, IssueSpec::default()), &[7u8; 32]);
    let err = w
        .service
        .confirm(&facility(), &Presentation::Assertion(forged), AT)
        .unwrap_err();
    assert!(
        matches!(err, HealthError::Rejected(Rejection::ChallengeUnknown)),
        "{err}"
    );
    let late = fresh_assertion(&w, IssueSpec::default(), AT);
    let err = w
        .service
        .confirm(
            &facility(),
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
        VirtualTransport::new(card(&w, IssueSpec::default()).card),
        &[],
        IdentityCheck::StaffVerified,
    )
    .unwrap();
    assert!(stats.commands <= 3);
    let answer = w.service.confirm(&facility(), &presented, AT).unwrap();
    assert_eq!(answer.binding, Binding::StaffChecked);
    assert_eq!(answer.qualification_validity, QualificationValidity::Valid);
}

#[test]
fn a_wrong_pin_never_reaches_the_service() {
    let w = world();
    let challenge = w.service.issue_challenge(AT).unwrap();
    let err = present_card(
        VirtualTransport::new(card(&w, IssueSpec::default()).card),
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
    let probe = world();
    let serial = probe
        .sandbox
        .credentials(&probe.persona, &IssueSpec::default())
        .unwrap()
        .auth_serial;
    let w = world_with(&[serial]);
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let err = w.service.enrol(&a, &agency(), AT).unwrap_err();
    assert!(
        matches!(err, HealthError::Rejected(Rejection::Revoked { .. })),
        "{err}"
    );
    let id = a.certificate.id().unwrap();
    assert_eq!(
        w.service.store().resolve(&id).unwrap(),
        None,
        "rejected requests write nothing"
    );
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let err = w
        .service
        .confirm(&facility(), &Presentation::Assertion(a), AT)
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
        .confirm(&facility(), &Presentation::Assertion(a), AT)
        .unwrap_err();
    assert!(matches!(err, HealthError::NotEnrolled), "{err}");
}

#[test]
fn a_renewed_card_finds_the_same_person_through_the_serial_link() {
    let w = world();
    enrol(&w);
    let renewed = IssueSpec {
        key_slot: 1,
        ..IssueSpec::default()
    };
    let a = fresh_assertion(&w, renewed.clone(), AT);
    let err = w
        .service
        .confirm(&facility(), &Presentation::Assertion(a.clone()), AT)
        .unwrap_err();
    assert!(matches!(err, HealthError::NotEnrolled), "{err}");
    let old = card(&w, IssueSpec::default());
    let old_id = kazasu_pki::Certificate::from_der(&old.holder.auth_certificate)
        .unwrap()
        .id()
        .unwrap();
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
        .confirm(&facility(), &Presentation::Assertion(a), AT)
        .unwrap();
    assert_eq!(answer.name.as_deref(), Some("山田 花子"));
}

#[test]
fn expired_certificate_gets_three_months_of_qualification_only_then_refusal() {
    let w = world();
    let expiring = IssueSpec {
        key_slot: 2,
        not_after: Some(datetime!(2026-10-01 00:00 UTC)),
        ..IssueSpec::default()
    };
    // Enrolled while valid.
    let before = datetime!(2026-09-15 10:00 +09:00);
    let w2 = World {
        service: EligibilityService::new(
            Sandbox::new(0, before, &[]).unwrap().setup,
            SqliteStore::in_memory().unwrap(),
            Duration::minutes(5),
        ),
        ..w
    };
    let (person, q) = person_record(&w2.persona, &agency());
    w2.service.store().put_person(&person, &q).unwrap();
    let a = fresh_assertion(&w2, expiring.clone(), before);
    w2.service.enrol(&a, &agency(), before).unwrap();
    // Two months after expiry: qualification data only. (CRLs of the sandbox are valid at AT.)
    let w3 = World {
        service: EligibilityService::new(
            Sandbox::new(0, AT, &[]).unwrap().setup,
            SqliteStore::in_memory().unwrap(),
            Duration::minutes(5),
        ),
        ..w2
    };
    w3.service.store().put_person(&person, &q).unwrap();
    w3.service
        .store()
        .link_certificate(&a.certificate.id().unwrap(), &agency(), before)
        .unwrap();
    let a = fresh_assertion(&w3, expiring.clone(), AT);
    let answer = w3
        .service
        .confirm(&facility(), &Presentation::Assertion(a), AT)
        .unwrap();
    assert_eq!(answer.binding, Binding::ExpiredCertificateGrace);
    assert_eq!(answer.qualification_validity, QualificationValidity::Valid);
    assert_eq!(answer.name, None);
    assert!(answer.insurer_number.is_some());
    // Past three months: refused.
    let later = datetime!(2027-01-02 10:00 +09:00);
    let w4 = World {
        service: EligibilityService::new(
            Sandbox::new(0, later, &[]).unwrap().setup,
            SqliteStore::in_memory().unwrap(),
            Duration::minutes(5),
        ),
        ..w3
    };
    let a = fresh_assertion(&w4, expiring, later);
    let err = w4
        .service
        .confirm(&facility(), &Presentation::Assertion(a), later)
        .unwrap_err();
    assert!(matches!(err, HealthError::GraceOver { .. }), "{err}");
}

#[test]
fn the_clinic_reference_number_comes_back() {
    let w = world();
    enrol(&w);
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    w.service
        .register_reference_number(&facility(), &a, "P-000123", AT)
        .unwrap();
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    let answer = w
        .service
        .confirm(&facility(), &Presentation::Assertion(a), AT)
        .unwrap();
    assert_eq!(answer.reference_number.as_deref(), Some("P-000123"));
    let other = FacilityCode::new("2712345678").unwrap();
    let a = fresh_assertion(&w, IssueSpec::default(), AT);
    assert_eq!(
        w.service
            .confirm(&other, &Presentation::Assertion(a), AT)
            .unwrap()
            .reference_number,
        None
    );
}

fn desk(w: &World, store: SqliteStore) -> CheckinService<SqliteStore> {
    CheckinService::new(
        facility(),
        w.sandbox.setup.clone(),
        store,
        Duration::minutes(5),
    )
}

fn desk_assertion(w: &World, d: &CheckinService<SqliteStore>, spec: IssueSpec) -> AuthAssertion {
    let challenge = d.issue_challenge(AT).unwrap();
    assertion(card(w, spec), &challenge)
}

#[test]
fn check_in_with_a_touch() {
    let w = world();
    let d = desk(&w, SqliteStore::in_memory().unwrap());
    let patient = PatientCardNumber::new("P-000123").unwrap();
    let a = desk_assertion(&w, &d, IssueSpec::default());
    let err = d.check_in(&a, AT).unwrap_err();
    assert!(matches!(err, HealthError::NotLinked { .. }), "{err}");
    let a = desk_assertion(&w, &d, IssueSpec::default());
    d.link(&a, &patient, AT).unwrap();
    d.store()
        .add_reservation(
            &facility(),
            &patient,
            &Reservation {
                day: AT.date(),
                time: "10:30".into(),
                department: "内科".into(),
            },
        )
        .unwrap();
    let a = desk_assertion(&w, &d, IssueSpec::default());
    let r = d.check_in(&a, AT).unwrap();
    assert_eq!(r.patient_card, patient);
    assert_eq!(r.queue_number, 1);
    assert_eq!(r.reservations.len(), 1);
    assert_eq!(r.reservations[0].department, "内科");
    let a = desk_assertion(&w, &d, IssueSpec::default());
    assert_eq!(d.check_in(&a, AT).unwrap().queue_number, 2);
    // A replayed touch does not check in twice.
    assert!(matches!(
        d.check_in(&a, AT),
        Err(HealthError::Rejected(Rejection::ChallengeReplayed))
    ));
}

#[test]
fn renewal_keeps_the_patient_card_link() {
    let w = world();
    let d = desk(&w, SqliteStore::in_memory().unwrap());
    let patient = PatientCardNumber::new("P-7").unwrap();
    let a = desk_assertion(&w, &d, IssueSpec::default());
    let old_id = d.link(&a, &patient, AT).unwrap();
    let renewed = IssueSpec {
        key_slot: 1,
        ..IssueSpec::default()
    };
    let a = desk_assertion(&w, &d, renewed.clone());
    assert!(matches!(
        d.check_in(&a, AT),
        Err(HealthError::NotLinked { .. })
    ));
    let new_id = a.certificate.id().unwrap();
    d.store().import_renewals(&[(old_id, new_id)]).unwrap();
    let a = desk_assertion(&w, &d, renewed);
    assert_eq!(d.check_in(&a, AT).unwrap().patient_card, patient);
    // Or a fresh authenticated re-link with a third card.
    let third = IssueSpec {
        key_slot: 3,
        ..IssueSpec::default()
    };
    let a = desk_assertion(&w, &d, third.clone());
    d.link(&a, &patient, AT).unwrap();
    let a = desk_assertion(&w, &d, third);
    assert_eq!(d.check_in(&a, AT).unwrap().patient_card, patient);
}

#[test]
fn many_desks_at_once_get_unique_queue_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite3");
    let w = world();
    // Link a patient once; every desk shares the database file, each with its own connection.
    let setup = desk(&w, SqliteStore::open(&path).unwrap());
    let patient = PatientCardNumber::new("P-1").unwrap();
    let a = desk_assertion(&w, &setup, IssueSpec::default());
    setup.link(&a, &patient, AT).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = SqliteStore::open(&path).unwrap();
                (0..25)
                    .map(|_| {
                        store
                            .check_in(&facility(), &patient_card(), AT.date(), AT)
                            .unwrap()
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
    // And through the full flow (verification included), from two desks on threads.
    let setup_desks: Vec<_> = (0..2)
        .map(|_| desk(&w, SqliteStore::open(&path).unwrap()))
        .collect();
    let assertions: Vec<Vec<AuthAssertion>> = setup_desks
        .iter()
        .map(|d| {
            (0..3)
                .map(|_| desk_assertion(&w, d, IssueSpec::default()))
                .collect()
        })
        .collect();
    let numbers: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = setup_desks
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
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut numbers = numbers;
    numbers.sort_unstable();
    assert_eq!(numbers, (101..=106).collect::<Vec<u32>>());
}

fn patient_card() -> PatientCardNumber {
    PatientCardNumber::new("P-1").unwrap()
}

#[test]
fn the_database_survives_reopening_and_refuses_corrupt_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eligibility.sqlite3");
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    {
        let store = SqliteStore::open(&path).unwrap();
        let (person, q) = person_record(&persona, &agency());
        store.put_person(&person, &q).unwrap();
        assert_eq!(store.schema_version().unwrap(), 1);
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.person(&agency()).unwrap().unwrap().0.name,
        "山田 花子"
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
    let id = |s: &str| kazasu_pki::CertificateId::from_hex_parts("0a", s).unwrap();
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
